"""OrderStore on a real database: schema on first use, faithful round-trips, idempotent writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, event, func, inspect, select, text
from sqlalchemy.exc import StatementError

from fulfil.core.order import SYSTEM, TEAM, HistoryEntry, Order, Problem, ProofFile
from fulfil.core.status import OrderStatus
from integrations.store import OrderStore, OutboxMessage, StaleOrder
from integrations.store.migrate import MIGRATIONS
from integrations.store.tables import history, outbox
from tests.conftest import NOW

WIB = timezone(timedelta(hours=7))


def _order(order_id: str = "INV-0001", **overrides) -> Order:  # type: ignore[no-untyped-def]
    fields = {
        "order_id": order_id,
        "status": OrderStatus.RECEIVED,
        "service_code": "GMAIL-BARU",
        "buyer_name": "Siti Nurhaliza",
        "buyer_email": "siti.nurhaliza@gmail.com",
        "phone_raw": "081234567890",
        "phone": "+6281234567890",
        "quantity": 10,
        "deadline": datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC),
        "received_at": datetime(2026, 11, 23, 1, 2, 11, tzinfo=UTC),
        "source": {"order_id": order_id, "buyer_name": "Siti Nurhaliza", "phone": "081234567890"},
        "source_hash": "a" * 64,
        "history": [
            HistoryEntry(OrderStatus.RECEIVED, "Pesanan masuk dari formulir (baris 2)", SYSTEM, NOW),
        ],
    }
    fields.update(overrides)
    return Order(**fields)


def _message(order_id: str, kind: str, subject: str = "Pesanan diterima") -> OutboxMessage:
    return OutboxMessage(order_id, kind, "siti.nurhaliza@gmail.com", subject, "Halo Siti,\n")


def _count(store: OrderStore, table, order_id: str) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.order_id == order_id)
        ).scalar_one()


def test_first_open_creates_the_schema_and_a_second_open_changes_nothing(store_url: str) -> None:
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.strip().split(None, 1)[0].upper())

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        first = OrderStore.open(store_url)
        created = statements.count("CREATE")
        first.save(_order())
        first.set_cursor("drive-changes", "token-1")
        first.engine.dispose()

        statements.clear()
        second = OrderStore.open(store_url)
        ddl_on_reopen = [s for s in statements if s in ("CREATE", "ALTER", "DROP")]
    finally:
        event.remove(Engine, "before_cursor_execute", seen)

    try:
        tables = set(inspect(second.engine).get_table_names())
        with second.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert {"orders", "order_history", "outbox", "cursors", "alembic_version"} <= tables
        newest = sorted(p.stem.split("_")[0] for p in (MIGRATIONS / "versions").glob("0*.py"))[-1]
        assert versions == [newest]
        assert created >= 4
        assert ddl_on_reopen == []
        # What the first run wrote is still there.
        assert second.get("INV-0001").buyer_name == "Siti Nurhaliza"
        assert second.get_cursor("drive-changes") == "token-1"
    finally:
        second.engine.dispose()


def test_an_order_comes_back_exactly_as_it_was_saved(store: OrderStore) -> None:
    order = _order(
        "INV-0003",
        status=OrderStatus.DISPATCHED,
        service_code="WEB-UMKM",
        buyer_name="Đặng Thu Trang 🚀",
        buyer_email="dang.thutrang@gmail.com",
        phone_raw="0812-3456-7890",
        phone="+6281234567890",
        quantity=1,
        # Given in WIB, with microseconds: it must come back as the same instant, in UTC.
        deadline=datetime(2026, 12, 15, 23, 59, 59, 123456, tzinfo=WIB),
        timezone="Asia/Jakarta",
        notes="Website toko kue online — katalog & WhatsApp 📱",
        paid=True,
        lang="en",
        problems=[Problem("phone", "Nomor WhatsApp tidak valid", "WhatsApp number is not valid")],
        overdue=True,
        overdue_at=datetime(2026, 12, 16, 0, 0, 1, tzinfo=UTC),
        assignee="Dewi Lestari",
        proofs=[
            ProofFile("landing-page.pdf", 20480, "landing-page.pdf:0cc175b9c0f1b6a8", True, "", "file:///x"),
            ProofFile("kosong.png", 0, "kosong.png:d41d8cd98f00b204", False, "File kosong / Empty file"),
        ],
        history=[
            HistoryEntry(OrderStatus.RECEIVED, "Pesanan masuk", SYSTEM, NOW),
            HistoryEntry(OrderStatus.DISPATCHED, "Dikirim ke Divisi Website", SYSTEM, NOW, True),
            HistoryEntry(OrderStatus.DISPATCHED, "Catatan: pakai warna pastel 🎂", TEAM, NOW),
        ],
    )
    store.save(order)

    loaded = store.get("INV-0003")

    assert loaded == order
    assert loaded.version == 1
    assert loaded.buyer_name == "Đặng Thu Trang 🚀"
    assert loaded.phone_raw == "0812-3456-7890"
    for moment in (loaded.deadline, loaded.received_at, loaded.overdue_at, *(h.at for h in loaded.history)):
        assert moment is not None and moment.utcoffset() == timedelta(0)
    assert loaded.deadline == datetime(2026, 12, 15, 16, 59, 59, 123456, tzinfo=UTC)
    assert loaded.problems[0].reason == "Nomor WhatsApp tidak valid / WhatsApp number is not valid"
    assert [p.accepted for p in loaded.proofs] == [True, False]


def test_a_naive_datetime_is_refused_rather_than_guessed(store: OrderStore) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.save(_order(deadline=datetime(2026, 11, 30, 23, 59)))
    assert store.find("INV-0001") is None


def test_a_second_new_order_with_the_same_id_is_refused(store: OrderStore) -> None:
    store.save(_order(buyer_name="Siti Nurhaliza"))

    with pytest.raises(StaleOrder):
        store.save(_order(buyer_name="Budi Santoso"))

    assert [o.buyer_name for o in store.list()] == ["Siti Nurhaliza"]
    assert _count(store, history, "INV-0001") == 1


def test_one_outbox_row_per_order_and_kind(store: OrderStore) -> None:
    order = _order()
    store.save(order, [_message("INV-0001", "confirmation", "Pesanan INV-0001 diterima")])
    store.save(
        order,
        [
            _message("INV-0001", "confirmation", "Pesanan INV-0001 diterima (lagi)"),
            _message("INV-0001", "needs_info", "Data perlu dilengkapi"),
        ],
    )

    kept = store.messages("INV-0001")
    assert [(m.kind, m.subject) for m in kept] == [
        ("confirmation", "Pesanan INV-0001 diterima"),
        ("needs_info", "Data perlu dilengkapi"),
    ]
    assert [m.kind for m in store.pending_messages()] == ["confirmation", "needs_info"]


def test_saving_an_order_twice_does_not_repeat_its_history(store: OrderStore) -> None:
    order = _order()
    order.move_to(OrderStatus.AWAITING_PAYMENT, actor=SYSTEM, comment="Menunggu pembayaran", at=NOW)
    store.save(order)
    store.save(order)
    order.comment("Pembeli menanyakan rekening", actor=TEAM, at=NOW + timedelta(minutes=5))
    store.save(order)
    store.save(order)

    loaded = store.get("INV-0001")
    assert [h.comment for h in loaded.history] == [
        "Pesanan masuk dari formulir (baris 2)",
        "Menunggu pembayaran",
        "Pembeli menanyakan rekening",
    ]
    assert _count(store, history, "INV-0001") == 3
    assert loaded.version == 4


def test_the_slower_of_two_editors_is_told_to_read_again(store: OrderStore) -> None:
    store.save(_order(status=OrderStatus.DISPATCHED))
    first, second = store.get("INV-0001"), store.get("INV-0001")

    first.assign("Rina Wijaya", lead="Rina Wijaya", at=NOW)
    store.save(first)
    second.cancel("Pembeli minta batal", actor="ops", at=NOW)
    with pytest.raises(StaleOrder):
        store.save(second, [_message("INV-0001", "cancelled")])

    now = store.get("INV-0001")
    assert now.status == OrderStatus.ASSIGNED
    assert now.assignee == "Rina Wijaya"
    assert [h.status for h in now.history] == [OrderStatus.RECEIVED, OrderStatus.ASSIGNED]
    assert _count(store, outbox, "INV-0001") == 0


def test_cursors_are_remembered_and_overwritten(store: OrderStore) -> None:
    assert store.get_cursor("drive-changes") is None
    store.set_cursor("drive-changes", "page-token-001")
    store.set_cursor("drive-changes", "page-token-002")
    store.set_cursor("sheet-etag", 'W/"Ω"')

    assert store.get_cursor("drive-changes") == "page-token-002"
    assert store.get_cursor("sheet-etag") == 'W/"Ω"'


def test_the_head_revision_fulfil_checks_is_alembics_newest() -> None:
    from alembic.script import ScriptDirectory

    from integrations.store.migrate import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == HEAD


def test_history_changes_are_found_by_mark_and_each_queued_trace_is_claimed_once(store: OrderStore) -> None:
    for order_id in ("INV-0001", "INV-0002", "INV-0003"):
        store.save(_order(order_id))
    mark = store.history_mark()
    second = store.get("INV-0002")
    second.comment("Bukti diminta ulang / Proof asked again", actor=SYSTEM, at=NOW)
    store.save(second)

    changes = store.changed_since(mark)
    assert changes == {"INV-0002": len(second.history) - 1}
    assert store.changed_since(mark, upto=mark) == {}

    store.queue_traces({"INV-0001": 0, "INV-0002": 0, "INV-0003": 0}, "intake (1ce0e455)")
    first, rest = store.claim_traces(2), store.claim_traces(5)
    assert [t.order_id for t in first] == ["INV-0001", "INV-0002"]  # oldest first
    assert [t.order_id for t in rest] == ["INV-0003"] and rest[0].run_name == "intake (1ce0e455)"
    assert store.claim_traces(5) == [] and store.trace_backlog_size() == 0
