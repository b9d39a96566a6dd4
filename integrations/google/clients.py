"""Credentials and the real Google clients, optionally pointed at one stand-in base URL.

FULFIL_GOOGLE_API_URL replaces Google's hosts for Drive, Sheets and the OAuth endpoints, so tests
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
    "https://accounts.google.com",  # the consent page `fulfil google login` sends the shop to
)
_DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
TIMEOUT = 30


# Where `fulfil google login` keeps the shop's sign-in, inside FULFIL_HOME (mode 0600).
TOKEN_FILE_NAME = "google-token.json"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# One line for a refresh token Google no longer honours (invalid_grant).
SIGN_IN_EXPIRED = (
    "the Google sign-in has expired or was revoked (apps left in 'Testing' lose it after 7 days): "
    "run `fulfil google login` again"
)


def load_credentials(
    *,
    key_file: Path | None = None,
    key_json: str | None = None,
    subject: str | None = None,
    scopes: tuple[str, ...] = DRIVE_SCOPES + SHEETS_SCOPES,
    api_url: str = "",
    token_file: Path | None = None,
) -> Any:
    """In this order: a key given as a file or JSON text (a service-account key, or an
    authorized-user JSON such as `fulfil google login` stores), the stored sign-in in
    `token_file`, Application Default Credentials."""
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
    elif token_file is not None and token_file.is_file():
        try:
            info = json.loads(token_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise AdapterError(
                f"{token_file} is not a stored sign-in: run `fulfil google login` again"
            ) from None
        if not isinstance(info, dict) or info.get("type") != "authorized_user":
            raise AdapterError(f"{token_file} is not a stored sign-in: run `fulfil google login` again")
    if info is None:
        import google.auth

        try:
            credentials, _ = google.auth.default(scopes=list(scopes))
        except google.auth.exceptions.DefaultCredentialsError:
            raise AdapterError(
                "no Google credentials: sign in as the shop with `fulfil google login`, or set "
                "FULFIL_GOOGLE_CREDENTIALS_FILE to a service-account key"
            ) from None
        return credentials
    if not isinstance(info, dict):
        raise AdapterError("the Google credentials are not a JSON object")
    if info.get("type") == "authorized_user":
        return user_credentials(info, api_url)
    if api_url:
        info = {**info, "token_uri": api_url.rstrip("/") + "/token"}
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, KeyError) as exc:
        raise AdapterError(f"the Google service-account key is not usable ({exc})") from None
    return credentials.with_subject(subject) if subject else credentials


def user_credentials(info: dict[str, Any], api_url: str = "") -> Any:
    """The shop's own sign-in (google-auth's authorized-user JSON): refreshed with its refresh
    token at the token endpoint, routed to the stand-in when `api_url` is set."""
    from google.oauth2.credentials import Credentials

    missing = sorted({"refresh_token", "client_id", "client_secret"} - set(info))
    if missing:
        raise AdapterError(
            f"the stored Google sign-in lacks {', '.join(missing)}: run `fulfil google login` again"
        )
    scopes = info.get("scopes")
    return Credentials(
        token=None,
        refresh_token=info["refresh_token"],
        token_uri=api_url.rstrip("/") + "/token" if api_url else info.get("token_uri") or GOOGLE_TOKEN_URI,
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=scopes.split() if isinstance(scopes, str) else scopes,
        account=str(info.get("account") or ""),
    )


def is_user(credentials: Any) -> bool:
    """A person's sign-in (OAuth), not a service account."""
    from google.oauth2.credentials import Credentials

    return isinstance(credentials, Credentials)


def service_account_email(credentials: Any) -> str:
    """Whom Google sees: the signed-in user, the user a service account acts for (delegation), or
    the service account itself."""
    if is_user(credentials):
        return str(getattr(credentials, "account", "") or "the signed-in Google user")
    subject = getattr(credentials, "_subject", None)
    if subject:
        return str(subject)
    return getattr(credentials, "service_account_email", "") or "the service account"


def signed_in_as(credentials: Any) -> str:
    """Who fulfil is signed in as, in words: "toko@gmail.com (signed in with `fulfil google
    login`)", or "service account x@y.iam.gserviceaccount.com" (acting as a user when delegated)."""
    if is_user(credentials):
        return f"{service_account_email(credentials)} (signed in with `fulfil google login`)"
    sa = getattr(credentials, "service_account_email", "") or "unknown"
    subject = getattr(credentials, "_subject", None)
    if subject:
        return f"{subject} (through service account {sa}, domain-wide delegation)"
    if hasattr(credentials, "service_account_email"):
        return f"service account {sa}"
    return "Application Default Credentials"


def is_service_account_without_subject(credentials: Any) -> bool:
    """A service account acting as itself: it may own no file outside a shared drive."""
    return bool(getattr(credentials, "service_account_email", "")) and not getattr(
        credentials, "_subject", None
    )


def explain_refresh_error(exc: BaseException) -> str | None:
    """The one line for a refresh Google refused because the sign-in is gone (invalid_grant on a
    refresh token), or None. retry.py's _explain and `fulfil doctor` both say it this way."""
    import google.auth.exceptions

    if not isinstance(exc, google.auth.exceptions.RefreshError):
        return None
    text = " ".join(str(a) for a in exc.args)
    if "invalid_grant" in text and ("expired" in text.lower() or "revoked" in text.lower()):
        return SIGN_IN_EXPIRED
    return None


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
        self.redirect_codes: frozenset[int] = frozenset(self.redirect_codes) - {308}
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
    """Fetch a token now; return what is wrong in words, or "" when the credentials work."""
    import google.auth.exceptions

    session = requests.Session()
    if api_url:
        session.mount("https://", _RoutedAdapter(api_url.rstrip("/")))
    try:
        credentials.refresh(AuthRequest(session))
    except google.auth.exceptions.RefreshError as exc:
        expired = explain_refresh_error(exc)
        if expired:
            return expired
        why = exc.args[0] if exc.args else exc
        if is_user(credentials):
            return f"the Google sign-in was refused ({why}); run `fulfil google login` again"
        return f"the key was refused ({why}); create a new key for the service account"
    except (requests.ConnectionError, google.auth.exceptions.TransportError) as exc:
        return f"the token endpoint cannot be reached ({type(exc).__name__})"
    return ""
