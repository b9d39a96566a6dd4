"""Orders that need a person (fulfil/core/needs_action.py): found, alerted to ops once each, and
listed for the digest, the CLI and the Prefect UI."""

from __future__ import annotations

from collections import defaultdict

from fulfil.core.message_key import MessageKey
from fulfil.core.needs_action import NeedsAction, needs_action
from fulfil.core.order import SYSTEM, Order
from fulfil.core.pipeline import MessageKind
from fulfil.core.status import FINAL, OrderStatus
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import transact

OPEN = frozenset(OrderStatus) - FINAL


def _undelivered(svc: Deps) -> dict[str, set[str]]:
    """Per order, the kinds of its messages given up on or set aside as unsure."""
    found: dict[str, set[str]] = defaultdict(set)
    for message in svc.store.failed_messages():
        found[message.order_id].add(message.kind)
    return found


def needing_action(svc: Deps) -> list[NeedsAction]:
    """Every order that needs a person now, and why, oldest order first."""
    undelivered = _undelivered(svc)
    orders = {o.order_id: o for o in svc.store.list(OPEN)}
    orders |= {o.order_id: o for o in svc.store.get_many(sorted(set(undelivered) - set(orders)))}
    # Delivered goods whose cash on delivery nobody confirmed collected are done, but not paid.
    orders |= {o.order_id: o for o in svc.store.list({OrderStatus.COMPLETED}) if o.cod and not o.paid}
    now = svc.clock()
    found: list[NeedsAction] = []
    for order in sorted(orders.values(), key=lambda o: (o.received_at is None, o.received_at, o.order_id)):
        found += needs_action(order, svc.catalogue, now=now, undelivered=undelivered.get(order.order_id, ()))
    return found


def alert_needing_action(svc: Deps) -> list[NeedsAction]:
    """Every order that needs a person now, and why; ops are told of each once per order and
    situation (an alert already sent is not sent again)."""
    undelivered = _undelivered(svc)
    found = needing_action(svc)
    for order_id in dict.fromkeys(n.order_id for n in found):
        alert_order(svc, order_id, undelivered.get(order_id, set()))
    return found


def alert_order(svc: Deps, order_id: str, undelivered: set[str] | None = None) -> list[NeedsAction]:
    """Alert ops to what this order needs that they were not told of yet."""
    needs: dict[str, NeedsAction] = {}
    new: list[NeedsAction] = []

    def decide(order: Order) -> list[MessageKey] | None:
        found = needs_action(order, svc.catalogue, now=svc.clock(), undelivered=undelivered or ())
        queued = {m.kind for m in svc.store.messages(order.order_id)}
        fresh = [n for n in found if str(MessageKey(MessageKind.NEEDS_ACTION, n.key)) not in queued]
        if not fresh:
            return None
        needs.clear()
        needs.update({n.key: n for n in found})
        new[:] = fresh
        for item in fresh:
            order.comment(f"Perlu tindakan ops / Needs ops: {item.detail}", actor=SYSTEM, at=svc.clock())
        return [MessageKey(MessageKind.NEEDS_ACTION, n.key) for n in fresh]

    transact(svc, order_id, decide, needs=needs)
    return new
