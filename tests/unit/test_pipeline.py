"""Pipeline decisions: which step is next, admitting a form row, proofs, and the closing steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfil.core.crm_record import crm_fields
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.order import Order
from fulfil.core.pipeline import (
    MessageKind,
    Step,
    admit,
    cancel,
    complete,
    dispatch,
    next_step,
    record,
    sweep,
)
from fulfil.core.status import OrderStatus
from fulfil.core.validation import validate
from tests.conftest import NOW
from tests.unit.builders import TZ, draft, order_in

S = OrderStatus


def admitted(catalogue, **changes):
    """A new order admitted from the example row with some fields changed."""
    d = draft(**changes)
    order = Order(order_id=d.order_id, received_at=NOW)
    kinds = admit(order, d, validate(d, catalogue, now=NOW, tz=TZ), at=NOW)
    return order, kinds


# --- next_step -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S.DISPATCHED, Step.WAIT_FOR_PROOF),
        (S.ASSIGNED, Step.WAIT_FOR_PROOF),
        (S.PROOF_RECEIVED, Step.RECORD),
        (S.RECORDED, Step.COMPLETE),
        (S.COMPLETED, Step.NOTHING),
        (S.CANCELLED, Step.NOTHING),
    ],
)
def test_next_step_after_dispatch_follows_the_status(catalogue, status, step):
    assert next_step(order_in(status), catalogue.services["GMAIL-BARU"]) == step


@pytest.mark.parametrize("status", [S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT])
def test_editable_order_is_dispatched_only_when_valid_and_paid(catalogue, status):
    service = catalogue.services["GMAIL-BARU"]
    assert next_step(order_in(status, paid=True), service) == Step.DISPATCH
    assert next_step(order_in(status, paid=False), service) == Step.NOTHING
    assert next_step(order_in(status, paid=True), None) == Step.NOTHING


def test_order_with_problems_is_not_dispatched(catalogue):
    order, _ = admitted(catalogue, quantity="")
    order.paid = True
    assert next_step(order, catalogue.services["GMAIL-BARU"]) == Step.NOTHING


# --- admit ---------------------------------------------------------------------------------------


def test_invalid_row_with_a_usable_email_goes_to_needs_info_and_tells_the_buyer(catalogue):
    order, kinds = admitted(catalogue, quantity="sepuluh")
    assert order.status == S.NEEDS_INFO
    assert kinds == [MessageKind.NEEDS_INFO]
    assert order.history[-1].notified is True
    assert "quantity" in order.history[-1].comment
    assert [p.field for p in order.problems] == ["quantity"]


@pytest.mark.parametrize("email", ["", "siti.nurhaliza.gmail.com"])
def test_invalid_row_without_a_usable_email_or_phone_is_not_sent_a_message(catalogue, email):
    order, kinds = admitted(catalogue, buyer_email=email, phone="")
    assert order.status == S.NEEDS_INFO
    assert kinds == []
    assert MessageKind.NEEDS_INFO not in kinds
    assert order.history[-1].notified is False
    assert "no usable email" in order.history[-1].comment


def test_valid_unpaid_row_awaits_payment_with_a_confirmation(catalogue):
    order, kinds = admitted(catalogue, payment="Belum Lunas")
    assert order.status == S.AWAITING_PAYMENT
    assert kinds == [MessageKind.CONFIRMATION]
    assert order.history[-1].notified is True
    assert next_step(order, catalogue.services["GMAIL-BARU"]) == Step.NOTHING


def test_valid_paid_row_stays_editable_and_is_ready_for_dispatch(catalogue):
    order, kinds = admitted(catalogue)
    assert order.status == S.RECEIVED
    assert kinds == [MessageKind.CONFIRMATION]
    assert order.problems == []
    assert order.paid is True
    assert (order.quantity, order.service_code, order.buyer_name) == (10, "GMAIL-BARU", "Siti Nurhaliza")
    assert next_step(order, catalogue.services["GMAIL-BARU"]) == Step.DISPATCH


def test_service_without_a_procedure_is_never_dispatched(catalogue):
    service = catalogue.services["TIKTOK-VIEWS"]
    assert not service.procedure_url
    order, kinds = admitted(catalogue, service_code="TIKTOK-VIEWS", quantity="5000")
    assert kinds == [MessageKind.CONFIRMATION]
    assert order.problems == []
    assert next_step(order, service) == Step.NOTHING
    assert "TIKTOK-VIEWS" in order.history[-1].comment
    # Reading the row again changes nothing.
    d = draft(service_code="TIKTOK-VIEWS", quantity="5000")
    admit(order, d, validate(d, catalogue, now=NOW, tz=TZ), at=NOW + timedelta(hours=1))
    assert next_step(order, service) == Step.NOTHING


def test_admit_keeps_the_phone_as_written_beside_the_plus62_form(catalogue):
    order, _ = admitted(catalogue, phone="0812-3456-7890")
    assert order.phone_raw == "0812-3456-7890"
    assert order.phone_raw.startswith("0")
    assert order.phone == "+6281234567890"
    # The CRM shows the one normalised number, in the form the shop chose.
    assert crm_fields(order, catalogue)["phone"] == "+6281234567890"
    assert crm_fields(order, catalogue, phone_form="local")["phone"] == "081234567890"


@pytest.mark.parametrize(
    ("written", "international", "local"),
    [
        ("81234567890", "+6281234567890", "081234567890"),  # a sheet dropped the zero
        ("+62 812-3456-7890", "+6281234567890", "081234567890"),
        ("+65 9123 4567", "+6591234567", "+6591234567"),  # not Indonesian: no 0 form
        ("nomor saya 0812", "nomor saya 0812", "nomor saya 0812"),  # not a number: as written
    ],
)
def test_the_crm_shows_the_normalised_phone_in_the_shops_form(catalogue, written, international, local):
    order, _ = admitted(catalogue, phone=written)
    assert crm_fields(order, catalogue)["phone"] == international
    assert crm_fields(order, catalogue, phone_form="local")["phone"] == local


@pytest.mark.parametrize(
    ("written", "lang"), [("English", "en"), ("en", "en"), ("Indonesia", "id"), ("", "id")]
)
def test_admit_picks_the_buyers_language(catalogue, written, lang):
    order, _ = admitted(catalogue, lang=written)
    assert order.lang == lang


def test_fixing_a_needs_info_row_moves_it_on_and_clears_the_problems(catalogue):
    order, _ = admitted(catalogue, quantity="", payment="")
    assert order.status == S.NEEDS_INFO
    d = draft(quantity="10", payment="")
    kinds = admit(order, d, validate(d, catalogue, now=NOW, tz=TZ), at=NOW + timedelta(hours=1))
    assert order.status == S.AWAITING_PAYMENT
    assert order.problems == []
    assert kinds == [MessageKind.CONFIRMATION]


def test_a_still_invalid_edit_adds_a_comment_without_a_second_status_entry(catalogue):
    order, _ = admitted(catalogue, quantity="")
    d = draft(quantity="", deadline="kemarin")
    admit(order, d, validate(d, catalogue, now=NOW, tz=TZ), at=NOW + timedelta(hours=1))
    assert order.status == S.NEEDS_INFO
    assert [h.status for h in order.history] == [S.NEEDS_INFO, S.NEEDS_INFO]
    assert "deadline" in order.history[-1].comment


# --- dispatch ------------------------------------------------------------------------------------


def test_dispatch_sends_the_work_order_once(catalogue):
    order, _ = admitted(catalogue)
    service = catalogue.services["GMAIL-BARU"]
    assert dispatch(order, service, "Divisi Akun", at=NOW) == [MessageKind.DISPATCH]
    assert order.status == S.DISPATCHED
    assert "Divisi Akun" in order.history[-1].comment
    assert dispatch(order, service, "Divisi Akun", at=NOW) == []


# --- record, complete, cancel, sweep -------------------------------------------------------------


def test_record_once(catalogue):
    order = order_in(S.PROOF_RECEIVED)
    assert record(order, at=NOW) is True
    assert order.status == S.RECORDED
    assert record(order, at=NOW) is False
    assert len(order.history) == 1


@pytest.mark.parametrize("email", ["", "siti.nurhaliza.gmail.com"])
def test_invalid_row_with_only_a_phone_is_told_there(catalogue, email):
    order, kinds = admitted(catalogue, buyer_email=email)
    assert order.status == S.NEEDS_INFO
    assert kinds == [MessageKind.NEEDS_INFO]  # by WhatsApp, or to ops when no chat is set up
    assert order.history[-1].notified is True


def test_complete_tells_the_buyer_once(catalogue):
    order = order_in(S.RECORDED, deadline=NOW + timedelta(days=1))
    assert complete(order, at=NOW) == [MessageKind.COMPLETED]
    assert order.status == S.COMPLETED
    assert order.history[-1].notified is True
    assert order.overdue is False
    assert complete(order, at=NOW) == []
    assert len(order.history) == 1


def test_late_completion_is_flagged_overdue_even_without_a_sweep():
    order = order_in(S.RECORDED, deadline=NOW)
    late = NOW + timedelta(hours=5)
    assert complete(order, at=late) == [MessageKind.COMPLETED]
    assert order.status == S.COMPLETED
    assert order.overdue is True
    assert order.overdue_at == late


def test_cancel_tells_the_buyer_once():
    order = order_in(S.AWAITING_PAYMENT)
    assert cancel(order, "tidak jadi bayar", actor="ops:Rina Wijaya", at=NOW) == [MessageKind.CANCELLED]
    assert order.status == S.CANCELLED
    assert cancel(order, "tidak jadi bayar", actor="ops:Rina Wijaya", at=NOW) == []
    assert len(order.history) == 1


def test_cancel_after_the_proof_is_refused():
    order = order_in(S.RECORDED)
    with pytest.raises(ForbiddenTransition):
        cancel(order, "terlambat", actor="ops", at=NOW)


@pytest.mark.parametrize("status", [S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT])
def test_sweep_leaves_orders_not_yet_with_the_team_alone(status):
    order = order_in(status, deadline=NOW)
    assert sweep(order, now=NOW + timedelta(days=2)) == []
    # A paid, valid order left received (its service has no procedure) is the shop's lateness.
    assert order.overdue is (status == S.RECEIVED and order.paid)


@pytest.mark.parametrize("status", [S.DISPATCHED, S.ASSIGNED, S.PROOF_RECEIVED, S.RECORDED])
def test_sweep_escalates_once_for_an_order_past_its_deadline(status):
    order = order_in(status, deadline=NOW)
    assert sweep(order, now=NOW - timedelta(minutes=1)) == []
    assert [r.key for r in sweep(order, now=NOW + timedelta(minutes=1))] == ["escalation:breach"]
    assert order.overdue is True
    assert sweep(order, now=NOW + timedelta(hours=2)) == []


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_sweep_ignores_final_orders(status):
    order = order_in(status, deadline=NOW)
    assert sweep(order, now=NOW + timedelta(days=1)) == []
    assert order.overdue is False


def test_crm_row_reads_as_the_admin_expects(catalogue):
    order = order_in(S.COMPLETED, overdue=True, assignee="Agus Salim", received_at=NOW)
    row = crm_fields(order, catalogue)
    assert row["order_id"] == "INV-0001"
    assert row["phone"] == "+6281234567890"
    assert row["division"] == "Divisi Akun"
    assert row["deadline"] == "30/11/2026 23:59 WIB"
    assert row["received_at"] == "23/11/2026 10:00 WIB"
    assert row["overdue"] == "ya"
    assert row["status"] == "completed"
