"""The shared tail of the pipeline: from proof folders to a notified buyer."""

from __future__ import annotations

from tasks.crm import mark_recorded, sync_crm_rows
from tasks.notify import check_delivery, complete_orders, send_outbox
from tasks.proofs import judge_proofs, scan_proof_folders
from tasks.traces import publish_order_traces


def after_dispatch(order_ids: list[str] | None, mark: int) -> list[str]:
    """Proof → CRM row → completed → buyer told, for these orders (None: every order), then
    each changed order's trace from history `mark` on (see tasks/traces.py).

    Each step picks up whatever is at its status, so an order a crash left between two steps
    moves on here too.
    """
    judge_proofs(scan_proof_folders(order_ids))
    mark_recorded(sync_crm_rows())
    done = complete_orders(order_ids)
    sent = send_outbox()
    # The rows now show the final status and when the buyer was told.
    sync_crm_rows()
    publish_order_traces(mark)
    check_delivery(sent)
    return done
