"""Scale-out on Prefect's terms: two process workers on one work pool, one killed (with the flow
run it was executing) in the middle of an intake; the other carries on, and every order is
dispatched, completed, written to the CRM and told once. Messages are counted at a real SMTP
server; the order store is PostgreSQL in CI (SQLite too)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import signal
import subprocess
import time
from pathlib import Path
from uuid import UUID

import pytest

from fulfil.cli.demo import TEAM_ROUNDS, _demo_source
from tests.e2e.conftest import FULFIL, PREFECT
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)
from tests.smtp_counting import CountingMailbox, smtp_counter  # noqa: F401  (fixture)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

QUIET = {
    "FULFIL_INTAKE_INTERVAL_SECONDS": "3600",
    "FULFIL_WATCH_INTERVAL_SECONDS": "3600",
    "FULFIL_SWEEP_INTERVAL_SECONDS": "3600",
}


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _kill_tree(pid: int) -> None:
    for victim in [pid, *_descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


async def _run(name: str) -> UUID:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deployment = await client.read_deployment_by_name(name)
        return (await client.create_flow_run_from_deployment(deployment.id)).id


async def _state(run_id: UUID) -> str:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        run = await client.read_flow_run(run_id)
        return run.state.name if run.state else "none"


def _wait(run_id: UUID, states: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while (state := asyncio.run(_state(run_id))) not in states and time.monotonic() < deadline:
        time.sleep(0.2)
    return state


def test_one_of_two_workers_killed_mid_intake_every_order_once(
    cli_env: dict[str, str],
    store_url: str,  # noqa: F811
    smtp_counter: CountingMailbox,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if store_url.startswith("sqlite") and request.config.getoption("--database-url"):
        pytest.skip("two minutes of workers: run on PostgreSQL, as production does, when there is one")
    pool = f"fulfil-two-{os.getpid()}-{int(time.time())}"
    home = Path(cli_env["FULFIL_HOME"])
    env = {
        **cli_env,
        **QUIET,
        "FULFIL_DATABASE_URL": store_url,
        "FULFIL_INTAKE_PATH": str(_demo_source(tmp_path)),
        **smtp_counter.settings(),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    workers: list[subprocess.Popen[bytes]] = []
    try:
        deployed = subprocess.run(
            [FULFIL, "deploy", "--pool", pool], env=env, capture_output=True, timeout=120
        )
        assert deployed.returncode == 0, deployed.stderr
        for n in range(2):
            with (tmp_path / f"worker-{n}.log").open("wb") as log:
                workers.append(
                    subprocess.Popen(
                        [PREFECT, "worker", "start", "--pool", pool, "--name", f"w{n}"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )

        first = asyncio.run(_run("intake/intake"))
        assert _wait(first, {"Running"}, timeout=120) == "Running"
        time.sleep(1.0)  # well into the intake: orders read, folders and messages under way
        # Kill whichever worker took it, and the flow run it started (a machine that died).
        taker = next(w for w in workers if _descendants(w.pid))
        _kill_tree(taker.pid)
        taker.wait(timeout=10)
        survivor = next(w for w in workers if w is not taker)

        # The survivor runs what ops start next: the intake again, the team's proofs, the watch.
        again = asyncio.run(_run("intake/intake"))
        assert _wait(again, {"Completed", "Failed", "Crashed"}, timeout=180) == "Completed"
        for drops in TEAM_ROUNDS:
            for order_id, files in drops.items():
                folder = home / "drive" / order_id
                for name, content in files:
                    if folder.is_dir() and not (folder / name).exists():
                        (folder / name).write_bytes(content or b"x")
            watch = asyncio.run(_run("watch-proofs/watch-proofs"))
            assert _wait(watch, {"Completed", "Failed", "Crashed"}, timeout=180) == "Completed"
        assert survivor.poll() is None
    finally:
        for w in workers:
            _kill_tree(w.pid)

    statuses = _statuses(env)
    completed = {o for o, s in statuses.items() if s == "completed"}
    assert {"INV-0001", "INV-0002", "INV-0003"} <= completed, statuses
    # Every message at most once, and every order's dispatch and completion exactly once.
    assert set(smtp_counter.delivered.values()) == {1}, smtp_counter.delivered.most_common(3)
    dispatched = {o for o, s in statuses.items() if s in ("dispatched", "completed")}
    assert {o for o, k in smtp_counter.delivered if k == "dispatch"} == dispatched
    assert {o for o, k in smtp_counter.delivered if k == "completed"} == completed
    # One folder per dispatched order, one CRM row per completed order.
    assert {p.name for p in (home / "drive").iterdir() if p.is_dir()} == dispatched
    with (home / "crm.csv").open(encoding="utf-8") as fh:
        ids = [row[0] for row in list(csv.reader(fh))[1:]]
    assert sorted(ids) == sorted(set(ids)) and completed <= set(ids)


def _statuses(env: dict[str, str]) -> dict[str, str]:
    import json

    out = subprocess.run(
        [FULFIL, "orders", "list", "--json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return {o["order_id"]: o["status"] for o in json.loads(out)}
