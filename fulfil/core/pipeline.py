"""What happens to an order at each step, as pure decisions on the Order.

Each function changes the order in memory and returns the messages that must leave with that
change; the caller saves both in one transaction, so a change and its message never part.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from fulfil.core import ladder as ladders
from fulfil.core.catalogue import Ladder, Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.message_key import MessageKey
from fulfil.core.order import SYSTEM, HistoryEntry, Order, Problem
from fulfil.core.shipping import Tracking
from fulfil.core.status import EDITABLE, FINAL, WAITING_FOR_PROOF, OrderStatus
from fulfil.core.validation import Checked, OrderDraft


class MessageKind(StrEnum):
    CONFIRMATION = "confirmation"
    NEEDS_INFO = "needs_info"
    DISPATCH = "dispatch"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    OVERDUE_ALERT = "overdue_alert"
    PROOF_REJECTED = "proof_rejected"
    ASSIGNED = "assigned"
    # The deadline ladder (fulfil/core/ladder.py): one outbox key per rung, e.g. reminder:50.
    REMINDER = ladders.REMINDER
    ESCALATION = ladders.ESCALATION
    PAYMENT_REMINDER = ladders.PAYMENT_REMINDER
    FOLLOW_UP = ladders.FOLLOW_UP
    # To ops, once per (order, kind) that could not be delivered for good: `undelivered:completed`.
    UNDELIVERED = "undelivered"
    # After completion (fulfil/core/aftersale.py), each once per claim or refund number.
    CLAIM_RECEIVED = "claim_received"
    REWORK = "rework"
    REPLACEMENT = "replacement"
    REFUNDED = "refunded"
    # A claim's rework: to the division before its own deadline, to the lead and ops after it.
    REWORK_REMINDER = "rework_reminder"
    # To ops: the goods could not be handed over by fulfil (a buyer without email), do it by hand.
    HANDOVER_BY_HAND = "handover_by_hand"
    REWORK_OVERDUE = "rework_overdue"
    # To ops, once per order and situation: it needs a person (fulfil/core/needs_action.py).
    NEEDS_ACTION = "needs_action"
    # To the division (and the member on it): an order they work on was cancelled, or changed.
    CANCELLED_TEAM = "cancelled_team"
    WORK_CHANGED = "work_changed"
    # To the buyer: a comment ops added to the order's history with "tell the buyer" ticked.
    NOTE = "note"
    # An online store's orders (fulfil/core/stock.py, shipping.py, returns.py).
    OUT_OF_STOCK = "out_of_stock"  # to the buyer: valid, waiting for a restock
    IN_STOCK = "in_stock"  # to the buyer: restocked, the order goes on
    LOW_STOCK = "low_stock"  # to ops, once per fall under the threshold
    SHIPPED = "shipped"  # to the buyer: the courier and tracking number, once per shipment
    RETURN_ACCEPTED = "return_accepted"  # to the buyer: how to send the goods back
    RETURN_RECEIVED = "return_received"  # to the buyer: the goods are back, refund or replacement


# Who each kind of message is for.
BUYER_KINDS = frozenset(
    {
        MessageKind.CONFIRMATION,
        MessageKind.NEEDS_INFO,
        MessageKind.COMPLETED,
        MessageKind.CANCELLED,
        MessageKind.PAYMENT_REMINDER,
        MessageKind.FOLLOW_UP,
        MessageKind.CLAIM_RECEIVED,
        MessageKind.NOTE,
        MessageKind.REPLACEMENT,
        MessageKind.REFUNDED,
        MessageKind.OUT_OF_STOCK,
        MessageKind.IN_STOCK,
        MessageKind.SHIPPED,
        MessageKind.RETURN_ACCEPTED,
        MessageKind.RETURN_RECEIVED,
    }
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
        ready = (
            service is not None
            and service.can_dispatch
            and not order.problems
            and (order.paid or order.cod)  # cash on delivery is paid when the goods arrive
            and order.status != OrderStatus.AWAITING_STOCK
        )
        return Step.DISPATCH if ready else Step.NOTHING
    if order.is_waiting_for_proof:
        return Step.WAIT_FOR_PROOF
    if order.status == OrderStatus.PROOF_RECEIVED:
        return Step.RECORD
    if order.status == OrderStatus.RECORDED:
        return Step.COMPLETE
    return Step.NOTHING


DUPLICATE_OF = "duplicate_of"


def hold_as_duplicate(
    order: Order, draft: OrderDraft, checked: Checked, other: str, *, at: datetime
) -> list[MessageKind]:
    """A response repeating `other` but for its Timestamp (Submit pressed twice): keep it, tell
    nobody yet, dispatch nothing until ops release it or cancel it."""
    _take_answers(order, draft, checked)
    order.problems = [
        Problem(
            DUPLICATE_OF,
            f"Kemungkinan pesanan ganda: jawabannya sama dengan {other}",
            f"Possible double submission: the same answers as {other}",
        ),
        *checked.problems,
    ]
    order.comment(
        f"Ditahan: kemungkinan pesanan ganda dari {other}; ops memutuskan "
        f"(`fulfil orders release` atau `fulfil orders cancel`) / "
        f"Held: possibly a second submission of {other}; ops release or cancel it",
        actor=SYSTEM,
        at=at,
    )
    return []


def held_as_duplicate(order: Order) -> bool:
    return any(p.field == DUPLICATE_OF for p in order.problems)


def _take_answers(order: Order, draft: OrderDraft, checked: Checked) -> None:
    order.service_code = draft.service_code.strip().upper()
    order.buyer_name = draft.buyer_name.strip()
    order.buyer_email = draft.buyer_email.strip()
    order.phone_raw = draft.phone.strip()
    order.phone = checked.phone
    order.quantity = checked.quantity
    order.deadline = checked.deadline
    order.notes = draft.notes.strip()
    # Ops' word that the money arrived stands, whatever the form's paid column says later.
    order.paid = checked.paid or bool(order.paid_confirmed_by)
    order.lang = "en" if draft.lang.strip().lower() in ("en", "english", "inggris") else "id"
    order.address = draft.address.strip()
    order.unit_price = checked.unit_price
    order.cod = checked.cod


def admit(
    order: Order, draft: OrderDraft, checked: Checked, *, at: datetime, in_stock: bool = True
) -> list[MessageKind]:
    """Take a (new or edited) form row into an editable order and say where it stands.

    `in_stock`: whether the units it needs are reserved for it (always, for a service that keeps
    no stock); a valid order without them waits in awaiting_stock."""
    waited = order.status == OrderStatus.AWAITING_STOCK
    _take_answers(order, draft, checked)
    order.problems = list(checked.problems)
    if checked.ok and not in_stock:
        if not order.move_to(
            OrderStatus.AWAITING_STOCK,
            actor=SYSTEM,
            comment="Stok habis, menunggu stok / Out of stock, waiting for a restock",
            at=at,
            notified=order.buyer_reachable,
        ):
            return []
        return [MessageKind.OUT_OF_STOCK]
    if checked.ok and waited:
        # Restocked: the order goes on from where it stopped, and the buyer hears it.
        back = OrderStatus.RECEIVED if checked.paid or checked.cod else OrderStatus.AWAITING_PAYMENT
        order.move_to(back, actor=SYSTEM, comment="Stok tersedia / Back in stock", at=at, notified=True)
        return [MessageKind.IN_STOCK]

    if not checked.ok:
        fields = ", ".join(dict.fromkeys(p.field for p in checked.problems))
        text = f"Data perlu dilengkapi: {fields} / Needs info: {fields}"
        told = order.buyer_reachable
        if not told:
            text += " — pembeli tidak bisa dihubungi (email) / buyer has no usable email"
        if not order.move_to(OrderStatus.NEEDS_INFO, actor=SYSTEM, comment=text, at=at, notified=told):
            order.comment(text, actor=SYSTEM, at=at, notified=told)
        return [MessageKind.NEEDS_INFO] if told else []
    if not checked.paid and not checked.cod:
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


def complete(order: Order, *, at: datetime, ships: bool = False) -> list[MessageKey]:
    """Completed, the buyer told; after a claim, its replacement delivered and the claim closed.

    Goods that `ships` are shipped first (the buyer gets the tracking number) and completed
    when delivered (see deliver)."""
    if ships and order.status == OrderStatus.RECORDED:
        shipment = order.shipment
        said = (
            f"{Tracking(shipment.courier, shipment.number).courier_name} {shipment.number}"
            if shipment
            else "?"
        )
        if not order.move_to(
            OrderStatus.SHIPPED,
            actor=SYSTEM,
            comment=f"Dikirim, no. resi {said} / Shipped, tracking number {said}",
            at=at,
            notified=True,
        ):
            return []
        return [MessageKey(MessageKind.SHIPPED, str(len(order.shipments)))]
    claim = order.open_claim
    if claim is None:
        # A breach stays a breach even when no sweep ran between the deadline and completion.
        order.flag_overdue(at)
    comment = (
        "Selesai, pembeli diberi tahu / Completed, buyer notified"
        if claim is None
        else f"Klaim #{claim.number} selesai, pengganti dikirim / Claim #{claim.number} done, replaced"
    )
    if not order.move_to(OrderStatus.COMPLETED, actor=SYSTEM, comment=comment, at=at, notified=True):
        return []
    if claim is None:
        return [MessageKey(MessageKind.COMPLETED)]
    order.claims[-1] = replace(claim, done_at=at)
    return [MessageKey(MessageKind.REPLACEMENT, str(claim.number))]


def deliver(order: Order, *, actor: str, at: datetime, how: str) -> list[MessageKey]:
    """Shipped goods arrived (the team, the buyer or ops say so, or the days ran out): completed."""
    shipment = order.shipment
    if order.status != OrderStatus.SHIPPED or shipment is None:
        return []
    order.shipments[-1] = replace(shipment, delivered_at=at, delivered_by=actor)
    order.comment(f"Diterima pembeli ({how}) / Delivered ({how})", actor=actor, at=at)
    return complete(order, at=at)


def cancel(order: Order, reason: str, *, actor: str, at: datetime) -> list[MessageKind]:
    """Cancel with a reason: the buyer is told, and so is the division when it has the work."""
    with_team = order.status in WAITING_FOR_PROOF
    if not order.cancel(reason, actor=actor, at=at):
        return []
    return [MessageKind.CANCELLED, *([MessageKind.CANCELLED_TEAM] if with_team else [])]


def mark_paid(order: Order, *, actor: str, at: datetime) -> list[MessageKey] | None:
    """Ops saw the payment (a bank transfer): the order may go to the team; the buyer hears it.
    A cash-on-delivery order is paid when the courier's cash is confirmed collected, at any point
    before it is cancelled or refunded."""
    collectable = order.cod and order.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    if order.paid or (order.status not in EDITABLE and not collectable):
        return None
    order.paid = True
    order.paid_confirmed_by = actor
    said = (
        "Pembayaran COD diterima / COD payment collected"
        if order.cod
        else "Pembayaran diterima / Payment received"
    )
    order.comment(said, actor=actor, at=at, notified=True)
    return [MessageKey(MessageKind.CONFIRMATION, "paid")]


def add_note(order: Order, text: str, *, actor: str, at: datetime, tell_buyer: bool) -> list[MessageKey]:
    """A line in the order's history, as a shop admin writes one; to the buyer too when asked."""
    if not text.strip():
        raise ForbiddenTransition("a comment needs some text")
    told = tell_buyer and order.buyer_reachable
    order.history.append(HistoryEntry(order.status, text.strip(), actor, at, told))
    return [MessageKey(MessageKind.NOTE, str(len(order.history)))] if told else []


def override_status(order: Order, target: OrderStatus, reason: str, *, actor: str, at: datetime) -> bool:
    """Ops set the status by hand, outside the usual steps: allowed, and said why, in the history."""
    if not reason.strip():
        raise ForbiddenTransition("a status override needs a reason")
    if target == order.status:
        return False
    order.status = target
    order.history.append(
        HistoryEntry(target, f"Status diubah manual / Status set by hand: {reason.strip()}", actor, at)
    )
    return True


# The answers a held change may bring to an order the team already works on.
CHANGEABLE = ("quantity", "deadline", "notes", "buyer_name", "buyer_email", "phone", "lang")


def apply_change(
    order: Order, draft: OrderDraft, checked: Checked, *, actor: str, at: datetime
) -> list[MessageKey] | None:
    """Apply the buyer's held change: refused when the new answers are wrong or change the service
    (cancel and order again); the division is told what changed when it has the work."""
    if not order.held_change:
        return None
    if checked.problems:
        raise ForbiddenTransition(
            "the change cannot be applied: "
            + "; ".join(f"{p.field}: {p.reason_en}" for p in checked.problems)
        )
    if draft.service_code.strip().upper() != order.service_code:
        raise ForbiddenTransition("the change asks for another service: cancel the order and order again")
    work = ("quantity", "deadline", "notes")  # what the team's work order says
    before = {name: getattr(order, name) for name in work}
    paid = order.paid
    _take_answers(order, draft, checked)
    order.paid = paid or checked.paid
    order.source, order.held_change = dict(order.held_change), {}
    changed = [name for name in work if getattr(order, name) != before[name]]
    what = ", ".join(changed) or "contact details"
    order.comment(f"Perubahan pembeli diterapkan / The buyer's change applied: {what}", actor=actor, at=at)
    if order.status not in WAITING_FOR_PROOF or not changed:
        return []
    count = sum(1 for h in order.history if "The buyer's change applied" in h.comment)
    return [MessageKey(MessageKind.WORK_CHANGED, str(count))]


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep at one moment would do to one order, computed without changing it."""

    flag: bool  # the deadline has passed on an order with the team: set the overdue flag
    send: list[ladders.Rung]
    skip: list[ladders.Rung]
    rungs: list[ladders.Planned]  # the whole schedule, for previews

    @property
    def changes(self) -> bool:
        return self.flag or bool(self.send or self.skip)


DEFAULT_LADDER = Ladder()


def plan_sweep(order: Order, ladder: Ladder = DEFAULT_LADDER, *, now: datetime) -> SweepPlan:
    # Orders not yet with the team are the buyer's to fix: late, but not the team's lateness. A
    # paid, valid order the shop could not dispatch (no procedure) is the shop's lateness.
    shops_to_move = order.status == OrderStatus.RECEIVED and order.paid and not order.problems
    flag = (
        (order.status not in EDITABLE or shops_to_move)
        and order.status not in FINAL
        and order.status != OrderStatus.REWORK  # judged by its claim's deadline, not the order's
        and not order.overdue
        and order.deadline is not None
        and now > order.deadline
    )
    rungs = ladders.plan(order, ladder, now)
    send = [p.rung for p in rungs if p.state == ladders.State.SEND]
    skip = [p.rung for p in rungs if p.state == ladders.State.SKIP]
    return SweepPlan(flag, send, skip, rungs)


def sweep(order: Order, ladder: Ladder = DEFAULT_LADDER, *, now: datetime) -> list[ladders.Rung]:
    """Flag a breached deadline once and take the ladder's due rungs, each once.

    Returns the rungs whose messages must leave now (their outbox keys are `rung.key`); every rung
    sent or skipped gets one line in the history, which is how the next sweep knows.
    """
    planned = plan_sweep(order, ladder, now=now)
    if planned.flag:
        order.flag_overdue(now)
    overtaken = {p.rung.key: p.by for p in planned.rungs if p.state == ladders.State.SKIP}
    for rung in planned.skip:
        order.comment(ladders.skipped_note(rung, overtaken[rung.key]), actor=SYSTEM, at=now)
    for rung in planned.send:
        for_buyer = rung.kind in BUYER_KINDS
        reachable = order.buyer_reachable if for_buyer else True
        order.comment(
            ladders.sent_note(rung, reachable=reachable),
            actor=SYSTEM,
            at=now,
            notified=for_buyer and reachable,
        )
    return planned.send


def assign(order: Order, assignee: str, *, lead: str, at: datetime) -> list[MessageKey] | None:
    """Record who does the work and tell the division; each (re)assignment is its own message."""
    if not order.assign(assignee, lead=lead, at=at):
        return None
    count = sum(1 for h in order.history if h.actor.startswith("lead:"))
    return [MessageKey(MessageKind.ASSIGNED, str(count))]
