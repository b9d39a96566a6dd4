"""The daily-report flow on the session's Prefect harness: a Markdown and a table artifact a manager
reads in the UI, neither holding buyer data; the files on the shelf."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fulfil.usecases import dispatch, intake
from fulfil.usecases.deps import Deps
from tests.conftest import EXAMPLES, NOW

pytestmark = pytest.mark.prefect


@pytest.fixture
def flows_on(prefect_api: str, svc: Deps) -> Iterator[Deps]:
    from fulfil.cli._prefect import flow_settings

    with flow_settings():
        yield svc


async def _artifacts(key: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        # prefect 3.8.8's read_artifacts sends nulls its own server refuses: ask the REST API.
        body = {"artifacts": {"key": {"any_": [key]}}, "limit": 10, "offset": 0, "sort": "CREATED_DESC"}
        answer = await client._client.post("/artifacts/filter", json=body)
        return list(answer.json())


def test_the_flow_publishes_the_summary_and_the_on_time_table_without_buyer_data(
    flows_on: Deps, home: Path
) -> None:
    from flows.daily_report import daily_report

    svc = flows_on
    svc.clock = lambda: NOW
    intake.ingest(svc, intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    dispatch.dispatch_ready(svc, None)

    written = daily_report(days=14)

    assert Path(written) == home / "reports" / "report-2026-11-23.md"
    (summary,) = asyncio.run(_artifacts("daily-report"))[:1]
    (table,) = asyncio.run(_artifacts("daily-report-on-time"))[:1]
    assert summary["type"] == "markdown" and "| dispatched | 7 |" in summary["data"]
    assert table["type"] == "table" and "Belum ada pesanan selesai" in str(table["data"])
    buyers = [(o.buyer_name, o.buyer_email) for o in svc.store.list() if o.buyer_email and o.buyer_name]
    for name, address in buyers:
        for artifact in (summary, table):
            assert name not in str(artifact["data"]) and address not in str(artifact["data"])
