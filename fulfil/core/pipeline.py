"""What happens to an order at each step, as pure decisions on the Order.

Each function changes the order in memory and returns the messages that must leave with that
change; the caller saves both in one transaction, so a change and its message never part.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from fulfil.core.catalogue import Service
from fulfil.core.order import SYSTEM, Order
from fulfil.core.status import EDITABLE, OrderStatus
from fulfil.core.validation import Checked, OrderDraft


class MessageKind(StrEnum):
    CONFIRMATION = "confirmation"
    NEEDS_INFO = "needs_info"
    DISPATCH = "dispatch"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    OVERDUE_ALERT = "overdue_alert"
    PROOF_REJECTED = "proof_rejected"


# Who each kind of message is for.
BUYER_KINDS = frozenset(
    {MessageKind.CONFIRMATION, MessageKind.NEEDS_INFO, MessageKind.COMPLETED, MessageKind.CANCELLED}
)


class Step(StrEnum):
    DISPATCH = "dispatch"
    WAIT_FOR_PROOF = "wait_for_proof"
    RECORD = "record"
    COMPLETE = "complete"
    NOTHING = "nothing"


def next_step(order: Order, service: Service | None) -> Step:
    """The one step that can move this order now; the status alone decides it."""
    if order.status in EDITABLE:
        ready = not order.problems and order.paid and service is not None
        return Step.DISPATCH if ready and service.can_dispatch else Step.NOTHING
    if order.is_waiting_for_proof:
        return Step.WAIT_FOR_PROOF
    if order.status == OrderStatus.PROOF_RECEIVED:
        return Step.RECORD
    if order.status == OrderStatus.RECORDED:
        return Step.COMPLETE
    return Step.NOTHING


def admit(order: Order, draft: OrderDraft, checked: Checked, *, at: datetime) -> list[MessageKind]:
    """Take a (new or edited) form row into an editable order and say where it stands."""
    order.service_code = draft.service_code.strip().upper()
    order.buyer_name = draft.buyer_name.strip()
    order.buyer_email = draft.buyer_email.strip()
    order.phone_raw = draft.phone.strip()
    order.phone = checked.phone
    order.quantity = checked.quantity
    order.deadline = checked.deadline
    order.notes = draft.notes.strip()
    order.paid = checked.paid
    order.lang = "en" if draft.lang.strip().lower() in ("en", "english", "inggris") else "id"
    order.problems = list(checked.problems)

    if not checked.ok:
        fields = ", ".join(dict.fromkeys(p.field for p in checked.problems))
        text = f"Data perlu dilengkapi: {fields} / Needs info: {fields}"
        told = order.buyer_reachable
        if not told:
            text += " — pembeli tidak bisa dihubungi (email) / buyer has no usable email"
        if not order.move_to(OrderStatus.NEEDS_INFO, actor=SYSTEM, comment=text, at=at, notified=told):
            order.comment(text, actor=SYSTEM, at=at, notified=told)
        return [MessageKind.NEEDS_INFO] if told else []
    if not checked.paid:
        order.move_to(
            OrderStatus.AWAITING_PAYMENT,
            actor=SYSTEM,
            comment="Pesanan valid, menunggu pembayaran / Valid, awaiting payment",
            at=at,
            notified=True,
        )
        return [MessageKind.CONFIRMATION]
    service = checked.service
    if service is not None and not service.can_dispatch:
        order.comment(
            f"Layanan {service.code} belum punya prosedur (OLP), tidak bisa dikirim ke tim / "
            f"Service {service.code} has no written procedure yet and cannot be dispatched",
            actor=SYSTEM,
            at=at,
        )
    return [MessageKind.CONFIRMATION]


def dispatch(order: Order, service: Service, division_name: str, *, at: datetime) -> list[MessageKind]:
    if not order.move_to(
        OrderStatus.DISPATCHED,
        actor=SYSTEM,
        comment=f"Dikirim ke {division_name} / Dispatched to {division_name}",
        at=at,
    ):
        return []
    return [MessageKind.DISPATCH]


def record(order: Order, *, at: datetime) -> bool:
    return order.move_to(
        OrderStatus.RECORDED, actor=SYSTEM, comment="Dicatat di CRM / Recorded in the CRM", at=at
    )


def complete(order: Order, *, at: datetime) -> list[MessageKind]:
    # A breach stays a breach even when no sweep ran between the deadline and completion.
    order.flag_overdue(at)
    if not order.move_to(
        OrderStatus.COMPLETED,
        actor=SYSTEM,
        comment="Selesai, pembeli diberi tahu / Completed, buyer notified",
        at=at,
        notified=True,
    ):
        return []
    return [MessageKind.COMPLETED]


def cancel(order: Order, reason: str, *, actor: str, at: datetime) -> list[MessageKind]:
    return [MessageKind.CANCELLED] if order.cancel(reason, actor=actor, at=at) else []


def sweep(order: Order, *, now: datetime) -> list[MessageKind]:
    """Flag a breached deadline once. Orders not yet with the team are the buyer's to fix."""
    if order.status in EDITABLE:
        return []
    return [MessageKind.OVERDUE_ALERT] if order.flag_overdue(now) else []
