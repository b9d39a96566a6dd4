"""After the work is done: handing the goods to the buyer, warranty claims and rework, refunds.

Pure decisions on the Order, as in fulfil/core/pipeline.py: each changes the order in memory and
returns the messages that leave with that change (saved together by the unit of work).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from fnmatch import fnmatch
from pathlib import PurePath

from fulfil.core.catalogue import Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.message_key import MessageKey
from fulfil.core.money import rupiah
from fulfil.core.order import SYSTEM, Claim, HandedOver, Order, ProofFile, Refund
from fulfil.core.pipeline import MessageKind
from fulfil.core.status import OrderStatus

ATTACHMENT, SHARE, LINK = "attachment", "share", "link"


def files_to_hand_over(order: Order, service: Service, *, since_claim: bool = False) -> list[ProofFile]:
    """The accepted files the buyer receives: the deliverables (files matching the service's
    deliverable patterns), or every accepted proof when the service says so; after a claim, only
    the replacement files accepted since. Notes are the team's and never handed over."""
    proofs = order.accepted_proofs
    if since_claim and order.open_claim is not None:
        proofs = [p for p in order.proofs[order.open_claim.proofs_before :] if p.accepted]
    rule = service.deliverable
    if service.handover.files == "proofs" or rule is None:
        return proofs  # with nothing counted, the accepted proof is what the buyer gets
    patterns = [p.casefold() for p in rule.patterns]
    return [p for p in proofs if any(fnmatch(PurePath(p.name).name.casefold(), pat) for pat in patterns)]


def hand_over(
    order: Order, files: Sequence[ProofFile], *, method: str, to: str, at: datetime, links: dict[str, str]
) -> list[HandedOver]:
    """Record what goes to the buyer, how and with its checksum; `links` gives each shared file's
    link and grant as "link\\ngrant" by fingerprint (share) or nothing (attachment)."""
    md5 = {d.fingerprint: d.md5 for d in order.deliverables}
    made = []
    for f in files:
        link, _, grant = links.get(f.fingerprint, "").partition("\n")
        made.append(
            HandedOver(f.name, f.fingerprint, md5.get(f.fingerprint, ""), to, method, at, link, grant)
        )
    if made:
        order.handovers.extend(made)
        names = ", ".join(f"{h.file}{f' (md5 {h.md5})' if h.md5 else ''}" for h in made)
        how = {
            ATTACHMENT: "lampiran email / email attachment",
            SHARE: "dibagikan ke akun Google-nya / shared with their Google account",
            LINK: "tautan untuk siapa pun yang memegangnya / a link for anyone who has it",
        }
        order.comment(f"Diserahkan ke {to}: {names} — {how.get(method, method)}", actor=SYSTEM, at=at)
    return made


def shared_grants(order: Order) -> list[str]:
    """The grants of files shared with the buyer whose access still stands."""
    return [
        h.grant for h in order.handovers if h.method in (SHARE, LINK) and h.grant and h.withdrawn_at is None
    ]


def withdraw_access(order: Order, *, actor: str, at: datetime) -> list[str]:
    """Mark every shared file's access as withdrawn; the grants the adapter must withdraw."""
    grants = shared_grants(order)
    if not grants:
        return []
    order.handovers = [
        replace(h, withdrawn_at=at) if h.method == SHARE and h.withdrawn_at is None else h
        for h in order.handovers
    ]
    order.comment(
        f"Akses file dicabut ({len(grants)}) / File access withdrawn ({len(grants)})", actor=actor, at=at
    )
    return grants


def open_claim(
    order: Order,
    service: Service,
    *,
    reason: str,
    items: int | None,
    actor: str,
    at: datetime,
    override: str = "",
) -> list[MessageKey]:
    """A warranty claim on a completed order: it goes back to the team as rework with its own
    deadline; the buyer hears it was received, the division gets the rework order."""
    if not reason.strip():
        raise ForbiddenTransition("a claim needs a reason (what is wrong, in the buyer's words)")
    claim = order.open_claim
    if claim is not None and (claim.reason, claim.items) == (reason.strip(), items):
        return []  # the same command again (a rerun after a crash): one claim
    if order.status == OrderStatus.REFUNDED:
        raise ForbiddenTransition(f"order {order.order_id} was refunded: a claim does not reopen it")
    # A received return may be replaced: the replacement is the team's rework, shipped again.
    returned = (
        order.status == OrderStatus.RETURN_REQUESTED and order.returns and order.returns[-1].received_at
    )
    if order.status != OrderStatus.COMPLETED and not returned:
        raise ForbiddenTransition(
            f"order {order.order_id} is {order.status}: only a completed order takes a claim"
        )
    if items is not None and not 1 <= items <= (order.quantity or items):
        raise ForbiddenTransition(f"--items {items}: the order has {order.quantity} item(s)")
    completed_at = order.completed_at
    window = timedelta(days=service.warranty_days)
    if completed_at is not None and at > completed_at + window and not override.strip() and not returned:
        raise ForbiddenTransition(
            f"order {order.order_id} is out of its {service.warranty_days}-day warranty "
            f'(completed {completed_at:%d/%m/%Y}); ops may accept it with --override "why"'
        )
    number = len(order.claims) + 1
    claim = Claim(
        number=number,
        reason=reason.strip(),
        items=items,
        at=at,
        by=actor,
        deadline=at + timedelta(hours=service.rework_hours or service.lead_time_hours),
        override=override.strip(),
        proofs_before=len(order.proofs),
        deliverables_before=len(order.deliverables),
        shipments_before=len(order.shipments),
    )
    order.claims.append(claim)
    what = f"{items} item" if items else "seluruh pesanan / the whole order"
    note = f"; di luar garansi, diterima: {claim.override}" if claim.override else ""
    order.move_to(
        OrderStatus.REWORK,
        actor=actor,
        comment=f"Klaim #{number} ({what}): {claim.reason}{note} / Claim #{number}, rework",
        at=at,
        notified=True,
    )
    return [
        MessageKey(MessageKind.CLAIM_RECEIVED, str(number)),
        MessageKey(MessageKind.REWORK, str(number)),
    ]


# A shipped order may be refunded (lost by the courier), and a returned one once it is back.
REFUNDABLE = frozenset(
    {
        OrderStatus.COMPLETED,
        OrderStatus.REWORK,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
        OrderStatus.RETURN_REQUESTED,
    }
)


def refund(
    order: Order, *, amount: int, reason: str, full: bool, actor: str, at: datetime
) -> list[MessageKey]:
    """Record a refund and tell the buyer. A full refund closes the order (refunded, final)."""
    if amount <= 0:
        raise ForbiddenTransition("a refund needs an amount above zero (rupiah)")
    if not reason.strip():
        raise ForbiddenTransition("a refund needs a reason")
    last = order.refunds[-1] if order.refunds else None
    if last is not None and (last.amount, last.reason, last.full) == (amount, reason.strip(), full):
        return []  # the same command again (a rerun after a crash): one refund, told once
    if order.status == OrderStatus.REFUNDED:
        raise ForbiddenTransition(f"order {order.order_id} was refunded in full already")
    if order.status not in REFUNDABLE:
        raise ForbiddenTransition(
            f"order {order.order_id} is {order.status}: cancel it first, or refund once it is completed"
        )
    number = len(order.refunds) + 1
    order.refunds.append(Refund(number, amount, reason.strip(), at, actor, full))
    kind = ("penuh", "Full") if full else ("sebagian", "Partial")
    said = f"Refund #{number} {rupiah(amount)} {kind[0]}: {reason.strip()} / {kind[1]} refund"
    if full and order.status != OrderStatus.CANCELLED:
        order.move_to(OrderStatus.REFUNDED, actor=actor, comment=said, at=at, notified=True)
    else:
        order.comment(said, actor=actor, at=at, notified=True)
    return [MessageKey(MessageKind.REFUNDED, str(number))]


def rework_rungs(order: Order, *, remind_before: timedelta, now: datetime) -> list[MessageKey]:
    """The deadline ladder of a claim's rework, each rung once: a reminder to the division
    `remind_before` its deadline, and past it an escalation to the division's lead and ops."""
    claim = order.open_claim
    if order.status != OrderStatus.REWORK or claim is None:
        return []
    n = claim.number
    due = [
        (
            now > claim.deadline,
            MessageKind.REWORK_OVERDUE,
            f"Klaim #{n} melewati batas waktunya / Claim #{n} rework is past its deadline",
        ),
        (
            now >= claim.deadline - remind_before,
            MessageKind.REWORK_REMINDER,
            f"Klaim #{n}: pengingat ke tim sebelum batas / Claim #{n}: team reminded before its deadline",
        ),
    ]
    said = {h.comment for h in order.history}
    for reached, kind, note in due:
        if reached:
            if note in said:
                return []  # this rung went out already; an earlier one is overtaken
            order.comment(note, actor=SYSTEM, at=now)
            return [MessageKey(kind, str(n))]
    return []
