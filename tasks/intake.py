"""Intake tasks."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import IntakeReport
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import log


@task(name="ingest-orders", task_run_name="ingest-orders", cache_policy=NO_CACHE)
def ingest_orders(deps: Deps, source: str | None = None) -> IntakeReport:
    """Read the form export(s) and upsert every row as an order by its ID."""
    report = DirectSteps(deps).ingest(source)
    if report.source_unchanged:
        log("the form responses are unchanged since the last intake: nothing to read")
        return report
    log(
        f"{report.rows} rows: {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.change_ignored} changes held for ops, "
        f"{report.edited} edited by their buyers, {len(report.held_duplicates)} possible double submissions"
    )
    for line in report.warnings:
        log(f"warning: {line}")
    for line in report.bad_files:
        log(f"not taken in: {line}")
    if report.gone:
        log(f"{len(report.gone)} order(s) gone from their export, noted in their history")
    return report
