"""Artifacts managers read in the Prefect UI: IDs, statuses and services, never buyer data."""

from __future__ import annotations

from prefect.artifacts import create_table_artifact

from fulfil.usecases.deps import Deps
from fulfil.usecases.summary import SUMMARY_ROWS, order_rows
from tasks._runtime import step_task


@step_task("publish-summary")
def publish_summary(deps: Deps, order_ids: list[str], title: str) -> None:
    rows = order_rows(deps, order_ids[:SUMMARY_ROWS])
    if len(order_ids) > SUMMARY_ROWS:
        title += f" (the first {SUMMARY_ROWS} of {len(order_ids):,}; `fulfil orders list` shows them all)"
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
