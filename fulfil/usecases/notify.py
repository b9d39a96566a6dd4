"""Completion and the outbox sender: a message is queued with its status change, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fulfil.core import aftersale
from fulfil.core.errors import FulfilError
from fulfil.core.invoice import INVOICE_ATTACHMENT
from fulfil.core.message_key import MessageKey
from fulfil.core.order import SYSTEM, HandedOver, Order
from fulfil.core.pipeline import MessageKind, complete
from fulfil.core.status import OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases import invoicing, stock
from fulfil.usecases.aftersale import found_file, prepare_handover
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact
from integrations.ports import AdapterError, Attachment, Envelope, OutboxMessage


def to_complete(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list({OrderStatus.RECORDED}) if order_ids is None else svc.store.get_many(order_ids)
    return [o.order_id for o in orders if o.status == OrderStatus.RECORDED]


def complete_orders(svc: Deps, order_ids: list[str]) -> list[str]:
    """Complete each recorded order and hand its goods to the buyer (see fulfil/core/aftersale.py);
    shipped goods go to the courier first. Their stock is then gone from the shelf."""
    done = [order_id for order_id in order_ids if _complete_one(svc, order_id)]
    if done:
        stock.settle(svc)
    return done


def _complete_one(svc: Deps, order_id: str) -> bool:
    """Shared on the proof store first when the service says so (sharing again is harmless), then
    the completion, the handover record and the message with its links or files in one go."""
    order = svc.store.get(order_id)
    service = svc.catalogue.get(order.service_code)
    if order.status != OrderStatus.RECORDED:
        return False
    method, links, refused = (
        prepare_handover(svc, order, service) if service else (aftersale.ATTACHMENT, {}, "")
    )
    handed: list[HandedOver] = []
    attach: list[str] = []

    def decide(order: Order) -> Decided:
        if order.status != OrderStatus.RECORDED:
            return None
        at = svc.clock()
        replacing = order.open_claim is not None
        # Shipped goods reach the buyer by courier: no file is handed over with them.
        ships = service is not None and service.ships
        files = (
            aftersale.files_to_hand_over(order, service, since_claim=replacing)
            if service and not ships
            else []
        )
        keys = complete(order, at=at, ships=ships)
        if refused:
            order.comment(refused, actor=SYSTEM, at=at)
        # A public link reaches the buyer on any channel; files and shares need their email.
        if method == aftersale.LINK or order.email_reachable:
            to = order.buyer_email or order.phone
            handed[:] = aftersale.hand_over(order, files, method=method, to=to, at=at, links=links)
        elif files:  # no email to carry the files or a share: ops hand them over, and know it
            order.comment(BY_HAND, actor=SYSTEM, at=at)
            keys = [*keys, MessageKey(MessageKind.HANDOVER_BY_HAND)]
        attach[:] = [h.fingerprint for h in handed if h.method == aftersale.ATTACHMENT]
        return keys

    return transact(svc, order_id, decide, handover=handed, attach=attach) is not None


MAX_ATTEMPTS = 10
BY_HAND = (
    "Barang belum diserahkan: pembeli tanpa email, serahkan manual / "
    "Goods not handed over: the buyer has no email, hand them over by hand"
)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    # Set aside: their sender died while handing them over, so they may have arrived (ops decide).
    unsure: list[str] = field(default_factory=list)
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
    for msg in svc.store.set_aside_interrupted():
        report.unsure.append(msg.label)
        _note_failure(svc, msg.id, msg.order_id, msg.kind, UNSURE_WHY.format(id=msg.id), unsure=True)
    last = 0  # queued later than what this pass tried: an alert about one of them, say
    handed: OutboxMessage | None = None  # handed to its channel, to be marked with the next start
    with svc.progress(svc.store.unsent_count(), "messages") as advance_by:
        try:
            while batch := svc.store.claim_messages(owner, after_id=last):
                last = max(m.id for m in batch)
                for msg in batch:
                    handed = _send_one(svc, msg, owner, report, handed)
                advance_by(len(batch))
        finally:  # whatever stopped the pass, what was handed over is marked sent
            if handed is not None:
                _mark_sent(svc, handed, owner, report)
    return report


def _send_one(
    svc: Deps, msg: OutboxMessage, owner: str, report: SendReport, handed: OutboxMessage | None
) -> OutboxMessage | None:
    """Hand `msg` to its channel and return it, to be marked sent with the next message's start
    (one commit a message, not two: a 50,000-order import sends 100,000); None if it was not
    sent. `handed`, the message sent just before, is marked first, whatever happens to this one."""
    if handed is not None and msg.attachments:
        # Attaching files reads them and may number an invoice: the message sent before does
        # not wait through that unmarked (a death there would leave it "unsure").
        _mark_sent(svc, handed, owner, report)
        handed = None
    try:  # a channel taken out of the settings fails the message here, with the reason
        envelope = Envelope(
            msg.order_id,
            msg.kind,
            svc.settings.shop_email,
            msg.recipient,
            msg.subject,
            msg.body,
            channel=msg.channel,
            attachments=_attachments(svc, msg),
        )
        sender = svc.sender_for(msg.channel)
    except AdapterError as exc:
        if handed is not None:
            _mark_sent(svc, handed, owner, report)
        _failed(svc, msg, owner, report, exc)
        return None
    started = svc.store.start_attempt(msg.id, owner, (handed.id, svc.clock()) if handed else None)
    if handed is not None:
        report.sent.append(handed.label)
    if not started:
        return None  # its claim ran out and another sender took it over: theirs to send
    try:
        sender.send(envelope)
    except AdapterError as exc:
        _failed(svc, msg, owner, report, exc)
        return None
    crash_point("after-send-before-mark")
    return msg


def _mark_sent(svc: Deps, msg: OutboxMessage, owner: str, report: SendReport) -> None:
    svc.store.mark_sent(msg.id, svc.clock(), owner=owner)
    report.sent.append(msg.label)


def _failed(svc: Deps, msg: OutboxMessage, owner: str, report: SendReport, exc: AdapterError) -> None:
    # A temporary failure is retried on later passes, but not for ever.
    label = msg.label
    permanent = not exc.retryable or msg.attempts + 1 >= MAX_ATTEMPTS
    svc.store.mark_failed(msg.id, str(exc), permanent=permanent, owner=owner)
    (report.failed if permanent else report.retry_later).append(label)
    report.errors[label] = str(exc)
    if permanent:
        _note_failure(svc, msg.id, msg.order_id, msg.kind, str(exc))


def _attachments(svc: Deps, msg: OutboxMessage) -> tuple[Attachment, ...]:
    """The message's files, fetched now from the order's folder (the outbox keeps only their
    fingerprints: a delivered file may hold passwords, which reach the buyer and nothing else)."""
    if not msg.attachments:
        return ()
    order = svc.store.get(msg.order_id)
    made = []
    for fingerprint in msg.attachments:
        if fingerprint == INVOICE_ATTACHMENT:
            invoice = invoicing.issue(svc, msg.order_id)  # numbered once: a resend has the same
            if invoice is not None:
                made.append(Attachment(invoice.name, invoice.data, "application", "pdf"))
            continue
        found = found_file(order, fingerprint)
        if found is None:
            raise AdapterError(
                f"the file to attach ({fingerprint[:24]}…) is no longer in {msg.order_id}'s record"
            )
        data = svc.proofs.fetch(msg.order_id, found)
        kind = svc.sniff(data)
        maintype, subtype = MIME_OF.get(kind, ("application", "octet-stream"))
        if kind == "text" and found.name.lower().endswith(".csv"):
            maintype, subtype = "text", "csv"
        made.append(Attachment(found.name, data, maintype, subtype))
    return tuple(made)


# Attachments' MIME types by what their content is (fulfil/core/goods.py's sniffed names).
MIME_OF = {
    "png": ("image", "png"),
    "jpg": ("image", "jpeg"),
    "gif": ("image", "gif"),
    "webp": ("image", "webp"),
    "pdf": ("application", "pdf"),
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "zip": ("application", "zip"),
    "text": ("text", "plain"),
}


# Why a message was set aside rather than sent again: delivering it twice is what must not happen.
UNSURE_WHY = (
    "the sender stopped while handing it over, so it may have arrived; check the sent mail and "
    "resend with `fulfil outbox retry {id}` if it did not"
)


def _note_failure(
    svc: Deps, message_id: int, order_id: str, kind: str, error: str, *, unsure: bool = False
) -> None:
    """In the order's history, and to ops at once (one alert per message, however many passes)."""

    def decide(order: Order) -> list[MessageKey]:
        said = (
            f"Pesan {kind} mungkin sudah terkirim, tidak dikirim ulang / The {kind} message may have gone out"
            if unsure
            else f"Pesan {kind} gagal dikirim / The {kind} message was not delivered"
        )
        order.comment(f"{said}: {error}", actor=SYSTEM, at=svc.clock())
        failed = MessageKey.of(kind)
        return [] if failed.kind == MessageKind.UNDELIVERED else [MessageKey(MessageKind.UNDELIVERED, kind)]

    transact(svc, order_id, decide, failed_kind=kind, error=error, message_id=message_id, unsure=unsure)
