"""Completion (store) and the outbox sender (idempotent per message, retried)."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import notify as uc
from tasks._runtime import log, services, worth_retrying


@task(name="complete-orders")
def complete_orders(order_ids: list[str] | None = None) -> list[str]:
    svc = services()
    done = uc.complete_orders(svc, uc.to_complete(svc, order_ids))
    log(f"completed {len(done)} orders: {', '.join(done) or '-'}")
    return done


@task(name="check-delivery")
def check_delivery(report: uc.SendReport) -> None:
    """Fail the run, in one line, when this pass left messages undelivered: the run shows red in
    the UI and the command exits non-zero; the messages themselves wait in the outbox."""
    uc.check_delivered(report)


@task(name="send-outbox", retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=worth_retrying)
def send_outbox() -> uc.SendReport:
    report = uc.send_pending(services())
    log(
        f"messages sent: {len(report.sent)}, failed: {len(report.failed)}, "
        f"to retry: {len(report.retry_later)}"
    )
    return report
