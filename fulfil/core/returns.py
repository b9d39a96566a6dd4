"""Returns of shipped goods: asked for within the service's window, sent back with a tracking
number, received by ops, then refunded or replaced (the replacement ships through rework)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from fulfil.core.catalogue import Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.message_key import MessageKey
from fulfil.core.order import Order, ReturnRequest
from fulfil.core.pipeline import MessageKind
from fulfil.core.shipping import Tracking
from fulfil.core.status import OrderStatus

REFUND, REPLACE, REFUSED = "refund", "replace", "refused"


def request_return(
    order: Order, service: Service, *, reason: str, actor: str, at: datetime, override: str = ""
) -> list[MessageKey]:
    """The buyer wants to send the goods back (damaged on arrival, wrong item): the order waits
    for them; the buyer is told how. Asked again with the same reason: nothing new."""
    if not reason.strip():
        raise ForbiddenTransition("a return needs a reason (what is wrong, in the buyer's words)")
    shipping = service.shipping
    if shipping is None:
        raise ForbiddenTransition(
            f"{service.code} is not shipped: nothing to send back (open a claim instead)"
        )
    open_one = order.open_return
    if open_one is not None:
        if open_one.reason == reason.strip():
            return []
        raise ForbiddenTransition(f"order {order.order_id} has return #{open_one.number} open already")
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        raise ForbiddenTransition(
            f"order {order.order_id} is {order.status}: only shipped or delivered goods are returned"
        )
    delivered = order.shipments[-1].delivered_at if order.shipments else None
    window = timedelta(days=shipping.return_days)
    if delivered is not None and at > delivered + window and not override.strip():
        raise ForbiddenTransition(
            f"order {order.order_id} is past its {shipping.return_days}-day return window "
            f'(delivered {delivered:%d/%m/%Y}); ops may accept it with --override "why"'
        )
    number = len(order.returns) + 1
    order.returns.append(ReturnRequest(number, reason.strip(), at, actor))
    note = f"; di luar batas waktu, diterima: {override.strip()}" if override.strip() else ""
    order.move_to(
        OrderStatus.RETURN_REQUESTED,
        actor=actor,
        comment=f"Retur #{number}: {reason.strip()}{note} / Return #{number} requested",
        at=at,
        notified=True,
    )
    return [MessageKey(MessageKind.RETURN_ACCEPTED, str(number))]


def return_sent(order: Order, tracking: Tracking, *, actor: str, at: datetime) -> bool:
    """The buyer sent the goods back: the return's courier and tracking number."""
    open_one = order.open_return
    if open_one is None:
        raise ForbiddenTransition(f"order {order.order_id} has no open return")
    if (open_one.courier, open_one.tracking) == (tracking.courier, tracking.number):
        return False
    order.returns[-1] = replace(open_one, courier=tracking.courier, tracking=tracking.number)
    order.comment(
        f"Retur #{open_one.number} dikirim pembeli: {tracking.courier_name} {tracking.number} / "
        f"Return #{open_one.number} sent back",
        actor=actor,
        at=at,
    )
    return True


def receive_return(order: Order, *, outcome: str, actor: str, at: datetime) -> list[MessageKey]:
    """Ops have the goods back (or turn the request down): what happens next is `outcome`.
    A refund or a replacement is then made by its own action (aftersale.refund / open_claim)."""
    open_one = order.open_return
    if open_one is None:
        last = order.returns[-1] if order.returns else None
        if last is not None and last.outcome == outcome:
            return []  # the same command again
        raise ForbiddenTransition(f"order {order.order_id} has no open return")
    if outcome not in (REFUND, REPLACE, REFUSED):
        raise ForbiddenTransition(f"a return ends in refund, replace or refused, not {outcome!r}")
    order.returns[-1] = replace(open_one, received_at=None if outcome == REFUSED else at, outcome=outcome)
    said = {
        REFUND: "diterima kembali, dana dikembalikan / received back, refunded",
        REPLACE: "diterima kembali, barang pengganti dikirim / received back, a replacement ships",
        REFUSED: "ditolak / turned down",
    }[outcome]
    if outcome == REFUSED:
        order.move_to(
            OrderStatus.COMPLETED,
            actor=actor,
            comment=f"Retur #{open_one.number} {said}",
            at=at,
            notified=True,
        )
    else:
        order.comment(f"Retur #{open_one.number} {said}", actor=actor, at=at, notified=True)
    return [MessageKey(MessageKind.RETURN_RECEIVED, str(open_one.number))]
