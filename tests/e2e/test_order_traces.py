"""What a manager finds in the Prefect UI for one order: its runs by ID, its artifact history.

Everything is read back through the Prefect API the UI uses, after real flow runs.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fulfil.core.trace import artifact_key
from tests.conftest import EXAMPLES, NOW

pytestmark = pytest.mark.prefect


async def _runs_named(fragment: str, since: datetime) -> list:  # type: ignore[type-arg]
    """Runs whose name contains `fragment`, as the UI's flow-run search finds them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(like_=fragment), start_time=FlowRunFilterStartTime(after_=since)
            ),
            sort=FlowRunSort.START_TIME_ASC,
            limit=50,
            offset=0,
        )


async def _artifact_versions(key: str, since: datetime) -> list:  # type: ignore[type-arg]
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        body = {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 50, "offset": 0}
        found = (await client._client.post("/artifacts/filter", json=body)).json()
    return [a for a in reversed(found) if datetime.fromisoformat(a["created"]) >= since]


async def _everything_written_since(since: datetime) -> str:
    """Run names, tags, artifacts and logs since `since`: what a UI user can read."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        http = client._client
        runs = (
            await http.post(
                "/flow_runs/filter",
                json={
                    "flow_runs": {"start_time": {"after_": since.isoformat()}},
                    "sort": "START_TIME_ASC",
                    "limit": 200,
                    "offset": 0,
                },
            )
        ).json()
        ids = [r["id"] for r in runs]
        artifacts = (
            await http.post(
                "/artifacts/filter",
                json={
                    "artifacts": {"flow_run_id": {"any_": ids}},
                    "sort": "CREATED_DESC",
                    "limit": 200,
                    "offset": 0,
                },
            )
        ).json()
        logs: list[dict] = []  # type: ignore[type-arg]
        while page := (
            await http.post(
                "/logs/filter",
                json={
                    "logs": {"flow_run_id": {"any_": ids}},
                    "sort": "TIMESTAMP_ASC",
                    "limit": 200,
                    "offset": len(logs),
                },
            )
        ).json():
            logs += page
    parts = [f"{r['name']} {r['tags']} {r['parameters']}" for r in runs]
    parts += [f"{a['key']} {a['description']} {a['data']}" for a in artifacts]
    parts += [entry["message"] for entry in logs]
    return "\n".join(parts)


def _buyer_data(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    values = [r[k].strip() for r in rows for k in ("Nama", "Email", "No. WhatsApp")]
    return [v for v in values if len(v) >= 5]


@pytest.fixture
def story(flows_on, home: Path):  # type: ignore[no-untyped-def]
    """INV-0001 dispatched by an intake run, then completed by a watch run."""
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    started = datetime.now(UTC)
    flows_on.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    accounts = "email,password\n" + "".join(f"akun{i}@gmail.com,Rahasia-{i}\n" for i in range(10))
    (home / "drive" / "INV-0001" / "akun INV-0001.csv").write_text(accounts)
    flows_on.clock = lambda: NOW + timedelta(hours=5)
    watch_proofs()
    return flows_on, started


def test_a_search_for_an_order_id_finds_the_run_that_dispatched_it_and_the_one_that_completed_it(
    story,  # type: ignore[no-untyped-def]
) -> None:
    svc, started = story
    assert str(svc.store.get("INV-0001").status) == "completed"

    runs = asyncio.run(_runs_named("INV-0001", started))

    assert [r.name.split(" · ")[0] for r in runs] == [
        "intake",
        "watch-proofs",
    ]
    for run in runs:
        assert {"order:INV-0001", "service:GMAIL-BARU", "division:akun"} <= set(run.tags)
    # A search for INV-0001 does not also list INV-0010..INV-0013's runs by accident: only the
    # runs that acted on it carry its ID, and the intake run carries the others' too.
    assert asyncio.run(_runs_named("INV-0002", started))[0].id == runs[0].id
    assert all(r.id != runs[1].id for r in asyncio.run(_runs_named("INV-0002", started)))


def test_every_change_of_an_order_adds_a_version_to_its_artifact(story) -> None:  # type: ignore[no-untyped-def]
    _, started = story

    versions = asyncio.run(_artifact_versions(artifact_key("INV-0001"), started))

    assert [v["description"] for v in versions] == ["INV-0001: dispatched", "INV-0001: completed"]
    dispatched, completed = (v["data"] for v in versions)
    assert "dikirim ke tim / dispatched to the team" in dispatched and "30/11/2026" in dispatched
    assert "selesai / completed" in completed and "akun INV-0001.csv" in completed
    assert "ya / yes" in completed  # the buyer told, in the history table
    # Each version tells what its own run did: no proof before the watch, no intake after it.
    assert "proof_received" not in dispatched and "| received |" in dispatched
    assert "| received |" not in completed


def test_nothing_a_manager_can_read_in_prefect_names_a_buyer(story) -> None:  # type: ignore[no-untyped-def]
    from prefect.logging.handlers import APILogWorker

    _, started = story
    APILogWorker.drain_all(timeout=10)  # logs reach the API in batches

    readable = asyncio.run(_everything_written_since(started)).lower()

    # It really read the runs, their artifacts and their logs (the last being the trace's story).
    assert "order-inv-0001" in readable and "is now completed" in readable
    leaked = [v for v in _buyer_data(EXAMPLES / "orders.csv") if v.lower() in readable]
    assert leaked == []


def test_a_big_run_writes_a_few_artifact_versions_and_later_runs_write_the_rest(
    flows_on,  # type: ignore[no-untyped-def]
) -> None:
    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake

    started = datetime.now(UTC)
    flows_on.settings = flows_on.settings.model_copy(update={"order_artifacts_per_run": 5})
    flows_on.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    taken_in = {o.order_id: len(o.history) for o in flows_on.store.list()}
    changed = set(taken_in)

    # The run's name still carries every order it changed, at once.
    (run,) = asyncio.run(_runs_named("INV-0012", started))
    assert all(order_id in run.name for order_id in changed)
    assert flows_on.store.trace_backlog_size() == len(changed) - 5

    # Each later run writes the next five, oldest first, until none waits.
    while flows_on.store.trace_backlog_size():
        deadline_sweep()
    versions = {o: asyncio.run(_artifact_versions(artifact_key(o), started)) for o in changed}
    # The sweep changes only the orders that need a person (a buyer with no channel: ops are
    # alerted once), and each of those gets one more version, written by the sweep.
    swept = {o.order_id for o in flows_on.store.list() if len(o.history) > taken_in[o.order_id]}
    assert swept and swept < changed
    assert {o: len(v) for o, v in versions.items()} == {o: 2 if o in swept else 1 for o in changed}
    # Each version names the run that changed the order (two may be written in the same run).
    assert all(any("intake (" in v["data"] for v in found) for found in versions.values())
    assert all(any("deadline-sweep (" in v["data"] for v in versions[o]) for o in swept)
