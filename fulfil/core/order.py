"""The Order aggregate: its fields, its history, and the only ways its status changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fulfil.core.errors import ForbiddenTransition
from fulfil.core.status import FINAL, WAITING_FOR_PROOF, OrderStatus, check_transition

SYSTEM = "system"
TEAM = "team"
BUYER = "buyer"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an order, said in Bahasa Indonesia and in English."""

    field: str
    reason_id: str
    reason_en: str

    @property
    def reason(self) -> str:
        return f"{self.reason_id} / {self.reason_en}"


@dataclass(frozen=True)
class HistoryEntry:
    status: OrderStatus
    comment: str
    actor: str
    at: datetime
    notified: bool = False


@dataclass(frozen=True)
class ProofFile:
    """A file the team dropped in the order's proof folder, as judged by fulfil."""

    name: str
    size: int
    fingerprint: str
    accepted: bool
    reason: str = ""
    link: str = ""


@dataclass(frozen=True)
class TeamNote:
    """Additional notes ("keterangan tambahan") the technical team left for the order."""

    text: str
    source: str
    at: datetime
    fingerprint: str


@dataclass(frozen=True)
class Delivered:
    """A counted deliverable: its name, count and MD5, never its contents (they may be passwords)."""

    file: str
    count: int | None
    md5: str
    accepted: bool
    reason: str
    fingerprint: str
    # Keyed digests of its distinct rows (fulfil/core/goods.py): the goods it hands over.
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandedOver:
    """A file given to the buyer: how, to whom, when, its checksum; never its contents."""

    file: str
    fingerprint: str
    md5: str
    to: str
    method: str  # attachment | share
    at: datetime
    link: str = ""
    grant: str = ""  # the proof store's handle to withdraw a share
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """A warranty claim: what is wrong, how many items, who opened it, the rework's deadline."""

    number: int
    reason: str
    items: int | None
    at: datetime
    by: str
    deadline: datetime
    override: str = ""  # why ops took it outside the warranty window
    # Where the order's proofs and deliverables stood when it was opened: the replacement is
    # judged on what came after.
    proofs_before: int = 0
    deliverables_before: int = 0
    done_at: datetime | None = None
    # Shipped goods: the replacement's shipment is the one after these.
    shipments_before: int = 0


@dataclass(frozen=True)
class Refund:
    number: int
    amount: int  # rupiah
    reason: str
    at: datetime
    by: str
    full: bool


@dataclass(frozen=True)
class Shipment:
    """Goods handed to a courier: the tracking number (no. resi) the buyer follows them by."""

    courier: str  # code, fulfil/core/shipping.py
    number: str
    at: datetime
    source: str  # the team's note it was read from
    delivered_at: datetime | None = None
    delivered_by: str = ""


@dataclass(frozen=True)
class ReturnRequest:
    """Shipped goods the buyer sends back: why, the return's tracking number, what ops decided."""

    number: int
    reason: str
    at: datetime
    by: str
    courier: str = ""
    tracking: str = ""
    received_at: datetime | None = None
    outcome: str = ""  # refund | replace | refused


@dataclass
class Order:
    order_id: str
    status: OrderStatus = OrderStatus.RECEIVED
    service_code: str = ""
    buyer_name: str = ""
    buyer_email: str = ""
    phone_raw: str = ""
    phone: str = ""
    quantity: int | None = None
    deadline: datetime | None = None
    timezone: str = "Asia/Jakarta"
    notes: str = ""
    paid: bool = False
    lang: str = "id"
    received_at: datetime | None = None
    source: dict[str, str] = field(default_factory=dict)
    source_hash: str = ""
    problems: list[Problem] = field(default_factory=list)
    overdue: bool = False
    overdue_at: datetime | None = None
    assignee: str = ""
    proofs: list[ProofFile] = field(default_factory=list)
    team_notes: list[TeamNote] = field(default_factory=list)
    deliverables: list[Delivered] = field(default_factory=list)
    handovers: list[HandedOver] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    # The buyer's form answers as edited after the order went to the team: not applied until ops
    # decide (fulfil/usecases/admin.apply_held_change), so the team never works on a moving target.
    held_change: dict[str, str] = field(default_factory=dict)
    # Who of ops confirmed the payment by hand (a bank transfer): it stands over the form's column.
    paid_confirmed_by: str = ""
    # Where shipped goods go (never into logs, events or Prefect: it is the buyer's).
    address: str = ""
    # The price per item the form gave, used when the service has no price of its own.
    unit_price: int | None = None
    # Cash on delivery: dispatched unpaid, paid when the courier's cash is confirmed collected.
    cod: bool = False
    shipments: list[Shipment] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    # Opaque to the core: the store's optimistic-lock counter.
    version: int = 0
    # Opaque to the core: the order's columns as the store last read or wrote them, so a save
    # writes only what changed.
    stored: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def is_waiting_for_proof(self) -> bool:
        return self.status in WAITING_FOR_PROOF

    @property
    def open_claim(self) -> Claim | None:
        """The claim being reworked, if any."""
        last = self.claims[-1] if self.claims else None
        return last if last is not None and last.done_at is None else None

    @property
    def shipment(self) -> Shipment | None:
        """The shipment that counts now: the last one, or during rework one sent since the claim."""
        claim = self.open_claim
        if not self.shipments or (claim is not None and len(self.shipments) <= claim.shipments_before):
            return None
        return self.shipments[-1]

    @property
    def open_return(self) -> ReturnRequest | None:
        last = self.returns[-1] if self.returns else None
        return last if last is not None and not last.outcome else None

    @property
    def completed_at(self) -> datetime | None:
        return next((h.at for h in self.history if h.status == OrderStatus.COMPLETED), None)

    def expected_count(self) -> int:
        """How many items the team must deliver now: the claim's, during rework."""
        claim = self.open_claim
        if claim is not None and claim.items:
            return claim.items
        return self.quantity or 0

    @property
    def email_reachable(self) -> bool:
        """Whether the buyer's email can be written to."""
        return bool(self.buyer_email) and not any(p.field == "buyer_email" for p in self.problems)

    @property
    def buyer_reachable(self) -> bool:
        """Whether a message to the buyer has an address to go to: an email, or a phone for a
        chat channel (when none is set up, ops are told the buyer could not be reached)."""
        return self.email_reachable or (
            bool(self.phone) and not any(p.field == "phone" for p in self.problems)
        )

    @property
    def notes_to_show(self) -> list[TeamNote]:
        return [n for n in self.team_notes if n.text]

    @property
    def accepted_proofs(self) -> list[ProofFile]:
        return [p for p in self.proofs if p.accepted]

    def goods_held(self) -> frozenset[str]:
        """What this order holds that no other order may be given: each accepted deliverable file
        (by checksum) and each item in it (see fulfil/core/goods.py)."""
        held: set[str] = set()
        for d in self.deliverables:
            if d.accepted:
                held.add(f"file:{d.md5}")
                held.update(d.items)
        return frozenset(held)

    def move_to(
        self,
        target: OrderStatus,
        *,
        actor: str,
        comment: str,
        at: datetime,
        notified: bool = False,
    ) -> bool:
        """Apply a transition; return False (and record nothing) if already there."""
        if target == self.status:
            return False
        check_transition(self.status, target)
        self.status = target
        self.history.append(HistoryEntry(target, comment, actor, at, notified))
        return True

    def comment(self, text: str, *, actor: str, at: datetime, notified: bool = False) -> bool:
        """Add a history entry without a status change, unless the last entry says the same."""
        last = self.history[-1] if self.history else None
        if last and last.comment == text and last.status == self.status:
            return False
        self.history.append(HistoryEntry(self.status, text, actor, at, notified))
        return True

    def cancel(self, reason: str, *, actor: str, at: datetime) -> bool:
        if not reason.strip():
            raise ForbiddenTransition("a cancellation needs a reason")
        return self.move_to(
            OrderStatus.CANCELLED,
            actor=actor,
            comment=f"Dibatalkan: {reason}",
            at=at,
            notified=True,
        )

    def assign(self, assignee: str, *, lead: str, at: datetime) -> bool:
        if not assignee.strip():
            raise ForbiddenTransition("an assignment needs the name of who does the work")
        if self.status == OrderStatus.ASSIGNED and self.assignee == assignee:
            return False
        if self.status == OrderStatus.ASSIGNED:
            self.assignee = assignee
            return self.comment(f"Dialihkan ke {assignee}", actor=f"lead:{lead}", at=at)
        check_transition(self.status, OrderStatus.ASSIGNED)
        self.assignee = assignee
        return self.move_to(
            OrderStatus.ASSIGNED, actor=f"lead:{lead}", comment=f"Dikerjakan oleh {assignee}", at=at
        )

    def flag_overdue(self, now: datetime) -> bool:
        """Set the overdue flag once the deadline has passed on an open order. It never clears."""
        if self.overdue or self.deadline is None or self.status in FINAL:
            return False
        if now <= self.deadline:
            return False
        self.overdue = True
        self.overdue_at = now
        self.comment("Melewati deadline / Deadline passed", actor=SYSTEM, at=now)
        return True
