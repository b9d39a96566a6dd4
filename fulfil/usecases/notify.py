"""Completion and the outbox sender: a message is queued with its status change, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fulfil.core.errors import FulfilError
from fulfil.core.message_key import MessageKey
from fulfil.core.order import SYSTEM, Order
from fulfil.core.pipeline import MessageKind, complete
from fulfil.core.status import OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact
from integrations.ports import AdapterError, Envelope, OutboxMessage


def to_complete(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list({OrderStatus.RECORDED}) if order_ids is None else svc.store.get_many(order_ids)
    return [o.order_id for o in orders if o.status == OrderStatus.RECORDED]


def complete_orders(svc: Deps, order_ids: list[str]) -> list[str]:
    done = []
    for order_id in order_ids:

        def decide(order: Order) -> Decided:
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
    errors: dict[str, str] = field(default_factory=dict)  # order/kind → why it was not delivered


class Undelivered(FulfilError):
    """Messages of this pass were not delivered: the pass (command, flow run) failed."""


def check_delivered(report: SendReport) -> None:
    """Say in one line, and by failing, that messages were left undelivered this pass."""
    missed = report.failed + report.retry_later
    if not missed:
        return
    first = missed[0]
    later = f"{len(report.retry_later)} retried on the next pass, " if report.retry_later else ""
    raise Undelivered(
        f"{len(missed)} message(s) not delivered ({later}{len(report.failed)} given up): "
        f"{first}: {report.errors.get(first, '?')}; see `fulfil outbox list`"
    )


def send_pending(svc: Deps) -> SendReport:
    """Deliver every unsent message and mark it sent; one failure never holds up the rest.

    Each message is claimed first, so senders in other processes never send it too; a pass
    takes batches until none is left, each message at most once (an alert to ops about a
    message given up in this pass goes out in this pass too)."""
    report = SendReport()
    owner = svc.claimant()
    last = 0  # queued later than what this pass tried: an alert about one of them, say
    while batch := svc.store.claim_messages(owner, after_id=last):
        last = max(m.id for m in batch)
        for msg in batch:
            _send_one(svc, msg, owner, report)
    return report


def _send_one(svc: Deps, msg: OutboxMessage, owner: str, report: SendReport) -> None:
    label = f"{msg.order_id}/{msg.kind}"
    envelope = Envelope(
        msg.order_id,
        msg.kind,
        svc.settings.shop_email,
        msg.recipient,
        msg.subject,
        msg.body,
        channel=msg.channel,
    )
    try:  # a channel taken out of the settings fails the message here, with the reason
        svc.sender_for(msg.channel).send(envelope)
    except AdapterError as exc:
        # A temporary failure is retried on later passes, but not for ever.
        permanent = not exc.retryable or msg.attempts + 1 >= MAX_ATTEMPTS
        svc.store.mark_failed(msg.id, str(exc), permanent=permanent, owner=owner)
        (report.failed if permanent else report.retry_later).append(label)
        report.errors[label] = str(exc)
        if permanent:
            _note_failure(svc, msg.id, msg.order_id, msg.kind, str(exc))
        return
    crash_point("after-send-before-mark")
    svc.store.mark_sent(msg.id, svc.clock(), owner=owner)
    report.sent.append(label)


def _note_failure(svc: Deps, message_id: int, order_id: str, kind: str, error: str) -> None:
    """In the order's history, and to ops at once (one alert per message, however many passes)."""

    def decide(order: Order) -> list[MessageKey]:
        order.comment(
            f"Pesan {kind} gagal dikirim: {error} / The {kind} message was not delivered",
            actor=SYSTEM,
            at=svc.clock(),
        )
        failed = MessageKey.of(kind)
        return [] if failed.kind == MessageKind.UNDELIVERED else [MessageKey(MessageKind.UNDELIVERED, kind)]

    transact(svc, order_id, decide, failed_kind=kind, error=error, message_id=message_id)
