"""The daily report tasks: write the files and publish them in the UI, then put them on the shelf."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from fulfil.usecases import report as uc
from fulfil.usecases.deps import Deps
from tasks._runtime import log, step_task

NO_COMPLETED_ROW = {"per": "-", "nama / name": uc.NONE_COMPLETED}


@step_task("write-report")
def write_report(deps: Deps, days: int = 14) -> dict[str, str]:
    made = uc.render_report(deps, since=timedelta(days=days))
    # Both artifacts hold IDs, services, divisions, statuses and counts only: safe for the UI.
    create_markdown_artifact(markdown=made.summary, key="daily-report", description="fulfil daily report")
    create_table_artifact(
        table=made.on_time or [NO_COMPLETED_ROW],
        key="daily-report-on-time",
        description="Tepat waktu per layanan dan divisi / On time per service and division",
    )
    log(f"report written: {made.markdown.name}, {made.csv.name}, {made.chart.name}")
    return {"csv": str(made.csv), "markdown": str(made.markdown), "chart": str(made.chart)}


@step_task("shelve-report", retry_waits=[10, 60])
def shelve_report(deps: Deps, files: list[str]) -> dict[str, str]:
    # Retried safely: a file already on the shelf is replaced, never added twice.
    links = uc.shelve(deps, [Path(f) for f in files])
    log(f"report files on the shelf: {', '.join(links)}")
    return links
