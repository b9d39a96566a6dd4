"""Deadline sweep task: the ladder's due rungs for every order, each once."""

from __future__ import annotations

from datetime import datetime

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.sweep import SweepReport
from tasks._runtime import listed, log, step_task


@step_task("sweep-deadlines")
def sweep_deadlines(deps: Deps, at: datetime | None = None) -> SweepReport:
    report = DirectSteps(deps).sweep_deadlines(at)
    # Order IDs and rung keys only: never a name or an address.
    log(
        f"newly overdue: {len(report.flagged)}: {listed(report.flagged)}; "
        f"queued: {len(report.queued)}: {listed(report.queued)}; "
        f"skipped: {len(report.skipped)}"
    )
    return report
