"""Artifacts managers read in the Prefect UI: IDs, statuses and services, never buyer data."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.summary import order_rows


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(deps: Deps, order_ids: list[str], title: str) -> None:
    rows = order_rows(deps, order_ids)
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
