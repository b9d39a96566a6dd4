"""Reading dates as shops write them, and deadline maths in the shop's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from fulfil.core.errors import UnreadableInput

# The forms a shop's export writes: an ISO day (2026-11-30) or a day-first one with /, - or .
# (30/11/2026, 30-11-2026, 30.11.2026), then maybe a time after spaces (or a T after an ISO day).
# Read with one pattern, not strptime format by format: a big import reads three dates a row and a
# failed strptime costs as much as a good one.
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?"
_ISO_DAY = re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:(?:\s+|T){_TIME})?")
_DAY_FIRST = re.compile(
    rf"(?P<d>\d{{1,2}})(?P<sep>[/.-])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}})(?:\s+{_TIME})?"
)

# A date in a General-format cell is Excel's serial number (46356 is 30/11/2026), in the 1900 date
# system: serial 1 is 1900-01-01 and Excel counts a 29/02/1900 that never was (serial 60), so from
# serial 61 on, serial n is 1899-12-30 + n days. Only 1954-10-03 to 2119-01-11 is taken: every
# serial in it is past that bug, and a bare number outside it is a quantity or a slip, not a date.
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIALS = (20000, 80000)
# The fraction is the time of day; an Indonesian-locale CSV writes it after a comma (46356,5).
_SERIAL = re.compile(r"(\d+)(?:[.,](\d+))?")


class UnreadableDate(UnreadableInput):
    pass


def parse_when(text: str, tz: str) -> tuple[datetime, bool]:
    try:
        return _parse_when(text, tz)
    except OverflowError:
        # A date at the edge of the calendar (year 1, year 9999) cannot move to UTC.
        raise UnreadableDate(text) from None


def _parse_when(text: str, tz: str) -> tuple[datetime, bool]:
    """Parse a date or date-time written in `tz`; return it in UTC and whether a time was given.

    Accepts ISO (`2026-11-30`, `2026-11-30 17:00`, with an offset too) and the day-first forms
    Google Forms' Indonesian export writes (`30/11/2026`, `30/11/2026 17:00:00`), and the Excel
    serial number a date becomes in a General-format cell (`46356`, `46356.5` for 12:00).
    """
    raw = text.strip()
    if not raw:
        raise UnreadableDate("empty")
    serial = _excel_serial(raw, tz)
    if serial is not None:
        return serial
    match = _ISO_DAY.fullmatch(raw) or _DAY_FIRST.fullmatch(raw)
    if match is not None:
        return _from_parts(match, raw, tz)
    zone = ZoneInfo(tz)
    try:
        aware = datetime.fromisoformat(raw)
    except ValueError:
        raise UnreadableDate(raw) from None
    if aware.tzinfo is None:
        aware = aware.replace(tzinfo=zone)
    return aware.astimezone(UTC), True


def _from_parts(match: re.Match[str], raw: str, tz: str) -> tuple[datetime, bool]:
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None:
            return end_of_day(day, tz), False
        moment = time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    except ValueError:  # 31/02/2026, 25:00
        raise UnreadableDate(raw) from None
    return datetime.combine(day, moment, tzinfo=ZoneInfo(tz)).astimezone(UTC), True


def _excel_serial(raw: str, tz: str) -> tuple[datetime, bool] | None:
    """An Excel serial date (`46356`, `46356.5`) read as `parse_when` reads a date; None if `raw`
    is not a number in the plausible range (then it is read, or refused, as any other text)."""
    match = _SERIAL.fullmatch(raw)
    if match is None:
        return None
    whole, fraction = int(match[1]), match[2] or "0"
    if not _SERIALS[0] <= whole <= _SERIALS[1]:
        return None
    day = _EXCEL_EPOCH + timedelta(days=whole)
    if int(fraction) == 0:
        return end_of_day(day, tz), False  # a whole serial is the whole day, like "30/11/2026"
    # Rounded to the second: 17:00 is stored as 0.708333…, not exactly.
    seconds = round(float("0." + fraction) * 86400)
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(tz)) + timedelta(seconds=seconds)
    return local.astimezone(UTC), True


def end_of_day(day: date, tz: str) -> datetime:
    """The last second of `day` in the shop's zone, in UTC: a date-only deadline means that."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def default_deadline(start: datetime, lead_time_hours: int) -> datetime:
    return start + timedelta(hours=lead_time_hours)


def in_zone(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


@lru_cache(maxsize=4096)
def show(moment: datetime | None, tz: str) -> str:
    """A time as a person in the shop reads it: `30/11/2026 23:59 WIB`."""
    # Kept for the last few thousand times shown: an order's deadline is shown in each of its
    # messages, and an import's orders share a handful of deadlines.
    if moment is None:
        return ""
    local = in_zone(moment, tz)
    return local.strftime("%d/%m/%Y %H:%M ") + (local.tzname() or tz)
