"""`fulfil google login|logout`, `fulfil doctor` and `fulfil dev fake-google`: signing in as the
shop, is the Google setup right (and is the Prefect API behind its password), and a Google to
try it on."""

from __future__ import annotations

import ipaddress
import sys
import time
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fulfil.cli._common import console, err_console, fail_cleanly, get_services
from fulfil.settings import load_settings
from integrations.ports import AdapterError, SelfChecking

dev = typer.Typer(help="Tools for trying fulfil offline.", no_args_is_help=True)
google_app = typer.Typer(
    help="Sign fulfil in to Google as the shop's own account (a personal Gmail's way).",
    no_args_is_help=True,
)


@google_app.command("login")
def login(
    browser: Annotated[
        bool,
        typer.Option(
            "--browser",
            help="use this computer's browser: a local server catches Google's answer "
            "(default: print an address to open anywhere, then paste back where the browser ended)",
        ),
    ] = False,
) -> None:
    """Sign in as the shop with its OAuth client (Desktop app) and keep the sign-in in FULFIL_HOME.

    Needs FULFIL_GOOGLE_OAUTH_CLIENT_FILE (or _JSON): the client_secret.json from Google Cloud.
    The refresh token is written to FULFIL_HOME/google-token.json, readable by you only, and
    never printed.
    """
    from integrations.google.clients import TOKEN_FILE_NAME
    from integrations.google.signin import Login, account_of, client_config, save_token

    with fail_cleanly():
        s = load_settings()
        secret = s.google_oauth_client_json
        config = client_config(s.google_oauth_client_file, secret.get_secret_value() if secret else None)
        if s.google_credentials_file or s.google_credentials_json or s.google_credentials_block:
            err_console.print(
                "note: a service-account key is set (FULFIL_GOOGLE_CREDENTIALS_*); it wins over this "
                "sign-in until you unset it",
                highlight=False,
            )
        session = Login(config, api_url=s.google_api_url)
        if browser:
            credentials = session.run_local_server(open_browser=True)
        else:
            url = session.authorization_url()
            console.print(
                "1. Open this address in a browser (on any computer), sign in as the shop's Google "
                "account and allow access:",
                highlight=False,
            )
            print(url, flush=True)  # plain: never wrapped, so it copies whole
            console.print(
                "2. The browser then cannot load http://127.0.0.1:…/ — that is expected. Copy the "
                "whole address from its address bar and paste it here.",
                highlight=False,
            )
            sys.stdout.flush()
            pasted = typer.prompt("Address", prompt_suffix=": ")
            credentials = session.finish(pasted)
        account = account_of(credentials, s.google_api_url)
        path = s.home / TOKEN_FILE_NAME
        save_token(path, credentials, account)
    console.print(
        f"Signed in as {account}. The sign-in is kept in {path} (readable by you only); "
        "check the setup with `fulfil doctor`.",
        highlight=False,
        soft_wrap=True,
    )


@google_app.command("logout")
def logout() -> None:
    """Revoke the stored sign-in at Google and delete FULFIL_HOME/google-token.json."""
    from integrations.google.clients import TOKEN_FILE_NAME
    from integrations.google.signin import read_token, revoke

    with fail_cleanly():
        s = load_settings()
        path = s.home / TOKEN_FILE_NAME
        info = read_token(path)
        if info is None:
            console.print(f"Not signed in ({path} does not exist).", highlight=False, soft_wrap=True)
            return
        refresh = str(info.get("refresh_token") or "")
        why = revoke(refresh, s.google_api_url) if refresh else "the file held no refresh token"
        path.unlink()
    if why:
        console.print(
            f"Signed out: {path} is deleted, but Google was not told ({why}). If fulfil is still "
            "listed at https://myaccount.google.com/permissions, remove it there.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(f"Signed out: Google revoked the sign-in and {path} is deleted.", highlight=False)


def doctor() -> None:
    """Check the Google credentials, the shared Drive folder, the CRM sheet and the form sheet;
    warn when the Prefect API answers without a password on an address other machines reach.

    One line per check, with how to fix each failure; exits non-zero when anything fails.
    """
    svc = get_services()
    s = svc.settings
    _warn_if_prefect_is_open()
    checks: list[tuple[str, list[str]]] = []
    if svc.google is None:
        console.print("Google is not configured (FULFIL_PROOF_STORE/CRM/SOURCE are local): nothing to check.")
        return
    from integrations.google.clients import (
        check_credentials,
        is_service_account_without_subject,
        service_account_email,
        signed_in_as,
    )

    credentials = None
    try:
        credentials = svc.google.credentials()
        who = service_account_email(credentials)
        bad = check_credentials(credentials, s.google_api_url)
        checks.append((f"credentials: signed in as {signed_in_as(credentials)}", [bad] if bad else []))
    except AdapterError as exc:
        checks.append(("credentials", [str(exc)]))
        who = "the service account"
    if checks[0][1]:
        # Every other check would fail the same way: say it once.
        _report(checks)
    if s.proof_store == "gdrive":
        problems = _fix(_checked(svc.proofs), who)
        if not problems:
            from integrations.gdrive.probe import probe_folder

            # Opening the folder is not making files in it: Google refuses a service account's
            # files outside a shared drive. Make a small file and remove it again.
            problems = probe_folder(
                svc.google.drive(),
                s.drive_folder_id,
                service_account=is_service_account_without_subject(credentials),
                policy=getattr(svc.proofs, "policy", None),
            )
        checks.append((f"Drive folder {s.drive_folder_id}", problems))
    if s.crm == "gsheet":
        checks.append(
            (f"CRM sheet {s.crm_spreadsheet_key} / {s.crm_worksheet}", _fix(_checked(svc.crm), who))
        )
    if s.source == "gsheet":
        form = svc.source()
        checks.append(
            (f"form sheet {s.form_spreadsheet_key} / {s.form_worksheet}", _fix(_checked(form), who))
        )
    _report(checks)


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine reaches a server there."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def answers_without_password(api_url: str, timeout: float = 3.0) -> bool:
    """Does the Prefect API serve a request that carries no Authorization header?

    Asks `/admin/version`: with PREFECT_SERVER_API_AUTH_STRING set it answers 401, while
    `/health` and `/ready` always answer (Prefect exempts them for probes). No answer is not a yes.
    """
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/admin/version", timeout=timeout) as answer:
            return 200 <= answer.status < 300
    except (OSError, ValueError):  # urllib.error.HTTPError (401 …) is an OSError too
        return False


def _warn_if_prefect_is_open() -> None:
    """One warning line when PREFECT_API_URL is not loopback and answers without a password."""
    from urllib.parse import urlsplit

    from prefect.settings import PREFECT_API_URL

    api_url = PREFECT_API_URL.value()
    if not api_url:
        return
    parts = urlsplit(api_url)
    if is_loopback(parts.hostname) or not answers_without_password(api_url):
        return
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # never a user:password
    console.print(
        f"[yellow]![/] Prefect API at {escape(shown)} answers without a password: set "
        "PREFECT_SERVER_API_AUTH_STRING on the server and PREFECT_API_AUTH_STRING on every client "
        '(README: "Production: the Prefect UI behind a password")',
        highlight=False,
        soft_wrap=True,
    )


def _checked(adapter: object) -> list[str]:
    """The adapter's own check; a local adapter has nothing to check."""
    return adapter.check() if isinstance(adapter, SelfChecking) else []


def _report(checks: list[tuple[str, list[str]]]) -> None:
    """One line per check; exit 1 when any failed."""
    failed = 0
    for name, problems in checks:
        if problems:
            failed += 1
            console.print(
                f"[red]✗[/] {escape(name)}: {escape('; '.join(problems))}", highlight=False, soft_wrap=True
            )
        else:
            console.print(f"[green]✓[/] {escape(name)}", highlight=False, soft_wrap=True)
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
    from fulfil.testing.world import build_world

    with FakeGoogle(port=port) as fake:
        world = build_world(fake, responses)
        console.print(f"fake Google at {fake.base_url}, signed in as {world.shop_user}", highlight=False)
        err_console.print("export these to point fulfil at it (Ctrl-C stops the fake):")
        for name, value in world.environment().items():
            shown = "'" + value.replace("'", "'\\''") + "'" if "\n" in value or " " in value else value
            console.print(f"export {name}={shown}", highlight=False, soft_wrap=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return
