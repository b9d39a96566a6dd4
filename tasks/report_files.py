"""The daily report task: CSV, Markdown and a chart, from the store."""

from __future__ import annotations

from datetime import timedelta

from prefect import task
from prefect.artifacts import create_markdown_artifact

from fulfil.usecases import report as uc
from tasks._runtime import log, services


@task(name="write-report")
def write_report(days: int = 14) -> str:
    made = uc.write_report(services(), since=timedelta(days=days))
    # The summary holds IDs, statuses and counts only: safe for the UI.
    create_markdown_artifact(markdown=made.summary, key="daily-report", description="fulfil daily report")
    log(f"report written: {made.markdown.name}, {made.csv.name}, {made.chart.name}")
    return str(made.markdown)
