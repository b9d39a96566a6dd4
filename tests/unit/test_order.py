"""Order.assign, Order.comment, Order.flag_overdue and buyer reachability."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfil.core.errors import ForbiddenTransition
from fulfil.core.order import Problem
from fulfil.core.status import OrderStatus
from tests.conftest import NOW
from tests.unit.builders import order_in

S = OrderStatus
LATER = NOW + timedelta(hours=1)


def test_first_assign_moves_a_dispatched_order_to_assigned_as_the_lead():
    order = order_in(S.DISPATCHED)
    assert order.assign("Agus Salim", lead="Bagus Pratama", at=NOW) is True
    assert order.status == S.ASSIGNED
    assert order.assignee == "Agus Salim"
    entry = order.history[-1]
    assert entry.status == S.ASSIGNED
    assert entry.actor == "lead:Bagus Pratama"
    assert "Agus Salim" in entry.comment


def test_assigning_the_same_person_again_is_a_no_op():
    order = order_in(S.DISPATCHED)
    order.assign("Agus Salim", lead="Bagus Pratama", at=NOW)
    before = list(order.history)
    assert order.assign("Agus Salim", lead="Bagus Pratama", at=LATER) is False
    assert order.history == before


def test_reassigning_to_someone_else_keeps_the_status_and_adds_a_comment():
    order = order_in(S.DISPATCHED)
    order.assign("Agus Salim", lead="Bagus Pratama", at=NOW)
    assert order.assign("Putri Ayu", lead="Bagus Pratama", at=LATER) is True
    assert order.status == S.ASSIGNED
    assert order.assignee == "Putri Ayu"
    assert len(order.history) == 2
    entry = order.history[-1]
    assert entry.status == S.ASSIGNED
    assert "Putri Ayu" in entry.comment
    assert entry.actor == "lead:Bagus Pratama"
    assert entry.at == LATER


@pytest.mark.parametrize("status", [S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.COMPLETED, S.CANCELLED])
def test_assign_is_refused_where_assigned_cannot_follow_and_leaves_no_assignee(status):
    order = order_in(status)
    with pytest.raises(ForbiddenTransition):
        order.assign("Agus Salim", lead="Bagus Pratama", at=NOW)
    assert order.assignee == ""
    assert order.status == status


@pytest.mark.parametrize("name", ["", "   "])
def test_assign_needs_a_name(name):
    order = order_in(S.DISPATCHED)
    with pytest.raises(ForbiddenTransition):
        order.assign(name, lead="Bagus Pratama", at=NOW)
    assert order.status == S.DISPATCHED


def test_comment_skips_an_exact_repeat_of_the_last_entry():
    order = order_in(S.DISPATCHED)
    assert order.comment("Menunggu bukti dari tim", actor="system", at=NOW) is True
    assert order.comment("Menunggu bukti dari tim", actor="system", at=LATER) is False
    assert len(order.history) == 1


def test_comment_with_new_text_is_recorded():
    order = order_in(S.DISPATCHED)
    order.comment("Menunggu bukti dari tim", actor="system", at=NOW)
    assert order.comment("Tim minta perpanjangan", actor="lead:Bagus Pratama", at=LATER) is True
    assert [h.comment for h in order.history] == ["Menunggu bukti dari tim", "Tim minta perpanjangan"]
    assert order.history[-1].status == S.DISPATCHED


def test_buyer_is_reachable_with_a_usable_email_or_a_phone():
    assert order_in(S.RECEIVED).buyer_reachable
    assert order_in(S.RECEIVED, buyer_email="").buyer_reachable  # by WhatsApp
    assert not order_in(S.RECEIVED, buyer_email="").email_reachable
    assert not order_in(S.RECEIVED, buyer_email="", phone="").buyer_reachable
    bad = order_in(
        S.NEEDS_INFO,
        buyer_email="siti@",
        phone="",
        problems=[Problem("buyer_email", "Email tidak valid", "Email is not valid")],
    )
    assert not bad.buyer_reachable and not bad.email_reachable


# --- overdue -------------------------------------------------------------------------------------


def test_not_overdue_before_or_exactly_at_the_deadline():
    order = order_in(S.DISPATCHED, deadline=NOW)
    assert order.flag_overdue(NOW - timedelta(seconds=1)) is False
    assert order.flag_overdue(NOW) is False
    assert order.overdue is False
    assert order.overdue_at is None


def test_overdue_is_flagged_once_after_the_deadline_with_the_time_it_was_noticed():
    order = order_in(S.DISPATCHED, deadline=NOW)
    noticed = NOW + timedelta(minutes=15)
    assert order.flag_overdue(noticed) is True
    assert order.overdue is True
    assert order.overdue_at == noticed
    assert len(order.history) == 1
    assert order.history[-1].at == noticed

    assert order.flag_overdue(noticed + timedelta(hours=3)) is False
    assert order.overdue_at == noticed
    assert len(order.history) == 1


def test_order_without_a_deadline_is_never_overdue():
    order = order_in(S.DISPATCHED, deadline=None)
    assert order.flag_overdue(NOW + timedelta(days=365)) is False
    assert order.overdue is False


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_final_orders_are_never_flagged_overdue(status):
    order = order_in(status, deadline=NOW)
    assert order.flag_overdue(NOW + timedelta(days=2)) is False
    assert order.overdue is False
    assert order.history == []


def test_overdue_flag_stays_set_after_completion():
    order = order_in(S.RECORDED, deadline=NOW)
    order.flag_overdue(NOW + timedelta(hours=1))
    order.move_to(S.COMPLETED, actor="system", comment="Selesai", at=NOW + timedelta(hours=2))
    assert order.overdue is True
    assert order.overdue_at == NOW + timedelta(hours=1)
    assert order.flag_overdue(NOW + timedelta(days=3)) is False
    assert order.overdue_at == NOW + timedelta(hours=1)
