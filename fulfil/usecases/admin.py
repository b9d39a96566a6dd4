"""What ops and division leads do by hand: assign, cancel."""

from __future__ import annotations

from fulfil.bootstrap import Services
from fulfil.core import pipeline
from fulfil.core.order import Order
from fulfil.core.pipeline import cancel
from fulfil.usecases._unit import transact


def assign(svc: Services, order_id: str, *, to: str, lead: str) -> Order:
    def decide(order: Order):  # type: ignore[no-untyped-def]
        return pipeline.assign(order, to, lead=lead, at=svc.clock())

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def cancel_order(svc: Services, order_id: str, *, reason: str, actor: str) -> Order:

    def decide(order: Order):  # type: ignore[no-untyped-def]
        return cancel(order, reason, actor=actor, at=svc.clock()) or None

    return transact(svc, order_id, decide, reason=reason) or svc.store.get(order_id)
