"""`fulfil doctor` and `fulfil demo --with-fake-google` as a person runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fulfil.testing.world import SHOP_USER, build_world
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
    assert f"share the sheet with {SHOP_USER} as Editor" in failed[0]
    refresh_token = json.loads(key_json)["refresh_token"]
    assert refresh_token not in healthy.stdout + broken.stdout + broken.stderr  # never printed


def test_demo_with_fake_google_completes_orders_within_the_sheets_budget(cli_env) -> None:  # type: ignore[no-untyped-def]
    done = run(cli_env, "demo", "--with-fake-google")
    out = done.stdout
    # Signed in as the shop's Gmail account through the consent screen, as `fulfil google login`.
    assert f"signed in as {SHOP_USER}" in out
    token = Path(cli_env["FULFIL_HOME"]) / "with-fake-google" / "google-token.json"
    assert token.stat().st_mode & 0o777 == 0o600
    for order_id in ("INV-0001", "INV-0002", "INV-0003", "INV-0008", "INV-0012"):
        assert re.search(rf"{order_id}\s+│\s+\S+\s+│\s+completed", out), order_id
    calls = re.search(r"Google API calls: .*sheets (\d+); total (\d+)", out)
    assert calls, out[-500:]
    # Sheets per pass stays flat: the form read once, then about 2 calls per CRM sync (the demo's
    # passes: two team rounds, the sweep, the after-sale claim and its replacement).
    assert int(calls.group(1)) <= 14
    assert "CRM rows in the fake sheet: 5" in out
