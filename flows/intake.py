from __future__ import annotations

from prefect import flow

from tasks.dispatch import mark_dispatched, open_proof_folders
from tasks.intake import ingest_orders
from tasks.notify import check_delivery, send_outbox
from tasks.report import publish_summary
from tasks.traces import history_mark, publish_order_traces


@flow(
    name="intake",
    flow_run_name="intake",
    description="Read the order form export, upsert orders by ID, validate them, and dispatch "
    "every valid paid order to its division with a proof folder. Buyers hear back by email.",
)
def intake(source: str | None = None) -> dict[str, int]:
    """`source` is a file or folder path (never order data); None reads FULFIL_INTAKE_PATH."""
    mark = history_mark()
    report = ingest_orders(source)
    dispatched = mark_dispatched(open_proof_folders(report.order_ids))
    sent = send_outbox()
    publish_summary(report.order_ids, "Orders touched by this intake")
    publish_order_traces(mark)
    check_delivery(sent)
    return {
        "rows": report.rows,
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "change_ignored": report.change_ignored,
        "edited": report.edited,
        "held_duplicates": len(report.held_duplicates),
        "dispatched": len(dispatched),
    }
