"""Completion (store) and the outbox sender (idempotent per message, retried)."""

from __future__ import annotations

from fulfil.usecases.deps import Deps
from fulfil.usecases.notify import SendReport, check_delivered
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import listed, log, step_task


@step_task("complete-orders")
def complete_orders(deps: Deps, order_ids: list[str] | None = None) -> list[str]:
    done = DirectSteps(deps).complete_orders(order_ids)
    log(f"completed {len(done)} orders: {listed(done)}")
    return done


@step_task("check-delivery")
def check_delivery(report: SendReport) -> None:
    """Fail the run, in one line, when this pass left messages undelivered: the run shows red in
    the UI and the command exits non-zero; the messages themselves wait in the outbox."""
    check_delivered(report)


@step_task("send-outbox", retry_waits=[5, 30])
def send_outbox(deps: Deps) -> SendReport:
    report = DirectSteps(deps).send_outbox()
    log(
        f"messages sent: {len(report.sent)}, failed: {len(report.failed)}, "
        f"to retry: {len(report.retry_later)}"
    )
    return report
