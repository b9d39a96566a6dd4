"""The daily digest task: one message to ops per day (sending is idempotent per day)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases import digest as uc
from fulfil.usecases.deps import Deps
from tasks._runtime import log, worth_retrying


@task(
    name="send-daily-digest",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=worth_retrying,
    cache_policy=NO_CACHE,
)
def send_daily_digest(deps: Deps) -> bool:
    sent = uc.send_digest(deps)
    log("daily digest sent to ops" if sent else "today's digest was already sent")
    return sent
