"""Configuration faults a shop makes are one line naming what to fix and exit 1, never a traceback,
and never the database password (before: 63 to 152 lines of traceback each)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import FULFIL

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "is not a database URL fulfil can use"),
        (f"postgresql+psycopg://shop:Rahasia-DB-1@127.0.0.1:{_closed_port()}/fulfil", "Connection refused"),
        ("mysql://shop@localhost/fulfil", "driver for"),
        ("sqlite:////proc/fulfil-nowhere/fulfil.db", "cannot make the database folder /proc/fulfil-nowhere"),
        ("sqlite:////etc/hostname", "file is not a database"),
    ],
)
def test_a_bad_database_url_is_one_line_and_exit_1(url: str, says: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FULFIL_")}
    env.update(FULFIL_HOME=str(tmp_path), FULFIL_DATABASE_URL=url)
    done = subprocess.run([FULFIL, "orders", "list"], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "Rahasia-DB-1" not in done.stderr + done.stdout

    # --debug shows where, for whoever fixes fulfil itself.
    debug = subprocess.run(
        [FULFIL, "--debug", "orders", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert debug.returncode != 0 and "Traceback" in debug.stderr
