"""Shipped goods after the courier has them: delivery confirmed (by a person, or after the
service's days), cash on delivery collected, returns asked for, sent back and received."""

from __future__ import annotations

from datetime import datetime, timedelta

from fulfil.core import returns
from fulfil.core.catalogue import Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.order import SYSTEM, Order
from fulfil.core.pipeline import deliver
from fulfil.core.shipping import Tracking, find_tracking
from fulfil.core.status import OrderStatus
from fulfil.usecases import aftersale, invoicing
from fulfil.usecases import stock as stock_uc
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact


def confirm_delivery(svc: Deps, order_id: str, *, actor: str, how: str) -> Order:
    """The goods arrived (the team saw the courier's proof of delivery, or the buyer said so)."""
    order = svc.store.get(order_id)
    if order.status != OrderStatus.SHIPPED:
        if order.shipments and order.shipments[-1].delivered_at is not None:
            return order  # said before: nothing new
        raise ForbiddenTransition(f"{order_id} is {order.status}: only a shipped order is delivered")

    def decide(order: Order) -> Decided:
        return deliver(order, actor=actor, at=svc.clock(), how=how) or None

    done = transact(svc, order_id, decide) or svc.store.get(order_id)
    stock_uc.settle(svc)
    return done


def deliveries_due(svc: Deps, now: datetime) -> list[str]:
    """Shipped orders whose service's days have run out since they left: delivered."""
    done = []
    for order in svc.store.list({OrderStatus.SHIPPED}):
        service = svc.catalogue.get(order.service_code)
        shipment = order.shipment
        if service is None or service.shipping is None or shipment is None:
            continue
        days = service.shipping.delivered_after_days
        if now < shipment.at + timedelta(days=days):
            continue

        def decide(order: Order, days: int = days) -> Decided:
            how = f"{days} hari sejak dikirim / {days} days since shipping"
            return deliver(order, actor=SYSTEM, at=now, how=how) or None

        if transact(svc, order.order_id, decide) is not None:
            done.append(order.order_id)
    return done


def request_return(svc: Deps, order_id: str, *, reason: str, actor: str, override: str = "") -> Order:
    def decide(order: Order) -> Decided:
        keys = returns.request_return(
            order, _service(svc, order), reason=reason, actor=actor, at=svc.clock(), override=override
        )
        return keys or None

    return transact(svc, order_id, decide, reason=reason) or svc.store.get(order_id)


def return_sent(svc: Deps, order_id: str, *, note: str, actor: str) -> Order:
    """The return's courier and tracking number, read like the team's: "JNE 1234567890"."""
    found = find_tracking(note)
    if not isinstance(found, Tracking):
        raise ForbiddenTransition(found or f"no courier named in {note[:60]!r} (e.g. JNE 1234567890123)")

    def decide(order: Order) -> Decided:
        return [] if returns.return_sent(order, found, actor=actor, at=svc.clock()) else None

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def receive_return(svc: Deps, order_id: str, *, outcome: str, actor: str) -> Order:
    """The goods are back on the shelf (stock returned first: a rerun finds it done); then the
    buyer's money back in full, or a replacement through the team, or the request turned down."""
    order = svc.store.get(order_id)
    if outcome != returns.REFUSED:
        svc.store.stock.take_back(order_id, svc.clock())

    def decide(order: Order) -> Decided:
        return returns.receive_return(order, outcome=outcome, actor=actor, at=svc.clock()) or None

    order = transact(svc, order_id, decide, outcome=outcome) or svc.store.get(order_id)
    last = order.returns[-1] if order.returns else None
    if last is None or outcome == returns.REFUSED:
        return order
    why = f"Retur #{last.number}: {last.reason}"
    if outcome == returns.REFUND:
        amount = invoicing.total_of(svc, order)
        if not amount:
            raise ForbiddenTransition(
                f"{order_id} has no price: record the refund with its amount (`fulfil orders refund`)"
            )
        return aftersale.refund(svc, order_id, amount=amount, reason=why, full=True, actor=actor)
    # The replacement holds units again, and the team ships it as a claim's rework.
    service = _service(svc, order)
    if order.quantity:
        stock_uc.reserve(svc, order_id, service, order.quantity)
    return aftersale.open_claim(svc, order_id, reason=why, items=None, actor=actor)


def _service(svc: Deps, order: Order) -> Service:
    service = svc.catalogue.get(order.service_code)
    if service is None:
        raise ForbiddenTransition(
            f"order {order.order_id}: service {order.service_code!r} is not sold any more"
        )
    return service
