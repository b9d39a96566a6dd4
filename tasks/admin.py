"""Admin actions as tasks, one use case each (fulfil/usecases/admin.py, aftersale.py). Never
retried: a refusal (not on the staff list, not the division's lead, a forbidden status) fails the
run at once with its reason, and changes nothing."""

from __future__ import annotations

from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.usecases import admin, aftersale, shipping, stock
from fulfil.usecases.deps import Deps
from tasks._runtime import log, step_task


def _done(order: Order, what: str) -> Order:
    log(f"{order.order_id}: {what}; now {order.status}")  # IDs and statuses only
    return order


@step_task("assign")
def assign(deps: Deps, order_id: str, to: str, by: str) -> Order:
    return _done(admin.assign(deps, order_id, to=to, by=by), "assigned")


@step_task("mark-paid")
def mark_paid(deps: Deps, order_id: str, by: str) -> Order:
    return _done(admin.mark_paid(deps, order_id, by=by), "marked paid")


@step_task("apply-change")
def apply_change(deps: Deps, order_id: str, by: str) -> Order:
    return _done(admin.apply_held_change(deps, order_id, by=by), "held change applied")


@step_task("comment")
def comment(deps: Deps, order_id: str, text: str, by: str, tell_buyer: bool) -> Order:
    order = admin.add_comment(deps, order_id, text=text, by=by, tell_buyer=tell_buyer)
    return _done(order, "comment added" + (", buyer told" if tell_buyer else ""))


@step_task("cancel")
def cancel(deps: Deps, order_id: str, reason: str, by: str) -> Order:
    return _done(admin.cancel_order(deps, order_id, reason=reason, by=by), "cancelled")


@step_task("set-status")
def set_status(deps: Deps, order_id: str, status: OrderStatus, reason: str, by: str) -> Order:
    return _done(admin.override_status(deps, order_id, status=status, reason=reason, by=by), "status set")


@step_task("claim")
def claim(deps: Deps, order_id: str, reason: str, items: int | None, by: str, override: str) -> Order:
    actor = admin.deciding(deps, by, deps.store.get(order_id)).actor
    order = aftersale.open_claim(deps, order_id, reason=reason, items=items, actor=actor, override=override)
    return _done(order, "claim opened")


@step_task("refund")
def refund(deps: Deps, order_id: str, amount: int, reason: str, full: bool, by: str) -> Order:
    actor = admin.deciding(deps, by).actor  # ops only
    order = aftersale.refund(deps, order_id, amount=amount, reason=reason, full=full, actor=actor)
    return _done(order, "refunded")


@step_task("confirm-delivery")
def deliver(deps: Deps, order_id: str, by: str, buyer_confirmed: bool) -> Order:
    actor = admin.deciding(deps, by, deps.store.get(order_id), doers=True).actor
    how = "pembeli mengonfirmasi / the buyer confirmed" if buyer_confirmed else "dikonfirmasi / confirmed"
    return _done(shipping.confirm_delivery(deps, order_id, actor=actor, how=how), "delivered")


@step_task("return-order")
def request_return(deps: Deps, order_id: str, reason: str, by: str, override: str) -> Order:
    actor = admin.deciding(deps, by, deps.store.get(order_id)).actor
    order = shipping.request_return(deps, order_id, reason=reason, actor=actor, override=override)
    return _done(order, "return accepted")


@step_task("receive-return")
def receive_return(deps: Deps, order_id: str, outcome: str, by: str) -> Order:
    actor = admin.deciding(deps, by).actor  # ops only
    return _done(shipping.receive_return(deps, order_id, outcome=outcome, actor=actor), f"return: {outcome}")


@step_task("restock")
def restock(deps: Deps, service: str, units: int, by: str) -> tuple[int, list[str]]:
    admin.deciding(deps, by)  # ops only
    left, moved = stock.restock(deps, service.strip().upper(), units)
    log(f"{service}: +{units}, {left} available; {len(moved)} waiting order(s) went on")
    return left, moved
