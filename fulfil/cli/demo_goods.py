"""`fulfil demo --shop goods`: an online store's week, offline, safe to run again.

The shop in examples/goods/ sells T-shirts and caps from stock, shipped by courier: orders come
in with an address and a price (or cash on delivery), stock is reserved and runs low, the
warehouse drops the courier's receipt with the tracking number, buyers get the number, parcels
are delivered, the COD cash is collected, a cap waits for a restock and a T-shirt comes back.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from fulfil import bootstrap
from fulfil.cli._common import console, needs_action_table, order_table, rich_progress
from fulfil.cli._prefect import run_flow
from fulfil.cli.demo import shift_dates
from fulfil.core.staff import first_ops, who
from fulfil.settings import PROJECT_CONFIGS, Settings, load_settings
from fulfil.usecases import admin, attention, notify, shipping
from fulfil.usecases import stock as stock_uc
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.summary import order_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "goods"
EXAMPLE_DAY = date(2026, 11, 23)
SHOP_NAME = "Toko Kaos Nusantara"

# A photo of the courier's receipt, as the warehouse's phone takes it (a JPEG's first bytes).
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\0" * 256
# What the warehouse writes in each parcel's catatan.txt: the courier and its tracking number.
SHIPPED_WITH = {
    "TOKO-0001": "Dikirim JNE, resi 0112 2233 4455 6677",
    "TOKO-0002": "J&T Express resi JP1234567890 (COD Rp237.000)",
    "TOKO-0003": "AnterAja no resi 10000123456789",
    "TOKO-0005": "kurir sicepat resi 004123456789",
}


def goods_demo(home: Path, *, fresh: bool) -> None:
    shop_home = home / "goods-shop"
    if fresh and shop_home.exists():
        shutil.rmtree(shop_home)
    svc = _services(shop_home)
    try:
        _run(svc, _source(shop_home))
        console.print(order_table(order_rows(svc), title=f"fulfil demo --shop goods: {SHOP_NAME}"))
        console.print(needs_action_table(attention.needing_action(svc)))
        _where_to_look(svc, shop_home)
    finally:
        svc.close()


def _services(shop_home: Path) -> Deps:
    """The goods shop's own home and configs: the project's templates and columns, its catalogue."""
    configs = shop_home / "configs"
    if not configs.exists():
        shutil.copytree(PROJECT_CONFIGS, configs)
        shutil.copy(EXAMPLE / "services.yaml", configs / "services.yaml")
    settings: Settings = load_settings().model_copy(
        update={"home": shop_home, "config_dir": configs, "shop_name": SHOP_NAME}
    )
    svc = bootstrap.build(settings)
    svc.progress = rich_progress
    return svc


def _run(svc: Deps, source: Path) -> None:
    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    ops = who(svc.catalogue, first_ops(svc.catalogue)).actor
    console.print(f"[bold]1/6 intake[/] of {source}: stock reserved, invoices for paid orders")
    console.print(f"     {run_flow(svc, intake, source=str(source))}", highlight=False)
    _stock(svc)

    console.print(
        "[bold]2/6 warehouse[/]: packs, hands parcels to couriers, drops receipt and tracking number"
    )
    for order_id, note in SHIPPED_WITH.items():
        folder = svc.settings.home / "drive" / order_id
        if folder.is_dir() and not (folder / "catatan.txt").exists():
            (folder / "foto-resi.jpg").write_bytes(RECEIPT)
            (folder / "catatan.txt").write_text(note + "\n", encoding="utf-8")
            console.print(f"     {order_id}: {note}", highlight=False)
    shipped = run_flow(svc, watch_proofs)
    console.print(f"     proof watch: buyers told their tracking numbers {shipped or ''}", highlight=False)

    console.print("[bold]3/6 couriers deliver[/]; the COD cash of TOKO-0002 is collected")
    for order_id in SHIPPED_WITH:
        order = shipping.confirm_delivery(
            svc, order_id, actor=ops, how="kurir: terkirim / courier: delivered"
        )
        console.print(f"     {order_id} is {order.status}", highlight=False)
    admin.mark_paid(svc, "TOKO-0002", by=first_ops(svc.catalogue))

    console.print("[bold]4/6 restock[/]: 5 caps arrive; TOKO-0004, waiting for stock, goes on")
    if svc.store.get("TOKO-0004").status == "awaiting_stock":
        left, moved = stock_uc.restock(svc, "TOPI-BORDIR", 5)
        steps = DirectSteps(svc)
        steps.dispatch(moved)
        console.print(
            f"     TOPI-BORDIR: {left} available; went on: {', '.join(moved) or '-'}", highlight=False
        )

    console.print("[bold]5/6 a return[/]: TOKO-0005's T-shirt arrived torn; it comes back, refunded")
    if not svc.store.get("TOKO-0005").returns:
        shipping.request_return(
            svc, "TOKO-0005", reason="Kaos sobek di jahitan / torn at the seam", actor=ops
        )
        shipping.return_sent(svc, "TOKO-0005", note="JNE 0199 8877 6655 4433", actor=ops)
        order = shipping.receive_return(svc, "TOKO-0005", outcome="refund", actor=ops)
        console.print(f"     TOKO-0005 is {order.status}; its T-shirt is back in stock", highlight=False)
    notify.send_pending(svc)

    console.print("[bold]6/6 deadline sweep[/]")
    run_flow(svc, deadline_sweep)
    _stock(svc)


def _stock(svc: Deps) -> None:
    for x in stock_uc.levels(svc):
        low = f" — low (< {x.low_at})" if x.low else ""
        console.print(
            f"     stock {x.service_code}: {x.available} available, {x.reserved} reserved, "
            f"{x.consumed} gone out{low}",
            highlight=False,
        )


def _where_to_look(svc: Deps, home: Path) -> None:
    invoices = sorted((home / "invoices").glob("*.pdf"))
    console.print(
        f"Invoices:  {home / 'invoices'} ({len(invoices)} PDF: {', '.join(p.name for p in invoices)})\n"
        f"CRM sheet: {home / 'crm.csv'} ({len(svc.crm.rows())} rows; total, payment, tracking numbers)\n"
        f"Outbox:    {home / 'outbox'} (buyers' messages with tracking numbers, the low-stock alert)\n"
        f"Catalogue: {home / 'configs' / 'services.yaml'} (stock, shipping, prices)\n"
        "Details:   FULFIL_HOME="
        + str(home)
        + " FULFIL_CONFIG_DIR="
        + str(home / "configs")
        + " fulfil orders show TOKO-0005",
        highlight=False,
    )


def _source(home: Path) -> Path:
    """The example's orders with their dates moved to today, written once per home."""
    target = home / "demo" / "orders.csv"
    if not target.exists():
        shift_dates(EXAMPLE / "orders.csv", target, since=EXAMPLE_DAY)
    return target
