"""The messages a decision queues: to whom each goes and on which channels, rendered, as outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fulfil.core.message_key import MessageKey
from fulfil.core.order import Order
from fulfil.core.pipeline import BUYER_KINDS, MessageKind
from fulfil.usecases.deps import Deps
from integrations.ports import OutboxMessage


def recipient(svc: Deps, order: Order, kind: MessageKind | str) -> str:
    if kind in BUYER_KINDS:
        return order.buyer_email if order.buyer_reachable else ""
    service = svc.catalogue.get(order.service_code)
    if service is None or kind == MessageKind.UNDELIVERED:
        return svc.settings.ops_email
    division = svc.catalogue.division_of(service)
    if kind == MessageKind.ESCALATION:
        # One message to both, so each sees the other was told; one outbox row keeps it once.
        return ", ".join(dict.fromkeys([division.lead.email, svc.settings.ops_email]))
    return division.lead.email if kind == MessageKind.OVERDUE_ALERT else division.email


def outbox_messages(
    svc: Deps, order: Order, keys: Sequence[MessageKey | str], **extra: Any
) -> list[OutboxMessage]:
    """Render the messages the core asked for (see MessageKey): by email to whom the kind is for,
    and a buyer message also by every registered buyer channel the buyer has an address on."""
    out = []
    for asked in keys:
        key = MessageKey.of(asked)
        to = recipient(svc, order, key.kind)
        if not to:
            continue  # the core already said so in the history when it chose not to tell
        about = next(
            (p for p in order.proofs if key.qualifier and p.fingerprint.endswith(key.qualifier)), None
        )
        text = svc.composer.compose(key.kind, order, proof=about, **extra)
        for_buyer = key.kind in BUYER_KINDS
        out.append(
            OutboxMessage(order.order_id, str(key), to, text.subject, text.body, tells_buyer=for_buyer)
        )
        if not for_buyer:
            continue
        for channel in svc.buyer_channels.values():
            address = channel.address_of(order)
            if address:  # the same words there too: its own row, so each channel is sent once
                on = key.on(channel.code)
                out.append(
                    OutboxMessage(
                        order.order_id,
                        str(on),
                        address,
                        text.subject,
                        text.body,
                        tells_buyer=True,
                        channel=channel.code,
                    )
                )
    return out
