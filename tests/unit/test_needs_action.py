"""The one rule that says which orders need a person and why: each reason, and none for an
order that is moving by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfil.config import load_catalogue
from fulfil.core.needs_action import Reason, needs_action
from fulfil.core.order import Problem
from fulfil.core.status import OrderStatus as S
from tests.conftest import ROOT
from tests.unit.builders import END_OF_30_NOV_WIB, order_in

CATALOGUE = load_catalogue(ROOT / "configs")
BEFORE = END_OF_30_NOV_WIB - timedelta(days=2)
AFTER = END_OF_30_NOV_WIB + timedelta(hours=1)


def reasons(order, *, now=BEFORE, undelivered=()):  # type: ignore[no-untyped-def]
    return [n.reason for n in needs_action(order, CATALOGUE, now=now, undelivered=undelivered)]


@pytest.mark.parametrize("status", [S.DISPATCHED, S.ASSIGNED, S.PROOF_RECEIVED, S.COMPLETED, S.CANCELLED])
def test_an_order_moving_by_itself_or_done_needs_nobody(status: S) -> None:
    assert reasons(order_in(status)) == []


def test_a_paid_order_for_a_service_without_a_procedure_needs_ops() -> None:
    order = order_in(S.RECEIVED, service_code="TIKTOK-VIEWS", quantity=5000)
    [found] = needs_action(order, CATALOGUE, now=BEFORE)
    assert found.reason == Reason.NO_PROCEDURE and "TIKTOK-VIEWS" in found.detail
    # Unpaid, it is the buyer's move, not the shop's: nobody is needed yet.
    assert reasons(order_in(S.AWAITING_PAYMENT, service_code="TIKTOK-VIEWS", paid=False)) == []


def test_a_held_change_needs_ops_and_names_what_changed() -> None:
    order = order_in(S.DISPATCHED, source={"quantity": "10", "notes": "x"})
    order.held_change = {"quantity": "20", "notes": "x"}
    [found] = needs_action(order, CATALOGUE, now=BEFORE)
    assert found.reason == Reason.HELD_CHANGE and "quantity" in found.detail and "notes" not in found.detail


def test_a_buyer_with_no_channel_needs_ops_while_the_order_is_open() -> None:
    order = order_in(S.NEEDS_INFO, buyer_email="", phone="", problems=[Problem("buyer_email", "x", "x")])
    assert reasons(order) == [Reason.NO_CHANNEL]
    assert reasons(order_in(S.COMPLETED, buyer_email="", phone="")) == []


def test_a_message_given_up_on_needs_ops_even_after_completion() -> None:
    found = needs_action(order_in(S.COMPLETED), CATALOGUE, now=BEFORE, undelivered={"completed"})
    assert [n.reason for n in found] == [Reason.UNDELIVERED] and "completed" in found[0].detail


@pytest.mark.parametrize("status", [S.NEEDS_INFO, S.AWAITING_PAYMENT])
def test_an_order_stuck_before_the_team_past_its_deadline_needs_ops(status: S) -> None:
    order = order_in(status, paid=status != S.AWAITING_PAYMENT)
    assert reasons(order, now=BEFORE) == []
    assert reasons(order, now=AFTER) == [Reason.STUCK_PAST_DEADLINE]


def test_each_situation_is_its_own_alert_key() -> None:
    order = order_in(S.DISPATCHED, source={"quantity": "10"})
    order.held_change = {"quantity": "20"}
    first = needs_action(order, CATALOGUE, now=BEFORE)[0].key
    order.held_change = {"quantity": "30"}
    second = needs_action(order, CATALOGUE, now=BEFORE)[0].key
    assert first.startswith("held_change-") and second.startswith("held_change-") and first != second
    assert needs_action(order, CATALOGUE, now=BEFORE)[0].key == second  # stable: alerted once
