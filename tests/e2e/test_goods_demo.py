"""`fulfil demo --shop goods`: the online store's week through the real CLI and Prefect, run
twice; and the online store's actions offered in the Prefect UI only to a shop that has them."""

from __future__ import annotations

import email
import email.policy
import subprocess
from pathlib import Path

import pytest

from fulfil.settings import PROJECT_CONFIGS, Settings
from tests.conftest import EXAMPLES
from tests.e2e.test_cli import run

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _message(outbox: Path, name: str) -> email.message.EmailMessage:
    parsed = email.message_from_bytes((outbox / name).read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _text(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_the_goods_shop_runs_its_week_end_to_end_and_again_changes_nothing(cli_env, home: Path) -> None:  # type: ignore[no-untyped-def]
    out = run(cli_env, "demo", "--shop", "goods").stdout
    shop = home / "goods-shop"
    outbox = shop / "outbox"

    # Stock reserved at intake, a low-stock alert to ops, and a cap that waited for a restock.
    assert "stock KAOS-POLOS: 2 available, 8 reserved, 0 gone out — low (< 5)" in out
    assert "TOPI-BORDIR: 4 available; went on: TOKO-0004" in out
    low = _message(outbox, "TOKO-0005.low_stock.eml")
    assert low["To"] == "ops@localhost" and "KAOS-POLOS" in _text(low)
    assert "stok" in _text(_message(outbox, "TOKO-0004.out_of_stock.eml")).lower()

    # The buyer receives the courier, the tracking number and the courier's page; the team got
    # the address, which goes nowhere else.
    shipped = _message(outbox, "TOKO-0001.shipped_1.eml")
    assert shipped["To"] == "rahmat.hidayat@gmail.com"
    assert "0112223344556677" in shipped["Subject"] and "jne.co.id" in _text(shipped)
    assert "Jl. Melati No. 12" in _text(_message(outbox, "TOKO-0001.dispatch.eml"))
    assert "Jl. Melati" not in (shop / "crm.csv").read_text(encoding="utf-8")

    # Cash on delivery: collected after delivery, and its invoice comes with that message.
    paid = _message(outbox, "TOKO-0002.confirmation_paid.eml")
    (invoice,) = [p for p in paid.iter_attachments() if p.get_content_type() == "application/pdf"]
    pdf = shop / "invoices" / str(invoice.get_filename())
    assert pdf.read_bytes() == invoice.get_content()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Lestari Ayu" in text and "Rp237.000" in text  # 3 × Rp75.000 + Rp12.000 shipping

    # A return, refunded in full; its shirt back on the shelf.
    assert "TOKO-0005 is refunded; its T-shirt is back in stock" in out
    assert "Rp87.000" in _text(_message(outbox, "TOKO-0005.refunded_1.eml"))
    invoices = sorted(p.name for p in (shop / "invoices").glob("*.pdf"))
    assert len(invoices) == 4  # the three paid orders and the COD one once collected

    before = sorted(p.name for p in outbox.iterdir())
    again = run(cli_env, "demo", "--shop", "goods").stdout
    assert sorted(p.name for p in outbox.iterdir()) == before  # nothing sent twice
    assert sorted(p.name for p in (shop / "invoices").glob("*.pdf")) == invoices  # no number reused
    assert "stock KAOS-POLOS: 3 available, 2 reserved, 5 gone out" in again


def test_the_ui_offers_delivery_returns_and_restock_only_to_a_shop_with_goods(tmp_path: Path) -> None:
    from flows.serve import admin_deployments

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "services.yaml").write_bytes((EXAMPLES / "goods" / "services.yaml").read_bytes())
    goods = {p.name: p for p in admin_deployments(Settings(home=tmp_path, config_dir=configs))}
    services = {p.name for p in admin_deployments(Settings(home=tmp_path, config_dir=PROJECT_CONFIGS))}
    extra = {"confirm-delivery", "return-order", "receive-return", "restock"}
    assert extra <= set(goods) and not extra & services
    assert goods["restock"].choices["service"] == ["KAOS-POLOS", "TOPI-BORDIR"]
    # The warehouse member may confirm a delivery, not take a return in.
    assert "Wati Kurniasih" in goods["confirm-delivery"].choices["by"]
    assert "Wati Kurniasih" not in goods["receive-return"].choices["by"]
