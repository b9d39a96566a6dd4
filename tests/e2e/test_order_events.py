"""One order's story as Prefect events: what the event feed filtered to `fulfil.order.<id>` holds.

Real flow runs on the session's Prefect harness; the events are read back through the Prefect
client, as the UI's event feed reads them. The browser half (the feed itself, in Chromium, after
`fulfil demo` on a real `prefect server start`) is in tests/e2e/test_ui.py, which shares its one
demo run with the other UI tests; it reads the events with `read_order_events` from here.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from fulfil.usecases import traces as uc
from tests.conftest import EXAMPLES, NOW, ROOT
from tests.e2e.test_order_traces import _buyer_data

pytestmark = pytest.mark.prefect

ORDER = "INV-0001"
# The example's deadline for INV-0001: 30/11/2026, the end of that day in Jakarta.
DEADLINE = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
# The Prefect server writes the events it took in batches, every few seconds.
PERSISTED_WITHIN_S = 30


def _read_events(
    filter_: dict[str, Any], since: datetime, until: datetime, api_url: str | None = None
) -> list[dict[str, Any]]:
    """Every event matching `filter_` that occurred in [since, until], oldest first (the JSON
    the UI gets from POST /api/events/filter). A sync client: the browser test has a loop running."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    body = {
        "filter": {
            **filter_,
            "occurred": {"since": since.isoformat(), "until": until.isoformat()},
            "order": "ASC",
        },
        "limit": 50,
    }
    with (
        temporary_settings({PREFECT_API_URL: api_url} if api_url else {}),
        get_client(sync_client=True) as client,
    ):
        page = client.request("POST", "/events/filter", json=body).json()
        found: list[dict[str, Any]] = page["events"]
        while page.get("next_page"):
            page = client._client.get(page["next_page"]).json()
            found += page["events"]
    return found


def read_order_events(
    order_id: str,
    since: datetime,
    until: datetime,
    *,
    runs: list[str] | None = None,
    settled: Any = None,
    api_url: str | None = None,
) -> list[dict[str, Any]]:
    """The events on `fulfil.order.<order_id>` (linked to one of `runs`, when given), oldest
    first, once `settled(events)` holds, or else once the server has written them all (the same
    list twice in a row)."""
    filter_: dict[str, Any] = {"resource": {"id": [uc.EVENT_PREFIX + order_id]}}
    if runs is not None:
        filter_["related"] = {"id": [f"prefect.flow-run.{r}" for r in runs]}
    deadline = time.monotonic() + PERSISTED_WITHIN_S
    last: list[dict[str, Any]] | None = None
    while True:
        found = _read_events(filter_, since, until, api_url)
        if settled(found) if settled else (found and found == last):
            return found
        if time.monotonic() > deadline:
            return found
        last = found
        time.sleep(1)


async def _flow_runs_since(started: datetime) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=started)), limit=200
        )
    return [str(r.id) for r in runs]


def _last_run_log(started: datetime) -> str:
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs reach the API in batches

    async def read() -> str:
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            http = client._client
            body = {"flow_runs": {"start_time": {"after_": started.isoformat()}}, "sort": "START_TIME_DESC"}
            last = (await http.post("/flow_runs/filter", json={**body, "limit": 1})).json()[0]
            body = {"logs": {"flow_run_id": {"any_": [last["id"]]}}, "sort": "TIMESTAMP_ASC", "limit": 200}
            return "\n".join(
                entry["message"] for entry in (await http.post("/logs/filter", json=body)).json()
            )

    return asyncio.run(read())


def _names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"].removeprefix(uc.EVENT_PREFIX) for e in events]


def _runs_of(events: list[dict[str, Any]]) -> list[str]:
    """Each event's linked flow run: `-` for an event written outside any run."""
    return [
        next(
            (
                r["prefect.resource.id"].split(".")[-1]
                for r in e["related"]
                if r["prefect.resource.role"] == "flow-run"
            ),
            "-",
        )
        for e in events
    ]


def _accounts(first: int, count: int) -> str:
    return "email,password\n" + "".join(
        f"akun{i}@gmail.com,Rahasia-{i}\n" for i in range(first, first + count)
    )


@pytest.fixture
def story(flows_on, home):  # type: ignore[no-untyped-def]
    """INV-0001 dispatched by an intake; a short delivery rejected; past its deadline a sweep
    escalates it; then the full delivery completes it. Each step its own flow run."""
    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    folder = home / "drive" / ORDER
    started = datetime.now(UTC)
    flows_on.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    (folder / "akun-sebagian.csv").write_text(_accounts(0, 8))
    flows_on.clock = lambda: NOW + timedelta(hours=5)
    watch_proofs()
    flows_on.clock = lambda: DEADLINE + timedelta(hours=2)
    deadline_sweep()
    (folder / "akun-lengkap.csv").write_text(_accounts(100, 10))
    flows_on.clock = lambda: DEADLINE + timedelta(hours=3)
    watch_proofs()
    return flows_on, started


def _window() -> tuple[datetime, datetime]:
    return NOW - timedelta(days=1), DEADLINE + timedelta(days=1)


def test_the_feed_of_one_order_tells_its_story_in_order(story) -> None:  # type: ignore[no-untyped-def]
    svc, started = story
    history = svc.store.get(ORDER).history
    assert str(svc.store.get(ORDER).status) == "completed"
    # Other tests' shops have an INV-0001 too: this test's are the events linked to its runs.
    runs = asyncio.run(_flow_runs_since(started))

    events = read_order_events(ORDER, *_window(), runs=runs, settled=lambda found: len(found) >= len(history))

    # One event per history entry, in the order they were written, at the times they were.
    assert [e["payload"]["seq"] for e in events] == list(range(len(history)))
    assert [e["payload"]["status"] for e in events] == [str(h.status) for h in history]
    names = _names(events)
    moved = [n for n in names if n not in ("commented", "escalated")]
    assert moved == ["received", "dispatched", "proof_received", "recorded", "completed"]
    # The sweep's escalation to the lead and ops, once, between the dispatch and the proof.
    assert names.count("escalated") == 1
    assert names.index("dispatched") < names.index("escalated") < names.index("proof_received")
    assert "commented" in names  # the short delivery rejected, the deadline passed, ...
    first = events[0]
    assert first["resource"] == {
        "prefect.resource.id": "fulfil.order.INV-0001",
        "prefect.resource.name": "INV-0001",
        "fulfil.service": "GMAIL-BARU",
        "fulfil.division": "akun",
    }
    assert first["payload"]["actor"] == "system" and first["payload"]["previous_status"] is None
    assert events[names.index("escalated")]["payload"]["overdue"] is True
    assert events[names.index("completed")]["payload"]["buyer_told"] is True
    occurred = [datetime.fromisoformat(e["occurred"]) for e in events]
    assert occurred == sorted(occurred) and len(set(occurred)) == len(occurred)
    assert abs(occurred[0] - history[0].at) < timedelta(milliseconds=1)
    # Four runs changed it; each event links to the run that made it.
    linked = _runs_of(events)
    assert set(linked) <= set(runs) and len(set(linked)) == 4
    assert linked == sorted(linked, key=linked.index)  # a run's events together, runs in turn


def test_no_event_names_a_buyer_or_says_what_was_commented(story) -> None:  # type: ignore[no-untyped-def]
    svc, started = story
    orders = svc.store.list()
    entries = sum(len(o.history) for o in orders)
    filter_ = {
        "event": {"prefix": [uc.EVENT_PREFIX]},
        "related": {"id": [f"prefect.flow-run.{r}" for r in asyncio.run(_flow_runs_since(started))]},
    }
    deadline = time.monotonic() + PERSISTED_WITHIN_S
    while len(mine := _read_events(filter_, *_window())) < entries:
        assert time.monotonic() < deadline, f"{len(mine)} of {entries} events"
        time.sleep(1)
    assert len(mine) == entries

    readable = json.dumps(mine).lower()
    leaked = [v for v in _buyer_data(EXAMPLES / "orders.csv") if v.lower() in readable]
    assert leaked == []
    comments = {h.comment.lower() for o in orders for h in o.history if len(h.comment) > 12}
    assert [c for c in comments if c in readable] == []


def test_every_order_of_a_big_run_has_its_events_whatever_the_artifact_quota(
    flows_on,  # type: ignore[no-untyped-def]
) -> None:
    from flows.intake import intake

    started = datetime.now(UTC)
    flows_on.settings = flows_on.settings.model_copy(update={"order_artifacts_per_run": 0})
    flows_on.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    orders = {o.order_id: len(o.history) for o in flows_on.store.list()}
    assert flows_on.store.trace_backlog_size() == len(orders)  # no artifact version written
    runs = asyncio.run(_flow_runs_since(started))

    for order_id, entries in orders.items():
        events = read_order_events(
            order_id, *_window(), runs=runs, settled=lambda found, n=entries: len(found) >= n
        )
        assert [e["payload"]["seq"] for e in events] == list(range(entries)), order_id


def test_sending_the_same_entries_again_leaves_one_event_each(story) -> None:  # type: ignore[no-untyped-def]
    """A publishing run repeated (here: the cursor put back to the start) sends every entry again;
    the server keeps one event per ID."""
    from flows.deadline_sweep import deadline_sweep

    svc, started = story
    history = svc.store.get(ORDER).history
    runs = asyncio.run(_flow_runs_since(started))
    first = read_order_events(ORDER, *_window(), runs=runs, settled=lambda found: len(found) >= len(history))
    assert len(first) == len(history)
    svc.store.set_cursor(uc.EVENTS_CURSOR, "0")
    # A change between runs (as `fulfil orders ...` makes one): the next run sends its event, and
    # once that is in, the server has also taken the entries sent again with it.
    other = svc.store.get("INV-0002")
    other.comment("Dicek ops / checked by ops", actor="ops:Tester", at=DEADLINE + timedelta(hours=4))
    svc.store.save(other)
    deadline_sweep()
    resent = sum(len(o.history) for o in svc.store.list())
    assert f"{resent} order events sent" in _last_run_log(started)
    told = read_order_events("INV-0002", *_window(), settled=lambda found: "ops:Tester" in json.dumps(found))
    assert _runs_of([e for e in told if e["payload"]["actor"] == "ops:Tester"]) == ["-"]

    again = read_order_events(ORDER, *_window(), runs=runs)
    assert [e["id"] for e in again] == [e["id"] for e in first]


# ----- the README's automation, created as it says, acting on a real escalation -----


class _Hook(BaseHTTPRequestHandler):
    heard: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        _Hook.heard.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ops_hook() -> Iterator[str]:
    """A webhook on loopback standing in for ops' Slack channel: what it was sent."""
    _Hook.heard = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def _readme_automation() -> tuple[dict[str, Any], dict[str, Any]]:
    """The trigger to paste in the UI, and the automation for `prefect automation create`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```json\n", readme.index("**Its events.**")) + len("```json\n")
    trigger = json.loads(readme[start : readme.index("```", start)])
    command = "prefect automation create --from-json '"
    start = readme.index(command) + len(command)
    return trigger, json.loads(readme[start : readme.index("'\n```", start)])


def test_the_readmes_automation_tells_ops_when_an_order_is_escalated(
    flows_on,  # type: ignore[no-untyped-def]
    cli_env: dict[str, str],
    ops_hook: str,
) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake
    from tests.e2e.conftest import PREFECT

    trigger, automation = _readme_automation()
    assert automation["trigger"] == trigger  # the UI's and the CLI's are one automation
    block = CustomWebhookNotificationBlock(
        name="ops", url=ops_hook, json_data={"text": "{{subject}}: {{body}}"}
    )
    block_id = block.save(f"fulfil-ops-{uuid.uuid4().hex[:8]}")
    automation["name"] += f" {block_id}"
    automation["actions"][0]["block_document_id"] = str(block_id)
    made = subprocess.run(
        [PREFECT, "automation", "create", "--from-json", json.dumps(automation)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    try:
        flows_on.clock = lambda: NOW
        intake(source=str(EXAMPLES / "orders.csv"))
        assert _Hook.heard == []  # nothing escalated yet
        flows_on.clock = lambda: DEADLINE + timedelta(hours=2)
        assert f"{ORDER}/escalation:breach" in deadline_sweep()["queued"]

        deadline = time.monotonic() + 60
        while not any(ORDER in h for h in _Hook.heard) and time.monotonic() < deadline:
            time.sleep(0.5)
        told = [json.loads(h)["text"] for h in _Hook.heard]
        assert f"{ORDER} escalated: {ORDER} (GMAIL-BARU, division akun) passed its deadline" in "\n".join(
            told
        )
        leaked = [v for v in _buyer_data(EXAMPLES / "orders.csv") if v.lower() in "\n".join(told).lower()]
        assert leaked == []
    finally:

        async def tidy() -> None:
            async with get_client() as client:
                for found in await client.read_automations_by_name(automation["name"]):
                    await client.delete_automation(found.id)
                await client.delete_block_document(block_id)

        asyncio.run(tidy())
