"""A big export taken in the way a shop does it: `fulfil intake orders.csv` against a real
`prefect server`, with the shipped settings, on the local adapters.

Measured from the command's start: rows per second from the file to the last order dispatched (its
history entry's time in the store), then how fast the outbox drained afterwards (messages per
second between the first and the last `sent_at`: every buyer's confirmation and every work order,
written to the outbox folder, each fsynced before it is marked), the whole command's wall time,
and its peak RSS (the kernel's ru_maxrss for that child, from wait4, plus the peak of each
process it starts: the folder writer). Beside it, plain Python doing
the same calls (fulfil/usecases/pipeline.py's steps, without Prefect) in a process of its own.
Called by bench/run.py (`--only intake`); the helpers it uses live there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import Plan, Report, Workspace, at_least, at_most, make_orders, write_csv
from serve_latency import prefect_server

BIN = Path(sys.executable).parent
ROWS = {"full": 50_000, "quick": 5_000}
PLAIN = """
import json, sys
from pathlib import Path
from fulfil import bootstrap, heap
from fulfil.settings import load_settings
from fulfil.usecases import pipeline

svc = bootstrap.build(load_settings())
heap.settle()  # as `fulfil intake` does once its start-up is over
counts = pipeline.intake(pipeline.DirectSteps(svc), sys.argv[1])
print(json.dumps({"rows": counts["rows"], "dispatched": counts["dispatched"]}))
svc.close()
"""


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command to its end; its wall time and its own peak RSS (not this process's), and
    from its store when its orders were dispatched and its messages sent."""
    began = datetime.now(UTC)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    helpers = _HelperPeaks(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    helpers_mb = helpers.stop()
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{out[-2000:]}\n{err[-3000:]}")
    # The command's own peak plus each helper process's (the folder writer): wait4's ru_maxrss is
    # the largest of the process and its children, not their sum.
    return {
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024 + helpers_mb,
        "helpers_peak_rss_mb": helpers_mb,
        "stdout": out,
        **_timeline(env, began),
    }


class _HelperPeaks(threading.Thread):
    """Every half second, the peak RSS (VmHWM) of each child process of `pid` seen so far."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peaks, self.done = pid, dict[int, int](), threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rpartition(")")[2].split()
                    if int(fields[1]) == self.pid:  # its parent
                        status = (stat.parent / "status").read_text()
                        kb = int(status.split("VmHWM:")[1].split()[0])
                        self.peaks[int(stat.parent.name)] = max(kb, self.peaks.get(int(stat.parent.name), 0))
                except (OSError, IndexError, ValueError):
                    continue  # gone meanwhile

    def stop(self) -> float:
        self.done.set()
        self.join()
        return sum(self.peaks.values()) / 1024


def _timeline(env: dict[str, str], began: datetime) -> dict[str, Any]:
    """Seconds from `began` to the last order dispatched; the outbox's messages per second."""
    from sqlalchemy import create_engine, func, select

    from integrations.store.tables import history, outbox

    engine = create_engine(f"sqlite:///{Path(env['FULFIL_HOME']) / 'fulfil.db'}")
    with engine.connect() as conn:
        dispatched = conn.execute(
            select(func.max(history.c.at)).where(history.c.status == "dispatched")
        ).scalar()
        sent, first, last = conn.execute(
            select(func.count(), func.min(outbox.c.sent_at), func.max(outbox.c.sent_at)).where(
                outbox.c.state == "sent"
            )
        ).one()
    engine.dispose()
    drain = (last - first).total_seconds() if sent > 1 else 0.0
    return {
        "to_dispatched_s": (dispatched - began).total_seconds(),
        "messages_sent": sent,
        "messages_per_s": sent / drain if drain else 0.0,
    }


def measure_intake(ws: Workspace, plan: Plan, report: Report) -> None:
    rows = ROWS.get(plan.mode, 5_000)
    source = write_csv(make_orders(rows, prefix="BIG"), ws.root / f"intake-{rows}.csv")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}
    base["FULFIL_CONFIG_DIR"] = str(ws.config)

    plain_home = ws.home("intake-plain")
    plain = _run([sys.executable, "-c", PLAIN, str(source)], {**base, "FULFIL_HOME": str(plain_home)})
    done = json.loads(plain["stdout"].strip().splitlines()[-1])

    cli_home = ws.home("intake-cli")
    with prefect_server(ws.home("intake-prefect")) as api:
        env = {**base, "FULFIL_HOME": str(cli_home), "PREFECT_API_URL": api, "COLUMNS": "120"}
        cli = _run([str(BIN / "fulfil"), "intake", str(source)], env)

    per_s = rows / cli["to_dispatched_s"]
    report.note(
        "intake_plain",
        {**plain, "stdout": None, **done},
        f"plain Python, same calls: {rows:,} rows ({done['dispatched']:,} dispatched) in "
        f"{plain['to_dispatched_s']:.1f} s = {rows / plain['to_dispatched_s']:,.0f} rows/s; "
        f"{plain['messages_sent']:,} messages at {plain['messages_per_s']:,.0f}/s; "
        f"{plain['wall_s']:.1f} s in all, peak RSS {plain['peak_rss_mb']:.0f} MB",
    )
    report.note(
        "intake_cli_outbox",
        {k: cli[k] for k in ("wall_s", "to_dispatched_s", "messages_sent", "messages_per_s")},
        f"fulfil intake: the last order dispatched after {cli['to_dispatched_s']:.1f} s, then "
        f"{cli['messages_sent']:,} messages sent at {cli['messages_per_s']:,.0f}/s; "
        f"{cli['wall_s']:.1f} s in all",
    )
    report.note(
        "intake_cli_summary",
        cli["stdout"].strip()[-400:],
        "fulfil intake said: " + cli["stdout"].strip()[-200:],
    )
    report.add(
        at_least(
            "intake_rows_per_s",
            per_s,
            1_000,
            ",.0f",
            note=f"`fulfil intake` on {rows:,} rows, file to the last order dispatched, real prefect "
            "server, local adapters",
            detail={
                "rows": rows,
                "to_dispatched_s": cli["to_dispatched_s"],
                "wall_s": cli["wall_s"],
                "messages_per_s": cli["messages_per_s"],
                "plain_rows_per_s": rows / plain["to_dispatched_s"],
            },
        )
    )
    report.add(
        at_most(
            "intake_peak_rss_mb",
            cli["peak_rss_mb"],
            300,
            ".0f",
            note=f"`fulfil intake` on {rows:,} rows (plain Python: {plain['peak_rss_mb']:.0f} MB)",
            detail={"rows": rows, "plain_peak_rss_mb": plain["peak_rss_mb"]},
        )
    )
