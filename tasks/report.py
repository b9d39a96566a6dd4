"""Artifacts managers read in the Prefect UI: IDs, statuses and services, never buyer data."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact

from fulfil.usecases.summary import order_rows
from tasks._runtime import services


@task(name="publish-summary")
def publish_summary(order_ids: list[str], title: str) -> None:
    rows = order_rows(services(), order_ids)
    create_table_artifact(
        table=[
            {k: r[k] for k in ("order_id", "service_code", "status", "overdue", "last_comment")} for r in rows
        ]
        or [
            {
                "order_id": "-",
                "service_code": "-",
                "status": "no orders",
                "overdue": "-",
                "last_comment": "-",
            }
        ],
        description=title,
    )
