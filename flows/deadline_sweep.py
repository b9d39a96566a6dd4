from __future__ import annotations

from datetime import datetime

from prefect import flow

from fulfil.usecases import pipeline
from tasks._runtime import flow_run_deps
from tasks.steps import TaskSteps


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
    with flow_run_deps() as deps:
        return pipeline.sweep(TaskSteps(deps), at)
