"""Completion (store) and the outbox sender (idempotent per message, retried)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.notify import SendReport, check_delivered
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import log, worth_retrying


@task(name="complete-orders", cache_policy=NO_CACHE)
def complete_orders(deps: Deps, order_ids: list[str] | None = None) -> list[str]:
    done = DirectSteps(deps).complete_orders(order_ids)
    log(f"completed {len(done)} orders: {', '.join(done) or '-'}")
    return done


@task(name="check-delivery", cache_policy=NO_CACHE)
def check_delivery(report: SendReport) -> None:
    """Fail the run, in one line, when this pass left messages undelivered: the run shows red in
    the UI and the command exits non-zero; the messages themselves wait in the outbox."""
    check_delivered(report)


@task(
    name="send-outbox",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=worth_retrying,
    cache_policy=NO_CACHE,
)
def send_outbox(deps: Deps) -> SendReport:
    report = DirectSteps(deps).send_outbox()
    log(
        f"messages sent: {len(report.sent)}, failed: {len(report.failed)}, "
        f"to retry: {len(report.retry_later)}"
    )
    return report
