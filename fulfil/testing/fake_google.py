"""A loopback fake of Google's OAuth token, Drive v3 and Sheets v4 REST APIs.

It speaks the wire shapes the real clients send (google-api-python-client, gspread, google-auth),
so the project's Google adapters run unchanged against it. State lives in memory behind one lock;
tests arrange it through helpers that act like a person using Drive and Sheets in a browser, and
provoke failures with `inject`. Stdlib only.

Identity is as strict as Google's: only access tokens the fake issued are accepted (401 otherwise),
each acts as a principal (a service account from the JWT grant, or a user: the refresh-token and
authorization-code grants, the consent screen at /o/oauth2/auth answered by `browser_user`, or a
service account with `sub`) within its scopes (403 insufficientPermissions otherwise). Files get
an owner, and a service account may own none outside a shared drive (403 storageQuotaExceeded).
Raw-HTTP tests take a token from `issue_token()`; `authorized_user_info()` is a stored sign-in.

    with FakeGoogle() as fake:
        folder = fake.add_folder("Proofs")
        ...  # point a client's rootUrl / transport at fake.base_url

Run it in the foreground with `python -m fulfil.testing.fake_google --port 8765`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import hashlib
import json
import random
import re
import socket
import string
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

FOLDER_MIME = "application/vnd.google-apps.folder"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
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
# What a formula's computed value reads as when the fake cannot evaluate it (only HYPERLINK is).
UNEVALUATED = "#FORMULA"

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Rate Limit Exceeded",
    500: "Internal Error",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline Exceeded",
}
_DEFAULT_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}
_USAGE_LIMIT_REASONS = {
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "dailyLimitExceeded",
    "quotaExceeded",
    "storageQuotaExceeded",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Field names of Drive's File resource (from the v3 discovery document): a `fields` mask naming
# anything else is answered 400 like Google does. Fields the fake does not model are just absent.
_DRIVE_FILE_FIELDS = _words(
    """
    appProperties capabilities clientEncryptionDetails contentHints contentRestrictions
    copyRequiresWriterPermission createdTime description downloadRestrictions driveId
    explicitlyTrashed exportLinks fileExtension folderColorRgb fullFileExtension
    hasAugmentedPermissions hasThumbnail headRevisionId iconLink id imageMediaMetadata
    inheritedPermissionsDisabled isAppAuthorized kind labelInfo lastModifyingUser linkShareMetadata
    md5Checksum mimeType modifiedByMe modifiedByMeTime modifiedTime name originalFilename ownedByMe
    owners parents permissionIds permissions properties quotaBytesUsed resourceKey sha1Checksum
    sha256Checksum shared sharedWithMeTime sharingUser shortcutDetails size spaces starred
    teamDriveId thumbnailLink thumbnailVersion trashed trashedTime trashingUser version
    videoMediaMetadata viewedByMe viewedByMeTime viewersCanCopyContent webContentLink webViewLink
    writersCanShare
    """
)
_PERMISSION_FIELDS = _words(
    """
    allowFileDiscovery deleted displayName domain emailAddress expirationTime id
    inheritedPermissionsDisabled kind pendingOwner permissionDetails photoLink role
    teamDrivePermissionDetails type view
    """
)
_Schema = Mapping[str, Any]  # field name -> sub-schema, or None for a leaf taken whole
_FILE_SCHEMA: _Schema = dict.fromkeys(_DRIVE_FILE_FIELDS)
_FILE_LIST_SCHEMA: _Schema = {
    "kind": None,
    "nextPageToken": None,
    "incompleteSearch": None,
    "files": _FILE_SCHEMA,
}
_CHANGE_SCHEMA: _Schema = {
    **dict.fromkeys(["kind", "removed", "fileId", "time", "driveId", "type", "teamDriveId", "changeType"]),
    **dict.fromkeys(["drive", "teamDrive"]),
    "file": _FILE_SCHEMA,
}
_CHANGE_LIST_SCHEMA: _Schema = {
    "kind": None,
    "nextPageToken": None,
    "newStartPageToken": None,
    "changes": _CHANGE_SCHEMA,
}
_PERMISSION_SCHEMA: _Schema = dict.fromkeys(_PERMISSION_FIELDS)
_PERMISSION_LIST_SCHEMA: _Schema = {"kind": None, "nextPageToken": None, "permissions": _PERMISSION_SCHEMA}

# What Drive answers when the request names no `fields`.
_DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
_DEFAULT_LIST_FIELDS = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"
_DEFAULT_CHANGES_FIELDS = (
    "kind,nextPageToken,newStartPageToken,"
    "changes(kind,type,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType))"
)
_DEFAULT_PERMISSION_FIELDS = "kind,id,type,role"

_CREATE_WRITABLE = _words(
    """
    name mimeType parents description appProperties properties createdTime modifiedTime starred
    originalFilename id contentHints folderColorRgb writersCanShare copyRequiresWriterPermission
    viewersCanCopyContent kind
    """
)
_UPDATE_WRITABLE = _words(
    """
    name mimeType description appProperties properties trashed starred modifiedTime originalFilename
    contentHints folderColorRgb writersCanShare copyRequiresWriterPermission viewersCanCopyContent
    kind
    """
)
_PERMISSION_ROLES = frozenset({"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"})
_PERMISSION_TYPES = frozenset({"user", "group", "domain", "anyone"})


# ---------------------------------------------------------------------------------------------
# Public records


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (or dropped: status 0)."""

    method: str
    path: str  # percent-decoded: /v4/spreadsheets/<id>/values/'Orders'!A1
    query: dict[str, list[str]]
    status: int
    api: str  # "drive" | "sheets" | "oauth" | "other"
    time: float
    fault: bool = False


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (what USER_ENTERED makes of a string starting with "=")."""

    text: str

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------------------------------------
# Internal plumbing


class GoogleError(Exception):
    """An error answered in Google's JSON shape."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        reason: str | None = None,
        location: str | None = None,
        location_type: str = "parameter",
        status: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or _DEFAULT_MESSAGES.get(code, "Error")
        super().__init__(f"{code} {self.message}")
        self.reason = reason or _DEFAULT_REASONS.get(code, "error")
        self.location = location
        self.location_type = location_type
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        self.headers = dict(headers or {})

    def reply(self, api: str) -> _Reply:
        if api == "oauth":
            oauth = {400: "invalid_request", 401: "invalid_client", 403: "access_denied"}
            body: dict[str, Any] = {
                "error": oauth.get(self.code, "internal_failure" if self.code >= 500 else "invalid_request"),
                "error_description": self.message,
            }
            return _json_reply(self.code, body, self.headers)
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if api == "drive":
            detail: dict[str, Any] = {
                "message": self.message,
                "domain": "usageLimits" if self.reason in _USAGE_LIMIT_REASONS else "global",
                "reason": self.reason,
            }
            if self.location:
                detail["location"] = self.location
                detail["locationType"] = self.location_type
            error["errors"] = [detail]
        elif api == "sheets" and self.reason in _USAGE_LIMIT_REASONS:
            # Sheets names a usage limit in an ErrorInfo detail (e.g. RATE_LIMIT_EXCEEDED).
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.reason).upper()
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": snake,
                    "domain": "googleapis.com",
                    "metadata": {"service": "sheets.googleapis.com"},
                }
            ]
        headers = dict(self.headers)
        if self.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')
        return _json_reply(self.code, {"error": error}, headers)


class _SheetsQuotaError(GoogleError):
    """Sheets' answer over its per-minute per-user quota, as Google words it."""

    def __init__(self, metric: str, limit: int) -> None:
        super().__init__(
            429,
            f"Quota exceeded for quota metric '{metric} requests' and limit '{metric} requests per "
            "minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:1'.",
        )
        self.metric = metric
        self.limit = limit

    def reply(self, api: str) -> _Reply:
        reply = super().reply(api)
        body = json.loads(reply.body)
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_limit": f"{self.metric}RequestsPerMinutePerUser",
                    "quota_metric": f"sheets.googleapis.com/{self.metric.lower()}_requests",
                    "quota_location": "global",
                    "quota_limit_value": str(self.limit),
                    "consumer": "projects/1",
                    "service": "sheets.googleapis.com",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ]
        return _json_reply(reply.status, body, reply.headers)


def _invalid(location: str, message: str | None = None) -> GoogleError:
    return GoogleError(400, message or f"Invalid Value: {location}", reason="invalid", location=location)


class _OAuthError(GoogleError):
    """An OAuth endpoint's error: {"error": <code word>, "error_description": ...}."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(code, description)
        self.error = error

    def reply(self, api: str) -> _Reply:
        return _json_reply(self.code, {"error": self.error, "error_description": self.message})


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


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> _Reply:
    body = json.dumps(obj, indent=1).encode("utf-8")
    return _Reply(status, body, "application/json; charset=UTF-8", dict(headers or {}))


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    origin: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() in ("true", "1")

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise GoogleError(400, f"Invalid JSON payload received. {exc}", reason="parseError") from exc
        if not isinstance(data, dict):
            raise GoogleError(400, "Invalid JSON payload received. Expected an object.", reason="parseError")
        return data


@dataclass
class _Fault:
    route: str
    pattern: re.Pattern[str] | None
    status: int | None
    times: int | None
    rate: float | None
    retry_after: float | None
    delay: float
    drop: bool
    reason: str | None
    lose_answer: bool = False  # apply the request, then hang up without answering

    def matches(self, keys: Sequence[str]) -> bool:
        if self.route in ("*", ""):
            return True
        return any(
            self.route in key or (self.pattern is not None and self.pattern.search(key) is not None)
            for key in keys
        )


@dataclass
class _File:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: float
    modified: float
    seq: int
    content: bytes | None = None
    description: str = ""
    app_properties: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    trashed: bool = False
    explicitly_trashed: bool = False
    trashed_time: float | None = None
    drive_id: str | None = None
    version: int = 1
    starred: bool = False
    original_filename: str | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None  # an email; None in a shared drive (the drive owns its files)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME


@dataclass
class _Change:
    number: int
    file_id: str
    time: float
    removed: bool
    drive_id: str | None


@dataclass
class _Upload:
    id: str
    file_id: str | None  # None: the upload creates a file
    metadata: dict[str, Any]
    mime_type: str | None
    total: int | None
    query: dict[str, list[str]]
    data: bytearray = field(default_factory=bytearray)


@dataclass
class _Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    cells: list[list[Any]] = field(default_factory=list)

    def get(self, r: int, c: int) -> Any:
        if r < len(self.cells) and c < len(self.cells[r]):
            return self.cells[r][c]
        return None

    def set(self, r: int, c: int, value: Any) -> None:
        while len(self.cells) <= r:
            self.cells.append([])
        row = self.cells[r]
        if value is None and c >= len(row):
            return
        while len(row) <= c:
            row.append(None)
        row[c] = value

    def insert_rows(self, at: int, count: int) -> None:
        if at < len(self.cells):
            self.cells[at:at] = [[] for _ in range(count)]
        self.rows += count

    def insert(self, dimension: str, at: int, count: int) -> None:
        if dimension == "COLUMNS":
            for row in self.cells:
                if at < len(row):
                    row[at:at] = [None] * count
            self.cols += count
        else:
            self.insert_rows(at, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        limit = self.cols if dimension == "COLUMNS" else self.rows
        if end > limit:
            raise GoogleError(400, f"Invalid request: index {end} is beyond the grid ({limit}).")
        if end - start >= limit:
            what = "columns" if dimension == "COLUMNS" else "rows"
            raise GoogleError(400, f"Invalid request: You can't delete all the {what} on the sheet.")
        if dimension == "COLUMNS":
            for row in self.cells:
                del row[start:end]
            self.cols -= end - start
        else:
            del self.cells[start:end]
            self.rows -= end - start

    def properties(self) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.rows, "columnCount": self.cols},
        }


@dataclass
class _Spreadsheet:
    id: str
    title: str
    sheets: list[_Sheet]
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"

    def sheet(self, title: str) -> _Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        return None

    def reindex(self) -> None:
        self.sheets.sort(key=lambda s: s.index)
        for i, sheet in enumerate(self.sheets):
            sheet.index = i


# ---------------------------------------------------------------------------------------------
# Small helpers: time, fields masks, Drive `q`, A1 ranges, cell values


def _rfc3339(t: float) -> str:
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value: str | datetime | float | int) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _invalid("time", f"Invalid Value: not an RFC 3339 time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


_FIELDS_TOKEN = re.compile(r"\s*([^\s(),/.]+|[(),/.])")


def _parse_fields(spec: str) -> dict[str, Any] | None:
    """A `fields` mask as a tree: {name: subtree}, a subtree of None meaning "all of it"."""
    spec = spec.strip()
    if not spec or spec == "*":
        return None
    tokens = _FIELDS_TOKEN.findall(spec)
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        tree: dict[str, Any] = {}
        while True:
            if pos >= len(tokens) or tokens[pos] in "(),/.":
                raise _invalid("fields", f"Invalid field selection {spec}")
            path = [tokens[pos]]
            pos += 1
            while pos < len(tokens) and tokens[pos] in ("/", "."):
                if pos + 1 >= len(tokens):
                    raise _invalid("fields", f"Invalid field selection {spec}")
                path.append(tokens[pos + 1])
                pos += 2
            sub: dict[str, Any] | None = None
            if pos < len(tokens) and tokens[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(tokens) or tokens[pos] != ")":
                    raise _invalid("fields", f"Invalid field selection {spec}")
                pos += 1
            _merge_path(tree, path, sub)
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                continue
            return tree

    tree = parse_list()
    if pos != len(tokens):
        raise _invalid("fields", f"Invalid field selection {spec}")
    return tree


def _merge_path(tree: dict[str, Any], path: list[str], sub: dict[str, Any] | None) -> None:
    node = tree
    for name in path[:-1]:
        if name in node and node[name] is None:
            return
        node = node.setdefault(name, {})
    last = path[-1]
    if sub is None or node.get(last, {}) is None:
        node[last] = None
    else:
        existing = node.setdefault(last, {})
        for key, value in sub.items():
            _merge_path(existing, [key], value)


def _check_fields(tree: dict[str, Any] | None, schema: _Schema | None, spec: str) -> None:
    if tree is None or schema is None:
        return
    for name, sub in tree.items():
        if name == "*":
            continue
        if name not in schema:
            raise _invalid("fields", f"Invalid field selection {name}")
        _check_fields(sub, schema[name], spec)


def _apply_fields(obj: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [_apply_fields(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "*" in tree:
        return obj
    return {name: _apply_fields(obj[name], sub) for name, sub in tree.items() if name in obj}


_Q_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
    r"""|(?P<op>!=|<=|>=|=|<|>|\{|\}|\(|\))"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d+)?))"""
)
_Predicate = Callable[[_File], bool]


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _q_tokens(q: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _Q_TOKEN.match(q, pos)
        if not match:
            raise _unsupported_q(q, f"cannot read {q[pos:].strip()[:20]!r}")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _unsupported_q(q: str, why: str) -> GoogleError:
    return GoogleError(
        400,
        f"Invalid Value: the fake Drive does not support this q ({why}): {q!r}. Supported: "
        "'<id>' in parents, name/mimeType =|!=|contains '...', trashed/starred =|!= true|false, "
        "createdTime/modifiedTime comparisons, (app)Properties has { key='k' and value='v' }, "
        "joined with 'and'.",
        reason="invalid",
        location="q",
    )


def _parse_q(q: str, resolve_parent: Callable[[str], str]) -> list[_Predicate]:
    tokens = _q_tokens(q)
    preds: list[_Predicate] = []
    pos = 0

    def take(kind: str | None = None, value: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise _unsupported_q(q, "unexpected end")
        tok_kind, tok_value = tokens[pos]
        if (kind and tok_kind != kind) or (value and tok_value.lower() != value.lower()):
            raise _unsupported_q(q, f"unexpected {tok_value!r}")
        pos += 1
        return tok_value

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == "word" and value.lower() in ("or", "not"):
            raise _unsupported_q(q, f"'{value}' is not supported")
        if kind == "op" and value in "()":
            raise _unsupported_q(q, "parentheses are not supported")
        if kind == "str":
            literal = _unescape(take("str"))
            take("word", "in")
            collection = take("word")
            if collection != "parents":
                raise _unsupported_q(q, f"'in {collection}' is not supported")
            parent = resolve_parent(literal)
            preds.append(partial(_in_parents, parent))
        else:
            name = take("word")
            nxt = peek()
            if name in ("appProperties", "properties") and nxt and nxt[1].lower() == "has":
                take("word", "has")
                take("op", "{")
                take("word", "key")
                take("op", "=")
                key = _unescape(take("str"))
                take("word", "and")
                take("word", "value")
                take("op", "=")
                wanted = _unescape(take("str"))
                take("op", "}")
                attr = "app_properties" if name == "appProperties" else "properties"
                preds.append(partial(_has_property, attr, key, wanted))
            else:
                preds.append(_field_predicate(q, name, take))
        if pos < len(tokens):
            nxt = peek()
            if nxt and nxt[1].lower() in ("or", "not"):
                raise _unsupported_q(q, f"'{nxt[1]}' is not supported")
            take("word", "and")
            if pos >= len(tokens):
                raise _unsupported_q(q, "nothing after 'and'")
    return preds


def _in_parents(parent: str, f: _File) -> bool:
    return parent in f.parents


def _has_property(attr: str, key: str, wanted: str, f: _File) -> bool:
    return bool(getattr(f, attr).get(key) == wanted)


def _field_predicate(q: str, name: str, take: Callable[..., str]) -> _Predicate:
    op = take()
    if name in ("name", "mimeType"):
        attr = "name" if name == "name" else "mime_type"
        value = _unescape(take("str"))
        if op == "=":
            return lambda f: getattr(f, attr) == value
        if op == "!=":
            return lambda f: getattr(f, attr) != value
        if op.lower() == "contains":
            return lambda f: value.lower() in getattr(f, attr).lower()
        raise _unsupported_q(q, f"operator {op!r} on {name}")
    if name in ("trashed", "starred"):
        literal = take("word").lower()
        if literal not in ("true", "false"):
            raise _unsupported_q(q, f"{name} compares with true or false")
        wanted = literal == "true"
        if op == "=":
            return lambda f: getattr(f, name) is wanted
        if op == "!=":
            return lambda f: getattr(f, name) is not wanted
        raise _unsupported_q(q, f"operator {op!r} on {name}")
    if name in ("createdTime", "modifiedTime"):
        attr = "created" if name == "createdTime" else "modified"
        moment = _parse_time(_unescape(take("str")))
        compare: dict[str, Callable[[float, float], bool]] = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        if op not in compare:
            raise _unsupported_q(q, f"operator {op!r} on {name}")
        check = compare[op]
        return lambda f: check(getattr(f, attr), moment)
    raise _unsupported_q(q, f"the field {name!r}")


# --- A1 ranges ---

_A1_END = re.compile(r"([A-Za-z]{0,3})(\d{0,7})")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def _col_letters(index: int) -> str:
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _quote_title(title: str) -> str:
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _parse_cells(spec: str) -> tuple[int, int, int | None, int | None] | None:
    """`A1`, `A1:B2`, `A:A`, `A2:Q`, `1:3` as (r1, c1, r2, c2), 0-based, None for an open end."""
    first, colon, second = spec.partition(":")
    m1 = _A1_END.fullmatch(first)
    if not m1 or not (m1.group(1) or m1.group(2)):
        return None
    if m1.group(2) and int(m1.group(2)) == 0:
        return None
    if not colon:
        if not (m1.group(1) and m1.group(2)):
            return None
        r, c = int(m1.group(2)) - 1, _col_index(m1.group(1))
        return r, c, r, c
    m2 = _A1_END.fullmatch(second)
    if not m2 or not (m2.group(1) or m2.group(2)):
        return None
    if m2.group(2) and int(m2.group(2)) == 0:
        return None
    r1 = int(m1.group(2)) - 1 if m1.group(2) else 0
    c1 = _col_index(m1.group(1)) if m1.group(1) else 0
    r2 = int(m2.group(2)) - 1 if m2.group(2) else None
    c2 = _col_index(m2.group(1)) if m2.group(1) else None
    if r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    return r1, c1, r2, c2


@dataclass
class _Range:
    sheet: _Sheet
    r1: int
    c1: int
    r2: int | None
    c2: int | None
    single: bool = False  # one cell named ("A2"): writes start there and may spill over

    def clipped(self) -> tuple[int, int, int, int]:
        last_r = self.sheet.rows - 1 if self.r2 is None else min(self.r2, self.sheet.rows - 1)
        last_c = self.sheet.cols - 1 if self.c2 is None else min(self.c2, self.sheet.cols - 1)
        return self.r1, self.c1, last_r, last_c

    def a1(self) -> str:
        r1, c1, r2, c2 = self.clipped()
        return _a1(self.sheet.title, r1, c1, max(r2, r1), max(c2, c1))


def _a1(title: str, r1: int, c1: int, r2: int, c2: int) -> str:
    start = f"{_col_letters(c1)}{r1 + 1}"
    if (r1, c1) == (r2, c2):
        return f"{_quote_title(title)}!{start}"
    return f"{_quote_title(title)}!{start}:{_col_letters(c2)}{r2 + 1}"


def _resolve_range(book: _Spreadsheet, text: str) -> _Range:
    def bad() -> GoogleError:
        return GoogleError(400, f"Unable to parse range: {text}")

    title: str | None = None
    cells: str | None
    if text.startswith("'"):
        i, chars = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    chars.append("'")
                    i += 2
                    continue
                break
            chars.append(text[i])
            i += 1
        else:
            raise bad()
        title, rest = "".join(chars), text[i + 1 :]
        if rest and not rest.startswith("!"):
            raise bad()
        cells = rest[1:] if rest else None
    elif "!" in text:
        title, _, cells = text.rpartition("!")
    elif book.sheet(text) is not None:
        title, cells = text, None
    else:
        cells = text
    sheet = book.sheets[0] if title is None else book.sheet(title)
    if sheet is None:
        raise bad()
    if not cells:
        return _Range(sheet, 0, 0, None, None)
    parsed = _parse_cells(cells)
    if parsed is None:
        raise bad()
    return _Range(sheet, *parsed, single=":" not in cells)


# --- cell values ---

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_HYPERLINK = re.compile(r'=\s*HYPERLINK\(\s*"((?:[^"]|"")*)"\s*(?:[,;]\s*"((?:[^"]|"")*)"\s*)?\)\s*', re.I)


def _user_entered(value: Any) -> Any:
    """What Sheets makes of a value typed by a person (valueInputOption=USER_ENTERED)."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if value.startswith("'"):
        return value[1:]
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    text = value.strip()
    if _NUMBER.fullmatch(text) or _GROUPED_NUMBER.fullmatch(text):
        plain = text.replace(",", "")
        digits = plain.lstrip("+-")
        if re.fullmatch(r"\d+", digits) and len(digits.lstrip("0")) <= 15:
            return int(plain)
        return float(plain)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return value


def _stored(value: Any, option: str) -> Any:
    if option == "RAW":
        return None if value == "" else value
    return _user_entered(value)


def _evaluate(formula: Formula) -> str:
    match = _HYPERLINK.fullmatch(formula.text)
    if match:
        label = match.group(2) if match.group(2) is not None else match.group(1)
        return label.replace('""', '"')
    return UNEVALUATED


def _format_number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else f"{value:.5E}".replace(".00000E", "E")
    return repr(value)


def _render(value: Any, option: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text if option == "FORMULA" else _evaluate(value)
    if option == "FORMATTED_VALUE":
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return _format_number(value)
    return value


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        end = len(row)
        while end and row[end - 1] in ("", None):
            end -= 1
        out.append(list(row[:end]))
    while out and not out[-1]:
        out.pop()
    return out


def _transpose(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(r) for r in rows), default=0)
    return [[r[c] if c < len(r) else None for r in rows] for c in range(width)]


# ---------------------------------------------------------------------------------------------
# HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeGoogle) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self.connections_lock:
            self.connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client hung up first (a timeout on a delayed answer): nothing to report
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Hang up kept-alive connections too, so nothing answers once the fake is stopped."""
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two writes; without this, TCP delays the second ~40 ms.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        method = self.command
        query = parse_qs(split.query, keep_blank_values=True)
        override = self.headers.get("X-HTTP-Method-Override")
        if override and method == "POST":
            method = override.upper()
            if (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    query.setdefault(key, []).extend(values)
                body = b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = _Request(
            method=method,
            path=split.path,
            query=query,
            headers=dict(self.headers.items()),
            body=body,
            origin=f"http://{host}",
        )
        reply = self.server.fake._serve(request)
        if reply is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def _api_of(path: str) -> str:
    if path.startswith(("/drive/v3/", "/upload/drive/v3/")):
        return "drive"
    if path.startswith("/v4/spreadsheets"):
        return "sheets"
    if path in ("/token", "/revoke", AUTH_PATH) or path.endswith("/allowedLocations"):
        return "oauth"
    return "other"


# ---------------------------------------------------------------------------------------------
# The fake


class FakeGoogle:
    """Google's token endpoint, Drive v3 and Sheets v4 on a loopback port, in memory."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        clock: Callable[[], float] | None = None,
        strict_all_drives: bool = False,
        sheets_per_minute: int | None = 60,
        drive_per_minute: int | None = 12000,
    ) -> None:
        self.host = host
        self.port = port
        self.requests: list[RequestRecord] = []
        self.grants: list[dict[str, Any]] = []  # the JWT claims each token request carried
        self.strict_all_drives = strict_all_drives
        # Google's per-user quotas (None: off). Sheets: 60 reads and 60 writes per minute per user,
        # answered 429 RESOURCE_EXHAUSTED; Drive: ~12,000 requests per minute per user, answered
        # 403 userRateLimitExceeded. Counted over the last 60 s of the fake's clock.
        self.sheets_per_minute = sheets_per_minute
        self.drive_per_minute = drive_per_minute
        self._quota_used: dict[tuple[str, str, str], deque[float]] = {}  # (api, metric, user) -> times
        self._clock = clock or time.time
        self._lock = threading.RLock()
        self._ids = random.Random(seed)
        self._fault_rng = random.Random(seed)
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._token_count = 0
        self._revoked: set[str] = set()
        # Identity: who each access token is, the refresh tokens and codes handed out, the OAuth
        # clients (one Desktop client made for the shop), and who is signed in to the browser.
        self._principals: dict[str, Principal] = {}
        self._refresh_grants: dict[str, _RefreshGrant] = {}
        self._refresh_of: dict[str, str] = {}  # access token -> the refresh token it came from
        self._codes: dict[str, _AuthCode] = {}
        self._oauth_clients: dict[str, str] = {OAUTH_CLIENT_ID: OAUTH_CLIENT_SECRET}
        self._caller: Principal | None = None  # who the request being answered acts as
        self.browser_user = SHOP_USER
        self.publishing_status = "testing"  # the OAuth consent screen's; "production" keeps tokens
        self._files: dict[str, _File] = {}
        self._seq = 0
        self._drives: set[str] = set()
        self._denied: set[str] = set()
        self._generated: set[str] = set()  # IDs handed out by files.generateIds, not yet used
        self._changes: list[_Change] = []
        self._change_floor = 1
        self._uploads: dict[str, _Upload] = {}
        self._books: dict[str, _Spreadsheet] = {}
        now = self._clock()
        self.root_id = "0A" + self._random_id(17) + "Uk9PVA"
        self._files[self.root_id] = _File(self.root_id, "My Drive", FOLDER_MIME, [], now, now, 0)

    # --- lifecycle ---

    def start(self) -> FakeGoogle:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"fake-google:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        return f"http://{self.host}:{self.port}"

    # --- request log and faults ---

    def calls(self, api: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if api is None or r.api == api)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def inject(
        self,
        route: str,
        *,
        status: int | None = None,
        times: int | None = None,
        rate: float | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        reason: str | None = None,
        lose_answer: bool = False,
    ) -> None:
        """Make requests matching `route` fail (or slow down) until `times` ran out or faults are cleared.

        `route` is "*" or a substring / regex of "METHOD /path" (also tried against "METHOD /path?query").
        `status` None with a `delay` answers normally, only late. `rate` faults a seeded-random share
        of the matching requests. `reason` sets Drive's errors[0].reason (e.g. "userRateLimitExceeded").
        `drop=True` hangs up without applying the request; `lose_answer=True` applies it, then hangs
        up (the change happened, the answer was lost on the way: a timeout after the server acted).
        """
        if status is None and not drop and not delay and not lose_answer:
            raise ValueError("inject needs a status, drop=True, lose_answer=True or a delay")
        try:
            pattern: re.Pattern[str] | None = re.compile(route)
        except re.error:
            pattern = None
        with self._lock:
            self._faults.append(
                _Fault(route, pattern, status, times, rate, retry_after, delay, drop, reason, lose_answer)
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reseed(self, seed: int) -> None:
        """Restart the random sequence `rate` faults draw from."""
        with self._lock:
            self._fault_rng = random.Random(seed)

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

    # --- Drive helpers (a person in the browser) ---

    def add_folder(
        self,
        name: str,
        parent: str | None = None,
        *,
        app_properties: Mapping[str, str] | None = None,
        drive_id: str | None = None,
    ) -> str:
        with self._lock:
            if drive_id:
                self._drives.add(drive_id)
            parent_id = parent or drive_id or self.root_id
            f = self._new_file(
                {"name": name, "mimeType": FOLDER_MIME, "appProperties": dict(app_properties or {})},
                [parent_id],
                None,
            )
            return f.id

    def add_file(
        self,
        name: str,
        content: bytes,
        parent: str,
        *,
        mime_type: str = "application/octet-stream",
        description: str = "",
        created_time: datetime | str | float | None = None,
        app_properties: Mapping[str, str] | None = None,
    ) -> str:
        with self._lock:
            meta: dict[str, Any] = {
                "name": name,
                "mimeType": mime_type,
                "description": description,
                "appProperties": dict(app_properties or {}),
            }
            if created_time is not None:
                meta["createdTime"] = created_time
            return self._new_file(meta, [parent], bytes(content)).id

    def trash(self, file_id: str) -> None:
        with self._lock:
            self._set_trashed(self._file(file_id), True)

    def untrash(self, file_id: str) -> None:
        with self._lock:
            self._set_trashed(self._file(file_id), False)

    def move(self, file_id: str, new_parent: str) -> None:
        with self._lock:
            f = self._file(file_id)
            self._reparent(f, [new_parent], list(f.parents))
            self._record_change(f)

    def copy(self, file_id: str, new_parent: str) -> str:
        with self._lock:
            return self._copy(self._file(file_id), {"parents": [new_parent]}).id

    def delete(self, file_id: str) -> None:
        with self._lock:
            self._delete(self._file(file_id))

    def deny(self, file_or_spreadsheet_id: str) -> None:
        """The account loses access: later calls on it answer 403, lists and changes drop it."""
        with self._lock:
            self._denied.add(file_or_spreadsheet_id)
            f = self._files.get(file_or_spreadsheet_id)
            if f is not None:
                self._record_change(f, removed=True)

    def allow(self, file_or_spreadsheet_id: str) -> None:
        with self._lock:
            self._denied.discard(file_or_spreadsheet_id)
            f = self._files.get(file_or_spreadsheet_id)
            if f is not None:
                self._record_change(f)

    def expire_change_tokens(self) -> None:
        """Every changes page token handed out so far becomes invalid (answered 400)."""
        with self._lock:
            self._change_floor = len(self._changes) + 1

    def file_content(self, file_id: str) -> bytes:
        with self._lock:
            return bytes(self._file(file_id).content or b"")

    def file(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            return self._metadata(self._file(file_id))

    def files(self) -> list[dict[str, Any]]:
        """Full metadata of every file and folder (trashed ones too), oldest first."""
        with self._lock:
            ordered = sorted(self._files.values(), key=lambda f: f.seq)
            return [self._metadata(f) for f in ordered if f.id != self.root_id]

    # --- Sheets helpers ---

    def add_spreadsheet(
        self,
        title: str,
        sheets: Mapping[str, Sequence[Sequence[Any]]],
        *,
        parent: str | None = None,
        raw: bool = False,
    ) -> str:
        """A spreadsheet (also a Drive file) whose tabs hold `sheets`, typed in as a person would
        (USER_ENTERED: "0812…" becomes a number) unless `raw`."""
        with self._lock:
            f = self._new_file({"name": title, "mimeType": SPREADSHEET_MIME}, [parent or self.root_id], None)
            book = self._books[f.id]
            book.sheets.clear()
            for i, (name, rows) in enumerate((sheets or {"Sheet1": []}).items()):
                width = max((len(r) for r in rows), default=0)
                sheet = _Sheet(
                    self._sheet_id(book, first=i == 0), name, i, max(1000, len(rows)), max(26, width)
                )
                for r, row in enumerate(rows):
                    for c, value in enumerate(row):
                        sheet.set(r, c, _stored(value, "RAW" if raw else "USER_ENTERED"))
                book.sheets.append(sheet)
            return f.id

    def sheet_values(self, spreadsheet_id: str, sheet: str) -> list[list[Any]]:
        """The tab as a person sees it: text as str, numbers as int/float, formulas as `Formula`."""
        with self._lock:
            book = self._books[spreadsheet_id]
            tab = book.sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            return _trim([["" if v is None else v for v in row] for row in tab.cells])

    def edit_form_response(
        self, spreadsheet_id: str, sheet: str, row: int, answers: Mapping[str, Any], timestamp: str
    ) -> None:
        """What Google Forms does when a respondent edits their response: the same row (1-based,
        as the sheet counts) gets the changed answers and a new Timestamp (column A)."""
        with self._lock:
            tab = self._books[spreadsheet_id].sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            headers = [str(v) for v in tab.cells[0]]
            tab.set(row - 1, 0, _stored(timestamp, "USER_ENTERED"))
            for header, value in answers.items():
                tab.set(row - 1, headers.index(header), _stored(value, "USER_ENTERED"))

    def sort_sheet(self, spreadsheet_id: str, sheet: str, header: str, *, descending: bool = False) -> None:
        """A person sorting the tab by one column (Data → Sort sheet), the header row kept."""
        with self._lock:
            tab = self._books[spreadsheet_id].sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            rows = _trim([list(r) for r in tab.cells])
            column = [str(v) for v in rows[0]].index(header)
            cell = lambda r: str(r[column] if column < len(r) else "")  # noqa: E731
            body = sorted(rows[1:], key=cell, reverse=descending)
            for r, values in enumerate(body, start=1):
                for c in range(len(rows[0])):
                    tab.set(r, c, values[c] if c < len(values) else None)

    def sheet_properties(self, spreadsheet_id: str, sheet: str) -> dict[str, Any]:
        with self._lock:
            tab = self._books[spreadsheet_id].sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            return tab.properties()

    # --- serving ---

    def _serve(self, req: _Request) -> _Reply | None:
        api = _api_of(req.path)
        started = self._clock()
        fault = self._take_fault(req)
        faulted = fault is not None and (fault.drop or fault.lose_answer or fault.status is not None)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        reply: _Reply | None
        if fault is not None and fault.drop:
            reply = None
        elif fault is not None and fault.status is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            reply = GoogleError(fault.status, reason=fault.reason, headers=headers).reply(api)
        else:
            try:
                with self._lock:
                    reply = self._route(req, api)
            except GoogleError as exc:
                reply = exc.reply(api)
            except Exception as exc:  # a bug in the fake: answer it, do not hang the client
                reply = GoogleError(500, f"fake_google internal error: {exc!r}").reply(api)
            if fault is not None and fault.lose_answer:
                reply = None
        with self._lock:
            self.requests.append(
                RequestRecord(
                    req.method,
                    unquote(req.path),
                    req.query,
                    reply.status if reply else 0,
                    api,
                    started,
                    faulted,
                )
            )
        return reply

    def _take_fault(self, req: _Request) -> _Fault | None:
        query = "&".join(f"{k}={v}" for k, vs in req.query.items() for v in vs)
        keys = [f"{req.method} {path}" for path in dict.fromkeys([req.path, unquote(req.path)])]
        keys += [f"{key}?{query}" for key in keys]
        with self._lock:
            for fault in self._faults:
                if fault.times is not None and fault.times <= 0:
                    continue
                if not fault.matches(keys):
                    continue
                if fault.rate is not None and self._fault_rng.random() >= fault.rate:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _route(self, req: _Request, api: str) -> _Reply:
        if req.path == "/token":
            return self._token(req)
        if req.path == "/revoke":
            return self._revoke(req)
        if req.path == AUTH_PATH:
            return self._consent(req)
        if api == "oauth":  # google-auth's Regional Access Boundary lookup after each refresh
            return _json_reply(200, {"locations": [], "encodedLocations": "0x0"})
        if api == "other":
            raise GoogleError(404, f"The fake has no route for {req.method} {req.path}")
        self._caller = self._authorize(req, api)
        try:
            self._check_quota(req, api)
            if api == "sheets":
                return self._sheets(req)
            if req.path.startswith("/upload/"):
                return self._drive_upload(req)
            if req.path == "/drive/v3/about" and req.method == "GET":
                return self._about(req)
            return self._drive(req)
        finally:
            self._caller = None

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

    def _about(self, req: _Request) -> _Reply:
        if req.arg("fields") is None:
            raise GoogleError(400, "The 'fields' parameter is required for this method.", reason="required")
        who = self._me()
        user = {
            "kind": "drive#user",
            "displayName": who.split("@")[0],
            "me": True,
            "permissionId": hashlib.sha1(who.encode()).hexdigest()[:20],
            "emailAddress": who,
        }
        tree = _parse_fields(req.arg("fields") or "")
        return _json_reply(200, _apply_fields({"kind": "drive#about", "user": user}, tree))

    def _owner_of_new_file(self, drive_id: str | None) -> str | None:
        """Who will own a file made now; a service account may own none outside a shared drive."""
        if drive_id:
            return None
        if self._caller is not None and self._caller.kind == "service_account":
            raise GoogleError(403, STORAGE_QUOTA_MESSAGE, reason="storageQuotaExceeded")
        return self._me()

    # --- quotas ---

    def _quota_user(self, req: _Request) -> str:
        """Whom a quota counts against: the principal the bearer token was issued to (a new token
        for the same account shares its quota), else the token itself."""
        if self._caller is not None:
            return f"{self._caller.kind}:{self._caller.email}"
        return (req.header("Authorization") or "").partition(" ")[2].strip()

    def _check_quota(self, req: _Request, api: str) -> None:
        if api == "sheets" and self.sheets_per_minute is not None:
            metric = "Read" if req.method in ("GET", "HEAD") else "Write"
            limit = self.sheets_per_minute
        elif api == "drive" and self.drive_per_minute is not None:
            metric, limit = "Queries", self.drive_per_minute
        else:
            return
        now = self._clock()
        used = self._quota_used.setdefault((api, metric, self._quota_user(req)), deque())
        while used and used[0] <= now - 60:
            used.popleft()
        if len(used) < limit:
            used.append(now)
            return
        if api == "drive":
            raise GoogleError(403, "User Rate Limit Exceeded", reason="userRateLimitExceeded")
        raise _SheetsQuotaError(metric, limit)

    # --- Drive: state ---

    def _random_id(self, length: int) -> str:
        return "".join(self._ids.choice(_ID_ALPHABET) for _ in range(length))

    def _new_id(self, length: int = 33) -> str:
        while True:
            candidate = "1" + self._random_id(length - 1)
            if candidate not in self._files:
                return candidate

    def _file(self, file_id: str) -> _File:
        fid = self.root_id if file_id == "root" else file_id
        f = self._files.get(fid)
        if f is None:
            raise KeyError(file_id)
        return f

    def _visible(self, f: _File, req: _Request | None) -> bool:
        if f.id in self._denied or f.id == self.root_id:
            return False
        if req is not None and self.strict_all_drives and f.drive_id:
            return req.flag("supportsAllDrives") and req.flag("includeItemsFromAllDrives")
        return True

    def _get_file(self, req: _Request, file_id: str, *, location: str = "fileId") -> _File:
        fid = self.root_id if file_id == "root" else file_id
        f = self._files.get(fid)
        hidden = f is None or (
            self.strict_all_drives and f.drive_id is not None and not req.flag("supportsAllDrives")
        )
        if hidden:
            raise GoogleError(404, f"File not found: {file_id}.", reason="notFound", location=location)
        assert f is not None
        if f.id in self._denied:
            raise GoogleError(
                403,
                f"The user does not have sufficient permissions for file {file_id}.",
                reason="insufficientFilePermissions",
            )
        return f

    def _resolve_parent(self, parent_id: str, req: _Request | None) -> tuple[str, str | None]:
        """(parent id, the shared drive it is in)."""
        if parent_id == "root":
            return self.root_id, None
        if parent_id in self._drives and parent_id not in self._files:
            return parent_id, parent_id
        parent = self._file(parent_id) if req is None else self._get_file(req, parent_id, location="parents")
        if not parent.is_folder:
            raise GoogleError(403, "The specified parent is not a folder.", reason="parentNotAFolder")
        return parent.id, parent.drive_id

    def _new_file(
        self,
        meta: Mapping[str, Any],
        parents: Sequence[str],
        content: bytes | None,
        req: _Request | None = None,
    ) -> _File:
        if len(parents) > 1:
            raise GoogleError(
                403, "Increasing the number of parents is not allowed.", reason="cannotAddParent"
            )
        parent_id, drive_id = self._resolve_parent(parents[0] if parents else "root", req)
        owner = self._owner_of_new_file(drive_id)
        now = self._clock()
        file_id = str(meta.get("id") or "")
        if file_id and file_id in self._files:
            raise GoogleError(409, "A file already exists with the provided ID.", reason="duplicate")
        mime = str(meta.get("mimeType") or "application/octet-stream")
        is_sheet = mime == SPREADSHEET_MIME
        self._seq += 1
        created = _parse_time(meta["createdTime"]) if meta.get("createdTime") else now
        f = _File(
            id=file_id or self._new_id(44 if is_sheet else 33),
            name=str(meta.get("name") or "Untitled"),
            mime_type=mime,
            parents=[parent_id],
            created=created,
            modified=_parse_time(meta["modifiedTime"]) if meta.get("modifiedTime") else max(now, created),
            seq=self._seq,
            content=None if mime.startswith(GOOGLE_APPS_PREFIX) else (content or b""),
            description=str(meta.get("description") or ""),
            app_properties={k: str(v) for k, v in (meta.get("appProperties") or {}).items() if v is not None},
            properties={k: str(v) for k, v in (meta.get("properties") or {}).items() if v is not None},
            drive_id=drive_id,
            owner=owner,
            starred=bool(meta.get("starred")),
            original_filename=meta.get("originalFilename")
            or (meta.get("name") if content is not None else None),
        )
        self._files[f.id] = f
        if is_sheet:
            book = _Spreadsheet(f.id, f.name, [])
            book.sheets.append(_Sheet(0, "Sheet1", 0))
            self._books[f.id] = book
        self._record_change(f)
        return f

    def _metadata(self, f: _File) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "starred": f.starred,
            "trashed": f.trashed,
            "explicitlyTrashed": f.explicitly_trashed,
            "parents": list(f.parents),
            "spaces": ["drive"],
            "version": str(f.version),
            "webViewLink": self._web_link(f),
            "createdTime": _rfc3339(f.created),
            "modifiedTime": _rfc3339(f.modified),
            "ownedByMe": f.owner is not None and f.owner == self._me(),
            "permissionIds": [p["id"] for p in f.permissions],
        }
        if f.description:
            meta["description"] = f.description
        if f.owner is not None:
            meta["owners"] = [
                {
                    "kind": "drive#user",
                    "displayName": f.owner.split("@")[0],
                    "me": f.owner == self._me(),
                    "permissionId": hashlib.sha1(f.owner.encode()).hexdigest()[:20],
                    "emailAddress": f.owner,
                }
            ]
        if f.app_properties:
            meta["appProperties"] = dict(f.app_properties)
        if f.properties:
            meta["properties"] = dict(f.properties)
        if f.drive_id:
            meta["driveId"] = f.drive_id
            meta["teamDriveId"] = f.drive_id
        if f.trashed and f.trashed_time is not None:
            meta["trashedTime"] = _rfc3339(f.trashed_time)
        if f.content is not None:
            data = f.content
            meta["size"] = str(len(data))
            meta["quotaBytesUsed"] = str(len(data))
            meta["md5Checksum"] = hashlib.md5(data).hexdigest()
            meta["sha1Checksum"] = hashlib.sha1(data).hexdigest()
            meta["sha256Checksum"] = hashlib.sha256(data).hexdigest()
            meta["headRevisionId"] = f"0B{f.id[1:12]}{f.version}"
            meta["webContentLink"] = f"https://drive.google.com/uc?id={f.id}&export=download"
            if f.original_filename:
                meta["originalFilename"] = f.original_filename
            if "." in f.name.strip("."):
                meta["fileExtension"] = f.name.rsplit(".", 1)[1]
                meta["fullFileExtension"] = f.name.split(".", 1)[1]
        else:
            meta["quotaBytesUsed"] = "0"
        if f.permissions:
            meta["permissions"] = [dict(p) for p in f.permissions]
        return meta

    @staticmethod
    def _web_link(f: _File) -> str:
        if f.is_folder:
            return f"https://drive.google.com/drive/folders/{f.id}"
        if f.mime_type == SPREADSHEET_MIME:
            return f"https://docs.google.com/spreadsheets/d/{f.id}/edit?usp=drivesdk"
        return f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"

    def _record_change(self, f: _File, *, removed: bool = False) -> None:
        self._changes.append(_Change(len(self._changes) + 1, f.id, self._clock(), removed, f.drive_id))

    def _touch(self, f: _File, *, modified: bool = True) -> None:
        f.version += 1
        if modified:
            f.modified = max(self._clock(), f.modified)

    def _descendants(self, f: _File) -> list[_File]:
        out: list[_File] = []
        stack = [f.id]
        while stack:
            pid = stack.pop()
            for child in self._files.values():
                if pid in child.parents:
                    out.append(child)
                    stack.append(child.id)
        return out

    def _set_trashed(self, f: _File, trashed: bool) -> None:
        now = self._clock()
        if trashed:
            if not f.trashed or not f.explicitly_trashed:
                f.trashed, f.explicitly_trashed, f.trashed_time = True, True, now
                self._touch(f, modified=False)
                self._record_change(f)
            for child in self._descendants(f):
                if not child.trashed:
                    child.trashed, child.trashed_time = True, now
                    self._touch(child, modified=False)
                    self._record_change(child)
        else:
            if f.trashed:
                f.trashed, f.explicitly_trashed, f.trashed_time = False, False, None
                self._touch(f, modified=False)
                self._record_change(f)
            for child in self._descendants(f):
                if child.trashed and not child.explicitly_trashed:
                    child.trashed, child.trashed_time = False, None
                    self._touch(child, modified=False)
                    self._record_change(child)

    def _reparent(
        self, f: _File, add: Sequence[str], remove: Sequence[str], req: _Request | None = None
    ) -> None:
        parents = [p for p in f.parents if p not in {self._alias(r) for r in remove}]
        drive_id = f.drive_id
        for pid in add:
            resolved, drive_id = self._resolve_parent(pid, req)
            if resolved == f.id or any(d.id == resolved for d in self._descendants(f)):
                raise GoogleError(403, "A folder cannot be moved into itself.", reason="cannotMoveIntoSelf")
            if resolved not in parents:
                parents.append(resolved)
        if len(parents) > 1:
            raise GoogleError(
                403, "Increasing the number of parents is not allowed.", reason="cannotAddParent"
            )
        if not parents:
            parents = [self.root_id]
            drive_id = None
        f.parents = parents
        if drive_id != f.drive_id:
            for item in [f, *self._descendants(f)]:
                item.drive_id = drive_id
        self._touch(f, modified=False)

    def _alias(self, file_id: str) -> str:
        return self.root_id if file_id == "root" else file_id

    def _copy(self, f: _File, meta: Mapping[str, Any], req: _Request | None = None) -> _File:
        if f.is_folder:
            raise GoogleError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
        body = {
            "name": f"Copy of {f.name}",
            "mimeType": f.mime_type,
            "description": f.description,
            "appProperties": dict(f.app_properties),
            "properties": dict(f.properties),
        }
        body.update({k: v for k, v in meta.items() if k != "parents"})
        parents = meta.get("parents") or list(f.parents)
        new = self._new_file(body, parents, f.content, req)
        if f.mime_type == SPREADSHEET_MIME and f.id in self._books:
            source = copy.deepcopy(self._books[f.id])
            source.id, source.title = new.id, new.name
            self._books[new.id] = source
        return new

    def _delete(self, f: _File) -> None:
        for item in [*self._descendants(f), f]:
            self._files.pop(item.id, None)
            self._books.pop(item.id, None)
            self._record_change(item, removed=True)

    # --- Drive: routes ---

    def _drive(self, req: _Request) -> _Reply:
        parts = [unquote(p) for p in req.path.split("/")[3:]]
        method = req.method
        if parts == ["files"] and method == "GET":
            return self._files_list(req)
        if parts == ["files", "generateIds"] and method in ("GET", "POST"):
            return self._generate_ids(req)
        if parts[:1] == ["files"] and "permissions" not in parts:
            self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)  # a bad mask fails before any change
        if parts == ["files"] and method == "POST":
            meta = req.json()
            f = self._create_checked(req, meta, None, None)
            return self._file_reply(req, f)
        if parts == ["changes", "startPageToken"] and method == "GET":
            return _json_reply(
                200, {"kind": "drive#startPageToken", "startPageToken": str(len(self._changes) + 1)}
            )
        if parts == ["changes"] and method == "GET":
            return self._changes_list(req)
        if len(parts) >= 2 and parts[0] == "files":
            f = self._get_file(req, parts[1])
            rest = parts[2:]
            if f.id == self.root_id and not (method == "GET" and not rest):
                raise GoogleError(403, "The root folder cannot be changed.", reason="forbidden")
            if not rest and method == "GET":
                if req.arg("alt") == "media":
                    return self._download(req, f)
                return self._file_reply(req, f)
            if not rest and method == "PATCH":
                self._update(req, f, req.json(), None, None)
                return self._file_reply(req, f)
            if not rest and method == "DELETE":
                self._delete(f)
                return _Reply(204)
            if rest == ["copy"] and method == "POST":
                meta = req.json()
                self._check_writable(meta, _CREATE_WRITABLE)
                return self._file_reply(req, self._copy(f, meta, req))
            if rest == ["permissions"] and method == "POST":
                return self._permission_create(req, f)
            if rest == ["permissions"] and method == "GET":
                tree = self._fields(
                    req,
                    _PERMISSION_LIST_SCHEMA,
                    "kind,nextPageToken,permissions(" + _DEFAULT_PERMISSION_FIELDS + ")",
                )
                body = {"kind": "drive#permissionList", "permissions": [dict(p) for p in f.permissions]}
                return _json_reply(200, _apply_fields(body, tree))
            if len(rest) == 2 and rest[0] == "permissions":
                perm = next((p for p in f.permissions if p["id"] == rest[1]), None)
                if perm is None:
                    raise GoogleError(
                        404, f"Permission not found: {rest[1]}.", reason="notFound", location="permissionId"
                    )
                if method == "DELETE":
                    f.permissions.remove(perm)
                    self._touch(f, modified=False)
                    self._record_change(f)
                    return _Reply(204)
                if method == "GET":
                    tree = self._fields(req, _PERMISSION_SCHEMA, _DEFAULT_PERMISSION_FIELDS)
                    return _json_reply(200, _apply_fields(dict(perm), tree))
            if rest == ["export"] and method == "GET":
                raise GoogleError(400, "Export is not supported by the fake.", reason="badRequest")
        raise GoogleError(404, f"Not Found: {method} {req.path}", reason="notFound")

    def _fields(self, req: _Request, schema: _Schema, default: str) -> dict[str, Any] | None:
        spec = req.arg("fields")
        tree = _parse_fields(default if spec is None else spec)
        _check_fields(tree, schema, spec or default)
        return tree

    def _file_reply(self, req: _Request, f: _File, status: int = 200) -> _Reply:
        tree = self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)
        return _json_reply(status, _apply_fields(self._metadata(f), tree))

    @staticmethod
    def _check_writable(meta: Mapping[str, Any], writable: frozenset[str]) -> None:
        if "parents" in meta and "parents" not in writable:
            raise GoogleError(
                403,
                "The parents field is not directly writable in update requests. "
                "Use the addParents and removeParents parameters instead.",
                reason="fieldNotWritable",
            )
        bad = sorted(k for k in meta if k not in writable)
        if bad:
            raise GoogleError(
                403,
                f"The resource body includes fields which are not directly writable: {', '.join(bad)}.",
                reason="fieldNotWritable",
            )

    def _generate_ids(self, req: _Request) -> _Reply:
        try:
            count = int(req.arg("count") or 10)
        except ValueError as exc:
            raise _invalid("count") from exc
        if not 1 <= count <= 1000:
            raise _invalid("count", f"Invalid value '{count}'. Values must be within the range: [1, 1000]")
        space = req.arg("space") or "drive"
        if space not in ("drive", "appDataFolder"):
            raise _invalid("space")
        ids = []
        for _ in range(count):
            candidate = self._new_id()
            while candidate in self._generated:
                candidate = self._new_id()
            self._generated.add(candidate)
            ids.append(candidate)
        return _json_reply(200, {"kind": "drive#generatedIds", "space": space, "ids": ids})

    def _create_checked(
        self, req: _Request, meta: dict[str, Any], content: bytes | None, media_mime: str | None
    ) -> _File:
        self._check_writable(meta, _CREATE_WRITABLE)
        wanted = str(meta.get("id") or "")
        if wanted and wanted not in self._files and wanted not in self._generated:
            # Like Drive: a create may only carry an ID that files.generateIds handed out.
            raise GoogleError(
                400,
                "The provided file ID is not usable.",
                reason="fileIdNotUsable",
                location="file.id",
                location_type="other",
            )
        parents = meta.get("parents") or ["root"]
        if not isinstance(parents, list):
            raise _invalid("parents", "Invalid Value: parents must be a list")
        body = dict(meta)
        if not body.get("mimeType") and media_mime:
            body["mimeType"] = media_mime
        return self._new_file(body, parents, content, req)

    def _update(
        self,
        req: _Request,
        f: _File,
        meta: Mapping[str, Any],
        content: bytes | None,
        media_mime: str | None,
    ) -> None:
        self._check_writable(meta, _UPDATE_WRITABLE)
        add = [p for p in (req.arg("addParents") or "").split(",") if p]
        remove = [p for p in (req.arg("removeParents") or "").split(",") if p]
        if add or remove:  # first: a refused move must leave the file untouched
            self._reparent(f, add, remove, req)
        modified = False
        if "name" in meta and meta["name"] != f.name:
            f.name, modified = str(meta["name"]), True
            if f.id in self._books:
                self._books[f.id].title = f.name
        if "description" in meta:
            f.description, modified = str(meta["description"] or ""), True
        if "starred" in meta:
            f.starred = bool(meta["starred"])
        if meta.get("mimeType"):
            f.mime_type = str(meta["mimeType"])
        for key, attr in (("appProperties", "app_properties"), ("properties", "properties")):
            if key in meta:
                target: dict[str, str] = getattr(f, attr)
                for k, v in (meta[key] or {}).items():
                    if v is None:
                        target.pop(k, None)
                    else:
                        target[k] = str(v)
                modified = True
        if content is not None:
            if f.mime_type.startswith(GOOGLE_APPS_PREFIX):
                raise GoogleError(400, "The fake cannot convert uploads into Google Docs formats.")
            f.content, modified = content, True
            if media_mime and "mimeType" not in meta:
                f.mime_type = media_mime
        if meta.get("modifiedTime"):
            f.modified = _parse_time(meta["modifiedTime"])
            modified = False
        if modified:
            self._touch(f)
        elif not (add or remove):
            self._touch(f, modified=False)
        if "trashed" in meta and bool(meta["trashed"]) != f.trashed:
            self._set_trashed(f, bool(meta["trashed"]))
        else:
            self._record_change(f)

    def _files_list(self, req: _Request) -> _Reply:
        tree = self._fields(req, _FILE_LIST_SCHEMA, _DEFAULT_LIST_FIELDS)
        q = req.arg("q") or ""
        preds = _parse_q(q, self._alias) if q.strip() else []
        try:
            page_size = int(req.arg("pageSize") or 100)
        except ValueError as exc:
            raise _invalid("pageSize") from exc
        if not 1 <= page_size <= 1000:
            raise _invalid(
                "pageSize", f"Invalid value '{page_size}'. Values must be within the range: [1, 1000]"
            )
        order_by = req.arg("orderBy") or ""
        found = [f for f in self._files.values() if self._visible(f, req) and all(p(f) for p in preds)]
        found.sort(key=lambda f: f.seq)
        for part in reversed([p.strip() for p in order_by.split(",") if p.strip()]):
            key, _, direction = part.partition(" ")
            keys: dict[str, Callable[[_File], Any]] = {
                "name": lambda f: f.name,
                "name_natural": lambda f: f.name.lower(),
                "createdTime": lambda f: f.created,
                "modifiedTime": lambda f: f.modified,
                "folder": lambda f: not f.is_folder,
                "starred": lambda f: not f.starred,
            }
            if key not in keys:
                raise _invalid("orderBy", f"Invalid Value: the fake cannot order by {key!r}")
            found.sort(key=keys[key], reverse=direction.strip().lower() == "desc")
        fingerprint = hashlib.sha1(f"{q}\n{order_by}".encode()).hexdigest()[:10]
        offset = 0
        token = req.arg("pageToken")
        if token:
            offset = self._decode_page_token(token, fingerprint)
        page = found[offset : offset + page_size]
        body: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [self._metadata(f) for f in page],
        }
        if offset + page_size < len(found):
            raw = json.dumps({"o": offset + page_size, "k": fingerprint}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return _json_reply(200, _apply_fields(body, tree))

    @staticmethod
    def _decode_page_token(token: str, fingerprint: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            if data["k"] != fingerprint:
                raise ValueError("page token belongs to another query")
            return int(data["o"])
        except (ValueError, KeyError, TypeError) as exc:
            raise _invalid("pageToken", "Invalid Value") from exc

    def _changes_list(self, req: _Request) -> _Reply:
        tree = self._fields(req, _CHANGE_LIST_SCHEMA, _DEFAULT_CHANGES_FIELDS)
        token = req.arg("pageToken")
        if token is None:
            raise GoogleError(400, "Required parameter: pageToken", reason="required", location="pageToken")
        next_number = len(self._changes) + 1
        if not token.isdigit() or not self._change_floor <= int(token) <= next_number:
            raise _invalid("pageToken", "Invalid Value")
        try:
            page_size = int(req.arg("pageSize") or 100)
        except ValueError as exc:
            raise _invalid("pageSize") from exc
        if not 1 <= page_size <= 1000:
            raise _invalid(
                "pageSize", f"Invalid value '{page_size}'. Values must be within the range: [1, 1000]"
            )
        include_removed = (req.arg("includeRemoved") or "true").lower() != "false"
        restrict = req.flag("restrictToMyDrive")
        out: list[dict[str, Any]] = []
        number = int(token)
        while number < next_number and len(out) < page_size:
            change = self._changes[number - 1]
            number += 1
            f = self._files.get(change.file_id)
            removed = change.removed or f is None or f.id in self._denied
            if self.strict_all_drives and change.drive_id and not req.flag("includeItemsFromAllDrives"):
                continue
            if restrict and change.drive_id:
                continue
            if removed and not include_removed:
                continue
            item: dict[str, Any] = {
                "kind": "drive#change",
                "type": "file",
                "changeType": "file",
                "time": _rfc3339(change.time),
                "removed": removed,
                "fileId": change.file_id,
            }
            if change.drive_id:
                item["driveId"] = change.drive_id
                item["teamDriveId"] = change.drive_id
            if not removed and f is not None:
                item["file"] = self._metadata(f)
            out.append(item)
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": out}
        if number < next_number:
            body["nextPageToken"] = str(number)
        else:
            body["newStartPageToken"] = str(next_number)
        return _json_reply(200, _apply_fields(body, tree))

    def _download(self, req: _Request, f: _File) -> _Reply:
        if f.content is None:
            raise GoogleError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                reason="fileNotDownloadable",
                location="alt",
            )
        data = f.content
        content_type = f.mime_type
        range_header = req.header("Range")
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
        if range_header and match and (match.group(1) or match.group(2)):
            total = len(data)
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), total - 1) if match.group(2) else total - 1
            else:
                start, end = max(total - int(match.group(2)), 0), total - 1
            if start >= total or start > end:
                return _Reply(416, b"", None, {"Content-Range": f"bytes */{total}"})
            return _Reply(
                206, data[start : end + 1], content_type, {"Content-Range": f"bytes {start}-{end}/{total}"}
            )
        return _Reply(200, data, content_type)

    def _permission_create(self, req: _Request, f: _File) -> _Reply:
        body = req.json()
        role, kind = body.get("role"), body.get("type")
        if role not in _PERMISSION_ROLES:
            raise GoogleError(
                400, f"Invalid permission role: {role}.", reason="invalid", location="permission.role"
            )
        if kind not in _PERMISSION_TYPES:
            raise GoogleError(
                400, f"Invalid permission type: {kind}.", reason="invalid", location="permission.type"
            )
        perm: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
        if kind in ("user", "group"):
            email = body.get("emailAddress")
            if not email:
                raise GoogleError(
                    400,
                    "The permission emailAddress field is required for the specified permission type.",
                    reason="required",
                    location="permission.emailAddress",
                )
            perm["emailAddress"] = email
            perm["id"] = "".join(self._ids.choice(string.digits) for _ in range(20))
        elif kind == "domain":
            if not body.get("domain"):
                raise GoogleError(
                    400, "The domain field is required.", reason="required", location="permission.domain"
                )
            perm["domain"] = body["domain"]
            perm["id"] = "".join(self._ids.choice(string.digits) for _ in range(20)) + "k"
        else:
            perm["id"] = "anyoneWithLink"
            perm["allowFileDiscovery"] = bool(body.get("allowFileDiscovery", False))
        f.permissions = [p for p in f.permissions if p["id"] != perm["id"]] + [perm]
        self._touch(f, modified=False)
        self._record_change(f)
        tree = self._fields(req, _PERMISSION_SCHEMA, _DEFAULT_PERMISSION_FIELDS)
        return _json_reply(200, _apply_fields(perm, tree))

    # --- Drive: uploads ---

    def _drive_upload(self, req: _Request) -> _Reply:
        parts = [unquote(p) for p in req.path.split("/")[4:]]
        if not parts or parts[0] != "files" or len(parts) > 2:
            raise GoogleError(404, f"Not Found: {req.method} {req.path}", reason="notFound")
        target = self._get_file(req, parts[1]) if len(parts) == 2 else None
        self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)
        upload_id = req.arg("upload_id")
        if upload_id:
            return self._upload_chunk(req, upload_id)
        expected = "PATCH" if target is not None else "POST"
        if req.method != expected:
            raise GoogleError(404, f"Not Found: {req.method} {req.path}", reason="notFound")
        kind = req.arg("uploadType")
        content_type = req.header("Content-Type") or ""
        if kind == "multipart":
            meta, content, media_mime = self._parse_multipart(req.body, content_type)
        elif kind == "media":
            meta, content, media_mime = {}, req.body, content_type.split(";")[0].strip() or None
        elif kind == "resumable":
            meta = req.json()
            total = req.header("X-Upload-Content-Length")
            session = _Upload(
                id=self._random_id(24),
                file_id=target.id if target else None,
                metadata=meta,
                mime_type=req.header("X-Upload-Content-Type"),
                total=int(total) if total and total.isdigit() else None,
                query={k: v for k, v in req.query.items() if k != "uploadType"},
            )
            self._check_writable(meta, _UPDATE_WRITABLE if target else _CREATE_WRITABLE)
            self._uploads[session.id] = session
            path = req.path
            location = f"{req.origin}{path}?uploadType=resumable&upload_id={session.id}"
            return _Reply(200, b"", None, {"Location": location, "X-GUploader-UploadID": session.id})
        else:
            raise GoogleError(
                400,
                "Upload requests must include an uploadType URL parameter and a URL path "
                "beginning with /upload/",
                reason="badRequest",
                location="uploadType",
            )
        if target is None:
            f = self._create_checked(req, meta, content, media_mime)
        else:
            f = target
            self._update(req, f, meta, content, media_mime)
        return self._file_reply(req, f)

    def _upload_chunk(self, req: _Request, upload_id: str) -> _Reply:
        session = self._uploads.get(upload_id)
        if session is None or req.method not in ("PUT", "POST"):
            raise GoogleError(404, "No upload session with that id.", reason="notFound", location="upload_id")
        header = (req.header("Content-Range") or "").strip()
        received = len(session.data)
        if header:
            query = re.fullmatch(r"bytes \*/(\d+|\*)", header)
            chunk = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", header)
            if query:
                if query.group(1) != "*":
                    session.total = int(query.group(1))
            elif chunk:
                start = int(chunk.group(1))
                if start > received:
                    raise GoogleError(
                        400,
                        f"Invalid request. According to the Content-Range header, the upload offset is "
                        f"{start} byte(s), which exceeds already uploaded size of {received} byte(s).",
                    )
                del session.data[start:]
                session.data.extend(req.body)
                if chunk.group(3) != "*":
                    session.total = int(chunk.group(3))
            else:
                raise GoogleError(400, f"Invalid Content-Range header: {header}")
        else:
            session.data.extend(req.body)
            if session.total is None:
                session.total = len(session.data)
        if session.total is None or len(session.data) < session.total:
            headers = {"X-GUploader-UploadID": session.id}
            if session.data:
                headers["Range"] = f"bytes=0-{len(session.data) - 1}"
            return _Reply(308, b"", None, headers)
        del self._uploads[upload_id]
        saved = _Request(req.method, req.path, session.query, req.headers, b"", req.origin)
        content = bytes(session.data[: session.total])
        if session.file_id is None:
            f = self._create_checked(saved, dict(session.metadata), content, session.mime_type)
        else:
            f = self._get_file(saved, session.file_id)
            self._update(saved, f, session.metadata, content, session.mime_type)
        return self._file_reply(saved, f)

    @staticmethod
    def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], bytes, str | None]:
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not content_type.lower().startswith("multipart/") or not match:
            raise GoogleError(400, "Multipart uploads need a multipart/related body with a boundary.")
        delimiter = b"--" + match.group(1).encode()
        chunks = body.split(delimiter)
        parts: list[tuple[dict[str, str], bytes]] = []
        for chunk in chunks[1:]:
            if chunk.startswith(b"--"):
                break
            chunk = (
                chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
            )
            chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1] if chunk.endswith(b"\n") else chunk
            crlf, lf = chunk.find(b"\r\n\r\n"), chunk.find(b"\n\n")
            if crlf != -1 and (lf == -1 or crlf < lf):
                head, payload = chunk[:crlf], chunk[crlf + 4 :]
            elif lf != -1:
                head, payload = chunk[:lf], chunk[lf + 2 :]
            else:
                head, payload = b"", chunk
            headers: dict[str, str] = {}
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.strip():
                    headers[name.strip().lower()] = value.strip()
            parts.append((headers, payload))
        if len(parts) != 2:
            raise GoogleError(
                400, f"A multipart upload has 2 parts (metadata, media); this one has {len(parts)}."
            )
        (_, meta_raw), (media_headers, media) = parts
        try:
            meta = json.loads(meta_raw or b"{}")
        except ValueError as exc:
            raise GoogleError(400, f"Invalid JSON payload received. {exc}", reason="parseError") from exc
        if media_headers.get("content-transfer-encoding", "").lower() == "base64":
            media = base64.b64decode(media)
        media_mime = media_headers.get("content-type", "").split(";")[0].strip() or None
        return meta, media, media_mime

    # --- Sheets ---

    def _sheet_id(self, book: _Spreadsheet, *, first: bool = False) -> int:
        if first and all(s.sheet_id != 0 for s in book.sheets):
            return 0
        taken = {s.sheet_id for s in book.sheets}
        while True:
            candidate = self._ids.randint(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def _book(self, spreadsheet_id: str) -> _Spreadsheet:
        book = self._books.get(spreadsheet_id)
        if book is None:
            raise GoogleError(404, "Requested entity was not found.")
        if spreadsheet_id in self._denied:
            raise GoogleError(403, "The caller does not have permission")
        return book

    def _sheets(self, req: _Request) -> _Reply:
        rest = req.path[len("/v4/spreadsheets") :]
        if rest in ("", "/"):
            if req.method == "POST":
                return self._spreadsheet_create(req)
            raise GoogleError(404, f"Not Found: {req.method} {req.path}")
        head, _, tail = rest[1:].partition("/")
        sid_raw, _, action = head.partition(":")
        book = self._book(unquote(sid_raw))
        method = req.method
        if not tail:
            if not action and method == "GET":
                return self._spreadsheet_get(req, book)
            if action == "batchUpdate" and method == "POST":
                return self._spreadsheet_batch_update(req, book)
        elif tail.startswith("values:"):
            op = tail[len("values:") :]
            if op == "batchGet" and method == "GET":
                return self._values_batch_get(req, book)
            if op == "batchUpdate" and method == "POST":
                return self._values_batch_update(req, book)
            if op == "batchClear" and method == "POST":
                body = req.json()
                cleared = [self._clear(book, r) for r in body.get("ranges") or []]
                return _json_reply(200, {"spreadsheetId": book.id, "clearedRanges": cleared})
        elif tail.startswith("values/"):
            target = unquote(tail[len("values/") :])
            op = ""
            for suffix in (":append", ":clear"):
                if target.endswith(suffix):
                    target, op = target[: -len(suffix)], suffix[1:]
            if not op and method == "GET":
                return _json_reply(200, self._values_get(req, book, target))
            if not op and method == "PUT":
                return self._values_update(req, book, target)
            if op == "append" and method == "POST":
                return self._values_append(req, book, target)
            if op == "clear" and method == "POST":
                return _json_reply(200, {"spreadsheetId": book.id, "clearedRange": self._clear(book, target)})
        raise GoogleError(404, f"Not Found: {method} {req.path}")

    def _spreadsheet_body(self, book: _Spreadsheet) -> dict[str, Any]:
        return {
            "spreadsheetId": book.id,
            "properties": {
                "title": book.title,
                "locale": book.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": book.time_zone,
            },
            "sheets": [{"properties": s.properties()} for s in book.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
        }

    def _spreadsheet_get(self, req: _Request, book: _Spreadsheet) -> _Reply:
        if req.flag("includeGridData"):
            raise GoogleError(400, "includeGridData=true is not supported by the fake.")
        tree = _parse_fields(req.arg("fields") or "")
        return _json_reply(200, _apply_fields(self._spreadsheet_body(book), tree))

    def _spreadsheet_create(self, req: _Request) -> _Reply:
        body = req.json()
        title = (body.get("properties") or {}).get("title") or "Untitled spreadsheet"
        f = self._new_file({"name": title, "mimeType": SPREADSHEET_MIME}, ["root"], None, req)
        book = self._books[f.id]
        wanted = body.get("sheets") or []
        if wanted:
            book.sheets.clear()
            for i, item in enumerate(wanted):
                self._add_sheet(book, dict(item.get("properties") or {}), default_index=i)
        return _json_reply(200, self._spreadsheet_body(book))

    def _add_sheet(
        self, book: _Spreadsheet, props: dict[str, Any], *, default_index: int | None = None
    ) -> _Sheet:
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet(title) is not None:
            raise GoogleError(
                400,
                f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. '
                "Please enter another name.",
            )
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self._sheet_id(book, first=not book.sheets)
        elif any(s.sheet_id == sheet_id for s in book.sheets):
            raise GoogleError(
                400, f"Invalid requests[0].addSheet: A sheet with id {sheet_id} already exists."
            )
        grid = props.get("gridProperties") or {}
        index = props.get("index", default_index if default_index is not None else len(book.sheets))
        for sheet in book.sheets:
            if sheet.index >= index:
                sheet.index += 1
        sheet = _Sheet(
            int(sheet_id), title, index, int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))
        )
        book.sheets.append(sheet)
        book.reindex()
        return sheet

    def _sheet_by_id(self, book: _Spreadsheet, sheet_id: Any) -> _Sheet:
        for sheet in book.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise GoogleError(400, f"Invalid requests: No grid with id: {sheet_id}")

    def _spreadsheet_batch_update(self, req: _Request, book: _Spreadsheet) -> _Reply:
        body = req.json()
        work = copy.deepcopy(book)  # all or nothing, like Sheets
        replies: list[dict[str, Any]] = []
        for n, request in enumerate(body.get("requests") or []):
            if len(request) != 1:
                raise GoogleError(400, f"Invalid requests[{n}]: exactly one kind of request per entry.")
            kind, params = next(iter(request.items()))
            if kind == "addSheet":
                sheet = self._add_sheet(work, dict(params.get("properties") or {}))
                replies.append({"addSheet": {"properties": sheet.properties()}})
            elif kind == "deleteSheet":
                sheet = self._sheet_by_id(work, params.get("sheetId"))
                if len(work.sheets) == 1:
                    raise GoogleError(
                        400, "Invalid requests[0].deleteSheet: You can't remove all the sheets."
                    )
                work.sheets.remove(sheet)
                work.reindex()
                replies.append({})
            elif kind == "updateSheetProperties":
                props = params.get("properties") or {}
                sheet = self._sheet_by_id(work, props.get("sheetId"))
                mask = {
                    m.strip().replace("/", ".") for m in (params.get("fields") or "").split(",") if m.strip()
                }
                grid = props.get("gridProperties") or {}
                if ("title" in mask or "*" in mask) and "title" in props:
                    other = work.sheet(props["title"])
                    if other is not None and other is not sheet:
                        raise GoogleError(400, f'A sheet with the name "{props["title"]}" already exists.')
                    sheet.title = props["title"]
                for name, attr in (("rowCount", "rows"), ("columnCount", "cols")):
                    covered = {"*", "gridProperties", f"gridProperties.{name}"} & mask
                    if covered and name in grid:
                        setattr(sheet, attr, int(grid[name]))
                if ("index" in mask or "*" in mask) and "index" in props:
                    work.sheets.remove(sheet)
                    work.sheets.insert(int(props["index"]), sheet)
                    for i, s in enumerate(work.sheets):
                        s.index = i
                replies.append({})
            elif kind == "appendDimension":
                sheet = self._sheet_by_id(work, params.get("sheetId"))
                length = int(params.get("length") or 0)
                if params.get("dimension") == "COLUMNS":
                    sheet.cols += length
                else:
                    sheet.rows += length
                replies.append({})
            elif kind in ("insertDimension", "deleteDimension"):
                span = params.get("range") or {}
                sheet = self._sheet_by_id(work, span.get("sheetId"))
                start, end = int(span.get("startIndex") or 0), int(span.get("endIndex") or 0)
                if end <= start:
                    raise GoogleError(
                        400, f"Invalid requests[{n}].{kind}: endIndex must be after startIndex."
                    )
                if kind == "insertDimension":
                    sheet.insert(span.get("dimension") or "ROWS", start, end - start)
                else:
                    sheet.delete(span.get("dimension") or "ROWS", start, end)
                replies.append({})
            elif kind == "updateSpreadsheetProperties":
                props = params.get("properties") or {}
                if "title" in props:
                    work.title = props["title"]
                replies.append({})
            else:
                raise GoogleError(400, f"Invalid requests[{n}]: the fake does not support {kind!r} requests.")
        self._books[book.id] = work
        if work.title != book.title and book.id in self._files:
            f = self._files[book.id]
            f.name = work.title
            self._touch(f)
            self._record_change(f)
        reply: dict[str, Any] = {"spreadsheetId": work.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            reply["updatedSpreadsheet"] = self._spreadsheet_body(work)
        return _json_reply(200, reply)

    def _read(self, rng: _Range, render: str, major: str) -> dict[str, Any]:
        r1, c1, r2, c2 = rng.clipped()
        rows = [[_render(rng.sheet.get(r, c), render) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if major == "COLUMNS":
            rows = _transpose(rows)
        body: dict[str, Any] = {"range": rng.a1(), "majorDimension": major}
        values = _trim(rows)
        if values:
            body["values"] = values
        return body

    def _values_get(self, req: _Request, book: _Spreadsheet, target: str) -> dict[str, Any]:
        render = req.arg("valueRenderOption") or "FORMATTED_VALUE"
        major = req.arg("majorDimension") or "ROWS"
        if render not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            raise GoogleError(400, f"Invalid value at 'value_render_option' ({render})")
        if major not in ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"):
            raise GoogleError(400, f"Invalid value at 'major_dimension' ({major})")
        return self._read(_resolve_range(book, target), render, "COLUMNS" if major == "COLUMNS" else "ROWS")

    def _values_batch_get(self, req: _Request, book: _Spreadsheet) -> _Reply:
        ranges = [self._values_get(req, book, r) for r in req.args("ranges")]
        return _json_reply(200, {"spreadsheetId": book.id, "valueRanges": ranges})

    def _input_option(self, value: str | None) -> str:
        if not value:
            raise GoogleError(400, "'valueInputOption' is required but not specified")
        if value not in ("RAW", "USER_ENTERED"):
            raise GoogleError(400, f"Invalid value at 'value_input_option' ({value})")
        return value

    def _write(
        self,
        book: _Spreadsheet,
        target: str,
        values: Any,
        option: str,
        major: str | None,
        *,
        at: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        rng = _resolve_range(book, target)
        if not isinstance(values, list) or any(not isinstance(row, list) for row in values):
            raise GoogleError(400, "Invalid values: a list of lists is expected.")
        matrix = _transpose(values) if major == "COLUMNS" else values
        r0, c0 = at or (rng.r1, rng.c1)
        height = len(matrix)
        width = max((len(row) for row in matrix), default=0)
        sheet = rng.sheet
        if at is None and not rng.single:
            if rng.r2 is not None and r0 + height - 1 > rng.r2:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{target}], but tried writing to row [{r0 + height}]",
                )
            if rng.c2 is not None and c0 + width - 1 > rng.c2:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{target}], but tried writing to column "
                    f"[{_col_letters(c0 + width - 1)}]",
                )
        if at is None and height and width and (r0 + height > sheet.rows or c0 + width > sheet.cols):
            raise GoogleError(
                400,
                f"Range ({_a1(sheet.title, r0, c0, r0 + height - 1, c0 + width - 1)}) "
                "exceeds grid limits. "
                f"Max rows: {sheet.rows}, max columns: {sheet.cols}",
            )
        cells = 0
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    raise GoogleError(400, f"Invalid values[{i}][{j}]: {json.dumps(value)}")
                sheet.set(r0 + i, c0 + j, _stored(value, option))
                cells += 1
        result: dict[str, Any] = {"spreadsheetId": book.id}
        if height and width:
            result["updatedRange"] = _a1(sheet.title, r0, c0, r0 + height - 1, c0 + width - 1)
            result.update(updatedRows=height, updatedColumns=width, updatedCells=cells)
        else:
            result["updatedRange"] = _a1(sheet.title, r0, c0, r0, c0)
        return result

    def _with_values(self, req_args: Mapping[str, Any], book: _Spreadsheet, result: dict[str, Any]) -> None:
        if str(req_args.get("includeValuesInResponse")).lower() == "true" and "updatedRows" in result:
            render = req_args.get("responseValueRenderOption") or "FORMATTED_VALUE"
            rng = _resolve_range(book, result["updatedRange"])
            result["updatedData"] = self._read(rng, render, "ROWS")

    def _values_update(self, req: _Request, book: _Spreadsheet, target: str) -> _Reply:
        option = self._input_option(req.arg("valueInputOption"))
        body = req.json()
        result = self._write(book, target, body.get("values") or [], option, body.get("majorDimension"))
        self._with_values({k: v[0] for k, v in req.query.items()}, book, result)
        self._sheets_changed(book)
        return _json_reply(200, result)

    def _values_batch_update(self, req: _Request, book: _Spreadsheet) -> _Reply:
        body = req.json()
        option = self._input_option(body.get("valueInputOption"))
        work = copy.deepcopy(book)
        responses = []
        for item in body.get("data") or []:
            result = self._write(
                work, item.get("range") or "", item.get("values") or [], option, item.get("majorDimension")
            )
            self._with_values(body, work, result)
            responses.append(result)
        self._books[book.id] = work
        touched = {r["updatedRange"].rpartition("!")[0] for r in responses if "updatedRows" in r}
        reply = {
            "spreadsheetId": book.id,
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len(touched),
            "responses": responses,
        }
        self._sheets_changed(work)
        return _json_reply(200, reply)

    def _values_append(self, req: _Request, book: _Spreadsheet, target: str) -> _Reply:
        option = self._input_option(req.arg("valueInputOption"))
        insert = req.arg("insertDataOption") or "OVERWRITE"
        if insert not in ("OVERWRITE", "INSERT_ROWS"):
            raise GoogleError(400, f"Invalid value at 'insert_data_option' ({insert})")
        body = req.json()
        values = body.get("values") or []
        matrix = _transpose(values) if body.get("majorDimension") == "COLUMNS" else values
        rng = _resolve_range(book, target)
        sheet = rng.sheet
        r1, c1, r2, c2 = rng.clipped()
        last_row: int | None = None
        first_col: int | None = None
        last_col: int | None = None
        first_row: int | None = None
        for r in range(r1, min(r2 + 1, len(sheet.cells))):
            for c in range(c1, min(c2 + 1, len(sheet.cells[r]))):
                if sheet.cells[r][c] is not None:
                    first_row = r if first_row is None else first_row
                    last_row = r
                    first_col = c if first_col is None else min(first_col, c)
                    last_col = c if last_col is None else max(last_col, c)
        at_row = r1 if last_row is None else last_row + 1
        at_col = c1 if first_col is None else first_col
        height = len(matrix)
        width = max((len(row) for row in matrix), default=0)
        if height:
            if insert == "INSERT_ROWS":
                sheet.insert_rows(at_row, height)
            elif at_row + height > sheet.rows:
                sheet.rows = at_row + height
            if at_col + width > sheet.cols:
                sheet.cols = at_col + width
        result = self._write(book, target, matrix, option, None, at=(at_row, at_col))
        result.pop("spreadsheetId", None)
        result["spreadsheetId"] = book.id
        reply: dict[str, Any] = {"spreadsheetId": book.id, "updates": result}
        if last_row is not None and first_row is not None and first_col is not None and last_col is not None:
            reply["tableRange"] = _a1(sheet.title, first_row, first_col, last_row, last_col)
        self._with_values({k: v[0] for k, v in req.query.items()}, book, result)
        self._sheets_changed(book)
        return _json_reply(200, reply)

    def _clear(self, book: _Spreadsheet, target: str) -> str:
        rng = _resolve_range(book, target)
        r1, c1, r2, c2 = rng.clipped()
        for r in range(r1, min(r2 + 1, len(rng.sheet.cells))):
            row = rng.sheet.cells[r]
            for c in range(c1, min(c2 + 1, len(row))):
                row[c] = None
        self._sheets_changed(book)
        return rng.a1()

    def _sheets_changed(self, book: _Spreadsheet) -> None:
        f = self._files.get(book.id)
        if f is not None:
            self._touch(f)
            self._record_change(f)


# ---------------------------------------------------------------------------------------------
# Running it by hand


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fulfil.testing.fake_google",
        description="Serve a loopback fake of Google's token endpoint, Drive v3 and Sheets v4 until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and random faults")
    args = parser.parse_args(argv)
    fake = FakeGoogle(args.host, args.port, seed=args.seed).start()
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
