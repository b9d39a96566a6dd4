from __future__ import annotations

from prefect import flow

from fulfil.usecases import pipeline
from tasks._runtime import flow_run_deps
from tasks.steps import TaskSteps


@flow(
    name="fulfil-order",
    flow_run_name="order-{order_id}",
    description="Advance one order as far as it can go now. Safe to run at any time, any number "
    "of times: it reads the order's status and does only what is left.",
)
def fulfil_order(order_id: str) -> None:
    with flow_run_deps() as deps:
        pipeline.advance(TaskSteps(deps), order_id)
