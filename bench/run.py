"""fulfil's benchmark: how the pipeline holds up at shop scale, against the targets in bench/README.md.

    python bench/run.py            # the full run (1,000 orders, up to 100,000 waiting; ~5 min)
    python bench/run.py --quick    # ~1.5 min on 2 cores
    python bench/run.py --json     # also write every figure to bench/results-<mode>.json

It writes its own orders (a Google-Form CSV), works in temporary FULFIL_HOMEs and starts one
Prefect test harness for the flows. It measures and reports; it changes nothing in fulfil.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "orders.csv"
TZ = "Asia/Jakarta"
console = Console(highlight=False, soft_wrap=True)
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# What to measure, and how much of it


@dataclass(frozen=True)
class Plan:
    mode: str
    orders: int  # overhead_ratio and orders_per_min
    proofs: int  # proof_to_notified_p95_s, per proof store
    sheet_orders: int  # sheets_calls_per_order
    waiting: tuple[int, ...]  # drive_calls_per_poll; the last size is the poll_seconds one
    rss_orders: int  # peak_rss_mb


FULL = Plan("full", 1_000, 200, 1_000, (1_000, 10_000, 100_000), 10_000)
QUICK = Plan("quick", 200, 50, 200, (1_000, 10_000), 2_000)
MEASURES = ("overhead", "events", "rss", "latency", "sheets", "polls", "quotas", "serve", "intake")

# A team drops proofs at this pace while the watcher runs (5 a second: a busy shop's afternoon).
DROP_INTERVAL_S = 0.2
GOOGLE_DELAY_S = 0.1
NEW_PROOFS_PER_POLL = 10
POLL_REPEATS = 3  # polls per size; the median is the figure


# ---------------------------------------------------------------------------------------------
# Figures and how far each is from its target


@dataclass
class Figure:
    key: str
    value: float | None
    shown: str
    target: str
    met: bool
    margin: str
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        note = f"  [{self.note}]" if self.note else ""
        return f"{self.key:<34} {self.shown:>12}  (target {self.target}: {verdict}, {self.margin}){note}"


def at_most(key: str, value: float, limit: float, fmt: str, **kw: Any) -> Figure:
    met = value <= limit
    share = abs(limit - value) / limit
    margin = f"{share:.0%} headroom" if met else f"missed by {share:.0%} ({value / limit:.1f}x)"
    return Figure(key, value, format(value, fmt), f"≤ {limit:g}", met, margin, **kw)


def at_least(key: str, value: float, floor: float, fmt: str, **kw: Any) -> Figure:
    met = value >= floor
    share = abs(value - floor) / floor
    margin = f"{share:.0%} headroom" if met else f"missed by {share:.0%}"
    return Figure(key, value, format(value, fmt), f"≥ {floor:,g}", met, margin, **kw)


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.info: dict[str, Any] = {}

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        style = "green" if figure.met else "bold red"
        console.print(f"[{style}]{escape(figure.line())}[/]")

    def note(self, key: str, value: Any, text: str) -> None:
        """A figure that has no target but explains one (set-up costs, per-phase times)."""
        self.info[key] = value
        console.print(f"  [dim]{key:<32} {escape(text)}[/]")


# ---------------------------------------------------------------------------------------------
# Orders a shop would get: the form's own headers, valid, paid, over the four services


FIRST = [
    "Siti",
    "Budi",
    "Dewi",
    "Rizky",
    "Agus",
    "Putri",
    "Ahmad",
    "Nur",
    "Indah",
    "Fajar",
    "Wahyu",
    "Ayu",
    "Eko",
    "Rina",
    "Bayu",
    "Lestari",
]
LAST = [
    "Santoso",
    "Wijaya",
    "Lestari",
    "Pratama",
    "Hidayat",
    "Saputra",
    "Nugroho",
    "Kusuma",
    "Rahman",
    "Sari",
    "Halim",
    "Siregar",
]
DOMAINS = ("gmail.com", "yahoo.co.id", "outlook.com", "tokoku.id")
PREFIXES = ("0812", "0813", "0821", "0852", "0857", "0877", "0878", "0895", "0896")
NOTES = ("", "", "Butuh cepat", "Tolong kabari via WhatsApp", "Akun untuk toko online", "Terima kasih")
# Quantities a buyer would order, inside each service's catalogue bounds.
QUANTITY = {
    "GMAIL-BARU": (1, 50),
    "IG-FOLLOWERS": (100, 5_000),
    "WEB-UMKM": (1, 3),
    "TIKTOK-VIEWS": (1_000, 50_000),
}
SERVICES = tuple(QUANTITY)


@dataclass(frozen=True)
class BenchOrder:
    order_id: str
    service: str
    quantity: int
    row: dict[str, str]


@functools.cache
def form_headers() -> tuple[str, ...]:
    with EXAMPLE.open(newline="", encoding="utf-8") as fh:
        return tuple(next(csv.reader(fh)))


def make_orders(n: int, *, prefix: str = "INV", seed: int = 7) -> list[BenchOrder]:
    rng = random.Random(seed)
    now = datetime.now(ZoneInfo(TZ))
    return [_order(rng, i, prefix, now) for i in range(1, n + 1)]


def _order(rng: random.Random, i: int, prefix: str, now: datetime) -> BenchOrder:
    service = SERVICES[i % len(SERVICES)]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    quantity = rng.randint(*QUANTITY[service])
    submitted = now - timedelta(minutes=rng.randint(1, 3 * 24 * 60))
    # Well past every service's lead time, so no order is overdue while it is measured.
    deadline = now.date() + timedelta(days=rng.randint(10, 40))
    order_id = f"{prefix}-{i:06d}"
    values = [
        submitted.strftime("%d/%m/%Y %H:%M:%S"),
        order_id,
        f"{first} {last}",
        f"{first}.{last}{i}@{rng.choice(DOMAINS)}".lower(),
        rng.choice(PREFIXES) + "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 8))),
        service,
        str(quantity),
        deadline.strftime("%d/%m/%Y") if i % 3 else deadline.isoformat(),
        rng.choice(NOTES),
        rng.choice(("Lunas", "Lunas", "Sudah bayar")),
        "English" if i % 5 == 0 else "Indonesia",
    ]
    return BenchOrder(order_id, service, quantity, dict(zip(form_headers(), values, strict=True)))


def write_csv(orders: Sequence[BenchOrder], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=form_headers())
        writer.writeheader()
        writer.writerows(o.row for o in orders)
    return path


def proof_file(service: str, quantity: int, order_id: str) -> tuple[str, bytes]:
    """One valid proof per service; Gmail accounts are counted, so the file holds exactly `quantity`
    accounts of the order's own (fulfil refuses accounts that went to another order)."""
    if service == "GMAIL-BARU":
        who = order_id.lower()
        lines = ["email,password"] + [
            f"{who}.akun{i:04d}@gmail.com,Rahasia-{i:04d}!" for i in range(quantity)
        ]
        return "akun-gmail.csv", ("\n".join(lines) + "\n").encode()
    if service == "WEB-UMKM":
        return "serah-terima-website.pdf", b"%PDF-1.4\n% bench handover\n%%EOF\n"
    return "screenshot-bukti.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 512


# ---------------------------------------------------------------------------------------------
# Homes, configs and services


class Workspace:
    """Temporary FULFIL_HOMEs, and a copy of configs/ where every service can be dispatched."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = bench_config(root / "configs")
        self._count = 0

    def home(self, name: str) -> Path:
        self._count += 1
        return self.root / f"{self._count:02d}-{name}"


def bench_config(target: Path) -> Path:
    # TIKTOK-VIEWS ships without a written procedure, so fulfil holds its orders back from the
    # team; the benchmark gives it one so that every generated order can go the whole way.
    import yaml

    from fulfil.settings import PROJECT_CONFIGS

    shutil.copytree(PROJECT_CONFIGS, target)
    path = target / "services.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for code, service in data["services"].items():
        service["procedure_url"] = service.get("procedure_url") or f"https://docs.example/OLP-{code}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def local_services(home: Path, config: Path, *, artifacts_per_run: int | None = None) -> Any:
    from fulfil import bootstrap
    from fulfil.settings import Settings

    limit = {} if artifacts_per_run is None else {"order_artifacts_per_run": artifacts_per_run}
    return bootstrap.build(Settings(home=home, config_dir=config, **limit))


def google_services(home: Path, config: Path, fake: Any, key_json: str) -> Any:
    """Drive as the proof store and the CRM sheet on the fake; orders still come from a file."""
    from fulfil import bootstrap
    from fulfil.settings import Settings
    from fulfil.testing.world import build_world

    world = build_world(fake)
    # The shop's own sign-in: Google refuses a service account's files in a My Drive folder.
    env = world.environment()
    fields = {
        k.removeprefix("FULFIL_").lower(): v
        for k, v in env.items()
        if not k.startswith(("FULFIL_FORM_", "FULFIL_SOURCE"))
    }
    return bootstrap.build(Settings(home=home, config_dir=config, **fields))


def close(svc: Any) -> None:
    svc.close()


# ---------------------------------------------------------------------------------------------
# The pipeline two ways: the use cases in a plain loop, and the Prefect flows


def plain_intake(svc: Any, source: Path) -> int:
    """The intake flow's pipeline (fulfil/usecases/pipeline.py), each step a plain call."""
    from fulfil.usecases import pipeline

    return pipeline.intake(pipeline.DirectSteps(svc), str(source))["dispatched"]


def plain_watch(svc: Any) -> list[str]:
    """The watch_proofs flow's pipeline, each step a plain call."""
    from fulfil.usecases import pipeline

    return pipeline.watch(pipeline.DirectSteps(svc))


def flow_intake(svc: Any, source: Path) -> dict[str, int]:
    """The intake flow, on the same services (as `fulfil intake` runs it)."""
    from flows.intake import intake
    from fulfil.cli._prefect import flow_settings
    from tasks._runtime import given

    with flow_settings(), given(svc):
        return intake(source=str(source))


def flow_watch(svc: Any) -> list[str]:
    from flows.watch_proofs import watch_proofs
    from fulfil.cli._prefect import flow_settings
    from tasks._runtime import given

    with flow_settings(), given(svc):
        return watch_proofs()


def drop_local(home: Path, order: BenchOrder) -> None:
    """The team saves a proof into the order's folder; written aside first, so no half file is seen."""
    name, content = proof_file(order.service, order.quantity, order.order_id)
    folder = home / "drive" / order.order_id
    tmp = folder / f".{name}.writing"
    tmp.write_bytes(content)
    os.replace(tmp, folder / name)


def count_status(svc: Any, status: str) -> int:
    from fulfil.core.status import OrderStatus

    return len(svc.store.list({OrderStatus(status)}))


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# overhead_ratio and orders_per_min


@dataclass
class PathTimes:
    intake_s: float
    watch_s: float
    dispatched: int
    completed: int
    # Order artifact versions left for later runs (FULFIL_ORDER_ARTIFACTS_PER_RUN per run).
    artifacts_waiting: int = 0
    # Order events the runs sent (one per history entry) and the time the runs spent sending them.
    events: int = 0
    events_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.intake_s + self.watch_s


@dataclass
class EventMeter:
    """Wraps tasks.traces.send_events for one path: how many events went, and the time it took.
    With `send=False` nothing is sent: the same flows without order events, to see what they cost."""

    send: bool = True
    events: int = 0
    seconds: float = 0.0

    @contextmanager
    def on_flows(self) -> Iterator[None]:
        import tasks.traces

        real = tasks.traces.send_events

        async def measured(client: Any, events: list[Any], related: Any) -> tuple[int, bool]:
            started = time.perf_counter()
            try:
                return await real(client, events, related) if self.send else (0, False)
            finally:
                self.seconds += time.perf_counter() - started
                self.events += len(events) if self.send else 0

        tasks.traces.send_events = measured  # type: ignore[assignment]
        try:
            yield
        finally:
            tasks.traces.send_events = real


def run_path(
    ws: Workspace,
    orders: list[BenchOrder],
    *,
    prefect: bool,
    artifacts_per_run: int | None = None,
    events: bool = True,
) -> PathTimes:
    """Intake → one proof per order → watch; the team's dropping of proofs is not timed."""
    label = ("flows" if artifacts_per_run is None else "flows-no-artifacts") if prefect else "plain"
    home = ws.home(label if events else "flows-no-events")
    source = write_csv(orders, home.parent / f"{home.name}-orders.csv")
    svc = local_services(home, ws.config, artifacts_per_run=artifacts_per_run)
    meter = EventMeter(send=events)
    try:
        with meter.on_flows() if prefect else nullcontext():
            _, intake_s = timed(lambda p: flow_intake(svc, p) if prefect else plain_intake(svc, p), source)
            dispatched = count_status(svc, "dispatched")
            for order in orders:
                drop_local(home, order)
            _, watch_s = timed(lambda: flow_watch(svc) if prefect else plain_watch(svc))
        backlog = svc.store.trace_backlog_size() if prefect else 0
        completed = count_status(svc, "completed")
        return PathTimes(intake_s, watch_s, dispatched, completed, backlog, meter.events, meter.seconds)
    finally:
        close(svc)


def measure_overhead(ws: Workspace, plan: Plan, report: Report) -> None:
    # A small untimed round first: imports, templates and the first flow registration are paid once.
    warm = make_orders(8, prefix="WARM")
    run_path(ws, warm, prefect=False)
    run_path(ws, warm, prefect=True)

    orders = make_orders(plan.orders)
    plain = run_path(ws, orders, prefect=False)
    flows = run_path(ws, orders, prefect=True)
    # The same flows writing no order artifact at all: what the per-run quota of them costs.
    bare = run_path(ws, orders, prefect=True, artifacts_per_run=0)
    # And sending no order event (tasks.traces.send_events stubbed for that path only).
    quiet = run_path(ws, orders, prefect=True, events=False)
    from fulfil.settings import Settings

    quota = Settings().order_artifacts_per_run
    written = 2 * min(quota, len(orders))  # intake and watch each write up to the quota
    per_version_ms = (flows.total_s - bare.total_s) / written * 1000 if written else 0.0
    report.note(
        "order_artifact_ms",
        per_version_ms,
        f"{written} order artifact versions written in the runs ({quota} per run) cost "
        f"{flows.total_s - bare.total_s:.2f} s, {per_version_ms:.1f} ms each; "
        f"{flows.artifacts_waiting} wait for later runs; with none written the ratio is "
        f"{bare.total_s / plain.total_s:.2f}",
    )
    per_event_ms = flows.events_s / flows.events * 1000 if flows.events else 0.0
    report.note(
        "order_event_ms",
        per_event_ms,
        f"{flows.events:,} order events sent in the runs (every history entry, no quota) took "
        f"{flows.events_s:.2f} s to send, {per_event_ms:.2f} ms each "
        f"({flows.events / flows.events_s if flows.events_s else 0:,.0f}/s); the same flows sending "
        f"none took {quiet.total_s:.2f} s against {flows.total_s:.2f} s, a ratio of "
        f"{quiet.total_s / plain.total_s:.2f}",
    )
    paths = (("plain", plain), ("flows", flows), ("flows_no_artifacts", bare), ("flows_no_events", quiet))
    for name, times in paths:
        report.note(
            f"{name}_path",
            dataclasses.asdict(times),
            f"{name}: intake {times.intake_s:.2f} s + watch {times.watch_s:.2f} s for {len(orders)} "
            f"orders ({times.dispatched} dispatched, {times.completed} completed)",
        )
    complete = plain.completed == flows.completed == len(orders)
    report.add(
        at_most(
            "overhead_ratio",
            flows.total_s / plain.total_s,
            1.5,
            ".2f",
            note=f"{len(orders):,} orders intake → completed"
            + ("" if complete else f"; NOT all completed: {plain.completed}/{flows.completed}"),
            detail={
                "orders": len(orders),
                "plain": dataclasses.asdict(plain),
                "flows": dataclasses.asdict(flows),
            },
        )
    )
    report.add(
        at_least(
            "orders_per_min",
            flows.dispatched / flows.intake_s * 60,
            1_000,
            ",.0f",
            note=f"intake flow, SQLite, {len(orders):,} orders → {flows.dispatched:,} dispatched",
            detail={
                "orders": len(orders),
                "seconds": flows.intake_s,
                "plain_per_min": plain.dispatched / plain.intake_s * 60,
            },
        )
    )


# ---------------------------------------------------------------------------------------------
# order_event_ms: one order event, three ways to send it, against one artifact version


def bench_events(n: int, tag: str) -> list[Any]:
    """`n` events as the runs make them (fulfil/usecases/traces.order_events): orders of three
    history entries each, their resource IDs prefixed `fulfil.order.<tag>-` to be counted back."""
    from uuid import uuid4

    from fulfil.core.order import SYSTEM, HistoryEntry, Order
    from fulfil.core.status import OrderStatus
    from fulfil.usecases.traces import order_events

    now = datetime.now(UTC)
    steps = (OrderStatus.RECEIVED, OrderStatus.DISPATCHED, OrderStatus.DISPATCHED)
    namespace = uuid4()
    out: list[Any] = []
    for i in range((n + 2) // 3):
        order = Order(f"{tag}-{i:06d}", service_code="GMAIL-BARU", buyer_name="Siti", buyer_email="s@x.id")
        order.history = [
            HistoryEntry(st, "…", SYSTEM, now + timedelta(microseconds=j)) for j, st in enumerate(steps)
        ]
        out += order_events(order, 0, division="akun", namespace=namespace)
    return out[:n]


async def _persisted(tag: str, n: int, since: datetime, timeout: float = 120) -> float:
    """Seconds until the server has written all `n` events of `tag` (it does so in batches)."""
    from prefect.client.orchestration import get_client

    started = time.perf_counter()
    body = {
        "filter": {
            "resource": {"id_prefix": [f"fulfil.order.{tag}-"]},
            "occurred": {"since": (since - timedelta(minutes=1)).isoformat()},
        },
        "limit": 1,
    }
    async with get_client() as client:
        while time.perf_counter() - started < timeout:
            if (await client.request("POST", "/events/filter", json=body)).json()["total"] >= n:
                return time.perf_counter() - started
            await asyncio_sleep(0.2)
    return math.inf


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def measure_events(plan: Plan, report: Report) -> None:
    """The same order events sent as the runs send them (POST /api/events in batches), through
    Prefect's `emit_event` (its EventsWorker's websocket, drained), and through the websocket events
    client; beside them, artifact versions written as the runs write them."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate
    from prefect.events import Event, emit_event, get_events_client
    from prefect.events.worker import EventsWorker

    from tasks.traces import send_events

    n = plan.orders * 5  # about what intake + watch of that many orders send
    related = [{"prefect.resource.id": "prefect.flow-run.bench", "prefect.resource.role": "flow-run"}]

    async def by_post(events: list[Any]) -> None:
        async with get_client() as client:
            unsent, _ = await send_events(client, events, related)
            assert unsent == 0, f"{unsent} events not sent"

    async def by_websocket(events: list[Any]) -> None:
        async with get_events_client() as client:
            for e in events:
                await client.emit(_event(Event, e, related))

    def by_emit_event(events: list[Any]) -> None:
        for e in events:
            emit_event(e.name, e.resource, occurred=e.occurred, related=related, payload=e.payload, id=e.id)
        EventsWorker.drain_all(timeout=300)

    ways: list[tuple[str, Callable[[list[Any]], Any]]] = [
        ("post", lambda ev: asyncio.run(by_post(ev))),
        ("websocket", lambda ev: asyncio.run(by_websocket(ev))),
        ("emit_event", by_emit_event),
    ]
    for way, send in ways:
        tag = f"BENCH{way.upper().replace('_', '')}{random.randint(0, 99999):05d}"
        events = bench_events(n, tag)
        since = datetime.now(UTC)
        _, sent_s = timed(send, events)
        stored_s = asyncio.run(_persisted(tag, n, since))
        report.note(
            f"order_event_ms.{way}",
            sent_s / n * 1000,
            f"{n:,} order events by {way}: sent in {sent_s:.2f} s ({sent_s / n * 1000:.3f} ms each, "
            f"{n / sent_s:,.0f}/s); all stored {stored_s:.1f} s later",
        )

    versions = 100

    async def artifacts() -> None:
        gate = asyncio.Semaphore(4)  # as tasks/traces.py writes them
        async with get_client() as client:

            async def one(i: int) -> None:
                async with gate:
                    await client.create_artifact(
                        ArtifactCreate(key=f"bench-order-{i}", type="markdown", data="# bench\n" * 20)
                    )

            await asyncio.gather(*(one(i) for i in range(versions)))

    _, art_s = timed(lambda: asyncio.run(artifacts()))
    report.note(
        "order_artifact_ms.direct",
        art_s / versions * 1000,
        f"{versions} order artifact versions, 4 in flight: {art_s:.2f} s, "
        f"{art_s / versions * 1000:.1f} ms each",
    )


def _event(event_type: Any, e: Any, related: Any) -> Any:
    return event_type(
        id=e.id, event=e.name, occurred=e.occurred, resource=e.resource, related=related, payload=e.payload
    )


# ---------------------------------------------------------------------------------------------
# peak_rss_mb: a worker process of its own


def measure_rss(ws: Workspace, plan: Plan, report: Report) -> None:
    from prefect.settings import PREFECT_API_URL

    home = ws.home("rss-worker")
    source = write_csv(make_orders(plan.rss_orders), home.parent / f"{home.name}-orders.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FULFIL_")}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--rss-worker",
        str(home),
        str(ws.config),
        str(source),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the RSS worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    report.note(
        "rss_worker",
        {**got, "wall_s": wall},
        f"worker: {got['dispatched']:,} of {plan.rss_orders:,} dispatched by the intake flow in "
        f"{got['flow_s']:.1f} s ({got['dispatched'] / got['flow_s'] * 60:,.0f} orders/min); RSS before "
        f"the flow {got['rss_before_mb']:.0f} MB",
    )
    report.add(
        at_most(
            "peak_rss_mb",
            got["peak_rss_mb"],
            300,
            ".0f",
            note=f"worker process, {plan.rss_orders:,} orders intake → dispatched via the intake flow",
            detail=got,
        )
    )


def rss_worker(home: str, config: str, source: str) -> None:
    """The child process: one intake flow over the whole file, then its own peak RSS as JSON."""
    from fulfil.cli._prefect import quiet_console_logs

    quiet_console_logs()
    svc = local_services(Path(home), Path(config))
    before = peak_rss_mb()
    result, seconds = timed(flow_intake, svc, Path(source))
    print(
        json.dumps(
            {
                "peak_rss_mb": peak_rss_mb(),
                "rss_before_mb": before,
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "flow_s": seconds,
                "dispatched": result["dispatched"],
            }
        )
    )
    close(svc)


def peak_rss_mb() -> float:
    """This process's peak RSS in MiB.

    VmHWM first: a child started by subprocess (vfork + exec) inherits its parent's ru_maxrss
    on Linux, so ru_maxrss would report the benchmark's own peak, not the worker's.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------------------------------------
# proof_to_notified_p95_s: proofs dropped while a watcher runs watch_proofs back to back


class Dropper(threading.Thread):
    """The technical team: one proof every DROP_INTERVAL_S, noting when each landed."""

    def __init__(self, orders: list[BenchOrder], put: Callable[[BenchOrder], None]) -> None:
        super().__init__(name="bench-dropper", daemon=True)
        self.orders = orders
        self.put = put
        self.dropped: dict[str, datetime] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for order in self.orders:
                time.sleep(DROP_INTERVAL_S)
                self.put(order)
                self.dropped[order.order_id] = datetime.now(UTC)
        except BaseException as exc:  # reported by the watcher loop, which would otherwise wait
            self.error = exc


def notified_at(svc: Any) -> dict[str, datetime]:
    return {m.order_id: m.sent_at for m in svc.store.messages() if m.kind == "completed" and m.sent_at}


def watch_until_notified(svc: Any, dropper: Dropper, total: int, limit_s: float) -> tuple[int, float]:
    """Run the watch_proofs flow back to back until every buyer is told; returns passes and seconds."""
    passes, started = 0, time.perf_counter()
    dropper.start()
    while time.perf_counter() - started < limit_s:
        flow_watch(svc)
        passes += 1
        if dropper.error is not None:
            raise RuntimeError("dropping proofs failed") from dropper.error
        if not dropper.is_alive() and len(notified_at(svc)) >= total:
            break
    return passes, time.perf_counter() - started


def latency_figure(
    key: str, svc: Any, dropper: Dropper, passes: int, seconds: float, store_note: str
) -> Figure:
    sent = notified_at(svc)
    waits = sorted((sent[i] - t).total_seconds() for i, t in dropper.dropped.items() if i in sent)
    missing = len(dropper.orders) - len(waits)
    # A buyer never told within the time limit counts as infinitely late.
    p95 = percentile(waits + [math.inf] * missing, 95)
    detail = {
        "proofs": len(dropper.orders),
        "notified": len(waits),
        "passes": passes,
        "seconds": seconds,
        "median_s": statistics.median(waits) if waits else None,
        "max_s": max(waits) if waits else None,
    }
    note = f"{len(waits)}/{len(dropper.orders)} told, {passes} passes, median {detail['median_s'] or 0:.1f} s"
    return at_most(key, p95, 10, ".2f", note=f"{store_note}; {note}", detail=detail)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)) - 1, 0)  # nearest rank
    return ordered[rank]


def measure_latency_local(ws: Workspace, plan: Plan, report: Report) -> None:
    orders = make_orders(plan.proofs)
    home = ws.home("latency-local")
    svc = local_services(home, ws.config)
    try:
        plain_intake(svc, write_csv(orders, home.parent / f"{home.name}-orders.csv"))
        dropper = Dropper(shuffled(orders), lambda o: drop_local(home, o))
        passes, seconds = watch_until_notified(svc, dropper, len(orders), limit_s=limit_for(orders))
        report.add(
            latency_figure("proof_to_notified_p95_s.local", svc, dropper, passes, seconds, "local folders")
        )
    finally:
        close(svc)


def measure_latency_google(ws: Workspace, plan: Plan, report: Report, key_json: str) -> None:
    from fulfil.testing.fake_google import FakeGoogle

    orders = make_orders(plan.proofs)
    home = ws.home("latency-gdrive")
    with FakeGoogle() as fake:
        svc = google_services(home, ws.config, fake, key_json)
        try:
            plain_intake(svc, write_csv(orders, home.parent / f"{home.name}-orders.csv"))
            prime_cursor(svc)
            # Folder IDs are looked up now: the dropper must not share the watcher's HTTP client.
            folders = {o.order_id: svc.proofs.folder_id(o.order_id) for o in orders}
            fake.inject("*", delay=GOOGLE_DELAY_S)

            def put(order: BenchOrder) -> None:
                name, content = proof_file(order.service, order.quantity, order.order_id)
                fake.add_file(name, content, folders[order.order_id])

            dropper = Dropper(shuffled(orders), put)
            mark = len(fake.requests)
            passes, seconds = watch_until_notified(svc, dropper, len(orders), limit_s=limit_for(orders))
            calls = len(fake.requests) - mark
            figure = latency_figure(
                "proof_to_notified_p95_s.gdrive",
                svc,
                dropper,
                passes,
                seconds,
                f"fake Drive + Sheets, {GOOGLE_DELAY_S * 1000:.0f} ms per call",
            )
            figure.detail["google_calls_while_watching"] = calls
            report.add(figure)
        finally:
            fake.clear_faults()
            close(svc)


def prime_cursor(svc: Any) -> None:
    """Where a running watcher stands: the changes feed's cursor saved, every folder seen before."""
    from fulfil.usecases import proofs

    proofs.save_cursor(svc, svc.proofs.changes(None).cursor)


def shuffled(orders: list[BenchOrder]) -> list[BenchOrder]:
    out = list(orders)
    random.Random(11).shuffle(out)
    return out


def limit_for(orders: list[BenchOrder]) -> float:
    return len(orders) * DROP_INTERVAL_S + 180


# ---------------------------------------------------------------------------------------------
# sheets_calls_per_order: one watch records every order in the CRM sheet


def measure_sheets(ws: Workspace, plan: Plan, report: Report, key_json: str) -> None:
    from fulfil.testing.fake_google import FakeGoogle

    orders = make_orders(plan.sheet_orders)
    home = ws.home("sheets")
    with FakeGoogle() as fake:
        svc = google_services(home, ws.config, fake, key_json)
        try:
            plain_intake(svc, write_csv(orders, home.parent / f"{home.name}-orders.csv"))
            prime_cursor(svc)
            for order in orders:
                name, content = proof_file(order.service, order.quantity, order.order_id)
                fake.add_file(name, content, svc.proofs.folder_id(order.order_id))
            mark = len(fake.requests)
            _, seconds = timed(flow_watch, svc)
            during = fake.requests[mark:]
            sheets = sum(1 for r in during if r.api == "sheets")
            recorded = len(svc.crm.rows())
        finally:
            close(svc)
    report.add(
        at_most(
            "sheets_calls_per_order",
            sheets / len(orders),
            0.05,
            ".4f",
            note=f"{sheets} Sheets calls for {len(orders):,} orders; {recorded:,} rows in the sheet; "
            f"watch flow {seconds:.1f} s",
            detail={"orders": len(orders), "sheets_calls": sheets, "rows": recorded, "seconds": seconds},
        )
    )


# ---------------------------------------------------------------------------------------------
# quota_*: a bulk import dispatched and completed on the fake with Google's quotas enforced


def measure_quotas(
    ws: Workspace, plan: Plan, report: Report, key_json: str, *, drive_per_minute: int = 12_000
) -> None:
    """N orders imported at once, each dispatched (a Drive folder) and, once its proof is in,
    recorded and completed, against the fake with Google's quotas (Sheets 60 reads and 60 writes
    a minute per user, Drive 12,000 a minute per user, or `drive_per_minute` to make Drive's
    bite) and the default retry policy, sleeping for real. A step that raises is counted and the
    pass goes on (as the next scheduled run would); the watch runs until every order is
    completed, at most 10 passes."""
    from fulfil.testing.fake_google import FOLDER_MIME, FakeGoogle
    from integrations.gdrive.drive import ORDER_KEY

    orders = make_orders(plan.orders, prefix="QTA")
    home = ws.home("quotas")
    label = "" if drive_per_minute == 12_000 else f".drive_{drive_per_minute}_per_min"
    failed: list[str] = []

    def step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # a failed step: counted, never fatal to the run
            failed.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
            return None

    with FakeGoogle(drive_per_minute=drive_per_minute) as fake:
        assert fake.sheets_per_minute == 60
        svc = google_services(home, ws.config, fake, key_json)
        try:
            source = write_csv(orders, home.parent / f"{home.name}-orders.csv")
            _, intake_s = timed(step, "intake", plain_intake, svc, source)
            dispatched = count_status(svc, "dispatched")
            step("prime cursor", prime_cursor, svc)
            for order in orders:  # the team, not timed
                name, content = proof_file(order.service, order.quantity, order.order_id)
                fake.add_file(name, content, svc.proofs.folder_id(order.order_id))
            passes, watch_s = 0, 0.0
            while count_status(svc, "completed") < len(orders) and passes < 10:
                passes += 1
                _, seconds = timed(step, "watch", plain_watch, svc)
                watch_s += seconds
            completed = count_status(svc, "completed")
            per_order: dict[str, int] = {}
            for f in fake.files():
                tag = (f.get("appProperties") or {}).get(ORDER_KEY)
                if f["mimeType"] == FOLDER_MIME and tag and not f.get("trashed"):
                    per_order[tag] = per_order.get(tag, 0) + 1
            requests = list(fake.requests)
        finally:
            close(svc)
    twins = sum(n - 1 for n in per_order.values() if n > 1)
    sheets_reads = sum(1 for r in requests if r.api == "sheets" and r.method in ("GET", "HEAD"))
    sheets_writes = sum(1 for r in requests if r.api == "sheets") - sheets_reads
    drive = sum(1 for r in requests if r.api == "drive")
    throttled_sheets = sum(1 for r in requests if r.api == "sheets" and r.status == 429 and not r.fault)
    throttled_drive = sum(1 for r in requests if r.api == "drive" and r.status == 403 and not r.fault)
    # What Google's per-minute quotas allow at best: each metric's calls over its rate.
    floor_s = 60 * max(sheets_reads / 60, sheets_writes / 60, drive / drive_per_minute)
    wall_s = intake_s + watch_s
    detail = {
        "orders": len(orders),
        "dispatched": dispatched,
        "completed": completed,
        "folders_missing": len(orders) - len(per_order),
        "watch_passes": passes,
        "intake_s": intake_s,
        "watch_s": watch_s,
        "sheets_reads": sheets_reads,
        "sheets_writes": sheets_writes,
        "drive_calls": drive,
        "sheets_429": throttled_sheets,
        "drive_403": throttled_drive,
        "quota_floor_s": floor_s,
        "failed": failed[:5],
        "drive_per_minute": drive_per_minute,
    }
    ok = not failed and completed == dispatched == len(orders)
    report.add(
        Figure(
            f"quota_failed_steps{label}",
            float(len(failed)),
            f"{len(failed)}",
            "= 0",
            ok,
            f"{completed:,}/{len(orders):,} completed",
            note=f"{dispatched:,} dispatched, {completed:,} completed in {passes} watch pass(es)",
            detail=detail,
        )
    )
    report.add(
        Figure(
            f"quota_twin_folders{label}",
            float(twins),
            f"{twins}",
            "= 0",
            twins == 0 and not detail["folders_missing"],
            f"{len(per_order):,} orders with a folder",
            detail={"orders_with_folder": len(per_order)},
        )
    )
    report.note(
        f"quota_wall_s{label}",
        wall_s,
        f"{wall_s:.1f} s (intake {intake_s:.1f} s + watch {watch_s:.1f} s); Google's quotas allow "
        f"{floor_s:.1f} s at best for {sheets_reads} Sheets reads + {sheets_writes} writes "
        f"(60/min each) and {drive:,} Drive calls ({drive_per_minute:,}/min); throttled: {throttled_sheets} "
        f"Sheets 429, {throttled_drive} Drive 403",
    )


# ---------------------------------------------------------------------------------------------
# drive_calls_per_poll and poll_seconds: many orders waiting, a few new proofs


@dataclass
class Poll:
    waiting: int
    changes_calls: int
    drive_calls: int
    received: int
    phases: dict[str, float]

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


def measure_polls(ws: Workspace, plan: Plan, report: Report, key_json: str, profile: Path | None) -> None:
    from fulfil.testing.fake_google import FakeGoogle

    home = ws.home("polls")
    with FakeGoogle() as fake:
        svc = google_services(home, ws.config, fake, key_json)
        try:
            by_size = list(waiting_polls(svc, fake, ws, plan, report, home, profile))
        finally:
            close(svc)
    report.add(drive_calls_figure(by_size))
    report.add(poll_seconds_figure(by_size[-1]))


def drive_calls_figure(by_size: list[list[Poll]]) -> Figure:
    # The worst poll of each size: one extra feed call in any poll is what the target forbids.
    changes = [max(p.changes_calls for p in polls) for polls in by_size]
    sizes = " / ".join(f"{polls[0].waiting:,}" for polls in by_size)
    return Figure(
        "drive_calls_per_poll",
        float(max(changes)),
        " / ".join(str(c) for c in changes),
        "1 and flat",
        all(c == 1 for c in changes),
        "flat" if len(set(changes)) == 1 else "grows with waiting orders",
        note=f"changes-feed calls per poll with {sizes} waiting; all Drive calls per poll: "
        + " / ".join(str(max(p.drive_calls for p in polls)) for polls in by_size),
        detail={"polls": [[dataclasses.asdict(p) for p in polls] for polls in by_size]},
    )


def poll_seconds_figure(polls: list[Poll]) -> Figure:
    median = sorted(polls, key=lambda p: p.seconds)[len(polls) // 2]
    quick = "" if median.waiting >= 100_000 else f"QUICK: {median.waiting:,} waiting, not 100,000; "
    return at_most(
        "poll_seconds_100k_waiting",
        median.seconds,
        1,
        ".2f",
        note=f"{quick}median of {len(polls)} polls: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in median.phases.items())
        + f"; {median.received} of {NEW_PROOFS_PER_POLL} new proofs accepted",
        detail={"median": dataclasses.asdict(median), "all_s": [p.seconds for p in polls]},
    )


def waiting_polls(
    svc: Any, fake: Any, ws: Workspace, plan: Plan, report: Report, home: Path, profile: Path | None
) -> Iterator[list[Poll]]:
    """Per size, a few polls each with NEW_PROOFS_PER_POLL fresh proofs."""
    templates = template_orders(svc, home)
    waiting = Waiting(svc, fake, templates)
    for size in plan.waiting:
        with console.status(f"putting {size:,} orders in wait (store rows and Drive folders)"):
            _, seconds = timed(waiting.grow_to, size)
        report.note(f"setup_waiting_{size}", seconds, f"{size:,} waiting orders set up in {seconds:.1f} s")
        polls = [one_poll(svc, fake, waiting) for _ in range(POLL_REPEATS)]
        report.note(
            f"polls_{size}",
            [dataclasses.asdict(p) for p in polls],
            f"{POLL_REPEATS} polls with {size:,} waiting: "
            + " / ".join(f"{p.seconds:.2f}" for p in polls)
            + " s; changes-feed calls "
            + " / ".join(str(p.changes_calls) for p in polls),
        )
        yield polls
    if profile is not None:
        profile_poll(svc, fake, waiting, profile, report)


def template_orders(svc: Any, home: Path) -> list[Any]:
    """One real order per service, taken in and dispatched by fulfil itself: the clones' model."""
    orders = make_orders(len(SERVICES), prefix="TPL")
    plain_intake(svc, write_csv(orders, home.parent / f"{home.name}-templates.csv"))
    return svc.store.get_many(o.order_id for o in orders)


class Waiting:
    """Orders waiting for a proof, written straight into the store and the fake Drive.

    OrderStore.save() is one transaction per order (100,000 would take many minutes), so rows are
    bulk-inserted with the store's own row mapping: they are what save() would have written.
    """

    def __init__(self, svc: Any, fake: Any, templates: list[Any]) -> None:
        self.svc, self.fake, self.templates = svc, fake, templates
        self.folders: dict[str, str] = {}
        self.untouched: list[BenchOrder] = []  # waiting orders no proof was dropped for yet
        self.count = len(templates)

    def grow_to(self, size: int) -> None:
        for start in range(self.count, size, 5_000):
            self._insert(range(start, min(start + 5_000, size)))
        self.count = max(self.count, size)

    def _insert(self, numbers: range) -> None:
        from sqlalchemy import insert

        from integrations.store.order_writes import _to_row
        from integrations.store.tables import history, orders

        now = datetime.now(UTC)
        rows, entries = [], []
        for n in numbers:
            tpl = self.templates[n % len(self.templates)]
            order_id = f"WAIT-{n:06d}"
            clone = dataclasses.replace(tpl, order_id=order_id, source={**tpl.source, "order_id": order_id})
            rows.append({**_to_row(clone), "version": 1, "updated_at": now})
            entries.extend(
                {
                    "order_id": order_id,
                    "seq": i,
                    "status": str(h.status),
                    "comment": h.comment,
                    "actor": h.actor,
                    "notified": h.notified,
                    "at": h.at,
                }
                for i, h in enumerate(tpl.history)
            )
            self.folders[order_id] = self.fake.add_folder(
                f"{order_id} · {tpl.service_code}",
                self.svc.settings.drive_folder_id,
                app_properties={"fulfil_order": order_id},
            )
            self.untouched.append(BenchOrder(order_id, tpl.service_code, tpl.quantity or 1, {}))
        with self.svc.store.engine.begin() as conn:
            conn.execute(insert(orders), rows)
            conn.execute(insert(history), entries)

    def drop_new_proofs(self, count: int) -> None:
        # Spread over the waiting orders, so each service's rules are exercised.
        step = max(len(self.untouched) // count, 1)
        chosen = self.untouched[::step][:count]
        taken = {o.order_id for o in chosen}
        self.untouched = [o for o in self.untouched if o.order_id not in taken]
        for order in chosen:
            name, content = proof_file(order.service, order.quantity, order.order_id)
            self.fake.add_file(name, content, self.folders[order.order_id])


def one_poll(svc: Any, fake: Any, waiting: Waiting) -> Poll:
    """One watcher poll as the flow's tasks make it, each phase timed, its Drive calls counted."""
    from fulfil.usecases import proofs

    prime_cursor(svc)  # the folders just made are old news to a watcher that runs all along
    waiting.drop_new_proofs(NEW_PROOFS_PER_POLL)
    mark = len(fake.requests)
    watched, t_watch = timed(proofs.orders_to_watch, svc, None)
    scan, t_scan = timed(proofs.scan_proof_folders, svc, watched)
    received, t_judge = timed(proofs.judge_proofs, svc, scan.found)
    _, t_cursor = timed(proofs.save_cursor, svc, scan.cursor)
    during = fake.requests[mark:]
    return Poll(
        waiting=len(watched),
        changes_calls=sum(1 for r in during if r.path == "/drive/v3/changes"),
        drive_calls=sum(1 for r in during if r.api == "drive"),
        received=len(received),
        phases={"orders_to_watch": t_watch, "scan": t_scan, "judge": t_judge, "save_cursor": t_cursor},
    )


def profile_poll(svc: Any, fake: Any, waiting: Waiting, out: Path, report: Report) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        report.note("profile", None, "pyinstrument is not installed: no profile (pip install pyinstrument)")
        return
    profiler = Profiler(interval=0.001)
    with profiler:
        poll = one_poll(svc, fake, waiting)
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    top = self_time_hotspots(profiler.last_session, 8) if profiler.last_session else []
    report.note(
        "profile",
        {"file": str(out), "seconds": poll.seconds, "hotspots": top},
        f"profiled poll ({poll.waiting:,} waiting, {poll.seconds:.2f} s) → {out}",
    )
    for spot in top:
        console.print(
            f"    [dim]{spot['self_s']:7.2f} s self  {escape(spot['function'])}  ({escape(spot['where'])})[/]"
        )


def self_time_hotspots(session: Any, n: int) -> list[dict[str, Any]]:
    """The functions that spent the most time in their own code (not in what they called)."""
    totals: dict[tuple[str, str], float] = {}
    stack = [session.root_frame()]
    while stack:
        frame = stack.pop()
        if frame is None:
            continue
        children = list(frame.children)
        # pyinstrument puts a function's own time in a synthetic "[self]" child; count it as the function's.
        own = frame.time - sum(c.time for c in children if not c.is_synthetic_leaf)
        name = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
        key = (name or "?", f"{frame.file_path_short or '?'}:{frame.line_no or 0}")
        totals[key] = totals.get(key, 0.0) + max(own, 0.0)
        stack.extend(c for c in children if not c.is_synthetic_leaf)
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:n]
    return [{"function": f, "where": w, "self_s": round(s, 3)} for (f, w), s in ranked]


# ---------------------------------------------------------------------------------------------
# Running it all


def prepare_environment(prefect_home: Path) -> None:
    """Before Prefect is imported: its home in the temporary folder, quiet logs, no telemetry."""
    for name in [k for k in os.environ if k.startswith("FULFIL_")]:
        del os.environ[name]
    os.environ["PREFECT_HOME"] = str(prefect_home)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from fulfil.cli._prefect import quiet_console_logs

    quiet_console_logs()


@contextmanager
def stage(title: str) -> Iterator[None]:
    console.rule(f"[bold]{title}")
    started = time.perf_counter()
    yield
    console.print(f"  [dim]({time.perf_counter() - started:.1f} s)[/]")


@contextmanager
def harness(report: Report) -> Iterator[None]:
    """One Prefect API for every flow of the run; its start-up is noted, never counted."""
    from prefect.testing.utilities import prefect_test_harness

    with ExitStack() as stack:
        with console.status("starting the Prefect test harness"):
            started = time.perf_counter()
            stack.enter_context(prefect_test_harness(server_startup_timeout=120))
            seconds = time.perf_counter() - started
        report.note("harness_start_s", seconds, f"Prefect test harness started in {seconds:.1f} s")
        yield


def run_all(plan: Plan, only: set[str], profile: Path | None, report: Report, ws: Workspace) -> None:
    needs_prefect = bool(only & {"overhead", "events", "rss", "latency", "sheets"})
    needs_google = bool(only & {"latency", "sheets", "polls", "quotas"})
    key_json = google_key() if needs_google else ""
    with harness(report) if needs_prefect else nullcontext():
        if "overhead" in only:
            with stage(f"overhead_ratio, orders_per_min: {plan.orders:,} orders, plain loop vs flows"):
                measure_overhead(ws, plan, report)
        if "events" in only:
            with stage(f"order_event_ms: {plan.orders * 5:,} order events three ways, 100 artifact versions"):
                measure_events(plan, report)
        if "rss" in only:
            with stage(f"peak_rss_mb: a worker process, {plan.rss_orders:,} orders"):
                measure_rss(ws, plan, report)
        if "latency" in only:
            with stage(f"proof_to_notified_p95_s: {plan.proofs} proofs, one every {DROP_INTERVAL_S} s"):
                measure_latency_local(ws, plan, report)
                measure_latency_google(ws, plan, report, key_json)
        if "sheets" in only:
            with stage(f"sheets_calls_per_order: {plan.sheet_orders:,} orders on fake Google"):
                measure_sheets(ws, plan, report, key_json)
    if "quotas" in only:
        with stage(f"quota_*: {plan.orders:,} orders imported at once, Google's quotas on"):
            measure_quotas(ws, plan, report, key_json)
            # The same with Drive's limit at a quarter, so that it bites and the retries show.
            measure_quotas(ws, plan, report, key_json, drive_per_minute=3_000)
    if "intake" in only:
        from intake_speed import ROWS, measure_intake  # bench/intake_speed.py: its own Prefect server

        with stage(
            f"intake_rows_per_s, intake_peak_rss_mb: `fulfil intake` on {ROWS.get(plan.mode, 5_000):,} rows"
        ):
            measure_intake(ws, plan, report)
    if "serve" in only:
        from serve_latency import measure_serve  # bench/serve_latency.py: its own Prefect servers

        with stage("serve_*_to_told_p95_s: fulfil serve as shipped on a real prefect server"):
            measure_serve(ws, plan, report)
    if "polls" in only:
        sizes = " / ".join(f"{s:,}" for s in plan.waiting)
        with stage(f"drive_calls_per_poll, poll_seconds: {sizes} orders waiting"):
            measure_polls(ws, plan, report, key_json, profile)


def google_key() -> str:
    from fulfil.testing.world import service_account_json

    return service_account_json()


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "date": date.today().isoformat(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "prefect": version("prefect"),
        "sqlalchemy": version("sqlalchemy"),
    }


def markdown(report: Report, plan: Plan, wall_s: float) -> str:
    m = report.info["machine"]
    run = "`--quick` run" if plan.mode == "quick" else "full run"
    lines = [
        f"Measured {m['date']} on {m['platform']}, {m['cpus']} CPUs, Python {m['python']}, "
        f"Prefect {m['prefect']}; {run}, {wall_s / 60:.1f} min in all.",
        "",
        "| key | value | target | met? |",
        "|---|---|---|---|",
    ]
    for f in report.figures:
        lines.append(f"| `{f.key}` | {f.shown} | {f.target} | {'yes' if f.met else f'**no** ({f.margin})'} |")
    return "\n".join(lines)


def write_json(path: Path, report: Report, plan: Plan, wall_s: float) -> None:
    data = {
        "mode": plan.mode,
        "plan": dataclasses.asdict(plan),
        "wall_s": wall_s,
        "figures": [dataclasses.asdict(f) for f in report.figures],
        "info": report.info,
    }
    path.write_text(json.dumps(data, indent=2, default=str, allow_nan=True) + "\n", encoding="utf-8")
    console.print(f"figures written to {path}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes on 2 cores")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write every figure to PATH (default bench/results-<mode>.json)",
    )
    parser.add_argument("--only", default=",".join(MEASURES), help=f"comma-separated subset of {MEASURES}")
    parser.add_argument(
        "--profile", metavar="PATH", help="profile the largest poll with pyinstrument into PATH"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary homes (their path is printed)"
    )
    parser.add_argument("--rss-worker", nargs=3, metavar=("HOME", "CONFIG", "CSV"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rss_worker:
        rss_worker(*args.rss_worker)
        return 0
    plan = QUICK if args.quick else FULL
    only = {m.strip() for m in args.only.split(",") if m.strip()}
    unknown = only - set(MEASURES)
    if unknown:
        console.print(f"unknown measure(s): {', '.join(sorted(unknown))}; choose from {', '.join(MEASURES)}")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="fulfil-bench-"))
    prepare_environment(tmp / "prefect-home")
    report = Report()
    report.info["machine"] = machine()
    console.print(f"fulfil benchmark, {plan.mode} run; temporary homes in {tmp}")
    started = time.perf_counter()
    try:
        run_all(plan, only, Path(args.profile) if args.profile else None, report, Workspace(tmp))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    wall = time.perf_counter() - started
    console.rule("[bold]summary")
    for figure in report.figures:
        console.print(figure.line(), markup=False)
    console.print()
    console.print(markdown(report, plan, wall), markup=False)
    if args.json is not None:
        write_json(Path(args.json or ROOT / "bench" / f"results-{plan.mode}.json"), report, plan, wall)
    return 0 if all(f.met for f in report.figures) else 1


if __name__ == "__main__":
    sys.exit(main())
