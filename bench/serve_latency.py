"""How long a buyer waits under `fulfil serve` as shipped: a real `prefect server`, `fulfil serve`
with no setting changed, form answers and proofs dropped at a person's pace.

Measured from the drop (the export file written, the form answer submitted, the proof uploaded) to
the buyer's message written to the outbox (its file's modification time): the confirmation for a
form answer, the completion message for a proof. Then the same processes left alone: their CPU
time and, on the fake Google, the calls they make per idle minute. Called by bench/run.py
(`--only serve`); the helpers it uses live there.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from run import (  # bench/run.py, this script's sibling
    BenchOrder,
    Plan,
    Report,
    Workspace,
    at_most,
    form_headers,
    make_orders,
    percentile,
    proof_file,
    write_csv,
)

BIN = Path(sys.executable).parent
# A person's pace: one drop every 3–5 s, so the lookout's 2 s polls meet drops at every phase.
PACE_S = (3.0, 5.0)
GOOGLE_DELAY_S = 0.15
TARGETS = {"proof": {"local": 10.0, "gdrive": 15.0}, "form": {"local": 15.0, "gdrive": 15.0}}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}


@contextmanager
def _group(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free port with its own PREFECT_HOME; its API URL."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_plain_env(), "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    home.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with _group(cmd, env, home / "server.log") as proc:
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "prefect server did not start: " + (home / "server.log").read_text()[-2000:]
                )
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        yield api


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    log: Path

    def pids(self) -> dict[str, int]:
        """fulfil serve and its lookout child (the flow runs it starts come and go)."""
        found = {"serve": self.proc.pid}
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    stat = (proc / "stat").read_text()
                    cmd = (proc / "cmdline").read_bytes()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid and b"lookout" in cmd:
                    found["lookout"] = int(proc.name)
        return found


@contextmanager
def fulfil_serve(api: str, home: Path, config: Path, extra: dict[str, str]) -> Iterator[Served]:
    env = {
        **_plain_env(),
        "FULFIL_HOME": str(home),
        "FULFIL_CONFIG_DIR": str(config),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **extra,
    }
    home.mkdir(parents=True, exist_ok=True)
    log = home.parent / f"{home.name}-serve.log"
    with _group([str(BIN / "fulfil"), "serve"], env, log) as proc:
        deadline = time.monotonic() + 120
        while "being served" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fulfil serve did not start: " + log.read_text(errors="replace")[-2000:])
            time.sleep(0.25)
        yield Served(proc, log)


def told_at(outbox: Path, order_id: str, kind: str) -> float | None:
    found = sorted(outbox.glob(f"{order_id}.{kind}*.eml")) if outbox.is_dir() else []
    return found[0].stat().st_mtime if found else None


def drop_and_wait(
    orders: list[BenchOrder], drop: Callable[[BenchOrder], None], outbox: Path, kind: str, limit_s: float
) -> list[float]:
    """Drop each order's item at a person's pace, then wait for every message; the latencies
    (a message never written counts as infinite)."""
    rng = random.Random(11)
    dropped: dict[str, float] = {}
    for order in orders:
        dropped[order.order_id] = time.time()
        drop(order)
        time.sleep(rng.uniform(*PACE_S))
    deadline = time.monotonic() + limit_s
    latencies: dict[str, float] = {}
    while len(latencies) < len(orders) and time.monotonic() < deadline:
        for order in orders:
            if order.order_id not in latencies:
                at = told_at(outbox, order.order_id, kind)
                if at is not None:
                    latencies[order.order_id] = max(at - dropped[order.order_id], 0.0)
        time.sleep(0.2)
    return [latencies.get(o.order_id, float("inf")) for o in orders]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle(served: Served, seconds: float, count_calls: Callable[[], int] | None) -> dict[str, Any]:
    """CPU share of one core of fulfil serve and its lookout while nothing arrives, their RSS,
    and the Google calls made per idle minute."""
    time.sleep(10)  # the last runs finish
    pids = served.pids()
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    calls = count_calls() if count_calls else 0
    time.sleep(seconds)
    out: dict[str, Any] = {
        f"{name}_cpu_pct": round(100 * (cpu_seconds(pid) - before[name]) / seconds, 2)
        for name, pid in pids.items()
    }
    out.update({f"{name}_rss_mb": round(rss_mb(pid), 1) for name, pid in pids.items()})
    if count_calls:
        out["google_calls_per_idle_min"] = round((count_calls() - calls) * 60 / seconds, 1)
    return out


def latency_figures(report: Report, where: str, label: str, form: list[float], proofs: list[float]) -> None:
    for what, values in (("form", form), ("proof", proofs)):
        finite = [v for v in values if v != float("inf")]
        p95 = percentile(values, 95)
        detail = {
            "p50_s": round(percentile(values, 50), 2),
            "p95_s": round(p95, 2),
            "max_s": round(max(values), 2),
            "drops": len(values),
            "told": len(finite),
        }
        key = f"serve_{what}_to_told_p95_s.{where}"
        what_text = "form answer → confirmation" if what == "form" else "proof → completion message"
        spread = f"p50 {detail['p50_s']} s, max {detail['max_s']} s"
        text = f"{what_text}, {label}: {spread}, {len(finite)}/{len(values)} told"
        report.add(at_most(key, p95, TARGETS[what][where], ".1f", note=text, detail=detail))


def measure_serve_local(ws: Workspace, plan: Plan, report: Report, idle_s: float) -> None:
    n = min(max(plan.proofs // 10, 6), 20)
    orders = make_orders(n, prefix="SRV")
    home = ws.home("serve-local")
    (home / "inbox").mkdir(parents=True)
    with (
        prefect_server(ws.root / "prefect-serve-local") as api,
        fulfil_serve(api, home, ws.config, {}) as served,
    ):

        def new_export(order: BenchOrder) -> None:
            write_csv([order], home / "inbox" / f"form-{order.order_id}.csv")

        def proof(order: BenchOrder) -> None:
            name, content = proof_file(order.service, order.quantity, order.order_id)
            folder = home / "drive" / order.order_id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)

        form = drop_and_wait(orders, new_export, home / "outbox", "confirmation", limit_s=120)
        proofs = drop_and_wait(orders, proof, home / "outbox", "completed", limit_s=120)
        latency_figures(report, "local", "local folders (a form answer: one export file)", form, proofs)
        quiet = idle(served, idle_s, None)
    report.note("serve_idle.local", quiet, json.dumps(quiet))


def measure_serve_google(ws: Workspace, plan: Plan, report: Report, idle_s: float) -> None:
    from fulfil.testing.fake_google import FakeGoogle
    from fulfil.testing.world import FORM_WORKSHEET, build_world

    n = min(max(plan.proofs // 10, 6), 20)
    orders = make_orders(n, prefix="SRG")
    home = ws.home("serve-gdrive")
    headers = form_headers()
    with FakeGoogle() as fake:
        world = build_world(fake, write_csv([], home.parent / "serve-gdrive-header.csv"))
        with (
            prefect_server(ws.root / "prefect-serve-gdrive") as api,
            fulfil_serve(api, home, ws.config, world.environment()) as served,
        ):
            time.sleep(5)  # the lookout's first look marks the feed before anything arrives
            fake.inject("*", delay=GOOGLE_DELAY_S)

            def submit(order: BenchOrder) -> None:
                fake.submit_form_response(
                    world.form_spreadsheet_key, FORM_WORKSHEET, {h: order.row.get(h, "") for h in headers}
                )

            def upload(order: BenchOrder) -> None:
                name, content = proof_file(order.service, order.quantity, order.order_id)
                folder = next(
                    f["id"]
                    for f in fake.files()
                    if (f.get("appProperties") or {}).get("fulfil_order") == order.order_id
                )
                fake.add_file(name, content, folder)

            form = drop_and_wait(orders, submit, home / "outbox", "confirmation", limit_s=180)
            proofs = drop_and_wait(orders, upload, home / "outbox", "completed", limit_s=180)
            label = f"fake Drive + Sheets, {GOOGLE_DELAY_S * 1000:.0f} ms per call"
            latency_figures(report, "gdrive", label, form, proofs)
            quiet = idle(served, idle_s, lambda: len(fake.requests))
            fake.clear_faults()
    report.note("serve_idle.gdrive", quiet, json.dumps(quiet))


def measure_serve(ws: Workspace, plan: Plan, report: Report) -> None:
    idle_s = 30.0 if plan.mode == "quick" else 60.0
    measure_serve_local(ws, plan, report, idle_s)
    measure_serve_google(ws, plan, report, idle_s)
