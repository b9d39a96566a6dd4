"""Delivered credentials and buyer data never reach Prefect: not in parameters, logs or artifacts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fulfil.core.status import OrderStatus
from tests.conftest import EXAMPLES, NOW

pytestmark = pytest.mark.prefect

PLANTED = "Sup3r-Rahasia-Planted-7781"


async def _everything_prefect_kept() -> str:
    """Every run's parameters, every log line and every artifact the API holds, as one text."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter
    from prefect.client.schemas.sorting import FlowRunSort, LogSort

    async with get_client() as client:
        runs = await client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC)
        logs = await client.read_logs(
            log_filter=LogFilter(), limit=200, offset=0, sort=LogSort.TIMESTAMP_DESC
        )
        # prefect 3.8.8's read_artifacts sends nulls its own server refuses: ask the REST API.
        body = {"artifacts": {}, "flow_runs": {}, "task_runs": {}, "limit": 200, "offset": 0}
        answer = await client._client.post("/artifacts/filter", json={**body, "sort": "CREATED_DESC"})
        artifacts = answer.json()
    parts = [repr(r.parameters) + r.name for r in runs]
    parts += [log.message for log in logs]
    parts += [repr(a.get("data")) + repr(a.get("description")) for a in artifacts]
    return "\n".join(parts)


def test_a_planted_password_and_buyer_data_never_reach_prefect(flows_on, home: Path) -> None:  # type: ignore[no-untyped-def]
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    svc = flows_on
    svc.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    rows = "".join(f"akun{i:02d}@gmail.com,{PLANTED}\n" for i in range(10))
    (home / "drive" / "INV-0001" / "akun-gmail.csv").write_text("email,password\n" + rows, encoding="utf-8")
    watch_proofs()
    assert svc.store.get("INV-0001").status == OrderStatus.COMPLETED

    kept = asyncio.run(_everything_prefect_kept())

    assert "INV-0001" in kept  # the check reads real run data, not an empty page
    assert PLANTED not in kept
    order = svc.store.get("INV-0001")
    for personal in (order.buyer_email, order.buyer_name, order.phone_raw):
        assert personal not in kept
