"""`fulfil doctor` and `fulfil dev fake-google`: is the Google setup right, and a Google to try it on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fulfil.cli._common import console, err_console, get_services
from integrations.ports import AdapterError

dev = typer.Typer(help="Tools for trying fulfil offline.", no_args_is_help=True)


def doctor() -> None:
    """Check the Google credentials, the shared Drive folder, the CRM sheet and the form sheet.

    One line per check, with how to fix each failure; exits non-zero when anything fails.
    """
    svc = get_services()
    s = svc.settings
    checks: list[tuple[str, list[str]]] = []
    if svc.google is None:
        console.print("Google is not configured (FULFIL_PROOF_STORE/CRM/SOURCE are local): nothing to check.")
        return
    from integrations.google.clients import check_credentials, service_account_email

    try:
        credentials = svc.google.credentials()
        who = service_account_email(credentials)
        bad = check_credentials(credentials, s.google_api_url)
        checks.append((f"credentials ({who})", [bad] if bad else []))
    except AdapterError as exc:
        checks.append(("credentials", [str(exc)]))
        who = "the service account"
    if s.proof_store == "gdrive":
        checks.append((f"Drive folder {s.drive_folder_id}", _fix(svc.proofs.check(), who)))  # type: ignore[attr-defined]
    if s.crm == "gsheet":
        checks.append((f"CRM sheet {s.crm_spreadsheet_key} / {s.crm_worksheet}", _fix(svc.crm.check(), who)))  # type: ignore[attr-defined]
    if s.source == "gsheet":
        form = svc.source()
        checks.append((f"form sheet {s.form_spreadsheet_key} / {s.form_worksheet}", _fix(form.check(), who)))  # type: ignore[attr-defined]
    failed = 0
    for name, problems in checks:
        if problems:
            failed += 1
            console.print(f"[red]✗[/] {name}: {'; '.join(problems)}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓[/] {name}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _fix(problems: list[str], who: str) -> list[str]:
    """Say whom to share with, not just that permission was denied."""
    return [p.replace("the service account", who) for p in problems]


@dev.command("fake-google")
def fake_google(
    port: Annotated[int, typer.Option("--port", help="port on 127.0.0.1 (0: any free one)")] = 8765,
    responses: Annotated[
        Path | None, typer.Option("--responses", help="a form export to seed the responses sheet with")
    ] = None,
) -> None:
    """Run a loopback fake of Google Drive and Sheets, seeded like a shop's, and print the settings."""
    from fulfil.testing.fake_google import FakeGoogle
    from fulfil.testing.world import build_world, service_account_json

    with FakeGoogle(port=port) as fake:
        world = build_world(fake, responses)
        key = service_account_json()
        console.print(f"fake Google at {fake.base_url}", highlight=False)
        err_console.print("export these to point fulfil at it (Ctrl-C stops the fake):")
        for name, value in world.environment(key).items():
            shown = "'" + value.replace("'", "'\\''") + "'" if "\n" in value or " " in value else value
            console.print(f"export {name}={shown}", highlight=False, soft_wrap=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return
