from __future__ import annotations

from prefect import flow

from tasks._runtime import flow_run_deps
from tasks.report_files import shelve_report, write_report


@flow(
    name="daily-report",
    flow_run_name="daily-report",
    description="The last days in numbers: orders by status, on-time rate per service and division, "
    "time to proof and to the buyer being told, late orders, rejected proofs, failed messages. "
    "Written as CSV, Markdown and a chart, also to the Laporan folder on Drive when Google is set up.",
)
def daily_report(days: int = 14) -> str:
    with flow_run_deps() as deps:
        files = write_report(deps, days)
        shelve_report(deps, list(files.values()))
        return files["markdown"]
