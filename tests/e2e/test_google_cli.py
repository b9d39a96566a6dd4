"""`fulfil doctor` and `fulfil demo --with-fake-google` as a person runs them."""

from __future__ import annotations

import re

import pytest

from fulfil.testing.world import SERVICE_ACCOUNT, build_world
from tests.conftest import EXAMPLES
from tests.e2e.test_cli import run

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_doctor_passes_on_a_well_shared_setup_and_names_the_missing_share(cli_env, fake, key_json) -> None:  # type: ignore[no-untyped-def]
    world = build_world(fake, EXAMPLES / "orders.csv")
    env = {**cli_env, **world.environment(key_json)}

    healthy = run(env, "doctor")
    assert healthy.stdout.count("✓") == 4 and "✗" not in healthy.stdout

    fake.deny(world.crm_spreadsheet_key)
    broken = run(env, "doctor", ok=False)
    assert broken.returncode == 1
    failed = [line for line in broken.stdout.splitlines() if "✗" in line]
    assert len(failed) == 1 and "CRM sheet" in failed[0]
    assert f"share the sheet with {SERVICE_ACCOUNT} as Editor" in failed[0]
    assert key_json[:40] not in broken.stdout + broken.stderr  # the key is never printed


def test_demo_with_fake_google_completes_orders_within_the_sheets_budget(cli_env) -> None:  # type: ignore[no-untyped-def]
    done = run(cli_env, "demo", "--with-fake-google")
    out = done.stdout
    for order_id in ("INV-0001", "INV-0002", "INV-0003", "INV-0008", "INV-0012"):
        assert re.search(rf"{order_id}\s+│\s+\S+\s+│\s+completed", out), order_id
    calls = re.search(r"Google API calls: .*sheets (\d+); total (\d+)", out)
    assert calls, out[-500:]
    # Sheets per pass stays flat: the form read once, then about 2 calls per CRM sync.
    assert int(calls.group(1)) <= 12
    assert "CRM rows in the fake sheet: 5" in out
