"""Signing fulfil in to Google as the shop itself (OAuth, google-auth-oauthlib), the way a shop on
a personal Gmail account works: Google refuses a service account's files in a personal My Drive.

The shop makes an OAuth client of type "Desktop app" and gives fulfil its client_secret.json.
`fulfil google login` prints the consent address; the shop opens it on any computer, consents, and
the browser ends on http://127.0.0.1:<port>/?code=… ("cannot connect": nothing listens there).
Pasting that address back gives fulfil a refresh token, kept in FULFIL_HOME/google-token.json
(mode 0600) and never printed. FULFIL_GOOGLE_API_URL routes every Google host here to a stand-in.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest
from google_auth_oauthlib.flow import InstalledAppFlow

from integrations.google.clients import (
    DRIVE_SCOPES,
    GOOGLE_TOKEN_URI,
    SHEETS_SCOPES,
    TIMEOUT,
    _routed,
    _RoutedAdapter,
)
from integrations.ports import AdapterError

SCOPES = DRIVE_SCOPES + SHEETS_SCOPES
# Where the browser is sent after consent. Google lets a Desktop-app client use any loopback
# port; nothing needs to listen there in the headless way (the address is pasted back).
HEADLESS_REDIRECT = "http://127.0.0.1:8085/"
AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
REVOKE_URI = "https://oauth2.googleapis.com/revoke"
ABOUT_URI = "https://www.googleapis.com/drive/v3/about?fields=user(emailAddress)"
CLIENT_HELP = (
    "set FULFIL_GOOGLE_OAUTH_CLIENT_FILE to the client_secret.json of an OAuth client of type "
    "Desktop app (Google Cloud console → APIs & Services → Credentials)"
)


def client_config(client_file: Path | None = None, client_json: str | None = None) -> dict[str, Any]:
    """The shop's OAuth client, checked: it must be a Desktop-app ("installed") client."""
    if client_json:
        text, where = client_json, "FULFIL_GOOGLE_OAUTH_CLIENT_JSON"
    elif client_file:
        try:
            text = Path(client_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AdapterError(f"FULFIL_GOOGLE_OAUTH_CLIENT_FILE: {client_file} not found") from None
        where = f"FULFIL_GOOGLE_OAUTH_CLIENT_FILE ({client_file})"
    else:
        raise AdapterError(f"no OAuth client to sign in with: {CLIENT_HELP}")
    try:
        config = json.loads(text)
    except json.JSONDecodeError:
        raise AdapterError(f"{where} is not JSON: {CLIENT_HELP}") from None
    if not isinstance(config, dict) or "installed" not in config:
        kind = "a Web application client" if isinstance(config, dict) and "web" in config else "not one"
        raise AdapterError(f"{where} is {kind}: {CLIENT_HELP}")
    inner = config["installed"]
    if not isinstance(inner, dict) or not inner.get("client_id") or not inner.get("client_secret"):
        raise AdapterError(f"{where} lacks client_id or client_secret: {CLIENT_HELP}")
    return config


def _session(api_url: str) -> requests.Session:
    session = requests.Session()
    if api_url:
        session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    return session


class _Flow(InstalledAppFlow):
    """The consent address a browser opens: the stand-in's own when there is one."""

    api_url = ""

    def authorization_url(self, **kwargs: Any) -> tuple[str, str]:
        url, state = super().authorization_url(**kwargs)
        return (_routed(url, self.api_url) if self.api_url else url), state


class Login:
    """One sign-in: the consent address to open, then the address the browser ended on."""

    def __init__(
        self,
        config: dict[str, Any],
        *,
        api_url: str = "",
        redirect_uri: str = HEADLESS_REDIRECT,
        scopes: tuple[str, ...] = SCOPES,
    ) -> None:
        config = copy.deepcopy(config)
        self.api_url = api_url.rstrip("/")
        # Google's own endpoints (oauthlib wants https); a stand-in is reached by routing them.
        config["installed"]["auth_uri"] = AUTH_URI
        config["installed"]["token_uri"] = GOOGLE_TOKEN_URI
        self.flow = _Flow.from_client_config(config, scopes=list(scopes), redirect_uri=redirect_uri)
        self.flow.api_url = self.api_url
        if self.api_url:
            self.flow.oauth2session.mount("https://", _RoutedAdapter(self.api_url))
        self.state = ""

    def authorization_url(self) -> str:
        # offline: a refresh token; consent: a new one even when the shop consented before.
        url, self.state = self.flow.authorization_url(access_type="offline", prompt="consent")
        return str(url)

    def finish(self, pasted: str) -> Any:
        """Redeem the code in the address the browser ended on; the signed-in credentials."""
        text = pasted.strip()
        parts = urlsplit(text)
        query = parse_qs(parts.query or (text if "=" in text and "://" not in text else ""))
        if query.get("error"):
            raise AdapterError(f"Google did not sign fulfil in: {query['error'][0]}")
        code = (query.get("code") or [""])[0]
        if not code:
            raise AdapterError(
                "that address has no code=…: paste the whole address from the browser's address bar"
            )
        if (query.get("state") or [""])[0] != self.state:
            raise AdapterError("that address is from another sign-in (its state differs): start again")
        try:
            self.flow.fetch_token(code=code)
        except Exception as exc:  # oauthlib raises its own kinds; say it in one line
            raise AdapterError(f"Google refused the sign-in code ({type(exc).__name__}: {exc})") from None
        return self.flow.credentials

    def run_local_server(self, *, open_browser: bool) -> Any:
        """The browser way: a loopback server catches the redirect (this computer's browser)."""
        return self.flow.run_local_server(
            host="127.0.0.1",
            port=0,
            open_browser=open_browser,
            authorization_prompt_message="Open this address to sign fulfil in to Google:\n{url}",
            success_message="fulfil is signed in to Google. You may close this window.",
            access_type="offline",
            prompt="consent",
        )


def account_of(credentials: Any, api_url: str = "") -> str:
    """The signed-in user's email, as Drive says it (about.get)."""
    session = AuthorizedSession(credentials, auth_request=AuthRequest(_session(api_url)))
    if api_url:
        session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    try:
        answer = session.get(ABOUT_URI, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise AdapterError(f"Google cannot be reached ({type(exc).__name__})") from None
    if answer.status_code != 200:
        raise AdapterError(f"Google did not say who signed in (HTTP {answer.status_code})")
    return str(answer.json().get("user", {}).get("emailAddress") or "")


def save_token(path: Path, credentials: Any, account: str) -> None:
    """The refresh token and client, at `path`, readable by this user only (0600), replaced whole."""
    info = {
        "type": "authorized_user",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        "token_uri": credentials.token_uri,
        "scopes": list(credentials.granted_scopes or credentials.scopes or SCOPES),
        "account": account,
    }
    if not info["refresh_token"]:
        raise AdapterError("Google gave no refresh token: remove fulfil's access and sign in again")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps(info, indent=1).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def read_token(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


def revoke(refresh_token: str, api_url: str = "") -> str:
    """Ask Google to forget the sign-in; "" when it did, else why not, in words."""
    try:
        answer = _session(api_url).post(
            REVOKE_URI,
            data={"token": refresh_token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        return f"Google cannot be reached ({type(exc).__name__})"
    if answer.status_code == 200:
        return ""
    if answer.status_code == 400:
        return "Google no longer knew the sign-in (expired or revoked already)"
    return f"Google answered HTTP {answer.status_code}"
