"""Deadline sweep task."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import sweep as uc
from tasks._runtime import log, services


@task(name="flag-overdue")
def flag_overdue() -> list[str]:
    flagged = uc.flag_overdue(services())
    log(f"newly overdue: {len(flagged)}: {', '.join(flagged) or '-'}")
    return flagged
