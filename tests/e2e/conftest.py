"""E2E fixtures. The session's Prefect harness (`prefect_api`) and `cli_env` live in
tests/conftest.py, so every test directory shares the one harness."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys  # noqa: F401  (test_cli.py takes the interpreter from here)
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FULFIL

__all__ = ["FULFIL", "PREFECT", "PrefectServer", "fulfil_serve", "running_prefect_server"]

# The installed `prefect` command, beside `fulfil`.
PREFECT = str(Path(FULFIL).parent / "prefect")


@pytest.fixture
def flows_on(prefect_api: str, svc):  # type: ignore[no-untyped-def]
    """Flows run on the harness API with the test's services; heartbeat off as the CLI does."""
    from fulfil.cli._prefect import flow_settings

    with flow_settings():
        yield svc


@dataclass(frozen=True)
class PrefectServer:
    """A real `prefect server start` on a free loopback port, UI included."""

    url: str  # the UI, e.g. http://127.0.0.1:4321
    api_url: str  # what PREFECT_API_URL is set to for the CLI
    home: Path  # its PREFECT_HOME: its database and its log
    started_in: float  # seconds from the command to /api/health answering


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _plain_env() -> dict[str, str]:
    """The shell's environment without Prefect or fulfil settings (the harness's included)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}


@contextmanager
def running_prefect_server(
    home: Path, *, host: str = "127.0.0.1", env: dict[str, str] | None = None
) -> Iterator[PrefectServer]:
    """`prefect server start` as a person runs it on `host` and a free port, with its own
    PREFECT_HOME and `env` added (~12 s to start); stopped with its process group."""
    port = _free_port()
    url = f"http://{host}:{port}"
    full_env = {
        **_plain_env(),
        "PREFECT_HOME": str(home),
        # On another port than 4200 the UI would still call the API on 4200 without this.
        "PREFECT_UI_API_URL": f"{url}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **(env or {}),
    }
    log = home / "server.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PREFECT, "server", "start", "--host", host, "--port", str(port)],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group: stopping the group stops whatever it started, and nothing else.
            start_new_session=True,
        )

    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited {proc.returncode}:\n{tail()}")
            if time.monotonic() - started > 120:
                pytest.fail(f"prefect server not healthy after 120 s:\n{tail()}")
            try:  # /api/health answers without a password too, for probes
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.25)
        yield PrefectServer(url, f"{url}/api", home, round(time.monotonic() - started, 1))
    finally:
        _stop_group(proc)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real `prefect server start`, module-scoped: a test module that drives the UI pays for
    one server, not one per test."""
    with running_prefect_server(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C to the process group we started, then a kill if it has not ended in 20 s."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # already gone, with everything it started
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def fulfil_serve(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`fulfil serve` as ops run it, its output in `log`; stopped with Ctrl-C as they would."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [FULFIL, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        _stop_group(proc)
