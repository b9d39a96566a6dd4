"""Deadline sweep task: the ladder's due rungs for every order, each once."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from fulfil.usecases import sweep as uc
from tasks._runtime import log, services


@task(name="sweep-deadlines")
def sweep_deadlines(at: datetime | None = None) -> uc.SweepReport:
    report = uc.sweep_orders(services(), now=at)
    # Order IDs and rung keys only: never a name or an address.
    log(
        f"newly overdue: {len(report.flagged)}: {', '.join(report.flagged) or '-'}; "
        f"queued: {len(report.queued)}: {', '.join(report.queued) or '-'}; "
        f"skipped: {len(report.skipped)}"
    )
    return report
