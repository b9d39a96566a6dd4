"""What ops and division leads do by hand: assign, cancel."""

from __future__ import annotations

from fulfil.core import pipeline
from fulfil.core.order import Order
from fulfil.core.pipeline import cancel
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact


def assign(svc: Deps, order_id: str, *, to: str, lead: str) -> Order:
    def decide(order: Order) -> Decided:
        return pipeline.assign(order, to, lead=lead, at=svc.clock())

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def cancel_order(svc: Deps, order_id: str, *, reason: str, actor: str) -> Order:

    def decide(order: Order) -> Decided:
        return cancel(order, reason, actor=actor, at=svc.clock()) or None

    return transact(svc, order_id, decide, reason=reason) or svc.store.get(order_id)
