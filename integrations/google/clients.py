"""Credentials and the real Google clients, optionally pointed at one stand-in base URL.

FULFIL_GOOGLE_API_URL replaces Google's hosts for Drive, Sheets and the token endpoint, so tests
and offline trials run the real client code against the loopback fake. The routing lives here
and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import gspread
import httplib2
import requests
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource, build_from_document
from requests.adapters import HTTPAdapter

from integrations.ports import AdapterError

# Why each scope: Drive to find, create and read the per-order folders inside the shared folder a
# person made (drive.file would only see files fulfil itself created); Sheets to read the form
# responses and write the CRM sheet.
DRIVE_SCOPES = ("https://www.googleapis.com/auth/drive",)
SHEETS_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# Hosts the clients call on their own, google-auth's access-boundary lookup (iamcredentials) too.
GOOGLE_HOSTS = (
    "https://www.googleapis.com",
    "https://sheets.googleapis.com",
    "https://iamcredentials.googleapis.com",
    "https://oauth2.googleapis.com",
)
_DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
TIMEOUT = 30


def load_credentials(
    *,
    key_file: Path | None = None,
    key_json: str | None = None,
    subject: str | None = None,
    scopes: tuple[str, ...] = DRIVE_SCOPES + SHEETS_SCOPES,
    api_url: str = "",
) -> Any:
    """A service-account key from a file or JSON text, else Application Default Credentials."""
    from google.oauth2 import service_account

    info: dict[str, Any] | None = None
    if key_json:
        try:
            info = json.loads(key_json)
        except json.JSONDecodeError:
            raise AdapterError("FULFIL_GOOGLE_CREDENTIALS_JSON is not valid JSON") from None
    elif key_file:
        try:
            info = json.loads(Path(key_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AdapterError(f"FULFIL_GOOGLE_CREDENTIALS_FILE: {key_file} not found") from None
        except json.JSONDecodeError:
            raise AdapterError(f"FULFIL_GOOGLE_CREDENTIALS_FILE: {key_file} is not a JSON key") from None
    if info is None:
        import google.auth

        try:
            credentials, _ = google.auth.default(scopes=list(scopes))
        except google.auth.exceptions.DefaultCredentialsError:
            raise AdapterError(
                "no Google credentials: set FULFIL_GOOGLE_CREDENTIALS_FILE to a service-account key"
            ) from None
        return credentials
    if api_url:
        info = {**info, "token_uri": api_url.rstrip("/") + "/token"}
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, KeyError) as exc:
        raise AdapterError(f"the Google service-account key is not usable ({exc})") from None
    return credentials.with_subject(subject) if subject else credentials


def service_account_email(credentials: Any) -> str:
    return getattr(credentials, "service_account_email", "") or "the service account"


def gspread_account_email(client: gspread.Client) -> str:
    """Whom to share a sheet with, read from the credentials gspread_client handed the client."""
    http = client.http_client
    credentials = getattr(http.session, "credentials", None) or getattr(http, "auth", None)
    return service_account_email(credentials)


def _routed(url: str, api_url: str) -> str:
    for host in GOOGLE_HOSTS:
        if url.startswith(host + "/"):
            return api_url + url[len(host) :]
    return url


class _RoutedAdapter(HTTPAdapter):
    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.url = _routed(request.url or "", self.api_url)
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
        return super().send(request, *args, **kwargs)


class _Http(httplib2.Http):
    """httplib2 as googleapiclient builds it (308 is a resumable-upload answer, not a redirect)."""

    def __init__(self, api_url: str = "") -> None:
        super().__init__(timeout=TIMEOUT)
        self.redirect_codes = self.redirect_codes - {308}
        self.api_url = api_url

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        moved = _routed(uri, self.api_url) if self.api_url else uri
        if moved != uri:
            # google-auth's boundary lookup runs on another thread; httplib2 is not thread-safe.
            return httplib2.Http(timeout=TIMEOUT).request(moved, method, *args, **kwargs)
        return super().request(uri, method, *args, **kwargs)


def google_api(name: str, version: str, credentials: Any, api_url: str = "") -> Resource:
    """googleapiclient from the bundled discovery document: no discovery call, uploads routed too."""
    doc = json.loads((_DISCOVERY / f"{name}.{version}.json").read_text(encoding="utf-8"))
    if api_url:
        base = api_url.rstrip("/") + "/"
        doc["rootUrl"] = doc["mtlsRootUrl"] = base
        doc["baseUrl"] = base + doc["servicePath"]
    http = AuthorizedHttp(credentials, http=_Http(api_url.rstrip("/")))
    return build_from_document(doc, http=http)


def gspread_client(credentials: Any, api_url: str = "") -> gspread.Client:
    """gspread (which copies its https URLs at import) with its sessions routed when asked to."""
    auth_session = requests.Session()
    if api_url:
        auth_session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    session = AuthorizedSession(credentials, auth_request=AuthRequest(auth_session))
    if api_url:
        session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    client = gspread.Client(auth=credentials, session=session)
    # gspread waits for ever by default: a stalled connection must end so retries can run.
    client.set_timeout(TIMEOUT)
    return client


def check_credentials(credentials: Any, api_url: str = "") -> str:
    """Fetch a token now; return what is wrong in words, or "" when the key works."""
    import google.auth.exceptions

    session = requests.Session()
    if api_url:
        session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    try:
        credentials.refresh(AuthRequest(session))
    except google.auth.exceptions.RefreshError as exc:
        why = exc.args[0] if exc.args else exc
        return f"the key was refused ({why}); create a new key for the service account"
    except (requests.ConnectionError, google.auth.exceptions.TransportError) as exc:
        return f"the token endpoint cannot be reached ({type(exc).__name__})"
    return ""
