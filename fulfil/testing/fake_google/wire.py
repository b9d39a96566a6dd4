"""Requests, replies and Google's JSON error bodies as they cross the wire; RFC 3339 times, `fields` masks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


def _invalid(location: str, message: str | None = None) -> GoogleError:
    return GoogleError(400, message or f"Invalid Value: {location}", reason="invalid", location=location)


class _OAuthError(GoogleError):
    """An OAuth endpoint's error: {"error": <code word>, "error_description": ...}."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(code, description)
        self.error = error

    def reply(self, api: str) -> _Reply:
        return _json_reply(self.code, {"error": self.error, "error_description": self.message})


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


# --- time and `fields` masks ---


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


_Schema = Mapping[str, Any]  # field name -> sub-schema, or None for a leaf taken whole

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
