"""A shop on a personal Gmail account, as a person runs fulfil: `fulfil google login` (the
headless way: open the printed address anywhere, paste back where the browser ended), `fulfil
doctor`, files owned by the shop, an expired sign-in, `fulfil google logout`; and a service
account on a My Drive folder, which Google refuses, said in one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from fulfil.testing.fake_google import SHOP_USER, FakeGoogle
from fulfil.testing.world import SERVICE_ACCOUNT, ShopWorld, build_world
from integrations.google.advice import STORAGE_QUOTA_ADVICE
from integrations.google.clients import SIGN_IN_EXPIRED
from tests.conftest import EXAMPLES, FULFIL
from tests.e2e.test_cli import run

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _signed_out_env(cli_env: dict[str, str], world: ShopWorld, fake: FakeGoogle) -> dict[str, str]:
    """The shop's settings with no key: only the OAuth client to sign in with."""
    env = {**cli_env, **world.environment()}
    del env["FULFIL_GOOGLE_CREDENTIALS_JSON"]
    env["FULFIL_GOOGLE_OAUTH_CLIENT_JSON"] = json.dumps(fake.oauth_client_config())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _login(env: dict[str, str]) -> tuple[str, str, str]:
    """Run `fulfil google login`, follow the printed address as the browser would (the fake's
    consent screen answers at once), paste back where it ended. (stdout, stderr, pasted)."""
    proc = subprocess.Popen(
        [FULFIL, "google", "login"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    seen = []
    url = ""
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("http"):
            url = line.strip()
            break
    assert url, "".join(seen)
    consent = requests.get(url, allow_redirects=False, timeout=10)
    assert consent.status_code == 302
    pasted = consent.headers["Location"]  # the browser's address bar: 127.0.0.1 cannot connect
    out, err = proc.communicate(pasted + "\n", timeout=120)
    assert proc.returncode == 0, "".join(seen) + out + err
    return "".join(seen) + out, err, pasted


def test_login_as_the_shop_then_doctor_passes_and_the_shop_owns_what_fulfil_makes(
    cli_env: dict[str, str], fake: FakeGoogle, home: Path
) -> None:
    world = build_world(fake, EXAMPLES / "orders.csv")
    env = _signed_out_env(cli_env, world, fake)

    out, err, pasted = _login(env)

    token = home / "google-token.json"
    assert token.stat().st_mode & 0o777 == 0o600
    stored = json.loads(token.read_text())
    assert stored["type"] == "authorized_user" and stored["account"] == SHOP_USER
    assert f"Signed in as {SHOP_USER}" in out
    assert stored["refresh_token"] not in out + err
    assert "code=" not in out.replace(pasted, "")  # the code is only in what was pasted

    doctor = run(env, "doctor")
    assert doctor.stdout.count("✓") == 4, doctor.stdout
    assert f"signed in as {SHOP_USER}" in doctor.stdout
    assert stored["refresh_token"] not in doctor.stdout + doctor.stderr

    run(env, "intake", str(EXAMPLES / "orders.csv"))
    made = [f for f in fake.files() if world.drive_folder_id in f["parents"]]
    assert made, "no order folder was made"
    assert {o["emailAddress"] for f in made for o in f["owners"]} == {SHOP_USER}

    out = run(env, "google", "logout").stdout
    assert "Google revoked the sign-in" in out
    assert not token.exists()
    assert fake.revoked_refresh_tokens() == 1
    signed_out = run(env, "doctor", ok=False)
    assert signed_out.returncode == 1 and "fulfil google login" in signed_out.stdout + signed_out.stderr


def test_an_expired_sign_in_is_one_line_in_doctor(
    cli_env: dict[str, str], fake: FakeGoogle, home: Path
) -> None:
    world = build_world(fake, EXAMPLES / "orders.csv")
    env = _signed_out_env(cli_env, world, fake)
    _login(env)
    fake.expire_refresh_tokens()  # 7 days on, for an OAuth app left in "Testing"

    doctor = run(env, "doctor", ok=False)

    assert doctor.returncode == 1
    failed = [line for line in doctor.stdout.splitlines() if "✗" in line]
    assert failed == [
        f"✗ credentials: signed in as {SHOP_USER} (signed in with `fulfil google login`): {SIGN_IN_EXPIRED}"
    ]
    assert "Traceback" not in doctor.stdout + doctor.stderr


def test_doctor_with_a_service_account_on_my_drive_fails_with_the_advice(
    cli_env: dict[str, str], fake: FakeGoogle, service_account_key: str
) -> None:
    world = build_world(fake, EXAMPLES / "orders.csv")
    env = {**cli_env, **world.environment(service_account_key)}

    doctor = run(env, "doctor", ok=False)

    assert doctor.returncode == 1
    failed = [line for line in doctor.stdout.splitlines() if "✗" in line]
    assert failed == [f"✗ Drive folder {world.drive_folder_id}: {STORAGE_QUOTA_ADVICE}"]
    assert f"signed in as service account {SERVICE_ACCOUNT}" in doctor.stdout
    assert not [f for f in fake.files() if world.drive_folder_id in f["parents"]]  # nothing left

    shared = build_world(fake, EXAMPLES / "orders.csv", shared_drive="0AtokoSharedDrive")
    ok = run({**cli_env, **shared.environment(service_account_key)}, "doctor")
    assert ok.stdout.count("✓") == 4


def test_demo_as_a_service_account_stops_at_the_first_dispatch_in_one_line(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "demo", "--with-fake-google", "--as-service-account", ok=False)

    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and STORAGE_QUOTA_ADVICE in errors[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "2/4" not in done.stdout  # stopped at the first dispatch
