from __future__ import annotations

from prefect import flow

from tasks.report_files import write_report


@flow(
    name="daily-report",
    flow_run_name="daily-report",
    description="The last days in numbers: orders by status, on-time rate per service and division, "
    "time to proof and to the buyer being told, late orders, rejected proofs, failed messages.",
)
def daily_report(days: int = 14) -> str:
    return write_report(days)
