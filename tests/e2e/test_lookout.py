"""`fulfil serve` as shipped, on a real `prefect server`: its lookout starts the run that handles
a new export or a dropped proof within seconds (the schedules here are an hour apart, so only the
lookout can have started it), and with the lookout killed the scheduled runs still complete every
order, once. The latencies themselves are measured in bench/ (`--only serve`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fulfil.cli.demo import _demo_source
from tests.e2e.conftest import PrefectServer, _plain_env, fulfil_serve

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 512


def _env(server: PrefectServer, home: Path, **settings: str) -> dict[str, str]:
    return {
        **_plain_env(),
        "FULFIL_HOME": str(home),
        "PREFECT_API_URL": server.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **settings,
    }


def _wait_for(path_glob: Path, timeout: float, serve_log: Path) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(path_glob.parent.glob(path_glob.name))
        if found:
            return found[0]
        time.sleep(0.2)
    pytest.fail(f"no {path_glob.name} after {timeout} s:\n{serve_log.read_text(errors='replace')[-3000:]}")


def _flow_runs(server: PrefectServer) -> list[dict[str, Any]]:
    body = json.dumps({"sort": "START_TIME_DESC", "limit": 200}).encode()
    request = urllib.request.Request(
        f"{server.api_url}/flow_runs/filter", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return list(json.load(answer))


def _lookout_pid(serve_pid: int) -> int | None:
    """The `fulfil lookout` child of `fulfil serve`, found as `ps` would."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == serve_pid and b"lookout" in cmd:
            return int(proc.name)
    return None


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    yield home


def _wait_for_serving(server: PrefectServer, log: Path) -> None:
    deadline = time.monotonic() + 90
    while "being served" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)


def test_a_new_export_and_a_dropped_proof_start_their_runs_at_once(
    prefect_server: PrefectServer, shop: Path, tmp_path: Path
) -> None:
    env = _env(
        prefect_server,
        shop,
        FULFIL_INTAKE_INTERVAL_SECONDS="3600",
        FULFIL_WATCH_INTERVAL_SECONDS="3600",
        FULFIL_SWEEP_INTERVAL_SECONDS="3600",
    )
    log = tmp_path / "serve.log"
    with fulfil_serve(env, log) as served:
        _wait_for_serving(prefect_server, log)
        time.sleep(3)  # the schedules' first runs, if any, come and go
        before = {r["id"] for r in _flow_runs(prefect_server)}

        shutil.copy(_demo_source(tmp_path / "src"), shop / "inbox" / "orders.csv")
        _wait_for(shop / "outbox" / "INV-0001.confirmation*.eml", 60, log)
        _wait_for(shop / "outbox" / "INV-0001.dispatch*.eml", 10, log)

        (shop / "drive" / "INV-0002" / "followers.png").write_bytes(PNG)
        _wait_for(shop / "outbox" / "INV-0002.completed*.eml", 60, log)

        # The deployments' own runs, named after the orders they moved (once their last step has
        # renamed them), as a scheduled run is.
        deadline = time.monotonic() + 30
        while True:
            runs = [r for r in _flow_runs(prefect_server) if r["id"] not in before]
            done = [r for r in runs if r["deployment_id"] and r["state_type"] == "COMPLETED"]
            intake = [r for r in done if r["name"].startswith("intake") and "INV-0001" in r["name"]]
            watch = [r for r in done if r["name"].startswith("watch-proofs") and "INV-0002" in r["name"]]
            if (intake and watch) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert intake and watch, [(r["name"], r["state_type"]) for r in runs]

        # Nothing arrives: the lookout keeps looking and starts no run at all.
        time.sleep(2)
        settled = {r["id"] for r in _flow_runs(prefect_server) if r["state_type"] != "SCHEDULED"}
        time.sleep(6)  # three looks at least
        later = {r["id"] for r in _flow_runs(prefect_server) if r["state_type"] != "SCHEDULED"}
        assert later == settled
        assert served.poll() is None
        assert len(list((shop / "outbox").glob("INV-0002.completed*.eml"))) == 1


def test_with_the_lookout_killed_the_scheduled_runs_still_complete_every_order_once(
    prefect_server: PrefectServer, shop: Path, tmp_path: Path
) -> None:
    env = _env(prefect_server, shop, FULFIL_WATCH_INTERVAL_SECONDS="5", FULFIL_SWEEP_INTERVAL_SECONDS="3600")
    log = tmp_path / "serve.log"
    with fulfil_serve(env, log) as served:
        _wait_for_serving(prefect_server, log)
        shutil.copy(_demo_source(tmp_path / "src"), shop / "inbox" / "orders.csv")
        _wait_for(shop / "outbox" / "INV-0001.dispatch*.eml", 60, log)

        lookout = _lookout_pid(served.pid)
        assert lookout is not None, "fulfil serve started no lookout"
        (shop / "drive" / "INV-0002" / "followers.png").write_bytes(PNG)  # mid-run, as it dies
        os.kill(lookout, signal.SIGKILL)
        (shop / "drive" / "INV-0003" / "situs.png").write_bytes(PNG)
        (shop / "drive" / "INV-0003" / "situs-2.png").write_bytes(PNG)

        for order_id in ("INV-0002", "INV-0003"):
            _wait_for(shop / "outbox" / f"{order_id}.completed*.eml", 90, log)
        assert _lookout_pid(served.pid) is None  # nothing restarted it: the schedules did the work
        assert "the lookout stopped (exit -9)" in log.read_text(errors="replace")
        time.sleep(6)  # another scheduled watch: still one message each
        for order_id in ("INV-0002", "INV-0003"):
            assert len(list((shop / "outbox").glob(f"{order_id}.completed*.eml"))) == 1
        assert served.poll() is None
