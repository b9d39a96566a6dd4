"""Which order a form response is, when the source has no ID column.

A Google Forms responses sheet (and a CSV/XLSX export of it) has no response ID. fulfil names a
response by its *response key* (Timestamp + email + name, the Timestamp read as a time so a
locale or format change does not rename it) and remembers, per key, the order it became and the
row it was read from. From that:

- a response read again, wherever it now stands (the sheet re-sorted or filtered), has the same
  key: the same order;
- a response the buyer edited in Google Forms stays in its row with a new Timestamp: a key not
  seen before, in a row where a response of the *same buyer* used to be whose key (and every key
  of its order) has vanished from the read: the same order, edited;
- a response equal in every answer to a known one of the same buyer but for its Timestamp (Submit
  pressed twice) is a possible double submission: held for ops, naming the other order.

What cannot be told apart without a response ID: an edit made while the sheet is also re-sorted
(the row moved *and* the key changed) becomes a new order when several of the buyer's orders
vanished at once; and a read of only part of the sheet can hide a vanished row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fulfil.core.deadlines import UnreadableDate, parse_when
from fulfil.core.validation import OrderDraft

# Answers a buyer gives; the Timestamp and the order ID are not answers.
_ANSWER_FIELDS = tuple(f for f in OrderDraft.__dataclass_fields__ if f not in ("order_id", "submitted_at"))


def canonical_time(submitted_at: str, tz: str) -> str:
    """The Timestamp as an instant, so `30/11/2026 10:00:00` and `2026-11-30 10:00` agree."""
    try:
        when, _ = parse_when(submitted_at, tz)
    except UnreadableDate:
        return " ".join(submitted_at.split())
    return when.isoformat()


def submitted_before(row_time: str, held_time: str, tz: str) -> bool:
    """Whether a row was submitted before the answers an order holds: an older export of it."""
    try:
        return parse_when(row_time, tz)[0] < parse_when(held_time, tz)[0]
    except UnreadableDate:
        return False


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def response_key(draft: OrderDraft, tz: str) -> str:
    return _digest(
        canonical_time(draft.submitted_at, tz),
        draft.buyer_email.strip().casefold(),
        " ".join(draft.buyer_name.split()).casefold(),
    )


def buyer_key(draft: OrderDraft) -> str:
    """Who submitted: the email, else the phone's digits, else the name."""
    email = draft.buyer_email.strip().casefold()
    if email:
        return "email:" + email
    digits = "".join(ch for ch in draft.phone if ch.isdigit())
    if digits:
        return "phone:" + digits[-9:]
    return "name:" + " ".join(draft.buyer_name.split()).casefold()


def answers_key(draft: OrderDraft) -> str:
    return _digest(*(" ".join(str(getattr(draft, f)).split()).casefold() for f in _ANSWER_FIELDS))


def changed_answers(before: Mapping[str, str], after: OrderDraft) -> list[str]:
    """The answers that differ (the Timestamp is not an answer)."""
    return [f for f in _ANSWER_FIELDS if (before.get(f) or "").strip() != getattr(after, f).strip()]


@dataclass(frozen=True)
class Response:
    """One response as read now: its key, where it stands and what it says."""

    key: str
    row_number: int
    buyer: str
    answers: str
    fallback_id: str  # the ID a new order gets (and the ID orders had before keys were kept)

    def of_order(self, order_id: str) -> KnownResponse:
        return KnownResponse(self.key, order_id, self.row_number, self.buyer, self.answers)


@dataclass(frozen=True)
class KnownResponse:
    """A response key fulfil has seen, and the order it belongs to."""

    key: str
    order_id: str
    row_number: int
    buyer: str
    answers: str


class Verdict(StrEnum):
    SAME = "same"  # a known response (re-read, re-sorted)
    EDITED = "edited"  # a known order whose buyer edited the answers
    NEW = "new"
    DUPLICATE = "duplicate"  # a new order that repeats another: hold it for ops


@dataclass(frozen=True)
class Resolution:
    response: Response
    order_id: str
    verdict: Verdict
    other_order: str = ""  # for DUPLICATE: the order it repeats


def read_response(draft: OrderDraft, row_number: int, fallback_id: str, tz: str) -> Response:
    return Response(response_key(draft, tz), row_number, buyer_key(draft), answers_key(draft), fallback_id)


def resolve(
    responses: Sequence[Response],
    known_by_key: Mapping[str, KnownResponse],
    known_at_rows: Iterable[KnownResponse],
    known_by_answers: Iterable[KnownResponse],
    existing_ids: Iterable[str] = (),
    closed_ids: Iterable[str] = (),
) -> list[Resolution]:
    """Name each response's order. `known_at_rows` holds the known responses standing in the rows
    read now; `known_by_answers` those whose answers equal a response's; `existing_ids` the
    orders that already have a response's `fallback_id` (kept before response keys were);
    `closed_ids` completed or cancelled orders, never taken as edited: when a shop clears old
    responses, a buyer's next order may land in the row of their finished one, and must not be
    swallowed by it."""
    existing = set(existing_ids)
    closed = set(closed_ids)
    present_orders = {k.order_id for k in known_by_key.values()}
    # Orders with no key in this read: their row was rewritten (an edit), or is gone.
    vanished_at_row: dict[tuple[int, str], set[str]] = {}
    for k in known_at_rows:
        if k.order_id not in present_orders and k.order_id not in closed:
            vanished_at_row.setdefault((k.row_number, k.buyer), set()).add(k.order_id)
    by_answers: dict[tuple[str, str], str] = {}
    for k in sorted(known_by_answers, key=lambda k: k.order_id):
        by_answers.setdefault((k.buyer, k.answers), k.order_id)

    out: list[Resolution] = []
    claimed: set[str] = set()  # one response per order in one read
    for r in responses:
        known = known_by_key.get(r.key)
        if known is not None:
            out.append(Resolution(r, known.order_id, Verdict.SAME))
            claimed.add(known.order_id)
            continue
        if r.fallback_id in existing:
            out.append(Resolution(r, r.fallback_id, Verdict.SAME))
            claimed.add(r.fallback_id)
            continue
        candidates = vanished_at_row.get((r.row_number, r.buyer), set()) - claimed
        if len(candidates) == 1:
            order_id = next(iter(candidates))
            out.append(Resolution(r, order_id, Verdict.EDITED))
            claimed.add(order_id)
            continue
        other = by_answers.get((r.buyer, r.answers))
        if other is not None and other != r.fallback_id:
            out.append(Resolution(r, r.fallback_id, Verdict.DUPLICATE, other))
        else:
            out.append(Resolution(r, r.fallback_id, Verdict.NEW))
        by_answers.setdefault((r.buyer, r.answers), r.fallback_id)
    return out
