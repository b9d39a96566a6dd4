"""The messages a decision queues: to whom each goes and on which channels, rendered, as outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fulfil.core.invoice import INVOICE_ATTACHMENT, carries_invoice
from fulfil.core.message_key import MessageKey
from fulfil.core.order import Order
from fulfil.core.pipeline import BUYER_KINDS, MessageKind
from fulfil.core.staff import staff_of
from fulfil.usecases.deps import Deps
from fulfil.usecases.invoicing import invoiced
from integrations.ports import OutboxMessage


def recipient(svc: Deps, order: Order, kind: MessageKind | str) -> str:
    if kind in BUYER_KINDS:
        return order.buyer_email if order.email_reachable else ""
    service = svc.catalogue.get(order.service_code)
    if service is None or kind in TO_OPS:
        return svc.settings.ops_email
    division = svc.catalogue.division_of(service)
    if kind in TO_WHOEVER_WORKS_ON_IT:
        member = staff_of(svc.catalogue).get(order.assignee)
        return ", ".join(dict.fromkeys([division.email, *([member.email] if member else [])]))
    if kind in (MessageKind.ESCALATION, MessageKind.REWORK_OVERDUE):
        # One message to both, so each sees the other was told; one outbox row keeps it once.
        return ", ".join(dict.fromkeys([division.lead.email, svc.settings.ops_email]))
    return division.lead.email if kind == MessageKind.OVERDUE_ALERT else division.email


TO_OPS = frozenset(
    {MessageKind.UNDELIVERED, MessageKind.HANDOVER_BY_HAND, MessageKind.NEEDS_ACTION, MessageKind.LOW_STOCK}
)
# The division and the member assigned to the order: what they work on was cancelled or changed.
TO_WHOEVER_WORKS_ON_IT = frozenset({MessageKind.CANCELLED_TEAM, MessageKind.WORK_CHANGED})


def outbox_messages(
    svc: Deps, order: Order, keys: Sequence[MessageKey | str], **extra: Any
) -> list[OutboxMessage]:
    """Render the messages the core asked for (see MessageKey): by email to whom the kind is for,
    and a buyer message also by every registered buyer channel the buyer has an address on. A
    buyer message that can go nowhere becomes an alert to ops instead, so nobody is left waiting
    unseen. `attach` (fingerprints) rides on the buyer's completion email."""
    out: list[OutboxMessage] = []
    for asked in keys:
        key = MessageKey.of(asked)
        for_buyer = key.kind in BUYER_KINDS
        to = recipient(svc, order, key.kind)
        if not to and not for_buyer:
            continue
        about = next(
            (p for p in order.proofs if key.qualifier and p.fingerprint.endswith(key.qualifier)), None
        )
        text = svc.composer.compose(key.kind, order, proof=about, qualifier=key.qualifier, **extra)
        rows: list[OutboxMessage] = []
        if to:
            files = tuple(extra.get("attach", ())) if key.kind in HANDS_OVER else ()
            if _brings_invoice(svc, order, key):
                files += (INVOICE_ATTACHMENT,)  # printed and numbered when it is sent
            rows.append(
                OutboxMessage(
                    order.order_id,
                    str(key),
                    to,
                    text.subject,
                    text.body,
                    tells_buyer=for_buyer,
                    attachments=files,
                )
            )
        if for_buyer:
            rows += _on_buyer_channels(svc, order, key, text.subject, text.body)
            if not rows and order.buyer_reachable:
                rows.append(_unreachable(svc, order, key))
        out += rows
    return out


# The buyer messages that hand the goods over (their email carries the files).
HANDS_OVER = frozenset({MessageKind.COMPLETED, MessageKind.REPLACEMENT})


def _brings_invoice(svc: Deps, order: Order, key: MessageKey) -> bool:
    policy = svc.catalogue.invoices
    return (
        policy is not None
        and carries_invoice(policy.when, key.kind, paid=order.paid)
        and invoiced(svc, order)
    )


def _on_buyer_channels(
    svc: Deps, order: Order, key: MessageKey, subject: str, body: str
) -> list[OutboxMessage]:
    rows = []
    for channel in svc.buyer_channels.values():
        address = channel.address_of(order)
        if address:  # the same words there too: its own row, so each channel is sent once
            rows.append(
                OutboxMessage(
                    order.order_id,
                    str(key.on(channel.code)),
                    address,
                    subject,
                    body,
                    tells_buyer=True,
                    channel=channel.code,
                )
            )
    return rows


def _unreachable(svc: Deps, order: Order, key: MessageKey) -> OutboxMessage:
    """To ops, once per message: the buyer gave only a phone and no chat channel is set up."""
    error = (
        "pembeli hanya memberi nomor WhatsApp dan kanal chat belum diatur / the buyer gave only a "
        "phone and no chat channel is set up (FULFIL_BUYER_CHAT_URL)"
    )
    alert = MessageKey(MessageKind.UNDELIVERED, str(key))
    text = svc.composer.compose(alert.kind, order, failed_kind=str(key), error=error, message_id=0)
    return OutboxMessage(order.order_id, str(alert), svc.settings.ops_email, text.subject, text.body)
