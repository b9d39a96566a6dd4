"""Deadline sweep: flag breached deadlines once and alert the division lead once per order."""

from __future__ import annotations

from fulfil.bootstrap import Services
from fulfil.core.order import Order
from fulfil.core.pipeline import sweep
from fulfil.core.status import FINAL, OrderStatus
from fulfil.usecases._unit import transact


def flag_overdue(svc: Services) -> list[str]:
    now = svc.clock()
    candidates = [
        o.order_id
        for o in svc.store.list(set(OrderStatus) - FINAL)
        if not o.overdue and o.deadline is not None and o.deadline < now
    ]
    flagged = []
    for order_id in candidates:

        def decide(order: Order):  # type: ignore[no-untyped-def]
            kinds = sweep(order, now=now)
            return kinds or None

        if transact(svc, order_id, decide) is not None:
            flagged.append(order_id)
    return flagged
