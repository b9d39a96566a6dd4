"""Stock: reserve at intake, wait when none is left, settle when orders ship or end, restock.

Every call is safe to repeat: the store keys each reservation by its order (fulfil/core/stock.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from fulfil.core.catalogue import Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.order import Order
from fulfil.core.pipeline import MessageKind, admit
from fulfil.core.status import OrderStatus
from fulfil.core.stock import StockLevel
from fulfil.core.validation import Checked, OrderDraft
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact
from fulfil.usecases.validating import checked, draft_of


@dataclass(frozen=True)
class Holding:
    in_stock: bool
    crossed_low: bool = False


def hold_for(svc: Deps, order: Order, checked: Checked) -> Holding:
    """Reserve what a valid order of a stock-keeping service needs (or put back what it held when
    it is no longer valid, or no longer for that service)."""
    service = checked.service
    rule = service.stock if service is not None else None
    if service is None or rule is None or not checked.ok or not checked.quantity:
        if _keeps_stock(svc) and order.version:  # a new order holds nothing yet
            svc.store.stock.release(order.order_id, svc.clock())
        return Holding(True)
    return reserve(svc, order.order_id, service, checked.quantity)


def reserve(svc: Deps, order_id: str, service: Service, quantity: int) -> Holding:
    """Hold `quantity` units of a stock-keeping service for the order (again: the same hold)."""
    rule = service.stock
    if rule is None:
        return Holding(True)
    got = svc.store.stock.reserve(
        order_id, service.code, quantity, start=rule.count, low_at=rule.low_at, at=svc.clock()
    )
    return Holding(got.held, got.crossed_low)


def _keeps_stock(svc: Deps) -> bool:
    """Whether any service counts stock: a shop that keeps none never asks the store about it."""
    return any(s.stock is not None for s in svc.catalogue.services.values())


def admit_with_stock(svc: Deps, order: Order, draft: OrderDraft, checked: Checked) -> list[MessageKind]:
    """The core's admit, with the order's units reserved first; ops hear once when the
    reservation took the service under its low-stock threshold."""
    holding = hold_for(svc, order, checked)
    kinds = admit(order, draft, checked, at=svc.clock(), in_stock=holding.in_stock)
    return [*kinds, MessageKind.LOW_STOCK] if holding.crossed_low else kinds


def retry_waiting(svc: Deps, service_code: str | None = None) -> list[str]:
    """Orders waiting for stock that can have it now (after a restock or a release), oldest first."""
    waiting = sorted(
        svc.store.list({OrderStatus.AWAITING_STOCK}),
        key=lambda o: (o.received_at is None, o.received_at, o.order_id),
    )
    moved = []
    for order in waiting:
        if service_code is not None and order.service_code != service_code:
            continue

        def decide(order: Order) -> Decided:
            if order.status != OrderStatus.AWAITING_STOCK:
                return None
            draft = draft_of(order.source)
            return admit_with_stock(svc, order, draft, checked(svc, draft))

        done = transact(svc, order.order_id, decide)
        if done is not None and done.status != OrderStatus.AWAITING_STOCK:
            moved.append(order.order_id)
    return moved


def settle(svc: Deps) -> list[str]:
    """Units of orders shipped or completed are gone; of orders cancelled or refunded, back."""
    return svc.store.stock.settle(svc.clock())


def restock(svc: Deps, service_code: str, units: int) -> tuple[int, list[str]]:
    """Add units (a delivery from the supplier; negative: a write-off) and give them to the orders
    waiting for them. Returns what is left on the shelf after them, and the orders that went on."""
    service = _stocked(svc, service_code)
    assert service.stock is not None
    svc.store.stock.add(service.code, units, start=service.stock.count, at=svc.clock())
    moved = retry_waiting(svc, service.code)
    left = next(x.available for x in levels(svc) if x.service_code == service.code)
    return left, moved


def levels(svc: Deps) -> list[StockLevel]:
    """Each stock-keeping service's count, with its low-stock threshold."""
    rules = {code: s.stock for code, s in svc.catalogue.services.items() if s.stock is not None}
    found = svc.store.stock.levels({code: rule.count for code, rule in rules.items()})
    return [
        StockLevel(x.service_code, x.available, x.reserved, x.consumed, rules[x.service_code].low_at)
        for x in found
        if x.service_code in rules
    ]


def _stocked(svc: Deps, service_code: str) -> Service:
    service = svc.catalogue.get(service_code)
    if service is None or service.stock is None:
        kept = ", ".join(sorted(c for c, s in svc.catalogue.services.items() if s.stock)) or "none"
        raise ForbiddenTransition(f"{service_code} keeps no stock (services that do: {kept})")
    return service
