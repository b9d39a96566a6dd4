"""Fault injection: the failures, delays and hang-ups `inject` arms for matching requests."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from fulfil.testing.fake_google.wire import _Request


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


class FaultMixin:
    """FakeGoogle's faults: armed by tests, taken by the server before it routes a request."""

    _lock: threading.RLock
    _faults: list[_Fault]
    _fault_rng: random.Random

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
