"""The flows end to end on Google adapters (Drive, CRM sheet, form sheet) against the loopback
fake Google, on a real Prefect API, with one request in five failing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.core.invoice import INVOICE_ATTACHMENT
from fulfil.core.status import OrderStatus
from fulfil.settings import Settings
from fulfil.testing.fake_google import FakeGoogle
from fulfil.testing.world import build_world
from fulfil.usecases.deps import Deps
from tests.conftest import EXAMPLES, NOW
from tests.google_fixtures import FAST

pytestmark = pytest.mark.prefect


@pytest.fixture
def on_google(prefect_api: str, fake: FakeGoogle, key_json: str, home: Path) -> Iterator[Deps]:
    from fulfil.cli._prefect import flow_settings
    from tasks._runtime import given

    world = build_world(fake, EXAMPLES / "orders.csv")
    fields = {k.removeprefix("FULFIL_").lower(): v for k, v in world.environment(key_json).items()}
    svc = bootstrap.build(Settings(home=home, **fields))
    svc.clock = lambda: NOW
    svc.proofs.policy = FAST  # type: ignore[attr-defined]
    svc.crm.policy = FAST  # type: ignore[attr-defined]
    with flow_settings(), given(svc):
        yield svc
    svc.close()


def _accounts(n: int, start: int = 0) -> bytes:
    rows = "".join(f"akun{i}@gmail.com,Rahasia-{i}\n" for i in range(start, start + n))
    return ("email,password\n" + rows).encode()


PROOFS = {
    "INV-0001": ("akun-gmail.csv", _accounts(10)),
    "INV-0002": ("followers.png", b"\x89PNG" + b"1" * 40),
    "INV-0003": ("serah-terima.pdf", b"%PDF-1.4 selesai"),
    "INV-0008": ("akun-gmail.csv", _accounts(3, start=50)),  # accounts of its own: none sold twice
    "INV-0009": ("followers.jpg", b"\xff\xd8\xff\xe0" + b"2" * 40),
    "INV-0010": ("website.pdf", b"%PDF-1.4 live"),
}


def test_every_order_completes_once_with_one_request_in_five_failing(on_google: Deps, fake) -> None:  # type: ignore[no-untyped-def]
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    svc = on_google
    fake.inject("*", status=503, rate=0.1)
    fake.inject("*", status=429, rate=0.1, retry_after=0)

    intake()  # reads the form responses sheet
    for order_id, (name, content) in PROOFS.items():
        fake.add_file(name, content, svc.proofs.folder_id(order_id))  # type: ignore[attr-defined]
    for _ in range(3):  # a pass may fail on a fault its retries could not absorb; the next goes on
        try:
            watch_proofs()
        except Exception:
            continue

    fake.clear_faults()
    watch_proofs()
    statuses = {o.order_id: o.status for o in svc.store.list()}
    assert all(statuses[i] == OrderStatus.COMPLETED for i in PROOFS)
    crm_ids = [r["ID Order"] for r in svc.crm.rows()]
    assert sorted(crm_ids) == sorted(PROOFS)  # exactly one row each
    for order_id in PROOFS:
        assert [m.kind for m in svc.store.messages(order_id)].count("completed") == 1
    assert sum(1 for r in fake.requests if r.fault) > 0

    # The goods reached their buyers: WEB-UMKM's handover PDF is shared with the Gmail buyer of
    # INV-0003 as reader (the email carries the link); INV-0010's buyer has no Google account, so
    # the PDF rides on the email; GMAIL-BARU's accounts file is attached.
    three = svc.store.get("INV-0003")
    (shared,) = three.handovers
    assert (shared.method, shared.to) == ("share", "dang.thutrang@gmail.com")
    file_id = shared.fingerprint.split(":", 1)[0]
    readers = [p for p in fake.permissions(file_id) if p.get("emailAddress") == shared.to]
    assert [p["role"] for p in readers] == ["reader"]
    (told,) = [m for m in svc.store.messages("INV-0003") if m.kind == "completed"]
    assert shared.link in told.body and shared.link.startswith("https://drive.google.com/file/d/")
    ten = svc.store.get("INV-0010")
    assert [h.method for h in ten.handovers] == ["attachment"]
    assert any("no Google account" in h.comment for h in ten.history)
    (attached,) = [m for m in svc.store.messages("INV-0010") if m.kind == "completed"]
    # The goods themselves, and the invoice printed when the message goes.
    assert attached.attachments == (ten.handovers[0].fingerprint, INVOICE_ATTACHMENT)
    assert [h.method for h in svc.store.get("INV-0001").handovers] == ["attachment"]

    # Each completed order's invoice is filed once in the shop's Drive, in one `Faktur` folder.
    (faktur,) = [f for f in fake.files() if f["name"] == "Faktur" and not f.get("trashed")]
    filed = sorted(f["name"] for f in fake.files() if faktur["id"] in f.get("parents", []))
    numbers = sorted(i.number.replace("/", "-") + ".pdf" for i in svc.store.invoices.all())
    assert filed == numbers and len(numbers) == len({i.order_id for i in svc.store.invoices.all()})
    crm_invoices = {r["ID Order"]: r["Faktur"] for r in svc.crm.rows()}
    assert {i.order_id: i.number for i in svc.store.invoices.all()}.items() <= crm_invoices.items()

    # `fulfil orders unshare INV-0003`: the buyer's access goes, and the record says when.
    from fulfil.usecases import aftersale

    order, withdrawn = aftersale.withdraw_access(svc, "INV-0003", actor="ops:rina")
    assert withdrawn == 1 and order.handovers[0].withdrawn_at is not None
    assert [p for p in fake.permissions(file_id) if p.get("emailAddress") == shared.to] == []
    assert aftersale.withdraw_access(svc, "INV-0003", actor="ops:rina")[1] == 0  # nothing left to withdraw


def test_crm_sheet_holds_text_never_formulas_or_numbers(on_google: Deps, fake) -> None:  # type: ignore[no-untyped-def]
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    svc = on_google
    intake()
    fake.add_file("akun.csv", _accounts(3, start=50), svc.proofs.folder_id("INV-0008"))  # type: ignore[attr-defined]
    fake.add_file("akun.csv", _accounts(10), svc.proofs.folder_id("INV-0001"))  # type: ignore[attr-defined]
    watch_proofs()

    rows = fake.sheet_values(svc.settings.crm_spreadsheet_key, svc.settings.crm_worksheet)
    header, *data = rows
    by_id = {r[0]: dict(zip(header, r, strict=False)) for r in data}
    assert by_id["INV-0008"]["Nama Pembeli"] == "'" + _example("INV-0008")["Nama"]
    assert by_id["INV-0001"]["No. WhatsApp"] == "+6281234567890"  # text: no quote shows before it
    assert all(isinstance(v, str) for r in data for v in r)


def _example(order_id: str) -> dict[str, str]:
    with (EXAMPLES / "orders.csv").open(encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["ID Pesanan"] == order_id)
