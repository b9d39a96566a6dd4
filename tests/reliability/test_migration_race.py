"""Commands started together on a database nobody used yet all succeed: the schema is made once,
under a lock (a file beside SQLite's database, an advisory lock on PostgreSQL). Without it, 3 of
10 tries on SQLite crashed with "table orders already exists" and PostgreSQL with a unique
violation on alembic_version."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integrations.store import OrderStore
from tests.integration.conftest import empty_database

ROOT = Path(__file__).resolve().parents[2]
TRIES = 10
PROCESSES = 3
# Each process waits for the same go file, then opens the store as every command does.
OPEN = """
import os, sys, time
from pathlib import Path
from fulfil.cli import main
go = Path(sys.argv[1])
Path(f"{go}.ready-{os.getpid()}").touch()
while not go.exists():
    time.sleep(0.002)
sys.argv = ["fulfil", "orders", "list", "--json"]
main()
"""


def _race(url: str, home: Path, go: Path) -> list[tuple[int, str]]:
    env = {**os.environ, "FULFIL_HOME": str(home), "FULFIL_DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.monotonic() + 60
    while len(list(go.parent.glob(f"{go.name}.ready-*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    return [(p.wait(timeout=120), p.communicate()[1]) for p in procs]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_three_commands_on_a_new_database_all_succeed_ten_times(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pg_url = request.config.getoption("--database-url")
    if kind == "postgresql" and not pg_url:
        pytest.skip("no PostgreSQL: give --database-url or $FULFIL_TEST_DATABASE_URL (.ci/run does)")
    failures = []
    for n in range(TRIES):
        home = tmp_path / f"try-{n}"
        if kind == "sqlite":
            url = f"sqlite:///{home / 'fulfil.db'}"
        else:
            url = pg_url
            empty_database(url)
        results = _race(url, home, tmp_path / f"go-{n}")
        failures += [f"try {n}: exit {code}: {err.strip()[-300:]}" for code, err in results if code != 0]
        store = OrderStore.open(url)  # and the schema is whole
        assert store.list() == []
        store.engine.dispose()
        if kind == "sqlite":
            shutil.rmtree(home, ignore_errors=True)
    assert failures == []
