"""Two workers on one order at the same moment: exactly one change wins, nothing is doubled."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from fulfil.core.order import SYSTEM, HistoryEntry, Order
from fulfil.core.pipeline import cancel
from fulfil.core.status import OrderStatus
from fulfil.usecases.deps import Deps
from fulfil.usecases.dispatch import dispatch_ready
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.unit_of_work import transact
from tests.conftest import EXAMPLES, NOW

DEADLINE = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)


def _seed(svc: Deps, order_id: str, status: OrderStatus) -> None:
    history = [HistoryEntry(OrderStatus.RECEIVED, "Pesanan masuk dari formulir", SYSTEM, NOW)]
    if status != OrderStatus.RECEIVED:
        history.append(HistoryEntry(status, "Dikirim ke Divisi Akun", SYSTEM, NOW))
    svc.store.save(
        Order(
            order_id=order_id,
            status=status,
            service_code="GMAIL-BARU",
            buyer_name="Siti Nurhaliza",
            buyer_email="siti.nurhaliza@gmail.com",
            phone_raw="081234567890",
            phone="+6281234567890",
            quantity=10,
            deadline=DEADLINE,
            paid=True,
            received_at=NOW,
            history=history,
        )
    )


@contextmanager
def _writes_held(url: str) -> Iterator[None]:
    """Hold the database's write lock, as a long transaction of a third worker would."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("COMMIT")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def _race(*jobs: Callable[[], object]) -> list[object]:
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result(timeout=60) for f in futures]


def _once_both_have_read(barrier: threading.Barrier, decide):  # type: ignore[no-untyped-def]
    """Wrap a decision so the first attempt waits until the other worker has read the order too."""
    calls: list[OrderStatus] = []

    def wrapped(order: Order):  # type: ignore[no-untyped-def]
        calls.append(order.status)
        if len(calls) == 1:
            barrier.wait(timeout=10)
        return decide(order)

    return wrapped, calls


def _assign_if_dispatched(who: str):  # type: ignore[no-untyped-def]
    def decide(order: Order):  # type: ignore[no-untyped-def]
        if order.status != OrderStatus.DISPATCHED:
            return None
        return [] if order.assign(who, lead="Rina Wijaya", at=NOW) else None

    return decide


def _cancel_if_dispatched(order: Order):  # type: ignore[no-untyped-def]
    if order.status != OrderStatus.DISPATCHED:
        return None
    return cancel(order, "Pembeli minta batal", actor="ops:Andi", at=NOW) or None


def test_two_leads_assigning_the_same_order_apply_exactly_one_assignment(make_worker) -> None:  # type: ignore[no-untyped-def]
    one, two = make_worker(), make_worker()
    _seed(one, "INV-0001", OrderStatus.DISPATCHED)
    barrier = threading.Barrier(2)
    rina, rina_calls = _once_both_have_read(barrier, _assign_if_dispatched("Rina Wijaya"))
    bagus, bagus_calls = _once_both_have_read(barrier, _assign_if_dispatched("Bagus Pratama"))

    results = _race(
        lambda: transact(one, "INV-0001", rina),
        lambda: transact(two, "INV-0001", bagus),
    )

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    order = one.store.get("INV-0001")
    assert order.status == OrderStatus.ASSIGNED
    assert order.assignee == winners[0].assignee
    assert [h.status for h in order.history].count(OrderStatus.ASSIGNED) == 1
    assert len(order.history) == 3
    # The loser read again and saw the winner's assignment instead of overwriting it.
    loser_calls = bagus_calls if order.assignee == "Rina Wijaya" else rina_calls
    assert loser_calls == [OrderStatus.DISPATCHED, OrderStatus.ASSIGNED]


def test_a_cancel_racing_an_assignment_applies_only_one_of_them(make_worker) -> None:  # type: ignore[no-untyped-def]
    one, two = make_worker(), make_worker()
    _seed(one, "INV-0009", OrderStatus.DISPATCHED)
    barrier = threading.Barrier(2)
    cancelling, _ = _once_both_have_read(barrier, _cancel_if_dispatched)
    assigning, _ = _once_both_have_read(barrier, _assign_if_dispatched("Bagus Pratama"))

    cancelled, assigned = _race(
        lambda: transact(one, "INV-0009", cancelling, reason="Pembeli minta batal"),
        lambda: transact(two, "INV-0009", assigning),
    )

    assert (cancelled is None) != (assigned is None)
    order = one.store.get("INV-0009")
    moves = [h.status for h in order.history[2:]]
    cancel_messages = [m for m in one.store.messages("INV-0009") if m.kind == "cancelled"]
    if cancelled is not None:
        assert order.status == OrderStatus.CANCELLED and order.assignee == ""
        assert moves == [OrderStatus.CANCELLED]
        assert len(cancel_messages) == 1
        assert "Alasan: Pembeli minta batal" in cancel_messages[0].body
    else:
        assert order.status == OrderStatus.ASSIGNED and order.assignee == "Bagus Pratama"
        assert moves == [OrderStatus.ASSIGNED]
        assert cancel_messages == []


def test_two_intake_runs_dispatching_the_same_order_dispatch_it_once(make_worker, store_url: str) -> None:  # type: ignore[no-untyped-def]
    one, two = make_worker(), make_worker()
    ids = ["INV-0001", "INV-0008", "INV-0012"]
    for order_id in ids:
        _seed(one, order_id, OrderStatus.RECEIVED)
    done: list[str] = []

    for order_id in ids:
        # Both runs read the order (and find or make its folder) while a third transaction holds
        # the write lock, so both decide to dispatch it from the same version before either saves.
        with ThreadPoolExecutor(2) as pool, _writes_held(store_url):
            futures = [pool.submit(dispatch_ready, w, [order_id]) for w in (one, two)]
            time.sleep(0.3)
        results = [f.result(timeout=60) for f in futures]
        assert sorted(results) == [[], [order_id]]
        done += results[0] + results[1]

    assert done == ids
    for order_id in ids:
        order = one.store.get(order_id)
        assert order.status == OrderStatus.DISPATCHED
        assert [h.status for h in order.history].count(OrderStatus.DISPATCHED) == 1
        dispatch_rows = [m for m in one.store.messages(order_id) if m.kind == "dispatch"]
        assert len(dispatch_rows) == 1
        assert dispatch_rows[0].recipient == "tim-akun@localhost"
        assert (one.settings.home / "drive" / order_id).resolve().as_uri() in dispatch_rows[0].body


def test_two_intake_runs_reading_the_same_export_at_once_create_each_order_once(
    make_worker, store_url: str
) -> None:  # type: ignore[no-untyped-def]
    one, two = make_worker(), make_worker()
    rows = [rows_of(w, w.source(EXAMPLES / "orders.csv").read()) for w in (one, two)]

    # Both runs look the orders up (none exist yet) before either can write its first one.
    with ThreadPoolExecutor(2) as pool, _writes_held(store_url):
        futures = [pool.submit(ingest, w, r) for w, r in zip((one, two), rows, strict=True)]
        time.sleep(0.3)
    first, second = (f.result(timeout=60) for f in futures)

    assert first.new + second.new == 13
    assert first.new + first.unchanged == second.new + second.unchanged == 13
    orders = one.store.list()
    assert len(orders) == 13
    for order in orders:
        assert len(order.history) == len({(h.status, h.comment) for h in order.history}), order.order_id
        kinds = [m.kind for m in one.store.messages(order.order_id)]
        assert len(kinds) == len(set(kinds)) <= 1, order.order_id
