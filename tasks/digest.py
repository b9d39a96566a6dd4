"""The daily digest task: one message to ops per day (sending is idempotent per day)."""

from __future__ import annotations

from fulfil.usecases import digest as uc
from fulfil.usecases.deps import Deps
from tasks._runtime import log, step_task


@step_task("send-daily-digest", retry_waits=[10, 60])
def send_daily_digest(deps: Deps) -> bool:
    sent = uc.send_digest(deps)
    log("daily digest sent to ops" if sent else "today's digest was already sent")
    return sent
