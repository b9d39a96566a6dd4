"""An online store's orders (examples/goods/): stock reserved at intake and waiting when none is
left, a low-stock alert once, shipped goods proved by a tracking number the buyer receives,
delivery, cash on delivery, returns, and the report's money. Use cases on the in-memory store."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.needs_action import Reason
from fulfil.core.status import OrderStatus
from fulfil.settings import PROJECT_CONFIGS, Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases import admin, attention, pipeline, revenue, shipping
from fulfil.usecases import stock as stock_uc
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.sweep import sweep_orders
from tests.conftest import EXAMPLES

S = OrderStatus
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = [
    "Timestamp",
    "ID Pesanan",
    "Nama",
    "Email",
    "Kode Layanan",
    "Jumlah",
    "Harga",
    "Alamat",
    "Deadline",
    "Status Pembayaran",
]
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\0" * 64
OPS = "Sari Wulandari"


@pytest.fixture
def shop(home: Path, tmp_path: Path) -> Iterator[Deps]:
    """The goods shop's catalogue with the project's templates, the store in memory, a set clock."""
    configs = tmp_path / "configs"
    shutil.copytree(PROJECT_CONFIGS, configs)
    shutil.copy(EXAMPLES / "goods" / "services.yaml", configs / "services.yaml")
    services = bootstrap.build(Settings(home=home, config_dir=configs), store=MemoryStore())
    services.clock = lambda: NOW
    yield services
    services.close()


def order_row(order_id: str, service: str = "KAOS-POLOS", qty: int = 1, **cells: str) -> dict[str, str]:
    return {
        "Timestamp": "23/11/2026 09:00:00",
        "ID Pesanan": order_id,
        "Nama": f"Pembeli {order_id}",
        "Email": f"{order_id.lower()}@gmail.com",
        "Kode Layanan": service,
        "Jumlah": str(qty),
        "Harga": "",
        "Alamat": "Jl. Melati No. 12, Bandung 40162",
        "Deadline": "30/11/2026",
        "Status Pembayaran": "Lunas",
        **cells,
    }


def take_in(svc: Deps, tmp_path: Path, *rows: dict[str, str]) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    ingest(svc, rows_of(svc, svc.source(path).read()))
    steps = DirectSteps(svc)
    steps.dispatch(None)


def pack(svc: Deps, order_id: str, note: str) -> None:
    """The warehouse hands the parcel over and drops the receipt and the tracking number."""
    folder = svc.settings.home / "drive" / order_id
    (folder / "foto-resi.jpg").write_bytes(RECEIPT)
    (folder / "catatan.txt").write_text(note, encoding="utf-8")
    pipeline.watch(DirectSteps(svc))


def sent(svc: Deps, order_id: str, kind: str) -> list[str]:
    return [m.body for m in svc.store.messages(order_id) if m.kind == kind]


def status(svc: Deps, order_id: str) -> OrderStatus:
    return svc.store.get(order_id).status


def level(svc: Deps, code: str) -> tuple[int, int, int]:
    found = next(x for x in stock_uc.levels(svc) if x.service_code == code)
    return found.available, found.reserved, found.consumed


# ----- stock -----


def test_valid_orders_reserve_stock_and_one_with_none_left_waits_and_its_buyer_is_told(shop, tmp_path):
    # TOPI-BORDIR starts with 3 caps: 2 for the first order, the second asks for 2 of the 1 left.
    take_in(
        shop,
        tmp_path,
        order_row("T-1", "TOPI-BORDIR", 2, Harga="Rp85.000"),
        order_row("T-2", "TOPI-BORDIR", 2, Harga="Rp85.000"),
    )
    assert status(shop, "T-1") == S.DISPATCHED
    assert status(shop, "T-2") == S.AWAITING_STOCK
    assert level(shop, "TOPI-BORDIR") == (1, 2, 0)
    assert "stok" in sent(shop, "T-2", "out_of_stock")[0]
    assert not sent(shop, "T-2", "dispatch")  # the warehouse gets nothing it cannot pack


def test_a_restock_gives_the_waiting_order_its_units_and_it_goes_to_the_warehouse(shop, tmp_path):
    take_in(shop, tmp_path, order_row("T-1", "TOPI-BORDIR", 2), order_row("T-2", "TOPI-BORDIR", 2))
    left, moved = stock_uc.restock(shop, "TOPI-BORDIR", 5)
    steps = DirectSteps(shop)
    steps.dispatch(moved)
    assert (left, moved) == (4, ["T-2"])
    assert status(shop, "T-2") == S.DISPATCHED
    assert sent(shop, "T-2", "in_stock")
    assert level(shop, "TOPI-BORDIR") == (4, 4, 0)


def test_ops_hear_once_when_a_service_falls_under_its_low_stock_threshold(shop, tmp_path):
    # KAOS-POLOS: 10 on the shelf, low under 5. 3 + 2 leaves 5 (not low); the next 1 leaves 4.
    take_in(shop, tmp_path, order_row("K-1", qty=3), order_row("K-2", qty=2))
    take_in(shop, tmp_path, order_row("K-3", qty=1), order_row("K-4", qty=1))
    alerts = [m for m in shop.store.messages() if m.kind == "low_stock"]
    assert [(m.order_id, m.recipient) for m in alerts] == [("K-3", shop.settings.ops_email)]
    assert "KAOS-POLOS" in alerts[0].body
    take_in(shop, tmp_path, order_row("K-3", qty=1), order_row("K-4", qty=1))  # read again: no second
    assert len([m for m in shop.store.messages() if m.kind == "low_stock"]) == 1


def test_cancelling_puts_the_units_back_for_the_order_waiting_for_them(shop, tmp_path):
    take_in(shop, tmp_path, order_row("T-1", "TOPI-BORDIR", 3), order_row("T-2", "TOPI-BORDIR", 1))
    assert status(shop, "T-2") == S.AWAITING_STOCK
    admin.cancel_order(shop, "T-1", reason="pembeli membatalkan", by=OPS)
    assert status(shop, "T-2") == S.RECEIVED  # paid, with its unit: the next pass dispatches it
    assert level(shop, "TOPI-BORDIR") == (2, 1, 0)


def test_an_edited_quantity_changes_what_the_order_holds(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", qty=2, **{"Status Pembayaran": "Belum"}))
    take_in(shop, tmp_path, order_row("K-1", qty=5, **{"Status Pembayaran": "Belum"}))
    assert level(shop, "KAOS-POLOS") == (5, 5, 0)


def test_an_address_is_required_for_shipped_goods(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", Alamat=""))
    order = shop.store.get("K-1")
    assert order.status == S.NEEDS_INFO
    assert [p.field for p in order.problems] == ["address"]
    assert level(shop, "KAOS-POLOS") == (10, 0, 0)  # an order that cannot go holds nothing


# ----- shipping -----


def test_the_buyer_gets_the_courier_and_tracking_number_and_its_page(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", qty=2))
    pack(shop, "K-1", "Sudah dikirim via JNE, resi 0112 2233 4455 6677. Hubungi 081234567890 bila perlu.")
    order = shop.store.get("K-1")
    assert order.status == S.SHIPPED
    assert (order.shipments[0].courier, order.shipments[0].number) == ("JNE", "0112223344556677")
    body = sent(shop, "K-1", "shipped:1")[0]
    assert "0112223344556677" in body and "JNE" in body
    assert "jne.co.id" in body  # the courier's own tracking page
    assert level(shop, "KAOS-POLOS") == (8, 0, 2)  # gone out with the courier


def test_a_tracking_number_that_does_not_fit_the_courier_goes_back_to_the_warehouse(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1"))
    pack(shop, "K-1", "JNE resi 12")
    assert status(shop, "K-1") == S.DISPATCHED
    rejected = [m for m in shop.store.messages("K-1") if m.kind.startswith("proof_rejected")]
    assert len(rejected) == 1 and "JNE" in rejected[0].body and "12" in rejected[0].body
    assert rejected[0].recipient == "gudang@localhost"


def test_a_courier_the_service_does_not_ship_with_is_refused(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1"))
    pack(shop, "K-1", "AnterAja 10000123456789")  # KAOS-POLOS ships with JNE, J&T, SiCepat
    assert status(shop, "K-1") == S.DISPATCHED
    assert "AnterAja" in shop.store.get("K-1").history[-1].comment


def test_delivery_completes_the_order_and_its_invoice_bills_the_items_and_the_shipping(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", qty=2))
    pack(shop, "K-1", "J&T JP1234567890")
    order = shipping.confirm_delivery(shop, "K-1", actor="ops:Sari Wulandari", how="kurir: terkirim")
    assert order.status == S.COMPLETED
    assert order.shipments[-1].delivered_at == NOW
    # 2 × Rp75.000 + Rp12.000 shipping; the paid order's invoice came with its confirmation.
    assert "Rp162.000" in sent(shop, "K-1", "confirmation")[0]
    assert "Rp162.000" in shop.crm.rows()[0]["Total"]


def test_a_form_price_prices_an_item_the_catalogue_does_not(shop, tmp_path):
    take_in(shop, tmp_path, order_row("T-1", "TOPI-BORDIR", 2, Harga="Rp85.000"))
    # 2 × Rp85.000 + Rp15.000 shipping
    assert "Rp185.000" in sent(shop, "T-1", "confirmation")[0]


def test_a_shipped_order_counts_as_delivered_after_its_services_days(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1"))
    pack(shop, "K-1", "sicepat 004123456789")
    sweep_orders(shop, now=NOW + timedelta(days=4))
    assert status(shop, "K-1") == S.SHIPPED
    sweep_orders(shop, now=NOW + timedelta(days=5, minutes=1))  # KAOS-POLOS: delivered_after_days 5
    assert status(shop, "K-1") == S.COMPLETED
    assert sent(shop, "K-1", "completed")


# ----- cash on delivery -----


def test_cod_goes_out_unpaid_is_collected_later_and_is_listed_when_it_is_not(shop, tmp_path):
    take_in(
        shop,
        tmp_path,
        order_row("K-1", **{"Status Pembayaran": "COD"}),
        order_row("K-2", **{"Status Pembayaran": "COD"}),
    )
    assert status(shop, "K-1") == S.DISPATCHED and not shop.store.get("K-1").paid
    for order_id in ("K-1", "K-2"):
        pack(shop, order_id, "JNE 0112223344556677")
        shipping.confirm_delivery(shop, order_id, actor="ops:Sari Wulandari", how="kurir")
    admin.mark_paid(shop, "K-1", by=OPS)
    assert shop.store.get("K-1").paid
    shop.clock = lambda: NOW + timedelta(days=4)  # cod_collect_days: 3
    found = {(n.order_id, n.reason) for n in attention.needing_action(shop)}
    assert found == {("K-2", Reason.COD_UNCOLLECTED)}
    money = "\n".join(revenue.money_lines(shop, shop.store.list(), NOW - timedelta(days=1)))
    assert "Cash on delivery to collect: 1 (Rp87.000)" in money
    assert "Revenue: Rp87.000" in money  # K-1 collected; K-2 not yet


def test_cod_is_refused_for_what_is_not_shipped(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", **{"Status Pembayaran": "COD", "Alamat": ""}))
    assert {p.field for p in shop.store.get("K-1").problems} == {"address"}


# ----- returns -----


def test_a_return_within_the_window_is_refunded_and_its_units_go_back_on_the_shelf(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1", qty=2))
    pack(shop, "K-1", "JNE 0112223344556677")
    shipping.confirm_delivery(shop, "K-1", actor="ops:Sari Wulandari", how="kurir")
    assert level(shop, "KAOS-POLOS") == (8, 0, 2)
    shipping.request_return(shop, "K-1", reason="sobek", actor="ops:Sari Wulandari")
    assert sent(shop, "K-1", "return_accepted:1")
    shipping.return_sent(shop, "K-1", note="J&T JP1234567891", actor="ops:Sari Wulandari")
    order = shipping.receive_return(shop, "K-1", outcome="refund", actor="ops:Sari Wulandari")
    assert order.status == S.REFUNDED
    assert order.refunds[-1].amount == 162_000 and order.refunds[-1].full
    assert (order.returns[-1].courier, order.returns[-1].tracking) == ("JNT", "JP1234567891")
    assert level(shop, "KAOS-POLOS") == (10, 0, 0)
    shipping.receive_return(shop, "K-1", outcome="refund", actor="ops:Sari Wulandari")  # said again
    assert level(shop, "KAOS-POLOS") == (10, 0, 0)
    assert len(shop.store.get("K-1").refunds) == 1


def test_a_return_after_the_window_needs_ops_override(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1"))
    pack(shop, "K-1", "JNE 0112223344556677")
    shipping.confirm_delivery(shop, "K-1", actor="ops:Sari Wulandari", how="kurir")
    shop.clock = lambda: NOW + timedelta(days=8)  # return_days: 7
    with pytest.raises(ForbiddenTransition, match="7-day return window"):
        shipping.request_return(shop, "K-1", reason="tidak cocok", actor="ops:Sari Wulandari")
    order = shipping.request_return(
        shop, "K-1", reason="tidak cocok", actor="ops:Sari Wulandari", override="pelanggan tetap"
    )
    assert order.status == S.RETURN_REQUESTED


def test_a_replaced_return_ships_again_through_rework(shop, tmp_path):
    take_in(shop, tmp_path, order_row("K-1"))
    pack(shop, "K-1", "JNE 0112223344556677")
    shipping.confirm_delivery(shop, "K-1", actor="ops:Sari Wulandari", how="kurir")
    shipping.request_return(shop, "K-1", reason="ukuran salah", actor="ops:Sari Wulandari")
    order = shipping.receive_return(shop, "K-1", outcome="replace", actor="ops:Sari Wulandari")
    assert order.status == S.REWORK
    assert level(shop, "KAOS-POLOS") == (9, 1, 0)  # the returned shirt is back, the replacement held
    shop.clock = lambda: NOW + timedelta(hours=1)
    (shop.settings.home / "drive" / "K-1" / "resi-pengganti.jpg").write_bytes(RECEIPT + b"2")
    (shop.settings.home / "drive" / "K-1" / "notes.txt").write_text("SiCepat 004123456780")
    pipeline.watch(DirectSteps(shop))
    order = shop.store.get("K-1")
    assert order.status == S.SHIPPED
    assert [x.number for x in order.shipments] == ["0112223344556677", "004123456780"]
    assert sent(shop, "K-1", "shipped:2")
