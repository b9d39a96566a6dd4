"""Load an order, let the core decide, save the decision and its messages in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from fulfil.bootstrap import Services
from fulfil.core.order import Order
from fulfil.core.pipeline import BUYER_KINDS, MessageKind
from integrations.store import OutboxMessage, StaleOrder

# A decision changes the order and returns the messages to queue, or None when nothing changed.
Decision = Callable[[Order], Sequence[str] | None]


def recipient(svc: Services, order: Order, kind: MessageKind | str) -> str:
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
    svc: Services, order: Order, keys: Sequence[str], **extra: Any
) -> list[OutboxMessage]:
    """Render the messages the core asked for. A key is a kind, or `kind:qualifier` for kinds
    sent once per file (the qualifier ends the fingerprint of the file it is about)."""
    out = []
    for key in keys:
        kind, _, qualifier = str(key).partition(":")
        to = recipient(svc, order, kind)
        if not to:
            continue  # the core already said so in the history when it chose not to tell
        about = next((p for p in order.proofs if qualifier and p.fingerprint.endswith(qualifier)), None)
        text = svc.composer.compose(kind, order, proof=about, **extra)
        out.append(
            OutboxMessage(
                order.order_id, str(key), to, text.subject, text.body, tells_buyer=kind in BUYER_KINDS
            )
        )
        if kind in BUYER_KINDS and order.phone and svc.settings.buyer_chat_url is not None:
            # The same words on WhatsApp too: its own outbox row, so each channel is sent once.
            out.append(
                OutboxMessage(
                    order.order_id,
                    f"{key}:wa",
                    f"whatsapp:{order.phone}",
                    text.subject,
                    text.body,
                    tells_buyer=True,
                )
            )
    return out


# On a concurrent change: read the order again and decide again, a few times.
retry_on_stale = retry(
    retry=retry_if_exception_type(StaleOrder),
    stop=stop_after_attempt(5),
    wait=wait_random_exponential(multiplier=0.05, max=1),
    reraise=True,
)


@retry_on_stale
def transact(svc: Services, order_id: str, decide: Decision, **extra: Any) -> Order | None:
    """Apply `decide` to the freshest copy of the order; on a concurrent change, read and decide again."""
    order = svc.store.get(order_id)
    kinds = decide(order)
    if kinds is None:
        return None
    svc.store.save(order, outbox_messages(svc, order, kinds, **extra))
    return order
