from __future__ import annotations

from prefect import flow

from flows._steps import after_dispatch
from tasks.dispatch import mark_dispatched, open_proof_folders
from tasks.traces import history_mark


@flow(
    name="fulfil-order",
    flow_run_name="order-{order_id}",
    description="Advance one order as far as it can go now. Safe to run at any time, any number "
    "of times: it reads the order's status and does only what is left.",
)
def fulfil_order(order_id: str) -> None:
    mark = history_mark()
    mark_dispatched(open_proof_folders([order_id]))
    after_dispatch([order_id], mark)
