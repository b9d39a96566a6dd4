"""Secrets kept in Prefect blocks: the Google key in a GcpCredentials block, the SMTP login in an
EmailServerCredentials block, found by name; neither ever printed."""

from __future__ import annotations

import json

import pytest

from fulfil.testing.world import SERVICE_ACCOUNT, build_world
from tests.conftest import EXAMPLES
from tests.e2e.test_cli import run
from tests.e2e.test_smtp_demo import inbox  # noqa: F401  (fixture)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_doctor_reads_the_google_key_from_a_gcp_credentials_block(cli_env, fake, service_account_key) -> None:  # type: ignore[no-untyped-def]
    from prefect_gcp import GcpCredentials

    GcpCredentials(service_account_info=json.loads(service_account_key)).save("toko-google", overwrite=True)
    # A service account may own files only in a shared drive (a Workspace shop's setup).
    world = build_world(fake, EXAMPLES / "orders.csv", shared_drive="0AtokoSharedDrive")
    env = {**cli_env, **world.environment(service_account_key)}
    del env["FULFIL_GOOGLE_CREDENTIALS_JSON"]
    env["FULFIL_GOOGLE_CREDENTIALS_BLOCK"] = "toko-google"

    done = run(env, "doctor")

    assert done.stdout.count("✓") == 4 and SERVICE_ACCOUNT in done.stdout
    assert "PRIVATE KEY" not in done.stdout + done.stderr

    env["FULFIL_GOOGLE_CREDENTIALS_BLOCK"] = "no-such-block"
    missing = run(env, "doctor", ok=False)
    assert missing.returncode == 1 and "no GcpCredentials block named 'no-such-block'" in missing.stderr


def test_messages_go_out_with_the_smtp_login_from_an_email_block(cli_env, inbox) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from prefect_email import EmailServerCredentials

    box, port = inbox
    EmailServerCredentials(
        smtp_server="127.0.0.1", smtp_port=port, smtp_type="INSECURE", username="", password=""
    ).save("toko-smtp", overwrite=True)
    env = {**cli_env, "FULFIL_NOTIFIER": "smtp", "FULFIL_SMTP_CREDENTIALS_BLOCK": "toko-smtp"}

    run(env, "intake", str(EXAMPLES / "orders.csv"))

    kinds = {m["X-Fulfil-Kind"] for m in box.messages}
    assert {"confirmation", "needs_info", "dispatch"} <= kinds
