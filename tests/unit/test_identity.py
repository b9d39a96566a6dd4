"""Which order a form response is, without a response ID: re-reads, re-sorts, edits, double Submit."""

from __future__ import annotations

from fulfil.core.identity import (
    KnownResponse,
    Verdict,
    canonical_time,
    read_response,
    resolve,
    response_key,
)
from fulfil.core.validation import OrderDraft

TZ = "Asia/Jakarta"


def _draft(when: str, email: str = "sari@example.com", quantity: str = "", name: str = "Sari") -> OrderDraft:
    return OrderDraft(
        submitted_at=when, buyer_name=name, buyer_email=email, service_code="GMAIL-BARU", quantity=quantity
    )


def _known(draft: OrderDraft, row: int, order_id: str) -> KnownResponse:
    return read_response(draft, row, order_id, TZ).of_order(order_id)


def test_a_timestamp_in_another_format_is_the_same_response() -> None:
    # The sheet's locale or the column's format changed: the instant did not.
    assert canonical_time("30/11/2026 10:00:00", TZ) == canonical_time("2026-11-30 10:00", TZ)
    assert response_key(_draft("30/11/2026 10:00:00"), TZ) == response_key(_draft("2026-11-30 10:00:00"), TZ)


def test_a_re_sorted_sheet_names_every_response_as_before() -> None:
    sari, budi = _draft("30/11/2026 10:00:00"), _draft("30/11/2026 11:00:00", "budi@example.com", name="Budi")
    known = {k.key: k for k in (_known(sari, 2, "ORD-A"), _known(budi, 3, "ORD-B"))}
    resorted = [read_response(budi, 2, "X1", TZ), read_response(sari, 3, "X2", TZ)]

    named = resolve(resorted, known, [], [])
    assert [(n.order_id, n.verdict) for n in named] == [("ORD-B", Verdict.SAME), ("ORD-A", Verdict.SAME)]


def test_an_edited_response_in_its_row_is_the_same_order() -> None:
    before = _draft("30/11/2026 10:00:00")
    after = _draft("30/11/2026 12:30:00", quantity="5")  # Google Forms rewrites the Timestamp
    old = _known(before, 2, "ORD-A")

    [named] = resolve([read_response(after, 2, "ORD-NEW", TZ)], {}, [old], [])
    assert (named.order_id, named.verdict) == ("ORD-A", Verdict.EDITED)


def test_a_new_response_of_the_same_buyer_is_not_an_edit_while_the_old_one_is_still_there() -> None:
    first = _draft("30/11/2026 10:00:00")
    second = _draft("30/11/2026 12:30:00", quantity="5")
    old = _known(first, 2, "ORD-A")
    # The first response still stands (re-sorted to row 3); the second now sits in row 2.
    reads = [read_response(second, 2, "ORD-B", TZ), read_response(first, 3, "ORD-A", TZ)]

    named = resolve(reads, {old.key: old}, [old], [])
    assert [(n.order_id, n.verdict) for n in named] == [("ORD-B", Verdict.NEW), ("ORD-A", Verdict.SAME)]


def test_another_buyer_in_the_row_of_a_vanished_response_is_a_new_order() -> None:
    old = _known(_draft("30/11/2026 10:00:00"), 2, "ORD-A")
    other = read_response(_draft("30/11/2026 12:00:00", "budi@example.com", name="Budi"), 2, "ORD-B", TZ)

    [named] = resolve([other], {}, [old], [])
    assert (named.order_id, named.verdict) == ("ORD-B", Verdict.NEW)


def test_a_finished_order_never_swallows_the_next_order_in_its_row() -> None:
    # The shop cleared old responses; the buyer's next order landed in the row of their done one.
    old = _known(_draft("30/11/2026 10:00:00"), 2, "ORD-A")
    nxt = read_response(_draft("01/12/2026 09:00:00", quantity="3"), 2, "ORD-B", TZ)

    [named] = resolve([nxt], {}, [old], [], closed_ids={"ORD-A"})
    assert (named.order_id, named.verdict) == ("ORD-B", Verdict.NEW)


def test_submit_pressed_twice_is_held_as_a_duplicate_naming_the_first() -> None:
    first = _draft("30/11/2026 10:00:00", quantity="2")
    again = _draft("30/11/2026 10:00:09", quantity="2")
    known = _known(first, 2, "ORD-A")

    [named] = resolve([read_response(again, 3, "ORD-B", TZ)], {known.key: known}, [], [known])
    assert (named.order_id, named.verdict, named.other_order) == ("ORD-B", Verdict.DUPLICATE, "ORD-A")


def test_two_identical_submissions_in_one_read_hold_the_second() -> None:
    reads = [
        read_response(_draft("30/11/2026 10:00:00", quantity="2"), 2, "ORD-A", TZ),
        read_response(_draft("30/11/2026 10:00:09", quantity="2"), 3, "ORD-B", TZ),
    ]
    named = resolve(reads, {}, [], [])
    assert [(n.verdict, n.other_order) for n in named] == [(Verdict.NEW, ""), (Verdict.DUPLICATE, "ORD-A")]


def test_orders_named_before_keys_were_kept_keep_their_id() -> None:
    [named] = resolve(
        [read_response(_draft("30/11/2026 10:00:00"), 2, "ORD-OLD", TZ)], {}, [], [], {"ORD-OLD"}
    )
    assert (named.order_id, named.verdict) == ("ORD-OLD", Verdict.SAME)
