"""Google's per-minute per-user quotas, and Sheets' 429 answer when one runs out."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable

from fulfil.testing.fake_google.auth import Principal
from fulfil.testing.fake_google.wire import GoogleError, _json_reply, _Reply, _Request


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


class QuotaMixin:
    """FakeGoogle's quota counting: requests per user over the last 60 s of the fake's clock."""

    sheets_per_minute: int | None
    drive_per_minute: int | None
    _quota_used: dict[tuple[str, str, str], deque[float]]
    _clock: Callable[[], float]
    _caller: Principal | None

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
