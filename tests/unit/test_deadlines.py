"""Dates as shops write them, read in the shop's zone, shown back with the zone's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fulfil.core.deadlines import UnreadableDate, default_deadline, parse_when, show
from tests.unit.builders import END_OF_30_NOV_WIB, TZ

TEN_UTC = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-11-30", "30/11/2026", "30-11-2026", "30.11.2026", "  30/11/2026 "])
def test_a_date_alone_means_the_last_second_of_that_day_in_wib(text):
    moment, time_given = parse_when(text, TZ)
    assert moment == END_OF_30_NOV_WIB
    assert moment == datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC) - timedelta(hours=7)
    assert time_given is False


def test_iso_and_day_first_dates_are_the_same_instant():
    assert parse_when("2026-11-30", TZ)[0] == parse_when("30/11/2026", TZ)[0]


@pytest.mark.parametrize("text", ["05/06/2026", "5/6/2026", "5.6.2026 08:00"])
def test_day_first_is_day_first(text):
    # 05/06 is the 5th of June in Indonesia, not the 6th of May.
    moment, _ = parse_when(text, TZ)
    assert (moment.month, moment.day) == (6, 5)


@pytest.mark.parametrize(
    "text",
    [
        "30/11/2026 17:00",
        "30/11/2026 17:00:00",
        "2026-11-30 17:00",
        "2026-11-30T17:00",
        "30.11.2026 17:00",
        "30-11-2026  17:00:00",
        "2026-11-30 17:0",
    ],
)
def test_a_local_time_is_read_in_wib(text):
    moment, time_given = parse_when(text, TZ)
    assert moment == TEN_UTC
    assert time_given is True


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T17:00:00+07:00",
        "2026-11-30T18:00:00+08:00",
        "2026-11-30T10:00:00+00:00",
        "2026-11-30T10:00Z",
    ],
)
def test_an_explicit_offset_wins_over_the_shop_zone(text):
    moment, time_given = parse_when(text, TZ)
    assert moment == TEN_UTC
    assert time_given is True


def test_the_shop_zone_decides_what_a_date_means():
    # Makassar is UTC+8 (WITA): its day ends an hour earlier in UTC than Jakarta's.
    moment, _ = parse_when("30/11/2026", "Asia/Makassar")
    assert moment == END_OF_30_NOV_WIB - timedelta(hours=1)


def test_result_is_always_in_utc():
    for text in ("30/11/2026", "30/11/2026 17:00", "2026-11-30T17:00:00+07:00"):
        moment, _ = parse_when(text, TZ)
        assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "besok",
        "31/02/2026",
        "2026-13-01",
        "30/11/26",
        "30 November 2026",
        "=NOW()",
        "30/11-2026",
        "30/11/2026T17:00",
        "30/11/2026 25:00",
        "30/11/2026 17:60",
    ],
)
def test_garbage_raises_unreadable_date(text):
    with pytest.raises(UnreadableDate):
        parse_when(text, TZ)


def test_show_renders_in_the_shop_zone_with_its_name():
    assert show(END_OF_30_NOV_WIB, TZ) == "30/11/2026 23:59 WIB"
    assert show(TEN_UTC, TZ) == "30/11/2026 17:00 WIB"


def test_show_crosses_midnight_into_the_local_day():
    # 20:00 UTC on the 30th is already the 1st of December in Jakarta.
    assert show(datetime(2026, 11, 30, 20, 0, tzinfo=UTC), TZ) == "01/12/2026 03:00 WIB"


def test_show_of_nothing_is_empty():
    assert show(None, TZ) == ""


def test_show_round_trips_through_parse_when():
    moment, _ = parse_when("30/11/2026 17:00", TZ)
    text = show(moment, TZ)
    assert parse_when(text.removesuffix(" WIB"), TZ)[0] == moment


def test_default_deadline_adds_the_lead_time():
    start = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert default_deadline(start, 48) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


# ----- Excel serial dates: a deadline typed in a General-format cell reaches us as a number -----


def test_an_excel_serial_is_that_whole_day_like_a_typed_date():
    # 46356 is 30/11/2026 in Excel's 1900 date system.
    moment, time_given = parse_when("46356", TZ)
    assert moment == END_OF_30_NOV_WIB
    assert time_given is False


@pytest.mark.parametrize("text", ["46356.0", " 46356 "])
def test_a_serial_with_no_fraction_is_still_the_whole_day(text):
    assert parse_when(text, TZ) == (END_OF_30_NOV_WIB, False)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("46356.5", datetime(2026, 11, 30, 12, 0)),
        ("46356,5", datetime(2026, 11, 30, 12, 0)),  # an Indonesian-locale CSV's decimal comma
        ("46356.708333333336", datetime(2026, 11, 30, 17, 0)),  # 17:00, stored inexactly
        ("46356.25", datetime(2026, 11, 30, 6, 0)),
    ],
)
def test_a_serial_fraction_is_the_time_of_day_in_the_shop_zone(text, local):
    moment, time_given = parse_when(text, TZ)
    assert moment == local.replace(tzinfo=UTC) - timedelta(hours=7)
    assert time_given is True


def test_the_shop_zone_decides_what_a_serial_means():
    assert parse_when("46356", "Asia/Makassar")[0] == parse_when("30/11/2026", "Asia/Makassar")[0]
    assert parse_when("46356.5", "Asia/Makassar")[0] == datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day"), [("20000", "03/10/1954"), ("45658", "01/01/2025"), ("80000", "11/01/2119")]
)
def test_serials_across_the_plausible_range_are_excel_days(text, day):
    assert parse_when(text, TZ) == parse_when(day, TZ)


@pytest.mark.parametrize(
    # A quantity or a slip, not a date: 59 and 61 sit either side of Excel's 29/02/1900 that never
    # was, far outside any deadline; 19999 and 80001 just outside the range taken.
    "text",
    ["5", "59", "60", "61", "19999", "80001", "100000", "-46356", "46356.", ".5", "46356.5.1", "46 356"],
)
def test_a_number_outside_the_plausible_range_stays_unreadable(text):
    with pytest.raises(UnreadableDate):
        parse_when(text, TZ)
