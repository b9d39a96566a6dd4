"""Bounded retries for Google calls, on tenacity: what is worth repeating, how long to wait, when to stop.

Retried: 429, 5xx, timeouts and dropped connections, and a 403 whose reason is a rate limit
(`userRateLimitExceeded` / `rateLimitExceeded`: Drive answers its per-user limits with 403 as
well as 429). Google's quotas are counted per minute (Sheets: 60 requests per minute per user),
so the waits grow exponentially to `max_wait` with jitter, and the whole call may spend
`total_cap` (~100 s, more than a minute: a quota window always resets before fulfil gives up).
A Retry-After header is honoured as given.

Never gspread's BackOffHTTPClient: it retries without end. A 403 for permissions, a 403
`storageQuotaExceeded` and a 404 are not retried: the step fails with a message a person can act
on, and the order stays where it was.
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import tenacity
from googleapiclient.errors import HttpError
from gspread.exceptions import APIError

from integrations.google.advice import STORAGE_QUOTA_ADVICE
from integrations.google.clients import explain_refresh_error
from integrations.ports import AdapterError

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Reasons (lower-cased, underscores dropped, so Drive's `userRateLimitExceeded` and Sheets'
# `RATE_LIMIT_EXCEEDED` compare alike) that make a 403 a "slow down", not a "no".
RATE_LIMIT_REASONS = frozenset({"userratelimitexceeded", "ratelimitexceeded"})
STORAGE_QUOTA_REASON = "storagequotaexceeded"


class GoogleApiError(AdapterError):
    """A Google call that failed; `status` is the HTTP status when there was one."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th wait is min(max_wait, base_wait * 2**(n-1)),
    times a random 0.5–1.0, and all the waits of one call stay under `total_cap` seconds. With the
    defaults the waits before giving up add up to more than a minute (at least ~80 s)."""

    attempts: int = 10
    base_wait: float = 1.0
    max_wait: float = 32.0
    total_cap: float = 100.0
    # Injected so tests run the real policy without waiting (or by moving a fake clock).
    sleep: Callable[[float], None] = time.sleep


def status_of(exc: BaseException) -> int | None:
    if isinstance(exc, HttpError):
        return int(exc.resp.status)
    if isinstance(exc, APIError):
        return int(exc.response.status_code)
    return None


def _error_body(exc: BaseException) -> dict[str, Any]:
    """Google's `error` object of a failed call ({} when there is none)."""
    if isinstance(exc, APIError):
        return exc.error if isinstance(exc.error, dict) else {}
    if isinstance(exc, HttpError):
        try:
            content = exc.content.decode("utf-8") if isinstance(exc.content, bytes) else str(exc.content)
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            return {}
        error = data.get("error") if isinstance(data, dict) else None
        return error if isinstance(error, dict) else {}
    return {}


def reasons_of(exc: BaseException) -> frozenset[str]:
    """Every reason Google gave, normalised: Drive's errors[].reason, Sheets' details[].reason
    and the error's status (e.g. RESOURCE_EXHAUSTED)."""
    error = _error_body(exc)
    found: set[str] = set()
    for key in ("errors", "details"):
        for item in error.get(key) or []:
            if isinstance(item, dict) and item.get("reason"):
                found.add(str(item["reason"]))
    if error.get("status"):
        found.add(str(error["status"]))
    return frozenset(r.replace("_", "").lower() for r in found)


def _retry_after(exc: BaseException) -> float | None:
    headers = None
    if isinstance(exc, HttpError):
        headers = {k.lower(): v for k, v in dict(exc.resp).items()}
    elif isinstance(exc, APIError):
        headers = {k.lower(): v for k, v in exc.response.headers.items()}
    value = (headers or {}).get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _rate_limited(exc: BaseException) -> bool:
    return status_of(exc) == 403 and bool(reasons_of(exc) & RATE_LIMIT_REASONS)


def _transient(exc: BaseException) -> bool:
    import google.auth.exceptions as auth

    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES or _rate_limited(exc)
    if isinstance(exc, auth.TransportError):
        return True
    if isinstance(exc, auth.RefreshError):
        # google-auth says itself whether a failed token fetch (e.g. a 503) is worth repeating.
        return bool(getattr(exc, "retryable", False))
    return isinstance(
        exc, (TimeoutError, socket.timeout, ConnectionError, requests.ConnectionError, requests.Timeout)
    )


def _spent(state: tenacity.RetryCallState) -> float:
    # Waited for real, time passes; with an injected sleep that does not wait, the waits count.
    return max(state.seconds_since_start or 0.0, state.idle_for)


def _wait(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        given = _retry_after(exc) if exc is not None else None
        if given is not None:
            return given  # honoured as said; the stop below gives up if it does not fit the cap
        step = min(policy.max_wait, policy.base_wait * 2 ** (state.attempt_number - 1))
        backoff = step * random.uniform(0.5, 1.0)
        # The last wait is cut to what the cap leaves, so the whole budget is used.
        return max(0.0, min(backoff, policy.total_cap - _spent(state)))

    return wait


def _stop(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], bool]:
    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.attempts:
            return True
        left = policy.total_cap - _spent(state)
        return left <= 0 or state.upcoming_sleep > left

    return stop


def call(fn: Callable[[], T], *, what: str, policy: RetryPolicy | None = None) -> T:
    """Run one Google call with bounded exponential backoff and jitter."""
    policy = policy or RetryPolicy()
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_transient),
        wait=_wait(policy),
        stop=_stop(policy),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(fn)
    except Exception as exc:  # the clients raise many kinds; only some were worth a retry
        raise _explain(exc, what, retryable=_transient(exc)) from None


def _explain(exc: BaseException, what: str, *, retryable: bool = False) -> GoogleApiError:
    status = status_of(exc)
    if status == 403 and STORAGE_QUOTA_REASON in reasons_of(exc):
        return GoogleApiError(f"{what}: {STORAGE_QUOTA_ADVICE}", retryable=False, status=status)
    refresh = explain_refresh_error(exc)  # a sign-in Google no longer accepts (invalid_grant)
    if refresh:
        return GoogleApiError(f"{what}: {refresh}", retryable=retryable, status=status)
    detail = _message(exc)
    if status == 403 and _rate_limited(exc):
        hint = "Google's per-user rate limit, still hit after the retries"
    elif status == 403:
        hint = (
            "permission denied: share it as Editor with the account fulfil signs in as "
            "(`fulfil doctor` shows which)"
        )
    elif status == 404:
        hint = "not found: check the ID in your FULFIL_ settings and that it is shared"
    elif status == 429:
        hint = "Google's quota, still exceeded after the retries"
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
