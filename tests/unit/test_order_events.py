"""Each history entry as a Prefect event on `fulfil.order.<id>`: its name, what it carries (never a
buyer's data or a comment's words), its stable ID, and which entries a run sends.

The histories are written by the core's own functions (dispatch, assign, the sweep's ladder, a
claim's rework ladder), so a change in how the core words an escalation shows up here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from fulfil import bootstrap
from fulfil.core import aftersale, pipeline
from fulfil.core.catalogue import Catalogue
from fulfil.core.order import BUYER, SYSTEM, HistoryEntry, Order
from fulfil.core.status import OrderStatus
from fulfil.settings import Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases import traces
from fulfil.usecases.deps import Deps
from tests.unit.builders import END_OF_30_NOV_WIB, order_in

S = OrderStatus
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SHOP = UUID("6f1c1d2e-0000-4000-8000-000000000001")
BUYER_WORDS = "Siti Nurhaliza minta kirim ke siti.nurhaliza@gmail.com atau WA 0812-3456-7890"


def received() -> Order:
    order = order_in(S.RECEIVED)
    order.history.append(HistoryEntry(S.RECEIVED, "Pesanan diterima / Order received", SYSTEM, T0))
    return order


def story(catalogue: Catalogue) -> Order:
    """Received, dispatched, assigned, a team note in the buyer's words, the deadline passed and
    escalated, the proof in, recorded, completed: each written as the core writes it."""
    order = received()
    pipeline.dispatch(order, catalogue.get("GMAIL-BARU"), "Tim Akun", at=T0)  # type: ignore[arg-type]
    order.assign("Rina", lead="Budi", at=T0 + timedelta(hours=1))
    order.comment(BUYER_WORDS, actor="team", at=T0 + timedelta(hours=2))
    pipeline.sweep(order, now=END_OF_30_NOV_WIB + timedelta(hours=1))
    late = END_OF_30_NOV_WIB + timedelta(hours=2)
    order.move_to(S.PROOF_RECEIVED, actor=SYSTEM, comment="Bukti diterima", at=late)
    pipeline.record(order, at=late)
    order.move_to(S.COMPLETED, actor=SYSTEM, comment="Selesai", at=late, notified=True)
    return order


def events_of(order: Order, first: int = 0, **kw: object) -> list[traces.OrderEvent]:
    return traces.order_events(order, first, division="akun", namespace=SHOP, **kw)  # type: ignore[arg-type]


def names(events: list[traces.OrderEvent]) -> list[str]:
    return [e.name.removeprefix("fulfil.order.") for e in events]


def test_a_status_change_is_named_by_the_new_status_an_escalation_escalated_the_rest_commented(
    catalogue: Catalogue,
) -> None:
    order = story(catalogue)

    events = events_of(order)

    assert len(events) == len(order.history)
    # The sweep flagged the deadline, skipped the reminders the escalation overtook, escalated.
    assert names(events) == [
        "received",
        "dispatched",
        "assigned",
        "commented",
        "commented",  # Melewati deadline / Deadline passed
        *["commented"] * (len(order.history) - 9),  # reminder:… dilewati (skipped)
        "escalated",
        "proof_received",
        "recorded",
        "completed",
    ]
    escalated = events[names(events).index("escalated")]
    assert escalated.payload["overdue"] is True and escalated.payload["actor"] == "system"
    assert events[1].payload["overdue"] is False  # not yet late when it went to the team
    assert events[2].payload == {
        "status": "assigned",
        "previous_status": "dispatched",
        "service": "GMAIL-BARU",
        "division": "akun",
        "actor": "lead:Budi",
        "buyer_told": False,
        "overdue": False,
        "seq": 2,
    }
    assert events[-1].payload["buyer_told"] is True
    assert {e.resource["prefect.resource.id"] for e in events} == {"fulfil.order.INV-0001"}
    assert events[0].resource == {
        "prefect.resource.id": "fulfil.order.INV-0001",
        "prefect.resource.name": "INV-0001",
        "fulfil.service": "GMAIL-BARU",
        "fulfil.division": "akun",
    }


def test_only_an_escalation_that_went_is_escalated(catalogue: Catalogue) -> None:
    order = received()
    pipeline.dispatch(order, catalogue.get("GMAIL-BARU"), "Tim Akun", at=T0)  # type: ignore[arg-type]
    at = T0 + timedelta(days=1)
    # The ladder's own line of an escalation overtaken by a later one, and a person quoting one.
    order.comment(
        "escalation:breach · dilewati, sudah didahului escalation:24h / skipped", actor=SYSTEM, at=at
    )
    order.comment("escalation:breach · Eskalasi ke lead divisi dan ops / Escalation", actor="ops:Rina", at=at)
    order.comment(
        "escalation:24h · Eskalasi ke lead divisi dan ops / Escalation (24 jam)", actor=SYSTEM, at=at
    )

    assert names(events_of(order, 2)) == ["commented", "commented", "escalated"]


def test_a_claims_rework_past_its_deadline_is_escalated_and_its_reminder_commented(
    catalogue: Catalogue,
) -> None:
    service = catalogue.get("GMAIL-BARU")
    assert service is not None
    order = story(catalogue)
    done = order.history[-1].at
    aftersale.open_claim(order, service, reason="Akun 3 tidak bisa login", items=1, actor="ops:Rina", at=done)
    claim = order.open_claim
    assert claim is not None
    before = len(order.history)
    assert aftersale.rework_rungs(
        order, remind_before=timedelta(hours=4), now=claim.deadline - timedelta(hours=1)
    )
    assert aftersale.rework_rungs(
        order, remind_before=timedelta(hours=4), now=claim.deadline + timedelta(hours=1)
    )

    assert names(events_of(order, before - 1)) == ["rework", "commented", "escalated"]


def test_no_event_carries_the_buyers_data_or_a_comments_words(catalogue: Catalogue) -> None:
    order = story(catalogue)
    # Ops typing the buyer's address where their name goes, and a note in the buyer's words.
    order.comment(BUYER_WORDS, actor="ops:siti.nurhaliza@gmail.com", at=datetime.now(UTC))
    private = [order.buyer_name, order.buyer_email, order.phone_raw, order.phone, "0812-3456-7890"]
    comments = {h.comment for h in order.history}

    events = events_of(order)
    shown = json.dumps([dataclasses.asdict(e) for e in events], default=str)

    assert [p for p in private if p.lower() in shown.lower()] == []
    assert "siti" not in shown.lower() and "nurhaliza" not in shown.lower()
    assert [c for c in comments if c in shown] == []
    assert all(not isinstance(v, str) or len(v) < 40 for e in events for v in e.payload.values())


def test_an_entrys_event_id_is_the_same_whenever_it_is_sent_and_differs_between_stores(
    catalogue: Catalogue,
) -> None:
    order = story(catalogue)
    first = [e.id for e in events_of(order)]

    assert [e.id for e in events_of(order)] == first
    assert len(set(first)) == len(first)
    # Sent again by a later run, from the middle: the same IDs for the same entries.
    assert [e.id for e in events_of(order, 5)] == first[5:]
    # The buyer told later (the outbox delivered): still the same event.
    order.history[1] = dataclasses.replace(order.history[1], notified=True)
    assert [e.id for e in events_of(order)] == first
    # Another shop's INV-0001 on the same Prefect server is another story.
    other = traces.order_events(order, 0, division="akun", namespace=UUID(int=7))
    assert not {e.id for e in other} & set(first)


def test_entries_of_one_moment_follow_each_other_by_a_microsecond() -> None:
    order = received()
    order.comment("satu", actor=SYSTEM, at=T0)
    order.comment("dua", actor=SYSTEM, at=T0)
    earlier = T0 - timedelta(hours=1)  # a sweep run "as of" an earlier moment
    order.comment("tiga", actor=SYSTEM, at=earlier)

    occurred = [e.occurred for e in events_of(order)]

    assert occurred == [T0, T0 + timedelta(microseconds=1), T0 + timedelta(microseconds=2), earlier]


def test_a_run_sends_from_an_entry_on_and_links_only_its_own_entries(catalogue: Catalogue) -> None:
    order = story(catalogue)

    events = events_of(order, 3, run_from=5)

    assert [e.payload["seq"] for e in events] == list(range(3, len(order.history)))
    assert events[0].payload["previous_status"] == "assigned"
    assert [e.in_run for e in events[:3]] == [False, False, True]


# ----- which entries a run sends: the store's cursor -----


@pytest.fixture
def svc(home: Path) -> Iterator[Deps]:
    services = bootstrap.build(Settings(home=home), store=MemoryStore())
    yield services
    services.close()


def _save(svc: Deps, order: Order) -> None:
    svc.store.save(order)


def test_the_first_run_sends_its_own_entries_and_the_next_also_those_written_between_runs(
    svc: Deps,
) -> None:
    _save(svc, received())
    mark = svc.store.history_mark()
    order = svc.store.get("INV-0001")
    pipeline.dispatch(order, svc.catalogue.get("GMAIL-BARU"), "Tim Akun", at=T0)  # type: ignore[arg-type]
    _save(svc, order)

    run = traces.trace_run(svc, mark, "intake (1)")
    assert names(run.events) == ["dispatched"]  # a store that never sent any starts at the run
    assert [c.order_id for c in run.changes] == ["INV-0001"] and run.events[0].in_run
    traces.events_sent(svc, run.events_upto)

    order = svc.store.get("INV-0001")
    order.comment(BUYER_WORDS, actor=BUYER, at=T0 + timedelta(hours=1))  # `fulfil orders ...`
    _save(svc, order)
    mark = svc.store.history_mark()
    order.assign("Rina", lead="Budi", at=T0 + timedelta(hours=2))
    _save(svc, order)

    run = traces.trace_run(svc, mark, "watch-proofs (2)")
    assert names(run.events) == ["commented", "assigned"]
    assert [e.in_run for e in run.events] == [False, True]
    assert [e.payload["seq"] for e in run.events] == [2, 3]
    # Not confirmed (the server was away): the next run sends them again, as the same events.
    again = traces.trace_run(svc, svc.store.history_mark(), "sweep (3)")
    assert [e.id for e in again.events] == [e.id for e in run.events]
    traces.events_sent(svc, again.events_upto)
    assert traces.trace_run(svc, svc.store.history_mark(), "sweep (4)").events == []


def test_the_stores_namespace_is_made_once_and_kept(svc: Deps) -> None:
    made = traces.events_namespace(svc)

    assert traces.events_namespace(svc) == made
    assert svc.store.get_cursor(traces.NAMESPACE_CURSOR) == str(made)
