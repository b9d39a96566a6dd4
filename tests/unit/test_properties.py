"""Property tests: the transition table holds under any sequence of moves, and no form row crashes intake."""

from __future__ import annotations

import os
import re
from dataclasses import fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fulfil.config import load_source_columns
from fulfil.core.cells import FORMULA_PREFIXES, guard_formula, safe_display_name
from fulfil.core.deadlines import parse_when
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.ids import clean_order_id
from fulfil.core.intake import to_source_rows
from fulfil.core.order import Order
from fulfil.core.phone import normalise_phone
from fulfil.core.status import FINAL, TRANSITIONS, OrderStatus
from fulfil.core.validation import OrderDraft, validate
from fulfil.settings import PROJECT_CONFIGS
from tests.conftest import NOW
from tests.unit.builders import TZ
from tests.unit.test_intake_mapping import FORM_HEADERS

# A few hundred examples in the default suite; the nightly-sized run asks for more:
#   FULFIL_PROPERTY_EXAMPLES=10000 python -m pytest -m properties
DEFAULT = settings(max_examples=int(os.environ.get("FULFIL_PROPERTY_EXAMPLES", "200")), deadline=None)
pytestmark = pytest.mark.properties
COLS = load_source_columns(PROJECT_CONFIGS)
DRAFT_FIELDS = {f.name for f in fields(OrderDraft)}

statuses = st.sampled_from(list(OrderStatus))


def _walks_the_table(order: Order) -> None:
    """Every status entry in the history follows the one before it by an allowed transition."""
    current = OrderStatus.RECEIVED
    for entry in order.history:
        if entry.status != current:  # a plain comment keeps the status
            assert entry.status in TRANSITIONS[current], (current, entry.status)
            current = entry.status
    assert order.status == current


@DEFAULT
@given(st.lists(statuses, max_size=40))
def test_random_moves_never_leave_the_transition_table(targets):
    order = Order("INV-0001")
    for i, target in enumerate(targets):
        at = NOW + timedelta(minutes=i)
        before, entries = order.status, len(order.history)
        try:
            moved = order.move_to(target, actor="system", comment=f"langkah {i}", at=at)
        except ForbiddenTransition:
            assert target not in TRANSITIONS[before]
            assert (order.status, len(order.history)) == (before, entries)
            continue
        if moved:
            assert target in TRANSITIONS[before]
            assert len(order.history) == entries + 1
            # The same transition again is a no-op.
            assert order.move_to(target, actor="system", comment=f"langkah {i}", at=at) is False
            assert len(order.history) == entries + 1
        else:
            assert target == before
            assert len(order.history) == entries
    _walks_the_table(order)


# Work is given to someone through assign(); a bare move is used for every other status.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("move"), statuses.filter(lambda s: s != OrderStatus.ASSIGNED)),
        st.tuples(st.just("cancel"), st.sampled_from(["", "pembeli minta batal"])),
        st.tuples(st.just("assign"), st.sampled_from(["", "Agus Salim", "Putri Ayu"])),
        st.tuples(st.just("comment"), st.sampled_from(["Cek ulang", "Menunggu tim"])),
        st.tuples(st.just("tick"), st.integers(min_value=0, max_value=72)),
    ),
    max_size=40,
)


@DEFAULT
@given(operations)
def test_any_mix_of_operations_keeps_the_order_consistent(ops):
    order = Order("INV-0001", deadline=NOW + timedelta(hours=24))
    at = NOW
    was_overdue = False
    for op, arg in ops:
        before = order.status
        try:
            if op == "move":
                order.move_to(arg, actor="system", comment="pindah", at=at)
            elif op == "cancel":
                order.cancel(arg, actor="ops", at=at)
            elif op == "assign":
                order.assign(arg, lead="Bagus Pratama", at=at)
            elif op == "comment":
                order.comment(arg, actor="ops", at=at)
            else:
                at += timedelta(hours=arg)
                order.flag_overdue(at)
        except ForbiddenTransition:
            assert order.status == before
        if before in FINAL:
            assert order.status == before
        if order.status == OrderStatus.ASSIGNED:
            assert order.assignee.strip()
        assert order.overdue or not was_overdue  # once overdue, always overdue
        was_overdue = order.overdue
        if order.overdue:
            assert order.overdue_at is not None
            assert order.overdue_at > order.deadline
    _walks_the_table(order)


# --- intake rows ---------------------------------------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","klik")',
    "+6281234567890",
    "-3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
REALISTIC = [
    "Siti Nurhaliza",
    "Đặng Thu Trang",
    "Rizky Ramadhan 🚀",
    "siti.nurhaliza@gmail.com",
    "budi.santoso@yahoo.co.id",
    "081234567890",
    "0812-3456-7890",
    "+6285712345678",
    "GMAIL-BARU",
    "ig-followers",
    "WEB-UMKM",
    "TIKTOK-VIEWS",
    "10",
    "100.000",
    "1e9",
    "Lunas",
    "Belum Lunas",
    "INV-0001",
    "..",
]
DATE_FORMATS = [
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S+07:00",
    "%Y-%m-%dT%H:%M:%S-10:00",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%d %B %Y",
    "%Y%m%d",
]
# The whole calendar, year 1 to 9999, and numbers far past int()'s 4300-digit limit.
dates = st.builds(
    lambda moment, fmt: moment.strftime(fmt),
    st.datetimes(),
    st.sampled_from(DATE_FORMATS),
)
numbers = st.one_of(
    st.integers().map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=6000),
    st.floats().map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
junk = st.one_of(
    st.text(max_size=40),
    st.just(""),
    st.sampled_from(FORMULAS),
    st.sampled_from(REALISTIC),
    numbers,
    dates,
    st.none(),
)
future = st.builds(
    lambda moment, fmt: moment.strftime(fmt),
    st.datetimes(min_value=datetime(2026, 11, 24), max_value=datetime(2030, 12, 31)),
    st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%Y %H:%M"]),
)


def cell(*plausible: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly what a buyer would type in that column (3 in 4), otherwise anything at all."""
    typed = st.one_of(*plausible)
    return st.integers(min_value=0, max_value=3).flatmap(lambda n: junk if n == 0 else typed)


row = st.fixed_dictionaries(
    {
        "Timestamp": cell(dates),
        "ID Pesanan": cell(st.sampled_from(["INV-0001", "INV-0002", "inv 0003", ""])),
        "Nama": cell(st.sampled_from(["Siti Nurhaliza", "Budi Santoso", "Đặng Thu Trang"])),
        "Email": cell(st.sampled_from(["siti.nurhaliza@gmail.com", "budi.santoso@yahoo.co.id"])),
        "No. WhatsApp": cell(st.sampled_from(["081234567890", "0812-3456-7890", "+6285712345678", ""])),
        "Kode Layanan": cell(st.sampled_from(["GMAIL-BARU", "ig-followers", "WEB-UMKM", "TIKTOK-VIEWS"])),
        "Jumlah": cell(st.integers(min_value=1, max_value=5000).map(str)),
        "Deadline": cell(future, st.just("")),
        "Catatan": cell(st.text(max_size=80)),
        "Status Pembayaran": cell(st.sampled_from(["Lunas", "Belum Lunas", ""])),
        "Bahasa": cell(st.sampled_from(["Indonesia", "English"])),
    }
)
rows = st.lists(row, max_size=6)


@DEFAULT
@given(rows)
def test_any_form_rows_pass_through_intake_and_validation_without_crashing(catalogue, batch):
    drafts = to_source_rows(FORM_HEADERS, batch, COLS.columns, COLS.required)
    ids = [r.draft.order_id for r in drafts]
    assert len(ids) == len(set(ids))
    for source in drafts:
        assert source.draft.order_id
        checked = validate(source.draft, catalogue, now=NOW, tz=TZ)
        if not checked.ok:
            for problem in checked.problems:
                assert problem.field in DRAFT_FIELDS
                assert problem.reason_id.strip()
                assert problem.reason_en.strip()
                assert problem.reason_id != problem.reason_en
            continue
        # A draft that passes is one the team can act on.
        assert source.draft.buyer_name.strip()
        assert "@" in source.draft.buyer_email
        assert checked.service is not None
        assert checked.service.quantity.min <= checked.quantity <= checked.service.quantity.max
        assert checked.deadline is not None
        assert checked.deadline > NOW


@DEFAULT
@given(rows)
def test_reading_the_same_rows_twice_gives_the_same_ids_and_hashes(batch):
    first = to_source_rows(FORM_HEADERS, batch, COLS.columns, COLS.required)
    again = to_source_rows(FORM_HEADERS, [dict(r) for r in batch], COLS.columns, COLS.required)
    assert [(r.draft.order_id, r.source_hash) for r in first] == [
        (r.draft.order_id, r.source_hash) for r in again
    ]


@DEFAULT
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)))
def test_a_local_time_written_day_first_reads_back_as_that_time(moment):
    local = moment.replace(second=0, microsecond=0)
    parsed, time_given = parse_when(local.strftime("%d/%m/%Y %H:%M"), TZ)
    assert time_given
    assert parsed == local.replace(tzinfo=ZoneInfo(TZ))


# --- text safety ---------------------------------------------------------------------------------


@DEFAULT
@given(st.one_of(st.text(), st.sampled_from(FORMULAS)))
def test_a_guarded_cell_never_starts_like_a_formula_and_keeps_the_text(value):
    guarded = guard_formula(value)
    # A bare international phone number (+6281234567890) runs nothing: it is left as written.
    assert not guarded.startswith(FORMULA_PREFIXES) or re.fullmatch(r"\+\d+", guarded)
    assert guarded.removeprefix("'") == value or guarded == value


@DEFAULT
@given(st.text(max_size=400))
def test_a_display_name_is_always_safe_to_show(name):
    shown = safe_display_name(name)
    assert shown not in ("", ".", "..")
    assert "/" not in shown
    assert "\\" not in shown
    assert len(shown) <= 120
    assert not any(ch in shown for ch in ("\x00", "\u202e", "\u202d", "\u2066", "\n", "\r"))


@DEFAULT
@given(st.text(max_size=80))
def test_a_cleaned_order_id_has_only_safe_characters(raw):
    cleaned = clean_order_id(raw)
    assert len(cleaned) <= 64
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in cleaned)
    assert not cleaned.islower()


@DEFAULT
@given(st.one_of(st.text(max_size=25), st.from_regex(r"(\+62|62|0)?8[0-9]{7,12}", fullmatch=True)))
def test_normalising_a_phone_twice_changes_nothing(raw):
    once = normalise_phone(raw)
    if once is not None:
        assert once.startswith("+")
        assert normalise_phone(once) == once
