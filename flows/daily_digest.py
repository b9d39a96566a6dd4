from __future__ import annotations

from prefect import flow

from tasks.digest import send_daily_digest


@flow(
    name="daily-digest",
    flow_run_name="daily-digest",
    description="Send ops one email a day: orders by status, overdue open orders, messages that failed, "
    "and the daily report's chart.",
)
def daily_digest() -> bool:
    return send_daily_digest()
