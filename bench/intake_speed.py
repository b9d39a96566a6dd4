"""A big export taken in the way a shop does it: `fulfil intake orders.csv` against a real
`prefect server`, with the shipped settings, on the local adapters.

Measured from the command's start to its exit: rows per second from the file to dispatched
orders, their buyers' confirmations and the work orders sent (to the outbox folder), and the
command's peak RSS (the kernel's ru_maxrss for that child, from wait4). Beside it, plain Python doing the
same calls (fulfil/usecases/pipeline.py's steps, without Prefect) in a process of its own. Called
by bench/run.py (`--only intake`); the helpers it uses live there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from run import Plan, Report, Workspace, at_least, at_most, make_orders, write_csv
from serve_latency import prefect_server

BIN = Path(sys.executable).parent
ROWS = {"full": 50_000, "quick": 5_000}
PLAIN = """
import json, sys
from pathlib import Path
from fulfil import bootstrap
from fulfil.settings import load_settings
from fulfil.usecases import pipeline

svc = bootstrap.build(load_settings())
counts = pipeline.intake(pipeline.DirectSteps(svc), sys.argv[1])
print(json.dumps({"rows": counts["rows"], "dispatched": counts["dispatched"]}))
svc.close()
"""


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command to its end; its wall time and its own peak RSS (not this process's)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{out[-2000:]}\n{err[-3000:]}")
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": out}


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

    per_s = rows / cli["wall_s"]
    report.note(
        "intake_plain",
        {**plain, "stdout": None, **done},
        f"plain Python, same calls: {rows:,} rows ({done['dispatched']:,} dispatched) in "
        f"{plain['wall_s']:.1f} s = {rows / plain['wall_s']:,.0f} rows/s, "
        f"peak RSS {plain['peak_rss_mb']:.0f} MB",
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
            note=f"`fulfil intake` on {rows:,} rows, file to dispatched, real prefect server, local adapters",
            detail={"rows": rows, "wall_s": cli["wall_s"], "plain_rows_per_s": rows / plain["wall_s"]},
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
