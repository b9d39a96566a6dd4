from __future__ import annotations

from prefect import flow

from tasks.notify import send_outbox
from tasks.report import publish_summary
from tasks.sweep import flag_overdue


@flow(
    name="deadline-sweep",
    flow_run_name="deadline-sweep",
    description="Flag orders past their deadline as overdue and alert each division lead once.",
)
def deadline_sweep() -> list[str]:
    flagged = flag_overdue()
    send_outbox()
    if flagged:
        publish_summary(flagged, "Orders that passed their deadline in this sweep")
    return flagged
