from __future__ import annotations

from prefect import flow

from fulfil.usecases import pipeline
from tasks._runtime import flow_run_deps
from tasks.steps import TaskSteps


@flow(
    name="intake",
    flow_run_name="intake",
    description="Read the order form export, upsert orders by ID, validate them, and dispatch "
    "every valid paid order to its division with a proof folder. Buyers hear back by email.",
)
def intake(source: str | None = None) -> dict[str, int]:
    """`source` is a file or folder path (never order data); None reads FULFIL_INTAKE_PATH."""
    with flow_run_deps() as deps:
        return pipeline.intake(TaskSteps(deps), source)
