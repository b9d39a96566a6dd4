"""What ops and division leads do by hand, each naming who acts from the staff list: assign,
mark paid, apply a held change, comment, cancel, override a status. The CLI and the Prefect UI's
admin deployments call these same functions; a refusal is a NotAllowed or ForbiddenTransition
with the reason in one line, and changes nothing."""

from __future__ import annotations

from fulfil.core import pipeline
from fulfil.core.errors import ForbiddenTransition, NotAllowed
from fulfil.core.order import Order
from fulfil.core.staff import StaffMember, check_assignment, who
from fulfil.core.status import EDITABLE, OrderStatus
from fulfil.usecases import invoicing, stock
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact
from fulfil.usecases.validating import checked, draft_of


def deciding(svc: Deps, by: str, order: Order | None = None, *, doers: bool = False) -> StaffMember:
    """The staff member acting: ops, or the lead of the order's division (with `doers`, anyone of
    that division: the warehouse confirms its own deliveries)."""
    member = who(svc.catalogue, by)
    service = svc.catalogue.get(order.service_code) if order is not None else None
    if member.ops or (
        service is not None
        and (member.may_do_for(service.division) if doers else member.may_act_for(service.division))
    ):
        return member
    who_may = "the division" if doers else "the lead of the division"
    where = f"{who_may} of {order.order_id}" if order is not None else "ops"
    raise NotAllowed(f"{member.name} may not do this: only ops or {where} may")


def assign(svc: Deps, order_id: str, *, to: str, by: str) -> Order:
    """Give a dispatched order to a member of its division (only its lead or ops may)."""
    order = svc.store.get(order_id)
    service = svc.catalogue.get(order.service_code)
    if service is None:
        raise ForbiddenTransition(f"{order_id} has no known service, so no division to assign in")
    lead, member = check_assignment(svc.catalogue, service.division, to=to, by=by)

    def decide(order: Order) -> Decided:
        return pipeline.assign(order, member.name, lead=lead.name, at=svc.clock())

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def cancel_order(svc: Deps, order_id: str, *, reason: str, by: str) -> Order:
    """Cancel with a reason: the buyer is told, and the division when it has the work."""
    member = deciding(svc, by, svc.store.get(order_id))

    def decide(order: Order) -> Decided:
        return pipeline.cancel(order, reason, actor=member.actor, at=svc.clock()) or None

    cancelled = transact(svc, order_id, decide, reason=reason) or svc.store.get(order_id)
    if cancelled.status == OrderStatus.CANCELLED:
        invoicing.void(svc, order_id, reason)  # voided, not deleted: its number stays taken
        if stock.settle(svc):  # its units back on the shelf, for whoever waits for them
            stock.retry_waiting(svc, cancelled.service_code)
    return cancelled


def mark_paid(svc: Deps, order_id: str, *, by: str) -> Order:
    """Ops saw the money arrive: the order may go to the team, and the buyer hears so."""
    member = deciding(svc, by)
    order = svc.store.get(order_id)
    if order.paid:
        return order
    if order.status not in EDITABLE and not order.cod:
        raise ForbiddenTransition(
            f"{order_id} is {order.status}: only an order not yet dispatched, or paid on delivery, "
            "is marked paid"
        )

    def decide(order: Order) -> Decided:
        return pipeline.mark_paid(order, actor=member.actor, at=svc.clock())

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def apply_held_change(svc: Deps, order_id: str, *, by: str) -> Order:
    """Apply the answers the buyer edited after dispatch; the team is told what changed."""
    order = svc.store.get(order_id)
    member = deciding(svc, by, order)
    if not order.held_change:
        raise ForbiddenTransition(f"{order_id} has no held change to apply")

    def decide(order: Order) -> Decided:
        draft = draft_of(order.held_change)
        return pipeline.apply_change(order, draft, checked(svc, draft), actor=member.actor, at=svc.clock())

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def add_comment(svc: Deps, order_id: str, *, text: str, by: str, tell_buyer: bool) -> Order:
    """A line in the order's history by a staff member; to the buyer as well when asked."""
    member = who(svc.catalogue, by)

    def decide(order: Order) -> Decided:
        return pipeline.add_note(order, text, actor=member.actor, at=svc.clock(), tell_buyer=tell_buyer)

    return transact(svc, order_id, decide) or svc.store.get(order_id)


def override_status(svc: Deps, order_id: str, *, status: OrderStatus, reason: str, by: str) -> Order:
    """Ops set an order's status by hand, with the reason in its history (no message goes out)."""
    member = deciding(svc, by)

    def decide(order: Order) -> Decided:
        return (
            []
            if pipeline.override_status(order, status, reason, actor=member.actor, at=svc.clock())
            else None
        )

    return transact(svc, order_id, decide) or svc.store.get(order_id)
