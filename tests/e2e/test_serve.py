"""The flows as deployments a manager sees and starts in the Prefect UI: `fulfil serve`,
`fulfil deploy --pool NAME` with a process worker, and prefect.yaml, all from one list."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml

from fulfil.cli.demo import _demo_source
from tests.conftest import ROOT
from tests.e2e.conftest import FULFIL, PREFECT, fulfil_serve

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

SCHEDULED = ["intake", "watch-proofs", "deadline-sweep", "daily-digest", "daily-report"]
ADMIN = [
    "assign-order",
    "mark-paid",
    "apply-change",
    "comment-order",
    "cancel-order",
    "set-status",
    "claim-order",
    "refund-order",
]
NAMES = SCHEDULED + ADMIN
# Long enough that no scheduled run starts during a test: only the runs a test starts run.
QUIET_SCHEDULES = {
    "FULFIL_INTAKE_INTERVAL_SECONDS": "3600",
    "FULFIL_WATCH_INTERVAL_SECONDS": "3600",
    "FULFIL_SWEEP_INTERVAL_SECONDS": "3600",
    # Nor one the lookout starts (tests/e2e/test_lookout.py tests it).
    "FULFIL_LOOKOUT_SECONDS": "0",
}


async def _deployments() -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import DeploymentSort

    async with get_client() as client:
        found = await client.read_deployments(limit=50, offset=0, sort=DeploymentSort.NAME_ASC)
        return {d.name: d for d in found if d.name in NAMES}


async def _forget_deployments() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for d in (await _deployments()).values():
            await client.delete_deployment(d.id)


@pytest.fixture
def no_deployments(prefect_api: str) -> None:
    """The harness is shared by the session: start from none of ours, so what a test sees is
    what it registered."""
    asyncio.run(_forget_deployments())


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    # serve's output goes to a file: a pipe nobody reads would fill up with run logs and block it.
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def _wait_for_all(served: Served | None, timeout: float = 90) -> dict[str, Any]:
    found: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and set(found) != set(NAMES):
        if served is not None:
            assert served.proc.poll() is None, served.output()
        time.sleep(1)
        found = asyncio.run(_deployments())
    assert set(found) == set(NAMES), f"registered: {sorted(found)}"
    return found


@pytest.fixture
def served(cli_env: dict[str, str], no_deployments: None, tmp_path: Path) -> Iterator[Served]:
    """`fulfil serve` running, reading the demo export (dates moved to today) as its intake."""
    env = {
        **cli_env,
        **QUIET_SCHEDULES,
        "FULFIL_INTAKE_PATH": str(_demo_source(tmp_path)),
        # The runner looks for runs to start every 10 s by default; a test need not wait that long.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    log = tmp_path / "serve.log"
    with fulfil_serve(env, log) as proc:
        yield Served(proc, log)


async def _start_like_the_run_button(deployment_id: UUID) -> UUID:
    """What the UI's Run → Quick run does: a run of the deployment with its default parameters."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id)
        return run.id


async def _final_state(run_id: UUID, timeout: float) -> tuple[str, str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deadline = time.monotonic() + timeout
        while True:
            run = await client.read_flow_run(run_id)
            if (run.state and run.state.is_final()) or time.monotonic() > deadline:
                return (run.state.name if run.state else "none"), run.name
            await asyncio.sleep(0.5)


def _statuses(env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        [FULFIL, "orders", "list", "--json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return {o["order_id"]: o["status"] for o in json.loads(out)}


def _assert_demo_orders_dispatched(env: dict[str, str]) -> None:
    statuses = _statuses(env)
    # Valid and paid: dispatched, with a proof folder for the team.
    for order_id in ("INV-0001", "INV-0002", "INV-0003", "INV-0010"):
        assert statuses[order_id] == "dispatched", statuses
        assert (Path(env["FULFIL_HOME"]) / "drive" / order_id).is_dir()
    assert statuses["INV-0004"] == "needs_info"  # no quantity: held, the buyer is asked
    assert statuses["INV-0007"] == "awaiting_payment"


def test_serve_shows_the_deployments_with_schedules_descriptions_forms_and_defaults(
    served: Served,
) -> None:
    found = _wait_for_all(served)

    for name in SCHEDULED:
        d = found[name]
        assert len(d.description or "") > 80, (name, d.description)
        assert "fulfil" in d.tags
        assert d.schedules and all(s.active for s in d.schedules), name
    # The admin actions: run by hand, each field of the form described, who acts a dropdown.
    for name in ADMIN:
        d = found[name]
        assert not d.schedules and "admin" in d.tags, name
        fields = d.parameter_openapi_schema["properties"]
        assert all(f.get("description") for f in fields.values()), (name, fields)
        assert "Sari Wulandari" in fields["by"]["enum"], name
    assign = found["assign-order"].parameter_openapi_schema["properties"]
    assert assign["by"]["enum"] == ["Sari Wulandari", "Rina Wijaya", "Bagus Pratama", "Dewi Lestari"]
    assert "Yoga Saputra" in assign["to"]["enum"] and "Sari Wulandari" not in assign["to"]["enum"]
    assert "proof folder" in found["watch-proofs"].description
    assert [s.schedule.interval.total_seconds() for s in found["watch-proofs"].schedules] == [3600]
    assert "every hour" in found["intake"].description
    digest = found["daily-digest"].schedules[0].schedule
    assert (digest.cron, digest.timezone) == ("0 8 * * *", "Asia/Jakarta")
    report = found["daily-report"].schedules[0].schedule
    assert (report.cron, report.timezone) == ("0 7 * * *", "Asia/Jakarta")
    # The Run button's defaults: what `fulfil report` does without --since.
    assert found["daily-report"].parameters == {"days": 14}


def test_a_run_started_from_the_ui_completes_and_dispatches_the_orders(
    served: Served, cli_env: dict[str, str]
) -> None:
    intake = _wait_for_all(served)["intake"]

    run_id = asyncio.run(_start_like_the_run_button(intake.id))
    state, name = asyncio.run(_final_state(run_id, timeout=120))

    assert state == "Completed", served.output()
    assert name.startswith("intake")
    _assert_demo_orders_dispatched(cli_env)


def test_fulfil_deploy_puts_the_same_deployments_on_a_process_pool_that_a_worker_runs(
    cli_env: dict[str, str], no_deployments: None, tmp_path: Path
) -> None:
    pool = f"fulfil-test-{os.getpid()}"
    env = {**cli_env, **QUIET_SCHEDULES, "FULFIL_INTAKE_PATH": str(_demo_source(tmp_path))}

    done = subprocess.run(
        [FULFIL, "deploy", "--pool", pool], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"prefect worker start --pool {pool}" in done.stdout
    found = _wait_for_all(None, timeout=5)
    assert {d.work_pool_name for d in found.values()} == {pool}
    assert "proof folder" in found["watch-proofs"].description
    assert found["daily-report"].parameters == {"days": 14}

    run_id = asyncio.run(_start_like_the_run_button(found["intake"].id))
    # One polling pass: the worker starts the run in a process of its own and waits for it.
    worker = subprocess.run(
        [PREFECT, "worker", "start", "--pool", pool, "--run-once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    state, _ = asyncio.run(_final_state(run_id, timeout=30))

    assert state == "Completed", worker.stdout[-3000:] + worker.stderr[-3000:]
    _assert_demo_orders_dispatched(env)


def test_fulfil_deploy_without_a_prefect_server_says_which_setting_is_missing(
    cli_env: dict[str, str],
) -> None:
    env = {k: v for k, v in cli_env.items() if k != "PREFECT_API_URL"}

    done = subprocess.run([FULFIL, "deploy"], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert "PREFECT_API_URL" in done.stderr and "Traceback" not in done.stderr


def test_prefect_yaml_holds_the_same_deployments_as_fulfil_deploy(home: Path) -> None:
    """`prefect deploy` from the repository gives what `fulfil deploy` gives with default settings."""
    from flows.serve import admin_deployments, deployments
    from fulfil.settings import Settings

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    settings = Settings(home=home)
    planned = {p.name: p for p in [*deployments(settings), *admin_deployments(settings)]}

    assert [d["name"] for d in spec["deployments"]] == list(planned)
    (pull,) = spec["pull"]
    assert list(pull) == ["prefect.deployments.steps.set_working_directory"]
    for d in spec["deployments"]:
        p = planned[d["name"]]
        assert d["entrypoint"] == p.entrypoint
        assert (ROOT / d["entrypoint"].split(":")[0]).is_file()
        assert " ".join(d["description"].split()) == p.description
        assert d["tags"] == p.tags
        assert d["parameters"] == p.parameters
        assert d["work_pool"]["name"] == "fulfil"
        # The lookout's events start intake and watch-proofs at once, as under `fulfil serve`.
        wanted = [t.model_dump(include={"name", "expect", "match"}, mode="json") for t in p.triggers]
        found = [{k: t[k] for k in ("name", "expect", "match")} for t in d.get("triggers", [])]
        assert found == wanted
        assert all(t["type"] == "event" for t in d.get("triggers", []))
        if not p.schedules:  # an admin action: run by hand
            assert d["schedules"] == [] and "admin" in d["tags"]
            continue
        (schedule,) = d["schedules"]
        (want,) = p.schedules
        if want.interval is not None:
            assert schedule["interval"] == want.interval.total_seconds()
        else:
            assert schedule["cron"] == want.cron
        assert schedule["timezone"] == want.timezone
