"""Identity: tokens, principals and scopes, and Google's OAuth endpoints (token, consent, revoke)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from fulfil.testing.fake_google.wire import GoogleError, _json_reply, _OAuthError, _Reply, _Request

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Who signs in through the fake's consent screen and makes files "in the browser" by default.
SHOP_USER = "toko.nusantara@gmail.com"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
# Google's own words (2025 on) for a file a service account would own outside a shared drive.
STORAGE_QUOTA_MESSAGE = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), "
    "or use OAuth delegation (http://support.google.com/a/answer/7281227) instead."
)
# Apps in "Testing" publishing status: Google expires their users' refresh tokens after 7 days.
TESTING_REFRESH_TOKEN_LIFETIME = 7 * 24 * 3600
# The consent screen (accounts.google.com/o/oauth2/auth, an OAuth client's "auth_uri").
AUTH_PATH = "/o/oauth2/auth"
# The shop's OAuth client (type Desktop app) the fake knows; `oauth_client_config()` gives its JSON.
OAUTH_CLIENT_ID = "123456789012-fulfil.apps.googleusercontent.com"
OAUTH_CLIENT_SECRET = "GOCSPX-fake-client-secret"

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
# Addresses that are Google accounts whatever the test says: consumer Gmail, and service accounts.
_GOOGLE_DOMAINS = ("gmail.com", "googlemail.com")
_SERVICE_ACCOUNT_SUFFIX = ".gserviceaccount.com"


@dataclass(frozen=True)
class Principal:
    """Who an access token acts as: a service account (no `sub`) or a user (its own sign-in, or a
    service account impersonating it by domain-wide delegation)."""

    kind: str  # "service_account" | "user"
    email: str
    scopes: frozenset[str]


@dataclass
class _RefreshGrant:
    email: str
    scopes: frozenset[str]
    client_id: str
    issued: float
    revoked: bool = False
    expired: bool = False


@dataclass
class _AuthCode:
    email: str
    scopes: frozenset[str]
    client_id: str
    redirect_uri: str
    challenge: str | None
    challenge_method: str


# What each API accepts: scopes that allow any call, and those that allow reads (GET) only.
_API_SCOPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "drive": (
        frozenset({DRIVE_SCOPE, DRIVE_SCOPE + ".file"}),
        frozenset({DRIVE_SCOPE + ".readonly", DRIVE_SCOPE + ".metadata.readonly"}),
    ),
    "sheets": (
        frozenset({SHEETS_SCOPE, DRIVE_SCOPE, DRIVE_SCOPE + ".file"}),
        frozenset({SHEETS_SCOPE + ".readonly", DRIVE_SCOPE + ".readonly"}),
    ),
}


class AuthMixin:
    """FakeGoogle's identity half: who each token is, and the OAuth endpoints that hand tokens out."""

    _lock: threading.RLock
    _clock: Callable[[], float]
    grants: list[dict[str, Any]]
    _token_count: int
    _revoked: set[str]
    _principals: dict[str, Principal]
    _refresh_grants: dict[str, _RefreshGrant]
    _refresh_of: dict[str, str]
    _codes: dict[str, _AuthCode]
    _oauth_clients: dict[str, str]
    _caller: Principal | None
    browser_user: str
    publishing_status: str

    def revoke_tokens(self) -> None:
        """Every access token issued so far now answers 401, as after a revocation or expiry."""
        with self._lock:
            self._revoked.update(f"ya29.fake-{n}" for n in range(1, self._token_count + 1))

    # --- identity helpers ---

    def set_browser_user(self, email: str) -> None:
        """Who is signed in to the browser: consents at the auth endpoint, owns helper-made files."""
        with self._lock:
            self.browser_user = email

    def issue_token(
        self,
        email: str | None = None,
        *,
        kind: str = "user",
        scopes: Sequence[str] = (DRIVE_SCOPE, SHEETS_SCOPE),
    ) -> str:
        """An access token for raw-HTTP tests, as if `email` had signed in with `scopes`."""
        if kind not in ("user", "service_account"):
            raise ValueError(f"kind must be 'user' or 'service_account', not {kind!r}")
        with self._lock:
            return self._new_access_token(Principal(kind, email or self.browser_user, frozenset(scopes)))

    def principal(self, access_token: str) -> Principal | None:
        with self._lock:
            return self._principals.get(access_token)

    def oauth_client_config(self) -> dict[str, Any]:
        """The client_secret.json of the shop's OAuth client (Desktop app), as Google's console
        gives it: Google's real endpoints, which the client code routes to the fake."""
        return {
            "installed": {
                "client_id": OAUTH_CLIENT_ID,
                "project_id": "toko-test",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": "https://oauth2.googleapis.com/token",
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
                "client_secret": OAUTH_CLIENT_SECRET,
                "redirect_uris": ["http://localhost"],
            }
        }

    def authorized_user_info(
        self, email: str | None = None, *, scopes: Sequence[str] = (DRIVE_SCOPE, SHEETS_SCOPE)
    ) -> dict[str, Any]:
        """What `fulfil google login` stores after `email` consented: an authorized-user JSON
        (google-auth's format) holding a refresh token the fake issued."""
        with self._lock:
            who = email or self.browser_user
            refresh = self._new_refresh_token(who, frozenset(scopes), OAUTH_CLIENT_ID)
        return {
            "type": "authorized_user",
            "client_id": OAUTH_CLIENT_ID,
            "client_secret": OAUTH_CLIENT_SECRET,
            "refresh_token": refresh,
            "token_uri": "https://oauth2.googleapis.com/token",
            "scopes": list(scopes),
            "account": who,
        }

    def expire_refresh_tokens(self) -> None:
        """What Google does 7 days on to an app left in "Testing": its refresh tokens stop working."""
        with self._lock:
            for grant in self._refresh_grants.values():
                grant.expired = True

    def revoked_refresh_tokens(self) -> int:
        with self._lock:
            return sum(1 for g in self._refresh_grants.values() if g.revoked)

    def add_google_account(self, email: str) -> None:
        """`email` has a Google account (a Workspace or "existing email" one): Drive shares with it
        without an invitation. Every @gmail.com / @googlemail.com address, every service account
        and every user the fake has seen (the browser's, the tokens') has one already."""
        with self._lock:
            self._added_accounts().add(email.strip().lower())

    def _added_accounts(self) -> set[str]:
        # Made on first use: the fake's constructor (server.py) predates accounts.
        accounts: set[str] = vars(self).setdefault("_google_accounts", set())
        return accounts

    def _has_google_account(self, email: str) -> bool:
        who = email.strip().lower()
        domain = who.rpartition("@")[2]
        if domain in _GOOGLE_DOMAINS or domain.endswith(_SERVICE_ACCOUNT_SUFFIX):
            return True
        known = {SHOP_USER, self.browser_user, *(p.email for p in self._principals.values())}
        known.update(g.email for g in self._refresh_grants.values())
        return who in {k.lower() for k in known} or who in self._added_accounts()

    # --- identity: tokens, consent, revocation ---

    def _new_access_token(self, principal: Principal, refresh_token: str | None = None) -> str:
        self._token_count += 1
        token = f"ya29.fake-{self._token_count}"
        self._principals[token] = principal
        if refresh_token:
            self._refresh_of[token] = refresh_token
        return token

    def _new_refresh_token(self, email: str, scopes: frozenset[str], client_id: str) -> str:
        token = f"1//fake-refresh-{len(self._refresh_grants) + 1}-{self._random_token()}"
        self._refresh_grants[token] = _RefreshGrant(email, scopes, client_id, self._clock())
        return token

    def _random_token(self) -> str:
        # Not from the seeded ID sequence: issuing tokens must not change the file IDs a test sees.
        return "".join(random.choice(_ID_ALPHABET) for _ in range(24))

    def _client(self, req: _Request, form: Mapping[str, list[str]]) -> str:
        """The OAuth client, from the form or HTTP Basic (requests-oauthlib's way)."""
        client_id = (form.get("client_id") or [""])[0]
        secret = (form.get("client_secret") or [""])[0]
        scheme, _, basic = (req.header("Authorization") or "").partition(" ")
        if scheme.lower() == "basic" and basic:
            try:
                pair = base64.b64decode(basic).decode("utf-8")
            except ValueError:
                raise _OAuthError(401, "invalid_client", "Unauthorized") from None
            client_id, _, secret = (unquote(x) for x in pair.partition(":"))
        if client_id not in self._oauth_clients:
            raise _OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if secret != self._oauth_clients[client_id]:
            raise _OAuthError(401, "invalid_client", "Unauthorized")
        return client_id

    def _token(self, req: _Request) -> _Reply:
        if req.method != "POST":
            raise GoogleError(405, "Use POST")
        form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        grant = (form.get("grant_type") or [""])[0]
        refresh: str | None = None
        body: dict[str, Any] = {}
        if grant == JWT_GRANT:
            principal = self._jwt_principal((form.get("assertion") or [""])[0])
        elif grant == "refresh_token":
            refresh = (form.get("refresh_token") or [""])[0]
            if not refresh:
                raise GoogleError(400, "Missing required parameter: refresh_token")
            client_id = self._client(req, form)
            held = self._refresh_grants.get(refresh)
            if held is not None and self.publishing_status == "testing":
                held.expired = held.expired or self._clock() - held.issued > TESTING_REFRESH_TOKEN_LIFETIME
            if held is None or held.revoked or held.expired:
                raise _OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            if held.client_id != client_id:
                raise _OAuthError(400, "unauthorized_client", "Unauthorized")
            asked = frozenset((form.get("scope") or [""])[0].split())
            if not asked <= held.scopes:
                raise _OAuthError(400, "invalid_scope", "Bad Request")
            principal = Principal("user", held.email, asked or held.scopes)
            body["scope"] = " ".join(sorted(held.scopes))
        elif grant == "authorization_code":
            principal, refresh = self._redeem_code(req, form)
            body["refresh_token"] = refresh
            body["scope"] = " ".join(sorted(principal.scopes))
        else:
            raise _OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        token = self._new_access_token(principal, refresh)
        return _json_reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer", **body})

    def _jwt_principal(self, assertion: str) -> Principal:
        """A service account's signed JWT: `iss` is the account, `scope` what it asks for, `sub`
        the user it acts as under domain-wide delegation. (The fake cannot check the signature.)"""
        if not assertion:
            raise GoogleError(400, "Missing required parameter: assertion")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise _OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe",
            )
        try:
            padded = parts[1] + "=" * (-len(parts[1]) % 4)
            claims = json.loads(base64.urlsafe_b64decode(padded))
        except ValueError:
            claims = None
        self.grants.append(claims if isinstance(claims, dict) else {})
        if not isinstance(claims, dict) or not claims.get("iss"):
            raise _OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise _OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        if claims.get("sub"):
            return Principal("user", str(claims["sub"]), scopes)
        return Principal("service_account", str(claims["iss"]), scopes)

    def _redeem_code(self, req: _Request, form: Mapping[str, list[str]]) -> tuple[Principal, str]:
        client_id = self._client(req, form)
        code = self._codes.pop((form.get("code") or [""])[0], None)  # a code is good once
        if code is None:
            raise _OAuthError(400, "invalid_grant", "Malformed auth code.")
        if code.client_id != client_id:
            raise _OAuthError(400, "invalid_grant", "Unauthorized")
        if (form.get("redirect_uri") or [""])[0] != code.redirect_uri:
            raise _OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = (form.get("code_verifier") or [""])[0]
            if not verifier:
                raise _OAuthError(400, "invalid_grant", "Missing code verifier.")
            if code.challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if computed != code.challenge:
                raise _OAuthError(400, "invalid_grant", "Invalid code verifier.")
        refresh = self._new_refresh_token(code.email, code.scopes, client_id)
        return Principal("user", code.email, code.scopes), refresh

    def _consent(self, req: _Request) -> _Reply:
        """The consent screen, answered at once by the browser's signed-in user: a 302 to the
        redirect URI with a code and the state, as Google sends after "Continue"."""
        if req.method != "GET":
            raise GoogleError(405, "Use GET")

        def page(status: int, text: str) -> _Reply:
            return _Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")

        client_id = req.arg("client_id") or ""
        redirect = req.arg("redirect_uri") or ""
        if client_id not in self._oauth_clients:
            return page(401, "Access blocked: Authorization Error\nError 401: invalid_client")
        loopback = urlsplit(redirect)
        if loopback.scheme != "http" or loopback.hostname not in ("127.0.0.1", "localhost", "::1"):
            return page(
                400, "Access blocked: This app's request is invalid\nError 400: redirect_uri_mismatch"
            )
        if req.arg("response_type") != "code":
            return page(400, "Error 400: invalid_request\nresponse_type must be code")
        scopes = frozenset((req.arg("scope") or "").split())
        if not scopes:
            return page(400, "Error 400: invalid_request\nMissing required parameter: scope")
        method = req.arg("code_challenge_method") or "plain"
        challenge = req.arg("code_challenge")
        if challenge is not None and method not in ("S256", "plain"):
            return page(400, "Error 400: invalid_request\nInvalid code_challenge_method")
        code = f"4/fake-code-{self._random_token()}"
        self._codes[code] = _AuthCode(self.browser_user, scopes, client_id, redirect, challenge, method)
        answer = {"code": code, "scope": " ".join(sorted(scopes)), "authuser": "0", "prompt": "consent"}
        if req.arg("state") is not None:
            answer = {"state": req.arg("state") or "", **answer}
        glue = "&" if loopback.query else "?"
        return _Reply(302, b"", None, {"Location": redirect + glue + urlencode(answer)})

    def _revoke(self, req: _Request) -> _Reply:
        """POST /revoke token=…: a refresh token and every access token made from it, or one
        access token (and the refresh token behind it) stop working."""
        if req.method != "POST":
            raise GoogleError(405, "Use POST")
        form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        token = (form.get("token") or [req.arg("token") or ""])[0]
        refresh = token if token in self._refresh_grants else self._refresh_of.get(token)
        if refresh is None and token not in self._principals:
            raise _OAuthError(400, "invalid_token", "Bad Request")
        if token in self._principals:
            self._revoked.add(token)
        if refresh is not None:
            self._refresh_grants[refresh].revoked = True
            self._revoked.update(t for t, r in self._refresh_of.items() if r == refresh)
        return _json_reply(200, {})

    def _authorize(self, req: _Request, api: str) -> Principal:
        header = req.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GoogleError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                reason="required",
                location="Authorization",
                location_type="header",
            )
        principal = self._principals.get(token.strip())
        if principal is None or token.strip() in self._revoked:
            # A token the fake never issued, or one revoked since: Google's answer to either.
            raise GoogleError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                reason="authError",
                location="Authorization",
                location_type="header",
            )
        any_call, reads = _API_SCOPES[api]
        allowed = any_call | (reads if req.method in ("GET", "HEAD") else frozenset())
        if not principal.scopes & allowed:
            raise GoogleError(
                403,
                "Request had insufficient authentication scopes.",
                reason="insufficientPermissions",
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                    f'error="insufficient_scope", scope="{" ".join(sorted(any_call))}"'
                },
            )
        return principal

    def _me(self) -> str:
        """The email of whoever is asking: the request's principal, or the browser's user."""
        return self._caller.email if self._caller is not None else self.browser_user

    def _owner_of_new_file(self, drive_id: str | None) -> str | None:
        """Who will own a file made now; a service account may own none outside a shared drive."""
        if drive_id:
            return None
        if self._caller is not None and self._caller.kind == "service_account":
            raise GoogleError(403, STORAGE_QUOTA_MESSAGE, reason="storageQuotaExceeded")
        return self._me()
