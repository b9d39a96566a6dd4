from __future__ import annotations

from prefect import flow

from flows._steps import after_dispatch
from tasks.traces import history_mark


@flow(
    name="watch-proofs",
    flow_run_name="watch-proofs",
    description="Look in every waiting order's proof folder, accept or reject what the team "
    "dropped, copy accepted orders to the CRM sheet and tell the buyer.",
)
def watch_proofs() -> list[str]:
    return after_dispatch(None, history_mark())
