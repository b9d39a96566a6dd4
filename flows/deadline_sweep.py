from __future__ import annotations

from datetime import datetime

from prefect import flow

from tasks.notify import check_delivery, send_outbox
from tasks.report import publish_summary
from tasks.sweep import sweep_deadlines
from tasks.traces import history_mark, publish_order_traces


@flow(
    name="deadline-sweep",
    flow_run_name="deadline-sweep",
    description=(
        "The deadline ladder: reminders to the division, escalations to its lead and ops, payment "
        "reminders and follow-ups to buyers, each once per order; flags orders past their deadline."
    ),
)
def deadline_sweep(at: datetime | None = None) -> dict[str, list[str]]:
    """`at` runs the sweep as if it were that moment (catching up, tests); none means now."""
    mark = history_mark()
    report = sweep_deadlines(at)
    sent = send_outbox()
    if report.flagged:
        publish_summary(report.flagged, "Orders that passed their deadline in this sweep")
    publish_order_traces(mark)
    check_delivery(sent)
    return {"flagged": report.flagged, "queued": report.queued, "skipped": report.skipped}
