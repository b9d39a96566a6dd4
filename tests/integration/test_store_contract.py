"""One contract, three stores: SQLite, PostgreSQL (CI) and the in-memory store the fast use-case
tests run on. What a use case relies on from the store is asserted here for each of them, so a
use case tested on the memory store behaves the same on the real ones."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fulfil.core.identity import KnownResponse
from fulfil.core.order import SYSTEM, HistoryEntry, Order, Problem
from fulfil.core.status import OrderStatus as S
from fulfil.testing.memory_store import MemoryStore
from integrations.ports import Store
from integrations.store import OrderStore, OutboxMessage, StaleOrder, claims
from tests.conftest import NOW
from tests.integration.conftest import empty_database


@pytest.fixture(params=["sqlite", "database-url", "memory"])
def any_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[OrderStore | MemoryStore]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryStore()
        return
    url = f"sqlite:///{tmp_path / 'store' / 'fulfil.db'}"
    if request.param == "database-url":
        url = request.config.getoption("--database-url")
        if not url:
            pytest.skip("no PostgreSQL: give --database-url or $FULFIL_TEST_DATABASE_URL (.ci/run does)")

        empty_database(url)
    store = OrderStore.open(url)
    yield store
    store.engine.dispose()


def _order(order_id: str, status: S = S.RECEIVED, *, told: bool = False) -> Order:
    return Order(
        order_id=order_id,
        status=status,
        buyer_email=f"{order_id.lower()}@example.com",
        received_at=NOW,
        history=[HistoryEntry(status, "Pesanan masuk", SYSTEM, NOW, told)],
    )


def _msg(order_id: str, kind: str = "confirmation", *, buyer: bool = True) -> OutboxMessage:
    return OutboxMessage(order_id, kind, f"{order_id}@example.com", "Subjek", "Isi", tells_buyer=buyer)


def test_each_store_has_every_port(any_store) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(any_store, Store)


def test_an_order_comes_back_as_saved_and_a_stale_copy_is_refused(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("A-1"))
    mine, theirs = any_store.get("A-1"), any_store.get("A-1")
    mine.move_to(S.NEEDS_INFO, actor=SYSTEM, comment="kurang data", at=NOW)
    any_store.save(mine)

    theirs.move_to(S.CANCELLED, actor=SYSTEM, comment="batal", at=NOW)
    with pytest.raises(StaleOrder):
        any_store.save(theirs)
    with pytest.raises(StaleOrder):
        any_store.save(_order("A-1"))  # a second new order with the same ID
    loaded = any_store.get("A-1")
    assert (loaded.status, [h.comment for h in loaded.history]) == (
        S.NEEDS_INFO,
        ["Pesanan masuk", "kurang data"],
    )
    assert [o.order_id for o in any_store.list({S.NEEDS_INFO})] == ["A-1"]
    assert [o.order_id for o in any_store.get_many(["A-1", "nope"])] == ["A-1"]
    assert any_store.find("nope") is None


def test_empty_and_filled_record_columns_come_back_as_saved_and_unshared(any_store) -> None:  # type: ignore[no-untyped-def]
    # The SQL stores read "[]" and "{}" without json (a big import's loads); what comes back must
    # still be the order's own lists and dicts, never one shared between orders.
    filled = _order("J-1")
    filled.problems = [Problem("phone", "nomor tidak valid", "phone is not valid")]
    filled.source = {"Nama": "Ayu", "Catatan": "[]"}
    any_store.save_many([(filled, []), (_order("J-2"), []), (_order("J-3"), [])])
    one, two, three = any_store.get_many(["J-1", "J-2", "J-3"])
    assert (one.problems, one.source, one.held_change) == (filled.problems, filled.source, {})
    assert (two.problems, two.source, two.held_change) == ([], {}, {})
    two.problems.append(Problem("name", "nama wajib", "name is required"))
    two.held_change["Nama"] = "Budi"
    assert (three.problems, three.held_change) == ([], {})
    assert any_store.get("J-3").problems == []


def test_every_change_of_a_read_order_is_saved_however_it_was_made(any_store) -> None:  # type: ignore[no-untyped-def]
    # The SQL stores write only the columns that differ from the order as read or last written:
    # a change made in place, or a second save of the same copy, must still reach the store.
    first = _order("E-1")
    first.source = {"Nama": "Ayu", "Jumlah": "2"}
    any_store.save(first)
    order = any_store.get("E-1")
    order.source["Jumlah"] = "3"
    order.problems.append(Problem("phone", "nomor tidak valid", "phone is not valid"))
    order.notes = "kirim sore"
    any_store.save(order)
    order.held_change["Jumlah"] = "4"  # the same copy, saved again
    order.move_to(S.NEEDS_INFO, actor=SYSTEM, comment="kurang data", at=NOW)
    any_store.save(order)
    again = any_store.get("E-1")
    assert again.source == {"Nama": "Ayu", "Jumlah": "3"} and again.notes == "kirim sore"
    assert again.problems == [Problem("phone", "nomor tidak valid", "phone is not valid")]
    assert (again.held_change, again.status, again.version) == ({"Jumlah": "4"}, S.NEEDS_INFO, 3)


def test_a_save_after_the_crm_row_was_synced_makes_it_stale_again(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("E-2", S.PROOF_RECEIVED))
    read = any_store.get("E-2")  # read while its row was stale
    any_store.crm_synced({"E-2": read.version})
    assert any_store.crm_stale() == []
    read.notes = "catatan tim"
    any_store.save(read)
    assert [o.order_id for o in any_store.crm_stale()] == ["E-2"]


def test_a_batch_with_one_order_changed_meanwhile_is_refused_whole(any_store) -> None:  # type: ignore[no-untyped-def]
    # A dispatch batch of 200 is written in one statement; one order another run changed since
    # the batch was loaded must fail it all (its caller then saves order by order).
    any_store.save_many([(_order(f"B-{i}"), []) for i in range(5)])
    batch = any_store.get_many([f"B-{i}" for i in range(5)])
    theirs = any_store.get("B-3")
    theirs.move_to(S.CANCELLED, actor=SYSTEM, comment="batal", at=NOW)
    any_store.save(theirs)

    for order in batch:
        order.move_to(S.NEEDS_INFO, actor=SYSTEM, comment="kurang data", at=NOW)
    with pytest.raises(StaleOrder):
        any_store.save_many([(order, [_msg(order.order_id, "needs_info")]) for order in batch])
    assert [o.status for o in any_store.get_many([f"B-{i}" for i in range(5)])] == [
        S.RECEIVED,
        S.RECEIVED,
        S.RECEIVED,
        S.CANCELLED,
        S.RECEIVED,
    ]
    assert any_store.messages("B-0") == []

    batch = [o for o in any_store.get_many([f"B-{i}" for i in range(5)]) if o.order_id != "B-3"]
    for order in batch:
        order.move_to(S.NEEDS_INFO, actor=SYSTEM, comment="kurang data", at=NOW)
    any_store.save_many([(order, []) for order in batch])
    assert {o.order_id: o.status for o in any_store.list({S.NEEDS_INFO})} == {
        f"B-{i}": S.NEEDS_INFO for i in (0, 1, 2, 4)
    }


def test_one_message_per_order_and_kind_claimed_by_one_sender(any_store) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        any_store.save(_order(f"B-{n}"), [_msg(f"B-{n}"), _msg(f"B-{n}")])
    assert len(any_store.messages()) == 3

    first = any_store.claim_messages("host:1:a", limit=2)
    second = any_store.claim_messages("host:2:b")
    assert [m.order_id for m in first] == ["B-0", "B-1"] and [m.order_id for m in second] == ["B-2"]
    assert any_store.claim_messages("host:3:c") == []

    any_store.mark_sent(first[0].id, NOW, owner="host:2:b")  # not the holder: nothing happens
    any_store.mark_sent(first[0].id, NOW, owner="host:1:a")
    any_store.mark_failed(first[0].id, "late failure", permanent=True, owner="host:1:a")
    any_store.mark_failed(first[1].id, "SMTP 550", permanent=True, owner="host:1:a")
    states = {m.order_id: m.state for m in any_store.messages()}
    assert states == {"B-0": "sent", "B-1": "failed", "B-2": "sending"}
    assert any_store.unsent_count() == 1  # what a send pass has before it: B-2, being sent
    assert [m.order_id for m in any_store.failed_messages()] == ["B-1"]
    assert [m.order_id for m in any_store.retry_failed()] == ["B-1"]
    assert [m.order_id for m in any_store.claim_messages("host:1:a", after_id=first[0].id)] == ["B-1"]


def test_the_history_says_told_only_once_the_message_is_sent(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("C-1", S.AWAITING_PAYMENT, told=True), [_msg("C-1")])
    assert [h.notified for h in any_store.get("C-1").history] == [False]

    [claimed] = any_store.claim_messages("host:1:a")
    any_store.mark_sent(claimed.id, NOW, owner="host:1:a")
    assert [h.notified for h in any_store.get("C-1").history] == [True]
    assert any_store.sent_times(["C-1"], "confirmation") == {"C-1": NOW}


def test_a_message_is_marked_sent_with_the_next_ones_start_by_its_sender_only(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("D-1", S.AWAITING_PAYMENT, told=True), [_msg("D-1")])
    any_store.save(_order("D-2"), [_msg("D-2")])
    first, second = any_store.claim_messages("host:1:a")
    assert any_store.start_attempt(first.id, "host:1:a")
    # Another sender cannot mark it, even while starting its own.
    assert not any_store.start_attempt(second.id, "host:2:b", (first.id, NOW))
    assert [h.notified for h in any_store.get("D-1").history] == [False]
    assert any_store.start_attempt(second.id, "host:1:a", (first.id, NOW))
    states = {m.order_id: (m.state, m.sent_at) for m in any_store.messages()}
    assert states == {"D-1": ("sent", NOW), "D-2": ("sending", None)}
    assert [h.notified for h in any_store.get("D-1").history] == [True]
    assert not any_store.start_attempt(second.id, "host:1:a")  # started once only


def test_crm_rows_stay_stale_until_synced_at_their_version(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("D-1", S.PROOF_RECEIVED))
    [stale] = any_store.crm_stale()
    assert any_store.in_crm_unrecorded() == []
    any_store.crm_synced({"D-1": stale.version})
    assert any_store.crm_stale() == [] and any_store.in_crm_unrecorded() == ["D-1"]

    any_store.save(_order("D-2", S.PROOF_RECEIVED), [_msg("D-2", "completed")])
    [message] = any_store.claim_messages("host:1:a")
    version = any_store.get("D-2").version
    any_store.mark_sent(message.id, NOW, owner="host:1:a")  # the row must show when the buyer was told
    any_store.crm_synced({"D-2": version})
    assert [o.order_id for o in any_store.crm_stale()] == ["D-2"]


def test_cursors_one_off_claims_and_the_trace_backlog(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.set_cursor("drive", "token-1")
    any_store.set_cursor("drive", "token-2")
    assert any_store.get_cursor("drive") == "token-2"
    assert any_store.claim_cursor("digest:2026-11-30", "host:1:a") is True
    assert any_store.claim_cursor("digest:2026-11-30", "host:2:b") is False
    any_store.release_cursor("digest:2026-11-30", "host:1:a")
    assert any_store.claim_cursor("digest:2026-11-30", "host:2:b") is True
    any_store.set_cursor("digest:2026-11-30", NOW.isoformat())
    assert any_store.claim_cursor("digest:2026-11-30", "host:1:a") is False

    mark = any_store.history_mark()
    any_store.save(_order("E-1"))
    changes = any_store.changed_since(mark)
    assert changes == {"E-1": 0}
    any_store.queue_traces(changes, "intake")
    assert any_store.trace_backlog_size() == 1
    assert [(t.order_id, t.run_name) for t in any_store.claim_traces(10)] == [("E-1", "intake")]
    assert any_store.claim_traces(10) == []


def test_form_responses_are_found_by_key_row_and_answers(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("F-1"))
    any_store.responses.remember([KnownResponse("k1", "F-1", 2, "email:a@x", "ans")])
    any_store.responses.remember([KnownResponse("k1", "F-1", 5, "email:a@x", "ans")])  # re-sorted
    assert any_store.responses.by_keys(["k1", "k2"])["k1"].row_number == 5
    assert [k.key for k in any_store.responses.at_rows([5])] == ["k1"]
    assert [k.key for k in any_store.responses.with_answers(["ans"])] == ["k1"]


def test_each_orders_origin_is_its_last_table_and_is_forgotten_on_request(any_store) -> None:  # type: ignore[no-untyped-def]
    for order_id in ("O-1", "O-2", "O-3"):
        any_store.save(_order(order_id))
    origins = any_store.origins
    origins.remember("pesanan.csv", ["O-1", "O-2"])
    origins.remember("pesanan.csv", ["O-2"])  # read again: no second row
    origins.remember("marketplace.csv", ["O-3", "O-2"])  # O-2's row moved
    assert origins.ids_from("pesanan.csv") == {"O-1"}
    assert origins.ids_from("marketplace.csv") == {"O-2", "O-3"}
    origins.forget(["O-3", "O-9"])
    assert origins.ids_from("marketplace.csv") == {"O-2"}
    assert origins.ids_from("Form Responses 1 (Google Sheet)") == set()
    origins.remember("pesanan.csv", [])
    origins.forget([])


def test_watched_ids_are_the_waiting_and_the_recently_changed(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.save(_order("G-1", S.DISPATCHED))
    any_store.save(_order("G-2", S.COMPLETED))
    any_store.save(_order("G-3", S.NEEDS_INFO))
    soon = datetime.now(UTC) - timedelta(minutes=5)
    assert any_store.watched_ids({S.DISPATCHED}, {S.COMPLETED}, soon) == ["G-1", "G-2"]
    assert any_store.watched_ids({S.DISPATCHED}, {S.COMPLETED}, soon, among=["G-2"]) == ["G-2"]


def test_a_message_keeps_its_channel_and_each_channel_is_its_own_message(any_store) -> None:  # type: ignore[no-untyped-def]
    email = _msg("E-1", "completed")
    whatsapp = OutboxMessage(
        "E-1", "completed:wa", "+6281234567890", "Subjek", "Isi", tells_buyer=True, channel="wa"
    )
    any_store.save(_order("E-1"), [email, whatsapp, whatsapp])
    kept = sorted((m.kind, m.channel, m.recipient) for m in any_store.messages("E-1"))
    assert kept == [("completed", "email", "E-1@example.com"), ("completed:wa", "wa", "+6281234567890")]
    claimed = any_store.claim_messages("host:1:a")
    assert sorted(m.channel for m in claimed) == ["email", "wa"]


def test_goods_are_held_by_one_order_and_let_go_when_its_delivery_is_withdrawn(any_store) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from fulfil.core.order import Delivered

    first, second = _order("G-1", S.DISPATCHED), _order("G-2", S.DISPATCHED)
    first.deliverables = [Delivered("akun.csv", 2, "md5a", True, "ok", "fp-a", ("i1", "i2"))]
    any_store.save(first)
    assert any_store.goods_owners(["file:md5a", "i1", "i2", "i9"]) == {
        "file:md5a": "G-1",
        "i1": "G-1",
        "i2": "G-1",
    }

    second.deliverables = [Delivered("lain.csv", 2, "md5b", True, "ok", "fp-b", ("i2", "i3"))]
    with pytest.raises(StaleOrder):
        any_store.save(second)  # i2 is G-1's
    assert any_store.goods_owners(["i3", "file:md5b"]) == {}

    mine = any_store.get("G-1")
    mine.deliverables = [replace(d, accepted=False) for d in mine.deliverables]  # withdrawn
    any_store.save(mine)
    assert any_store.goods_owners(["file:md5a", "i1", "i2"]) == {}
    any_store.save(second)
    assert any_store.goods_owners(["i2", "i3"]) == {"i2": "G-2", "i3": "G-2"}


def _dead_owner() -> str:
    """A claim owner on this host whose process has ended."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    host = claims.me().rsplit(":", 2)[0]
    return f"{host}:{ended.pid}:gone"


def test_a_message_a_dead_sender_was_handing_over_is_set_aside_never_sent_again(any_store) -> None:  # type: ignore[no-untyped-def]
    for n in range(2):
        any_store.save(_order(f"G-{n}"), [_msg(f"G-{n}")])
    dead = _dead_owner()
    begun, untouched = any_store.claim_messages(dead)
    assert any_store.start_attempt(begun.id, dead)
    assert not any_store.start_attempt(begun.id, "host:2:b")  # not the holder: send nothing

    # Its sender is gone: the message it had begun may have arrived, so it is set aside (once);
    # the one it never began goes to the next sender.
    assert [m.id for m in any_store.set_aside_interrupted()] == [begun.id]
    assert any_store.set_aside_interrupted() == []
    assert [m.id for m in any_store.claim_messages("host:2:b")] == [untouched.id]
    assert {m.id: m.state for m in any_store.messages()} == {begun.id: "unsure", untouched.id: "sending"}

    # Ops checked the sent mail: it had not arrived, so they send it again, once.
    assert [m.id for m in any_store.failed_messages()] == [begun.id]
    assert [m.id for m in any_store.retry_failed([begun.id])] == [begun.id]
    assert [m.id for m in any_store.claim_messages("host:2:b")] == [begun.id]
    assert any_store.start_attempt(begun.id, "host:2:b")


def test_invoice_numbers_are_one_per_order_in_sequence_and_a_void_keeps_the_number(any_store) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        any_store.save(_order(f"H-{n}"))
    first = any_store.invoices.issue("H-0", "INV", NOW)
    again = any_store.invoices.issue("H-0", "INV", NOW + timedelta(days=1))  # a rerun
    second = any_store.invoices.issue("H-1", "INV", NOW)
    assert (first.number, again.number, second.number) == ("INV/2026/11/0001",) * 2 + ("INV/2026/11/0002",)
    voided = any_store.invoices.void("H-0", NOW, "Pembeli minta batal")
    assert voided is not None and voided.voided_at == NOW and voided.number == first.number
    # A voided number is never given again; the next order takes the next one.
    assert any_store.invoices.issue("H-2", "INV", NOW).number == "INV/2026/11/0003"
    next_month = any_store.invoices.issue("H-2", "INV", NOW + timedelta(days=40))
    assert next_month.number == "INV/2026/11/0003"  # already has one
    assert [i.number for i in any_store.invoices.all()] == [f"INV/2026/11/000{n}" for n in (1, 2, 3)]
