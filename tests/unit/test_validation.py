"""validate(): every problem of a form row at once, each said in Bahasa Indonesia and in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fulfil.core.validation import validate
from tests.conftest import NOW
from tests.unit.builders import END_OF_30_NOV_WIB, TZ, draft


def check(d, catalogue, **kw):
    return validate(d, catalogue, now=NOW, tz=TZ, **kw)


def fields_of(checked) -> list[str]:
    return [p.field for p in checked.problems]


def assert_bilingual(problems):
    for p in problems:
        assert p.field
        assert p.reason_id.strip()
        assert p.reason_en.strip()
        assert p.reason_id != p.reason_en


def test_the_example_row_is_valid_and_read_fully(catalogue):
    checked = check(draft(), catalogue)
    assert checked.ok
    assert checked.problems == []
    assert checked.service is catalogue.services["GMAIL-BARU"]
    assert checked.quantity == 10
    assert checked.deadline == END_OF_30_NOV_WIB
    assert checked.phone == "+6281234567890"
    assert checked.paid is True


# --- quantity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["sepuluh", "0", "-3", "1e9", "10.5", "", "   ", "10 akun", "1,5"])
def test_unusable_quantity_is_a_quantity_problem(catalogue, quantity):
    checked = check(draft(quantity=quantity), catalogue)
    assert fields_of(checked) == ["quantity"]
    assert checked.quantity is None
    assert_bilingual(checked.problems)


@pytest.mark.parametrize("quantity", ["10", "10.0", " 10 ", "+10"])
def test_whole_number_quantity_is_accepted_as_a_spreadsheet_writes_it(catalogue, quantity):
    checked = check(draft(quantity=quantity), catalogue)
    assert checked.ok, checked.problems
    assert checked.quantity == 10


def test_quantity_problem_quotes_what_the_buyer_wrote(catalogue):
    checked = check(draft(quantity="sepuluh"), catalogue)
    assert "sepuluh" in checked.problems[0].reason_id
    assert "sepuluh" in checked.problems[0].reason_en


@pytest.mark.parametrize(
    ("quantity", "ok"),
    [("99", False), ("100", True), ("5000", True), ("100000", True), ("100001", False)],
)
def test_quantity_bounds_come_from_the_service(catalogue, quantity, ok):
    bounds = catalogue.services["IG-FOLLOWERS"].quantity
    assert (bounds.min, bounds.max) == (100, 100000)
    checked = check(draft(service_code="IG-FOLLOWERS", quantity=quantity), catalogue)
    assert checked.ok is ok
    if not ok:
        assert fields_of(checked) == ["quantity"]
        # The buyer is told the allowed range.
        assert "100" in checked.problems[0].reason_en
        assert "100000" in checked.problems[0].reason_en


@pytest.mark.parametrize("code", ["GMAIL-BARU", "IG-FOLLOWERS", "WEB-UMKM", "TIKTOK-VIEWS"])
def test_every_service_accepts_its_own_bounds_and_refuses_one_past_them(catalogue, code):
    bounds = catalogue.services[code].quantity
    for quantity, ok in (
        (bounds.min, True),
        (bounds.max, True),
        (bounds.min - 1, False),
        (bounds.max + 1, False),
    ):
        checked = check(draft(service_code=code, quantity=str(quantity)), catalogue)
        assert checked.ok is ok, quantity


def test_the_same_quantity_fits_one_service_and_not_another(catalogue):
    assert check(draft(service_code="GMAIL-BARU", quantity="50"), catalogue).ok
    assert fields_of(check(draft(service_code="IG-FOLLOWERS", quantity="50"), catalogue)) == ["quantity"]


@pytest.mark.parametrize(("quantity", "value"), [("100.000", 100000), ("1.000", 1000), ("1,000", 1000)])
def test_thousands_separators_are_read_as_thousands(catalogue, quantity, value):
    # Indonesians write one hundred thousand as "100.000": never read it as 100.
    checked = check(draft(service_code="IG-FOLLOWERS", quantity=quantity), catalogue)
    assert checked.ok, checked.problems
    assert checked.quantity == value


@pytest.mark.parametrize("quantity", ["1.5", "10,5", "1.000,5", "1.00.000"])
def test_a_decimal_that_is_not_a_thousands_group_is_still_refused(catalogue, quantity):
    checked = check(draft(service_code="IG-FOLLOWERS", quantity=quantity), catalogue)
    assert fields_of(checked) == ["quantity"]


def test_absurdly_long_number_is_a_quantity_problem_not_a_crash(catalogue):
    checked = check(draft(quantity="9" * 5000), catalogue)
    assert fields_of(checked) == ["quantity"]


# --- service -------------------------------------------------------------------------------------


def test_unknown_service_code_lists_every_known_code(catalogue):
    checked = check(draft(service_code="NETFLIX-PREMIUM"), catalogue)
    assert "service_code" in fields_of(checked)
    problem = next(p for p in checked.problems if p.field == "service_code")
    assert "NETFLIX-PREMIUM" in problem.reason_en
    for code in catalogue.services:
        assert code in problem.reason_id
        assert code in problem.reason_en


def test_service_code_is_read_case_and_space_insensitively(catalogue):
    checked = check(draft(service_code="  gmail-baru "), catalogue)
    assert checked.ok
    assert checked.service is catalogue.services["GMAIL-BARU"]


def test_missing_service_code_is_a_problem(catalogue):
    checked = check(draft(service_code=" "), catalogue)
    assert fields_of(checked) == ["service_code"]
    assert checked.service is None


# --- deadline ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GMAIL-BARU", "IG-FOLLOWERS", "WEB-UMKM"])
def test_missing_deadline_takes_the_service_lead_time_from_now(catalogue, code):
    service = catalogue.services[code]
    quantity = str(service.quantity.min)
    checked = check(draft(service_code=code, quantity=quantity, deadline="", submitted_at=""), catalogue)
    assert checked.ok
    assert checked.deadline == NOW + timedelta(hours=service.lead_time_hours)


def test_missing_deadline_for_an_unknown_service_is_also_a_problem(catalogue):
    checked = check(draft(service_code="NETFLIX", deadline=""), catalogue)
    assert set(fields_of(checked)) == {"service_code", "deadline"}


@pytest.mark.parametrize("deadline", ["besok sore", "31/02/2026", "30/11/26", "2026-13-01", "akhir bulan"])
def test_unreadable_deadline_is_a_problem_quoting_it(catalogue, deadline):
    checked = check(draft(deadline=deadline), catalogue)
    assert fields_of(checked) == ["deadline"]
    assert deadline in checked.problems[0].reason_en
    assert checked.deadline is None


@pytest.mark.parametrize(
    "deadline",
    [
        "01/11/2026",
        "2026-11-22",
        # 23/11/2026 10:00 WIB is exactly NOW: a deadline that is due now has passed.
        "23/11/2026 10:00",
    ],
)
def test_past_deadline_is_a_problem(catalogue, deadline):
    checked = check(draft(deadline=deadline), catalogue)
    assert fields_of(checked) == ["deadline"]
    assert checked.deadline is None


def test_deadline_later_today_is_fine(catalogue):
    # NOW is 10:00 WIB on 23/11/2026; the end of that day is still ahead.
    checked = check(draft(deadline="23/11/2026"), catalogue)
    assert checked.ok
    assert checked.deadline == datetime(2026, 11, 23, 16, 59, 59, tzinfo=UTC)


def test_deadline_at_the_start_of_the_calendar_is_a_problem_not_a_crash(catalogue):
    checked = check(draft(deadline="01/01/0001 03:00"), catalogue)
    assert fields_of(checked) == ["deadline"]


def test_far_future_submission_time_does_not_crash_the_default_deadline(catalogue):
    checked = check(draft(deadline="", submitted_at="31/12/9999 23:00"), catalogue)
    assert checked.deadline is not None or "deadline" in fields_of(checked)


# --- buyer ---------------------------------------------------------------------------------------


def test_missing_email_is_a_problem(catalogue):
    checked = check(draft(buyer_email="  "), catalogue)
    assert fields_of(checked) == ["buyer_email"]


@pytest.mark.parametrize(
    "email",
    ["siti.gmail.com", "siti@gmail", "siti nur@gmail.com", "siti@@gmail.com", "@gmail.com", "siti@gmail.c0m"],
)
def test_malformed_email_is_a_problem_quoting_it(catalogue, email):
    checked = check(draft(buyer_email=email), catalogue)
    assert fields_of(checked) == ["buyer_email"]
    assert email in checked.problems[0].reason_en


@pytest.mark.parametrize("email", ["budi.santoso@yahoo.co.id", "dang.thutrang@gmail.com", "a+toko@ui.ac.id"])
def test_ordinary_emails_are_accepted(catalogue, email):
    assert check(draft(buyer_email=email), catalogue).ok


@pytest.mark.parametrize("phone", ["08123", "abc", "0812-ABCD-7890", "1234567890123456789"])
def test_malformed_phone_is_a_problem(catalogue, phone):
    checked = check(draft(phone=phone), catalogue)
    assert fields_of(checked) == ["phone"]
    assert checked.phone == ""


def test_phone_is_optional(catalogue):
    checked = check(draft(phone=""), catalogue)
    assert checked.ok
    assert checked.phone == ""


def test_missing_buyer_name_is_a_problem(catalogue):
    checked = check(draft(buyer_name="   "), catalogue)
    assert fields_of(checked) == ["buyer_name"]


def test_every_problem_of_a_bad_row_is_returned_at_once(catalogue):
    bad = draft(
        buyer_name="",
        buyer_email="siti@",
        phone="0812",
        service_code="NETFLIX",
        quantity="sepuluh",
        deadline="kemarin",
    )
    checked = check(bad, catalogue)
    assert not checked.ok
    assert sorted(fields_of(checked)) == sorted(
        ["buyer_name", "buyer_email", "phone", "service_code", "quantity", "deadline"]
    )
    assert_bilingual(checked.problems)


@pytest.mark.parametrize(
    "changes",
    [
        {"buyer_name": ""},
        {"buyer_email": ""},
        {"buyer_email": "x"},
        {"phone": "abc"},
        {"service_code": ""},
        {"service_code": "XYZ"},
        {"quantity": ""},
        {"quantity": "dua"},
        {"quantity": "0"},
        {"deadline": "besok"},
        {"deadline": "01/01/2020"},
        {"service_code": "XYZ", "deadline": ""},
    ],
)
def test_every_problem_is_said_in_indonesian_and_in_english(catalogue, changes):
    checked = check(draft(**changes), catalogue)
    assert checked.problems
    assert_bilingual(checked.problems)
    for p in checked.problems:
        assert p.reason == f"{p.reason_id} / {p.reason_en}"


# --- payment -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment", "paid"),
    [
        ("Lunas", True),
        ("LUNAS", True),
        (" lunas ", True),
        ("Sudah bayar", True),
        ("Belum Lunas", False),
        ("belum", False),
        ("", False),
        ("DP 50%", False),
    ],
)
def test_payment_words(catalogue, payment, paid):
    assert check(draft(payment=payment), catalogue).paid is paid


def test_payment_words_can_be_configured(catalogue):
    words = frozenset({"transfer ok"})
    assert check(draft(payment="Transfer OK"), catalogue, paid_words=words).paid is True
    assert check(draft(payment="Lunas"), catalogue, paid_words=words).paid is False


def test_payment_is_read_even_when_the_row_has_problems(catalogue):
    checked = check(draft(quantity="", payment="Lunas"), catalogue)
    assert not checked.ok
    assert checked.paid is True
