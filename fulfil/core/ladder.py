"""The deadline-alert ladder as pure maths: which rungs an order has, when each is due, which are due now.

A rung is one message sent once per order: a reminder to the division at a fraction of the window
between dispatch and deadline or some hours before the deadline, an escalation to the division lead
and ops at the breach and some hours after it, a payment reminder to a buyer who has not paid, and a
feedback request some days after completion. Each rung has its own outbox key, so the outbox's
unique (order, key) makes it fire once whatever the number of sweeps; its line in the order's
history is how the sweep knows it has been dealt with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from fulfil.core.catalogue import WEEKDAYS, Ladder, WorkingHours
from fulfil.core.order import SYSTEM, Order
from fulfil.core.status import EDITABLE, FINAL, WAITING_FOR_PROOF, OrderStatus

if TYPE_CHECKING:
    from holidays import HolidayBase

REMINDER = "reminder"
ESCALATION = "escalation"
PAYMENT_REMINDER = "payment_reminder"
FOLLOW_UP = "follow_up"
BREACH_KEY = f"{ESCALATION}:breach"

# A feedback request weeks after the work reads odd (and turning the feature on must not write to
# every buyer ever served): past this, a follow-up that never went is let go.
FOLLOW_UP_GRACE = timedelta(days=7)
# How far ahead a working day is looked for. At least one weekday works (checked at load), so one
# always comes long before this; the bound only keeps a broken calendar from looping for ever.
_HORIZON_DAYS = 3 * 366

Step = Literal["percent", "before", "breach", "after", "payment", "follow_up"]
_ORDER: dict[Step, int] = {"percent": 0, "before": 1, "breach": 2, "after": 3, "payment": 4, "follow_up": 5}
# The history line of a rung starts with its key; this says which first words are rung keys.
_KEY = re.compile(r"(reminder|escalation|payment_reminder|follow_up)(:[0-9a-z]+)?")
_SEP = " · "
_SKIPPED = "dilewati"


@dataclass(frozen=True)
class Rung:
    key: str  # the outbox key, unique per order: reminder:50, reminder:2h, escalation:breach, …
    kind: str  # the message kind (a MessageKind value)
    step: Step
    amount: int  # the percent, or the hours before/after the deadline, or hours unpaid, or days
    at: datetime  # due from this moment (UTC); a working moment when working hours count
    working: bool = False  # whether the amount counts working time
    # Due only once this moment has passed: a deadline is breached after it, not at it.
    after: datetime | None = None

    @property
    def track(self) -> str:
        """Rungs on one track overtake each other: only the latest due one is worth sending."""
        return "team" if self.kind in (REMINDER, ESCALATION) else self.kind

    @property
    def label_id(self) -> str:
        work = " kerja" if self.working else ""
        return {
            "percent": f"{self.amount}% waktu{work} sudah lewat",
            "before": f"{self.amount} jam{work} sebelum deadline",
            "breach": "deadline terlewati",
            "after": f"{self.amount} jam{work} setelah deadline",
            "payment": f"belum dibayar {self.amount} jam",
            "follow_up": f"{self.amount} hari setelah selesai",
        }[self.step]

    @property
    def label_en(self) -> str:
        work = "working " if self.working else ""
        hours = f"{self.amount} {work}hour{'s' if self.amount != 1 else ''}"
        return {
            "percent": f"{self.amount}% of the {work}time gone",
            "before": f"{hours} before the deadline",
            "breach": "deadline passed",
            "after": f"{hours} after the deadline",
            "payment": f"unpaid for {self.amount} hour{'s' if self.amount != 1 else ''}",
            "follow_up": f"{self.amount} day{'s' if self.amount != 1 else ''} after completion",
        }[self.step]

    @property
    def label(self) -> str:
        return f"{self.label_id} / {self.label_en}"

    def is_due(self, now: datetime) -> bool:
        return now >= self.at and (self.after is None or now > self.after)


class State(StrEnum):
    SENT = "sent"  # the history says it went
    SKIPPED = "skipped"  # the history says a later rung overtook it
    SEND = "send"  # due now
    SKIP = "skip"  # due now, but a later rung on its track is due now too (or already went)
    WAITING = "waiting"  # not due yet (or due, but outside working hours)
    STOPPED = "stopped"  # the order no longer needs it: completed, cancelled, proof in, paid


@dataclass(frozen=True)
class Planned:
    rung: Rung
    state: State
    # For a rung overtaken now: the key of the rung that overtook it.
    by: str = ""


# ----- working time -----


@lru_cache(maxsize=8)
def public_holidays(country: str) -> HolidayBase:
    # One calendar per country for the process; it fills in the years it is asked about. Imported
    # here: a command that counts no working time (an import) is half a second faster to start.
    import holidays

    return holidays.country_holidays(country)


class WorkingTime:
    """Working periods in the shop's zone: half-open [start, end) on working days that are not public
    holidays. 17:00 is not working time when the day ends at 17:00."""

    def __init__(self, hours: WorkingHours, tz: str) -> None:
        self.hours = hours
        self.zone = ZoneInfo(tz)
        self.days = {WEEKDAYS.index(d) for d in hours.days}
        self.holidays = public_holidays(hours.public_holidays) if hours.public_holidays else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and not (self.holidays is not None and day in self.holidays)

    def periods(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (UTC) from `start` on, the first one cut to begin at `start`."""
        first = start.astimezone(self.zone).date()
        for n in range(_HORIZON_DAYS):
            day = first + timedelta(days=n)
            if not self.is_working_day(day):
                continue
            begin = datetime.combine(day, self.hours.start, tzinfo=self.zone).astimezone(UTC)
            end = datetime.combine(day, self.hours.end, tzinfo=self.zone).astimezone(UTC)
            if end > start:
                yield max(begin, start), end
        raise ValueError(f"no working day within {_HORIZON_DAYS} days of {start:%Y-%m-%d}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (none if `end` comes first)."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, stop in self.periods(start):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The first working moment once `amount` of working time has passed after `start`."""
        left = amount
        for begin, stop in self.periods(start):
            # Strictly less: reaching a period's end exactly means the next period's start.
            if left < stop - begin:
                return begin + left
            left -= stop - begin
        raise AssertionError("unreachable: periods() raises when it runs out")

    def next_working(self, moment: datetime) -> datetime:
        return self.add(moment, timedelta(0))

    def is_working(self, moment: datetime) -> bool:
        return self.next_working(moment) == moment


# ----- what the order's history says -----


def dispatched_at(order: Order) -> datetime | None:
    """When the order first went to the team; a proof withdrawn later does not restart the window."""
    return next((h.at for h in order.history if h.status == OrderStatus.DISPATCHED), None)


def completed_at(order: Order) -> datetime | None:
    return next((h.at for h in order.history if h.status == OrderStatus.COMPLETED), None)


def sent_note(rung: Rung, *, reachable: bool = True) -> str:
    """The history line of a rung that went: its key first, so the sweep can find it again."""
    what = {
        REMINDER: "Pengingat ke divisi / Reminder to the division",
        ESCALATION: "Eskalasi ke lead divisi dan ops / Escalation to the division lead and ops",
        PAYMENT_REMINDER: "Pengingat pembayaran ke pembeli / Payment reminder to the buyer",
        FOLLOW_UP: "Permintaan ulasan ke pembeli / Feedback request to the buyer",
    }[rung.kind]
    note = f"{rung.key}{_SEP}{what} ({rung.label})"
    if not reachable:
        note += " — pembeli tidak bisa dihubungi (email) / buyer has no usable email"
    return note


def skipped_note(rung: Rung, by: str) -> str:
    return f"{rung.key}{_SEP}{_SKIPPED}, sudah didahului {by} / skipped, overtaken by {by}"


def recorded(order: Order) -> dict[str, State]:
    """The rungs the history says were dealt with: sent or skipped."""
    done: dict[str, State] = {}
    for h in order.history:
        key, sep, rest = h.comment.partition(_SEP)
        if h.actor == SYSTEM and sep and _KEY.fullmatch(key) and key not in done:
            done[key] = State.SKIPPED if rest.startswith(_SKIPPED) else State.SENT
    return done


# ----- the ladder -----


def schedule(order: Order, ladder: Ladder) -> list[Rung]:
    """Every rung this order has, with the time each is due, in the order they come.

    Team rungs need an order with the team and a deadline (reminders a dispatch in the history too);
    a payment reminder an order awaiting payment; a follow-up a completion.
    """
    rungs = _team_rungs(order, ladder)
    if order.status == OrderStatus.AWAITING_PAYMENT and ladder.payment_reminder_hours:
        since = order.received_at or (order.history[0].at if order.history else None)
        if since is not None:
            hours = ladder.payment_reminder_hours
            rungs.append(
                Rung(PAYMENT_REMINDER, PAYMENT_REMINDER, "payment", hours, since + timedelta(hours=hours))
            )
    done = completed_at(order)
    if done is not None and ladder.follow_up_days:
        days = ladder.follow_up_days
        rungs.append(Rung(FOLLOW_UP, FOLLOW_UP, "follow_up", days, done + timedelta(days=days)))
    return sorted(rungs, key=lambda r: (r.at, _ORDER[r.step], r.amount))


def _team_rungs(order: Order, ladder: Ladder) -> list[Rung]:
    start, deadline = dispatched_at(order), order.deadline
    # Orders not yet with the team are the buyer's to fix: late, but not the team's lateness.
    if deadline is None or order.status in EDITABLE:
        return []
    clock = WorkingTime(ladder.working_hours, order.timezone) if ladder.working_hours else None
    working = clock is not None
    rungs: list[Rung] = []
    # Reminders fall inside the window; an order dispatched after its deadline goes straight to
    # the escalation, and an hours-before rung earlier than the dispatch is the dispatch itself.
    if start is not None and deadline > start:
        window = clock.between(start, deadline) if clock else deadline - start
        for percent in ladder.remind_at_percent:
            part = window * percent / 100
            at = clock.add(start, part) if clock else start + part
            rungs.append(Rung(f"{REMINDER}:{percent}", REMINDER, "percent", percent, at, working))
        for hours in ladder.remind_hours_before:
            part = window - timedelta(hours=hours)
            if part < timedelta(0):
                continue
            at = clock.add(start, part) if clock else start + part
            rungs.append(Rung(f"{REMINDER}:{hours}h", REMINDER, "before", hours, at, working))
    breach = clock.next_working(deadline) if clock else deadline
    rungs.append(Rung(BREACH_KEY, ESCALATION, "breach", 0, breach, working, after=deadline))
    for hours in ladder.escalate_hours_after:
        late = timedelta(hours=hours)
        at = clock.add(deadline, late) if clock else deadline + late
        rungs.append(Rung(f"{ESCALATION}:{hours}h", ESCALATION, "after", hours, at, working))
    return rungs


def _still_wanted(order: Order, rung: Rung, now: datetime) -> bool:
    """Whether the order still needs this rung at all, due or not."""
    if order.status == OrderStatus.REWORK:
        # A claim's rework has its own deadline (the rework order names it): the order's own
        # ladder, timed from its first dispatch, says nothing about it.
        return False
    if rung.kind == REMINDER:
        # The team's part ends with the proof: reminding them to deliver after that is noise.
        return order.status in WAITING_FOR_PROOF
    if rung.kind == ESCALATION:
        # A late order stays late until it is done, even while its proof waits to be recorded.
        return order.status not in FINAL
    if rung.kind == PAYMENT_REMINDER:
        return order.status == OrderStatus.AWAITING_PAYMENT and not order.paid
    return order.status == OrderStatus.COMPLETED and now <= rung.at + FOLLOW_UP_GRACE


def plan(order: Order, ladder: Ladder, now: datetime) -> list[Planned]:
    """The whole schedule with what becomes of each rung at `now`.

    When several rungs on one track are due at once (a sweep that did not run for a while, or the
    morning after a night outside working hours) only the latest goes; the earlier ones are
    skipped, as is any rung earlier than one that already went.
    """
    rungs = schedule(order, ladder)
    done = recorded(order)
    clock = WorkingTime(ladder.working_hours, order.timezone) if ladder.working_hours else None
    at_work = clock is None or clock.is_working(now)
    states: list[Planned] = []
    for rung in rungs:
        if rung.key in done:
            states.append(Planned(rung, done[rung.key]))
        elif not _still_wanted(order, rung, now):
            states.append(Planned(rung, State.STOPPED))
        elif rung.is_due(now) and (at_work or rung.track != "team"):
            states.append(Planned(rung, State.SEND))
        else:
            states.append(Planned(rung, State.WAITING))
    return _overtake(states)


def _overtake(states: list[Planned]) -> list[Planned]:
    out = list(states)
    for track in {p.rung.track for p in states}:
        mine = [i for i, p in enumerate(out) if p.rung.track == track]
        went = [i for i in mine if out[i].state in (State.SENT, State.SEND)]
        if not went:
            continue
        last = went[-1]
        for i in mine:
            # Sorted by time, so an earlier rung still open is due too (or only waiting for
            # working hours): the later one already says more than it would.
            if i < last and out[i].state in (State.SEND, State.WAITING):
                out[i] = Planned(out[i].rung, State.SKIP, by=out[last].rung.key)
    return out
