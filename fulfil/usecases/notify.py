"""Completion and the outbox sender: a message is queued with its status change, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fulfil.bootstrap import Services
from fulfil.core.order import SYSTEM, Order
from fulfil.core.pipeline import complete
from fulfil.core.status import OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases._unit import transact
from integrations.ports import AdapterError, Envelope
from integrations.store import claims


def to_complete(svc: Services, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list({OrderStatus.RECORDED}) if order_ids is None else svc.store.get_many(order_ids)
    return [o.order_id for o in orders if o.status == OrderStatus.RECORDED]


def complete_orders(svc: Services, order_ids: list[str]) -> list[str]:
    done = []
    for order_id in order_ids:

        def decide(order: Order):  # type: ignore[no-untyped-def]
            return complete(order, at=svc.clock()) if order.status == OrderStatus.RECORDED else None

        if transact(svc, order_id, decide) is not None:
            done.append(order_id)
    return done


MAX_ATTEMPTS = 10


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)


def send_pending(svc: Services) -> SendReport:
    """Deliver every unsent message and mark it sent; one failure never holds up the rest."""
    report = SendReport()
    owner = claims.me()
    for msg in svc.store.claim_messages(owner):
        label = f"{msg.order_id}/{msg.kind}"
        envelope = Envelope(
            msg.order_id, msg.kind, svc.settings.shop_email, msg.recipient, msg.subject, msg.body
        )
        try:
            svc.notifier.send(envelope)
        except AdapterError as exc:
            # A temporary failure is retried on later passes, but not for ever.
            permanent = not exc.retryable or msg.attempts + 1 >= MAX_ATTEMPTS
            svc.store.mark_failed(msg.id, str(exc), permanent=permanent, owner=owner)
            (report.failed if permanent else report.retry_later).append(label)
            if permanent:
                _note_failure(svc, msg.order_id, msg.kind, str(exc))
            continue
        crash_point("after-send-before-mark")
        svc.store.mark_sent(msg.id, svc.clock(), owner=owner)
        report.sent.append(label)
    return report


def _note_failure(svc: Services, order_id: str, kind: str, error: str) -> None:
    def decide(order: Order):  # type: ignore[no-untyped-def]
        order.comment(f"Pesan {kind} gagal dikirim: {error}", actor=SYSTEM, at=svc.clock())
        return []

    transact(svc, order_id, decide)
