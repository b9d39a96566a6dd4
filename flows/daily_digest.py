from __future__ import annotations

from prefect import flow

from tasks._runtime import flow_run_deps
from tasks.digest import send_daily_digest


@flow(
    name="daily-digest",
    flow_run_name="daily-digest",
    description="Send ops one email a day: orders by status, overdue open orders, messages that failed, "
    "and the daily report's chart.",
)
def daily_digest() -> bool:
    with flow_run_deps() as deps:
        return send_daily_digest(deps)
