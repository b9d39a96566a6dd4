"""`fulfil serve` registers the scheduled flows as deployments a manager sees in the Prefect UI."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

import pytest

from tests.e2e.conftest import FULFIL

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


async def _deployments() -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import DeploymentSort

    async with get_client() as client:
        found = await client.read_deployments(limit=50, sort=DeploymentSort.NAME_ASC)
        return {d.name: d for d in found}


def test_serve_registers_three_scheduled_deployments(cli_env) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [FULFIL, "serve"],
        env={**cli_env, "FULFIL_WATCH_INTERVAL_SECONDS": "3600"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        found: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not {"intake", "watch-proofs", "deadline-sweep"} <= set(found):
            time.sleep(1)
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            found = asyncio.run(_deployments())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert {"intake", "watch-proofs", "deadline-sweep"} <= set(found)
    watch = found["watch-proofs"]
    assert "proof folder" in (watch.description or "")  # type: ignore[attr-defined]
    assert "fulfil" in watch.tags  # type: ignore[attr-defined]
    intervals = [s.schedule.interval.total_seconds() for s in watch.schedules]  # type: ignore[attr-defined]
    assert intervals == [3600]
