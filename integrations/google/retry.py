"""Bounded retries for Google calls: 429 and 5xx and timeouts, honouring Retry-After, with a cap.

Never gspread's BackOffHTTPClient: it retries without end. A 403 or 404 is not retried: the step
fails with a message a person can act on, and the order stays where it was.
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from googleapiclient.errors import HttpError
from gspread.exceptions import APIError

from integrations.ports import AdapterError

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class GoogleApiError(AdapterError):
    """A Google call that failed; `status` is the HTTP status when there was one."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_wait: float = 0.5
    max_wait: float = 16.0
    total_cap: float = 60.0
    # Injected so tests run the real policy without waiting.
    sleep: Callable[[float], None] = time.sleep


def status_of(exc: BaseException) -> int | None:
    if isinstance(exc, HttpError):
        return int(exc.resp.status)
    if isinstance(exc, APIError):
        return int(exc.response.status_code)
    return None


def _retry_after(exc: BaseException) -> float | None:
    headers = None
    if isinstance(exc, HttpError):
        headers = {k.lower(): v for k, v in dict(exc.resp).items()}
    elif isinstance(exc, APIError):
        headers = {k.lower(): v for k, v in exc.response.headers.items()}
    value = (headers or {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _transient(exc: BaseException) -> bool:
    import google.auth.exceptions as auth

    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    if isinstance(exc, auth.TransportError):
        return True
    if isinstance(exc, auth.RefreshError):
        # google-auth says itself whether a failed token fetch (e.g. a 503) is worth repeating.
        return bool(getattr(exc, "retryable", False))
    return isinstance(
        exc, (TimeoutError, socket.timeout, ConnectionError, requests.ConnectionError, requests.Timeout)
    )


def call(fn: Callable[[], T], *, what: str, policy: RetryPolicy | None = None) -> T:
    """Run one Google call with bounded exponential backoff and jitter."""
    policy = policy or RetryPolicy()
    started = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as exc:  # the clients raise many kinds; only some are worth a retry
            if not _transient(exc):
                raise _explain(exc, what) from None
            wait = _retry_after(exc)
            if wait is None:
                wait = random.uniform(0, min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1)))
            spent = time.monotonic() - started
            if attempt == policy.attempts or spent + wait > policy.total_cap:
                raise _explain(exc, what, retryable=True) from None
            policy.sleep(wait)
    raise AssertionError("unreachable")


def _explain(exc: BaseException, what: str, *, retryable: bool = False) -> GoogleApiError:
    status = status_of(exc)
    detail = _message(exc)
    if status == 403:
        hint = "permission denied: share it with the service account as Editor"
    elif status == 404:
        hint = "not found: check the ID in your FULFIL_ settings and that it is shared"
    elif status is not None:
        hint = f"HTTP {status}"
    else:
        hint = type(exc).__name__
    return GoogleApiError(f"{what}: {hint} ({detail})", retryable=retryable, status=status)


def _message(exc: BaseException) -> str:
    if isinstance(exc, HttpError):
        try:
            return str(exc.error_details or exc.reason)[:200]
        except Exception:
            return str(exc)[:200]
    if isinstance(exc, APIError):
        return str(exc.error.get("message", ""))[:200]
    return str(exc)[:200]
