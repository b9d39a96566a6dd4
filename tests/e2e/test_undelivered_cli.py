"""The unusable-outbox scenario as ops meet it on the command line: the intake that could not
deliver exits 1 with one line; once the cause is fixed, `fulfil outbox retry` is not needed for
messages still being retried (the next pass sends them), and sends each given-up one once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import FULFIL

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_an_intake_that_cannot_deliver_exits_1_in_one_line_and_the_next_pass_delivers_once(
    cli_env: dict[str, str],
) -> None:
    home = Path(cli_env["FULFIL_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "outbox").write_text("a file where the outbox folder should be")

    done = subprocess.run(
        [FULFIL, "intake", str(EXAMPLES / "orders.csv")],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not delivered" in lines[0] and "fulfil outbox list" in lines[0], done.stderr
    assert "Traceback" not in done.stderr

    (home / "outbox").unlink()
    listed = subprocess.run([FULFIL, "outbox", "list", "--json"], env=cli_env, capture_output=True, text=True)
    assert listed.returncode == 0 and '"state": "pending"' in listed.stdout
    again = subprocess.run(
        [FULFIL, "sweep", "--once"], env=cli_env, capture_output=True, text=True, timeout=240
    )
    assert again.returncode == 0, again.stderr
    written = sorted(p.name for p in (home / "outbox").glob("*.eml"))
    assert written and len(written) == len(set(written))
    nothing = subprocess.run(
        [FULFIL, "outbox", "retry", "--all"], env=cli_env, capture_output=True, text=True
    )
    assert nothing.returncode == 0 and "requeued 0; sent 0" in nothing.stdout
    assert sorted(p.name for p in (home / "outbox").glob("*.eml")) == written
