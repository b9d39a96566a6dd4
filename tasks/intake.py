"""Intake tasks."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from fulfil.usecases import intake as uc
from tasks._runtime import log, services


@task(name="ingest-orders", task_run_name="ingest-orders")
def ingest_orders(source: str | None = None) -> uc.IntakeReport:
    """Read the form export(s) and upsert every row as an order by its ID."""
    svc = services()
    tables = svc.source(Path(source) if source else None).read()
    rows = uc.rows_of(svc, tables)
    with svc.progress(len(rows), "intake") as advance:
        report = uc.ingest(svc, rows, progress=advance)
    log(
        f"{report.rows} rows: {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.change_ignored} changes held for ops, "
        f"{report.edited} edited by their buyers, {len(report.held_duplicates)} possible double submissions"
    )
    return report
