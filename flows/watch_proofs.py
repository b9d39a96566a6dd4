from __future__ import annotations

from prefect import flow

from fulfil.usecases import pipeline
from tasks._runtime import flow_run_deps
from tasks.steps import TaskSteps


@flow(
    name="watch-proofs",
    flow_run_name="watch-proofs",
    description="Look in every waiting order's proof folder, accept or reject what the team "
    "dropped, copy accepted orders to the CRM sheet and tell the buyer.",
)
def watch_proofs() -> list[str]:
    with flow_run_deps() as deps:
        return pipeline.watch(TaskSteps(deps))
