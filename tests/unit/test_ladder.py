"""The deadline ladder's maths: when each rung is due, that each fires once, and what stops it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from fulfil.core.catalogue import Catalogue, Ladder, WorkingHours
from fulfil.core.deadlines import show
from fulfil.core.ladder import (
    FOLLOW_UP_GRACE,
    State,
    WorkingTime,
    plan,
    public_holidays,
    recorded,
    schedule,
)
from fulfil.core.order import SYSTEM, HistoryEntry, Order
from fulfil.core.pipeline import sweep
from fulfil.core.status import OrderStatus
from tests.conftest import NOW
from tests.unit.builders import TZ, order_in

S = OrderStatus
DEFAULT = Ladder()
# The web team's calendar: 09:00–17:00 Monday to Saturday, Indonesian public holidays off.
OFFICE = Ladder(working_hours=WorkingHours())


def wib(day: int, hour: int, minute: int = 0, *, month: int = 11, tz: str = TZ) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def dispatched(at: datetime, deadline: datetime, status: S = S.DISPATCHED, **fields) -> Order:  # type: ignore[no-untyped-def]
    """An order as the pipeline leaves it: received, then dispatched to Divisi Akun at `at`."""
    history = [
        HistoryEntry(S.RECEIVED, "Pesanan masuk dari formulir (baris 2)", SYSTEM, at - timedelta(minutes=5)),
        HistoryEntry(S.DISPATCHED, "Dikirim ke Divisi Akun / Dispatched to Divisi Akun", SYSTEM, at),
    ]
    return order_in(status, deadline=deadline, history=history, received_at=at, **fields)


def times(order: Order, ladder: Ladder = DEFAULT) -> dict[str, str]:
    return {r.key: show(r.at, order.timezone) for r in schedule(order, ladder)}


def keys(rungs) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.key for r in rungs]


# --- a 48-hour window, wall-clock --------------------------------------------------------------

# Dispatched Monday 23/11/2026 10:00 WIB with the GMAIL-BARU lead time of 48 hours.
START = NOW
DEADLINE = NOW + timedelta(hours=48)


def test_a_48_hour_window_has_five_rungs_at_the_expected_times():
    order = dispatched(START, DEADLINE)
    assert times(order) == {
        "reminder:50": "24/11/2026 10:00 WIB",  # 24 h of 48
        "reminder:80": "25/11/2026 00:24 WIB",  # 38.4 h of 48
        "reminder:2h": "25/11/2026 08:00 WIB",
        "escalation:breach": "25/11/2026 10:00 WIB",
        "escalation:24h": "26/11/2026 10:00 WIB",
    }


def test_each_rung_fires_once_at_its_time_and_the_breach_sets_the_overdue_flag():
    order = dispatched(START, DEADLINE)
    fired: dict[str, datetime] = {}
    moment = START
    while moment <= DEADLINE + timedelta(hours=30):
        for rung in sweep(order, DEFAULT, now=moment):
            assert rung.key not in fired
            fired[rung.key] = moment
        moment += timedelta(minutes=30)

    assert {k: show(v, TZ) for k, v in fired.items()} == {
        "reminder:50": "24/11/2026 10:00 WIB",
        "reminder:80": "25/11/2026 00:30 WIB",  # the first half-hourly sweep after 00:24
        "reminder:2h": "25/11/2026 08:00 WIB",
        # A deadline is breached after it, not at it: the 10:00 sweep is still on time.
        "escalation:breach": "25/11/2026 10:30 WIB",
        "escalation:24h": "26/11/2026 10:00 WIB",
    }
    assert order.overdue and order.overdue_at == DEADLINE + timedelta(minutes=30)
    assert recorded(order) == dict.fromkeys(fired, State.SENT)
    # One history line per rung, whatever the number of sweeps.
    for key in fired:
        assert sum(h.comment.startswith(f"{key} · ") for h in order.history) == 1


def test_a_sweep_run_twice_at_the_same_moment_fires_nothing_the_second_time():
    order = dispatched(START, DEADLINE)
    at = START + timedelta(hours=25)
    assert keys(sweep(order, DEFAULT, now=at)) == ["reminder:50"]
    history = list(order.history)
    assert sweep(order, DEFAULT, now=at) == []
    assert order.history == history


def test_after_missed_sweeps_only_the_latest_due_rung_goes_and_the_others_are_recorded_as_skipped():
    order = dispatched(START, DEADLINE)
    # Nothing ran from dispatch until an hour after the deadline.
    sent = sweep(order, DEFAULT, now=DEADLINE + timedelta(hours=1))
    assert keys(sent) == ["escalation:breach"]
    assert recorded(order) == {
        "reminder:50": State.SKIPPED,
        "reminder:80": State.SKIPPED,
        "reminder:2h": State.SKIPPED,
        "escalation:breach": State.SENT,
    }
    assert "skipped, overtaken by escalation:breach" in order.history[-2].comment
    assert sweep(order, DEFAULT, now=DEADLINE + timedelta(hours=2)) == []
    assert keys(sweep(order, DEFAULT, now=DEADLINE + timedelta(hours=24))) == ["escalation:24h"]


def test_a_sweep_down_for_days_sends_one_escalation_not_two():
    order = dispatched(START, DEADLINE)
    assert keys(sweep(order, DEFAULT, now=DEADLINE + timedelta(days=3))) == ["escalation:24h"]
    assert recorded(order)["escalation:breach"] == State.SKIPPED
    assert order.overdue


def test_a_rung_added_to_the_config_after_a_later_one_went_is_skipped_not_sent():
    order = dispatched(START, DEADLINE)
    sweep(order, DEFAULT, now=START + timedelta(hours=39))  # 80 % went
    more = Ladder(remind_at_percent=(30, 50, 80))
    assert sweep(order, more, now=START + timedelta(hours=40)) == []
    assert recorded(order)["reminder:30"] == State.SKIPPED


@pytest.mark.parametrize("status", [S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT])
def test_orders_not_yet_with_the_team_have_no_team_rungs(status):
    order = order_in(status, deadline=DEADLINE, received_at=START)  # paid: no payment reminder
    assert [r.kind for r in schedule(order, DEFAULT) if r.kind != "payment_reminder"] == []
    assert sweep(order, DEFAULT, now=DEADLINE + timedelta(days=2)) == []
    # Late all the same, but the buyer's to fix; a paid, valid order still received (a service
    # without a procedure) is the shop's lateness, and flagged.
    assert order.overdue is (status == S.RECEIVED)


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_completing_or_cancelling_stops_the_ladder(status):
    order = dispatched(START, DEADLINE)
    assert keys(sweep(order, DEFAULT, now=START + timedelta(hours=24))) == ["reminder:50"]
    order.status = status  # how it got there is the pipeline's business (test_pipeline.py)

    assert sweep(order, DEFAULT, now=DEADLINE + timedelta(days=2)) == []
    assert order.overdue is False
    states = {p.rung.key: p.state for p in plan(order, DEFAULT, DEADLINE + timedelta(days=2))}
    assert states["reminder:50"] == State.SENT
    assert {states[k] for k in ("reminder:80", "reminder:2h", "escalation:breach", "escalation:24h")} == {
        State.STOPPED
    }


def test_a_proof_in_stops_the_reminders_but_a_late_order_is_still_escalated():
    order = dispatched(START, DEADLINE, status=S.PROOF_RECEIVED)
    assert sweep(order, DEFAULT, now=DEADLINE - timedelta(hours=1)) == []
    assert keys(sweep(order, DEFAULT, now=DEADLINE + timedelta(minutes=5))) == ["escalation:breach"]


def test_an_order_dispatched_after_its_deadline_is_escalated_at_once_without_reminders():
    order = dispatched(DEADLINE + timedelta(hours=1), DEADLINE)
    assert [r.key for r in schedule(order, DEFAULT)] == ["escalation:breach", "escalation:24h"]
    assert keys(sweep(order, DEFAULT, now=DEADLINE + timedelta(hours=1))) == ["escalation:breach"]


def test_a_window_shorter_than_two_hours_has_no_two_hours_before_rung():
    order = dispatched(START, START + timedelta(minutes=90))
    assert "reminder:2h" not in times(order)
    assert times(order)["reminder:50"] == "23/11/2026 10:45 WIB"


# --- working hours, a weekend and an Indonesian public holiday ---------------------------------

# Friday 14/08/2026 13:00 WIB to Wednesday 19/08/2026 17:00 WIB. Sunday 16/08 is off and Monday
# 17/08 is Hari Kemerdekaan (Independence Day): working time is Fri 4 h + Sat 8 h + Tue 8 h + Wed 8 h.
AUG_START = wib(14, 13, month=8)
AUG_DEADLINE = wib(19, 17, month=8)


def test_independence_day_2026_is_a_public_holiday_in_the_calendar():
    assert date(2026, 8, 17) in public_holidays("ID")
    assert date(2026, 8, 18) not in public_holidays("ID")


def test_working_time_leaves_out_nights_sundays_and_public_holidays():
    clock = WorkingTime(WorkingHours(), TZ)
    assert clock.between(AUG_START, AUG_DEADLINE) == timedelta(hours=28)
    assert clock.between(wib(15, 17, month=8), wib(18, 9, month=8)) == timedelta(0)
    assert clock.next_working(wib(15, 17, month=8)) == wib(18, 9, month=8)
    assert clock.is_working(wib(18, 16, 59, month=8))
    assert not clock.is_working(wib(18, 17, month=8))  # the day ends at 17:00
    assert not clock.is_working(wib(17, 10, month=8))  # a holiday on a Monday


def test_with_working_hours_the_fractions_and_hours_count_working_time():
    order = dispatched(AUG_START, AUG_DEADLINE)
    assert times(order, OFFICE) == {
        "reminder:50": "18/08/2026 11:00 WIB",  # 14 working hours: Fri 4 + Sat 8 + Tue 2
        "reminder:80": "19/08/2026 11:24 WIB",  # 22.4 working hours
        "reminder:2h": "19/08/2026 15:00 WIB",
        # 17:00 is the end of the day: the breach is told the next working morning.
        "escalation:breach": "20/08/2026 09:00 WIB",
        # 24 working hours after: Thu 8 + Fri 8 + Sat 8 ends at 17:00 Saturday, so Monday morning.
        "escalation:24h": "24/08/2026 09:00 WIB",
    }


def test_nothing_goes_out_outside_working_hours_it_waits_for_the_next_working_moment():
    order = dispatched(AUG_START, AUG_DEADLINE)
    # Over the long weekend nothing is due yet; on the holiday morning still nothing.
    assert sweep(order, OFFICE, now=wib(16, 12, month=8)) == []
    assert sweep(order, OFFICE, now=wib(17, 10, month=8)) == []
    assert keys(sweep(order, OFFICE, now=wib(18, 11, month=8))) == ["reminder:50"]
    # No sweep from Tuesday noon; the evening after the deadline: flagged, but nobody written to.
    assert sweep(order, OFFICE, now=wib(19, 21, month=8)) == []
    assert order.overdue
    assert keys(sweep(order, OFFICE, now=wib(20, 8, 59, month=8))) == []
    # The next morning one escalation goes; the reminders it overtook are recorded as skipped.
    assert keys(sweep(order, OFFICE, now=wib(20, 9, month=8))) == ["escalation:breach"]
    assert recorded(order) == {
        "reminder:50": State.SENT,
        "reminder:80": State.SKIPPED,
        "reminder:2h": State.SKIPPED,
        "escalation:breach": State.SENT,
    }
    assert sweep(order, OFFICE, now=wib(22, 16, month=8)) == []
    assert sweep(order, OFFICE, now=wib(23, 12, month=8)) == []  # Sunday
    assert keys(sweep(order, OFFICE, now=wib(24, 9, 15, month=8))) == ["escalation:24h"]


def test_working_hours_follow_the_shop_zone_and_messages_show_it():
    # A shop in Makassar: 09:00 WITA is 08:00 WIB.
    order = dispatched(wib(14, 13, month=8, tz="Asia/Makassar"), wib(19, 17, month=8, tz="Asia/Makassar"))
    order.timezone = "Asia/Makassar"
    assert times(order, OFFICE)["escalation:breach"] == "20/08/2026 09:00 WITA"
    order.timezone = "Asia/Jayapura"
    assert show(schedule(order, OFFICE)[0].at, order.timezone).endswith(" WIT")


# --- buyer messages ------------------------------------------------------------------------------


def test_an_unpaid_order_gets_one_payment_reminder_a_day_after_it_came_in():
    order = order_in(S.AWAITING_PAYMENT, paid=False, received_at=START)
    assert sweep(order, DEFAULT, now=START + timedelta(hours=23, minutes=59)) == []
    assert keys(sweep(order, DEFAULT, now=START + timedelta(hours=24))) == ["payment_reminder"]
    assert order.history[-1].notified is True
    assert sweep(order, DEFAULT, now=START + timedelta(days=5)) == []
    assert recorded(order) == {"payment_reminder": State.SENT}


def test_a_payment_reminder_to_a_buyer_without_an_email_or_phone_is_recorded_as_not_told():
    order = order_in(S.AWAITING_PAYMENT, paid=False, received_at=START, buyer_email="", phone="")
    assert keys(sweep(order, DEFAULT, now=START + timedelta(hours=25))) == ["payment_reminder"]
    assert order.history[-1].notified is False
    assert "buyer has no usable email" in order.history[-1].comment


def test_paying_or_a_zero_setting_means_no_payment_reminder():
    paid = dispatched(START, DEADLINE)
    assert "payment_reminder" not in times(paid)
    unpaid = order_in(S.AWAITING_PAYMENT, paid=False, received_at=START)
    assert schedule(unpaid, Ladder(payment_reminder_hours=0)) == []


def _completed(at: datetime) -> Order:
    order = dispatched(START, DEADLINE, status=S.COMPLETED)
    order.history.append(HistoryEntry(S.COMPLETED, "Selesai / Completed, buyer notified", SYSTEM, at, True))
    return order


def test_a_completed_order_gets_one_feedback_request_three_days_later():
    done_at = START + timedelta(hours=30)
    order = _completed(done_at)
    assert sweep(order, DEFAULT, now=done_at + timedelta(days=3) - timedelta(minutes=1)) == []
    assert keys(sweep(order, DEFAULT, now=done_at + timedelta(days=3))) == ["follow_up"]
    assert sweep(order, DEFAULT, now=done_at + timedelta(days=4)) == []
    # The team's ladder stopped with the completion: nothing of it was sent or recorded.
    assert recorded(order) == {"follow_up": State.SENT}


def test_a_follow_up_long_overdue_is_let_go_rather_than_sent_weeks_late():
    done_at = START
    order = _completed(done_at)
    late = done_at + timedelta(days=3) + FOLLOW_UP_GRACE + timedelta(minutes=1)
    assert sweep(order, DEFAULT, now=late) == []
    assert recorded(order) == {}


# --- the config --------------------------------------------------------------------------------


def _catalogue(extra: str) -> Catalogue:
    text = f"""
divisions:
  web:
    name: Divisi Website
    email: tim-web@localhost
    lead: {{name: Dewi Lestari, email: dewi@localhost}}
services:
  WEB-UMKM:
    code: WEB-UMKM
    name: {{id: Pembuatan website UMKM, en: Small-business website setup}}
    division: web
    quantity: {{min: 1, max: 3}}
    lead_time_hours: 168
    proof: {{allowed_types: [pdf], max_size_mb: 50}}
{extra}
"""
    return Catalogue.model_validate(yaml.safe_load(text))


def test_a_service_ladder_overrides_only_the_fields_it_sets():
    catalogue = _catalogue(
        """    ladder:
      working_hours: {start: "08:00", end: "16:00"}
      escalate_hours_after: [8]
"""
    )
    ladder = catalogue.ladder_for(catalogue.services["WEB-UMKM"])
    assert ladder.escalate_hours_after == (8,)
    assert ladder.working_hours is not None and ladder.working_hours.end.hour == 16
    assert ladder.working_hours.days == ("mon", "tue", "wed", "thu", "fri", "sat")
    assert ladder.remind_at_percent == (50, 80)  # from the shop-wide default
    assert catalogue.ladder_for(None) == Ladder()


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("    ladder: {remind_at_percent: [50, 50]}", "lists a value twice"),
        ("    ladder: {remind_at_percent: [100]}", "less than or equal to 99"),
        ("    ladder: {working_hours: {end: 17:00}}", 'write the time in quotes, e.g. "17:00"'),
        ('    ladder: {working_hours: {start: "17:00", end: "09:00"}}', "must be before end"),
        ("    ladder: {working_hours: {public_holidays: XX}}", "no public holidays known for country 'XX'"),
        ("    ladder: {escalate_after: [24]}", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_ladder_is_refused_with_a_reason(extra, says):
    with pytest.raises(ValidationError) as caught:
        _catalogue(extra)
    assert says in str(caught.value)


def test_the_shipped_catalogue_has_a_default_ladder_and_office_hours_for_websites(catalogue):
    assert catalogue.ladder == Ladder()
    web = catalogue.ladder_for(catalogue.services["WEB-UMKM"])
    assert web.working_hours == WorkingHours()
    assert catalogue.ladder_for(catalogue.services["GMAIL-BARU"]).working_hours is None


def test_an_order_in_rework_gets_nothing_from_its_original_ladder_and_no_overdue_flag(catalogue):
    """A claim reopens a completed order long after its deadline: the order's own reminders and
    escalations, never sent because it completed early, must not fire against the old deadline."""
    from fulfil.core.aftersale import open_claim

    order = order_in(S.COMPLETED, received_at=START, deadline=START + timedelta(hours=48))
    open_claim(
        order,
        catalogue.services["GMAIL-BARU"],
        reason="akun 3",
        items=1,
        actor="ops:rina",
        at=START + timedelta(hours=30),
    )
    later = START + timedelta(days=4)  # past the order's deadline and its escalations
    assert order.status == S.REWORK
    assert keys(sweep(order, DEFAULT, now=later)) == []
    assert order.overdue is False
