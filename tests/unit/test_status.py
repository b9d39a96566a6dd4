"""Statuses, the transition table, and the way Order.move_to / Order.cancel obey it."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from fulfil.core.errors import ForbiddenTransition
from fulfil.core.order import HistoryEntry
from fulfil.core.status import TRANSITIONS, OrderStatus, check_transition
from tests.conftest import NOW
from tests.unit.builders import order_in

S = OrderStatus
ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if a != b and b not in TRANSITIONS[a]]

BEFORE_PROOF = [S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.DISPATCHED, S.ASSIGNED]
AFTER_PROOF = [S.PROOF_RECEIVED, S.RECORDED, S.COMPLETED]


def _names(text: str, status: OrderStatus) -> bool:
    # Word boundaries, so "received" is not found inside "proof_received".
    return re.search(rf"\b{re.escape(str(status))}\b", text) is not None


def test_status_values_are_exactly_the_documented_ones():
    assert [s.value for s in OrderStatus] == [
        "received",
        "needs_info",
        "awaiting_payment",
        "dispatched",
        "assigned",
        "proof_received",
        "recorded",
        "completed",
        "cancelled",
        "rework",
        "refunded",
        "awaiting_stock",
        "shipped",
        "return_requested",
    ]


def test_every_status_has_a_row_in_the_transition_table():
    assert set(TRANSITIONS) == set(OrderStatus)


def test_transition_table_is_the_agreed_workflow():
    # Written out by hand on purpose: a change to the workflow must be a deliberate change here too.
    assert {
        S.RECEIVED: {S.NEEDS_INFO, S.AWAITING_PAYMENT, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED},
        S.NEEDS_INFO: {S.AWAITING_PAYMENT, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED},
        S.AWAITING_PAYMENT: {S.NEEDS_INFO, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED},
        # Out of stock: back where it was once restocked, or cancelled.
        S.AWAITING_STOCK: {S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.CANCELLED},
        S.DISPATCHED: {S.ASSIGNED, S.PROOF_RECEIVED, S.CANCELLED},
        S.ASSIGNED: {S.PROOF_RECEIVED, S.CANCELLED},
        # A withdrawn proof sends the order back to waiting; it can no longer be cancelled.
        # ...or, during a claim's rework, back to rework.
        S.PROOF_RECEIVED: {S.RECORDED, S.DISPATCHED, S.ASSIGNED, S.REWORK},
        # Shipped goods go to the courier first, and are completed when delivered.
        S.RECORDED: {S.COMPLETED, S.SHIPPED},
        S.SHIPPED: {S.COMPLETED, S.RETURN_REQUESTED, S.REFUNDED},
        # After completion a warranty claim (rework), a return of shipped goods, or a full refund.
        S.COMPLETED: {S.REWORK, S.RETURN_REQUESTED, S.REFUNDED},
        S.RETURN_REQUESTED: {S.REFUNDED, S.REWORK, S.COMPLETED},
        S.REWORK: {S.PROOF_RECEIVED, S.REFUNDED},
        S.CANCELLED: set(),
        S.REFUNDED: set(),
    } == TRANSITIONS


@pytest.mark.parametrize("final", [S.CANCELLED, S.REFUNDED])
def test_final_statuses_lead_nowhere(final):
    assert TRANSITIONS[final] == frozenset()


def test_happy_path_is_allowed_end_to_end():
    order = order_in(S.RECEIVED)
    for target in (S.AWAITING_PAYMENT, S.DISPATCHED, S.ASSIGNED, S.PROOF_RECEIVED, S.RECORDED, S.COMPLETED):
        assert order.move_to(target, actor="system", comment=f"ke {target}", at=NOW) is True
    assert [h.status for h in order.history] == [
        S.AWAITING_PAYMENT,
        S.DISPATCHED,
        S.ASSIGNED,
        S.PROOF_RECEIVED,
        S.RECORDED,
        S.COMPLETED,
    ]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_transition_raises_naming_both_statuses_and_changes_nothing(current, target):
    order = order_in(current)
    with pytest.raises(ForbiddenTransition) as caught:
        order.move_to(target, actor="system", comment="coba", at=NOW)
    message = str(caught.value)
    assert _names(message, current)
    assert _names(message, target)
    assert order.status == current
    assert order.history == []


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_check_transition_refuses_pairs_outside_the_table(current, target):
    with pytest.raises(ForbiddenTransition):
        check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition_moves_and_records_one_full_history_entry(current, target):
    order = order_in(current)
    at = NOW + timedelta(minutes=5)
    assert order.move_to(target, actor="ops:Rina Wijaya", comment="diproses", at=at, notified=True) is True
    assert order.status == target
    assert order.history == [HistoryEntry(target, "diproses", "ops:Rina Wijaya", at, True)]


def test_history_entry_defaults_to_not_notified():
    order = order_in(S.RECEIVED)
    order.move_to(S.AWAITING_PAYMENT, actor="system", comment="menunggu bayar", at=NOW)
    entry = order.history[-1]
    assert (entry.status, entry.comment, entry.actor, entry.at, entry.notified) == (
        S.AWAITING_PAYMENT,
        "menunggu bayar",
        "system",
        NOW,
        False,
    )


@pytest.mark.parametrize("status", list(OrderStatus))
def test_moving_to_the_current_status_again_is_a_no_op(status):
    order = order_in(status)
    assert order.move_to(status, actor="system", comment="lagi", at=NOW) is False
    assert order.status == status
    assert order.history == []


def test_repeating_a_transition_after_it_succeeded_adds_no_history():
    order = order_in(S.RECEIVED)
    assert order.move_to(S.NEEDS_INFO, actor="system", comment="email kosong", at=NOW)
    assert not order.move_to(S.NEEDS_INFO, actor="system", comment="email kosong", at=NOW)
    assert len(order.history) == 1


@pytest.mark.parametrize("status", BEFORE_PROOF)
def test_cancel_is_allowed_before_the_proof_arrives(status):
    order = order_in(status)
    assert order.cancel("pembeli minta batal", actor="ops:Rina Wijaya", at=NOW) is True
    assert order.status == S.CANCELLED
    entry = order.history[-1]
    assert entry.status == S.CANCELLED
    assert "pembeli minta batal" in entry.comment
    assert entry.actor == "ops:Rina Wijaya"
    assert entry.notified is True


@pytest.mark.parametrize("status", AFTER_PROOF)
def test_cancel_is_forbidden_once_the_proof_arrived(status):
    order = order_in(status)
    with pytest.raises(ForbiddenTransition):
        order.cancel("pembeli minta batal", actor="ops:Rina Wijaya", at=NOW)
    assert order.status == status


def test_cancelling_a_cancelled_order_again_is_a_no_op():
    order = order_in(S.DISPATCHED)
    assert order.cancel("stok habis", actor="ops", at=NOW)
    assert order.cancel("stok habis", actor="ops", at=NOW) is False
    assert len(order.history) == 1


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_cancel_needs_a_reason(reason):
    order = order_in(S.RECEIVED)
    with pytest.raises(ForbiddenTransition):
        order.cancel(reason, actor="ops", at=NOW)
    assert order.status == S.RECEIVED
    assert order.history == []
