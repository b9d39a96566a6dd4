"""The shared tail of the pipeline: from proof folders to a notified buyer."""

from __future__ import annotations

from tasks.crm import mark_recorded, write_crm_rows
from tasks.notify import complete_orders, send_outbox
from tasks.proofs import judge_proofs, scan_proof_folders


def after_dispatch(order_ids: list[str] | None = None) -> list[str]:
    """Proof → CRM row → completed → buyer told, for these orders (None: every order).

    Each step picks up whatever is at its status, so an order a crash left between two steps
    moves on here too.
    """
    judge_proofs(scan_proof_folders(order_ids))
    to_mark = write_crm_rows(order_ids)
    mark_recorded(to_mark)
    done = complete_orders(order_ids)
    send_outbox()
    if done:
        # Refresh the rows so the sheet shows the final status and when the buyer was told.
        write_crm_rows([], refresh=done)
    return done
