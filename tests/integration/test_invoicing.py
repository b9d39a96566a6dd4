"""Invoices over the local adapters: a real SQLite store, the .eml outbox, the CSV CRM and the
PDF as poppler's pdftotext reads it (Debian's poppler-utils; .ci/chromium.sh installs it)."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from fulfil.core.catalogue import InvoicePolicy
from fulfil.core.invoice import IssueWhen
from fulfil.core.status import OrderStatus
from fulfil.usecases import admin, notify, pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import EXAMPLES, NOW

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler's pdftotext missing: apt-get install poppler-utils"
)


def _accounts(n: int) -> bytes:
    return (
        "email,password\n" + "".join(f"toko{i:02d}@gmail.com,Rahasia#{i:02d}\n" for i in range(n))
    ).encode()


def _drop(home: Path, order_id: str, name: str, content: bytes) -> None:
    path = home / "drive" / order_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _emails(home: Path, order_id: str, kind: str) -> list[EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((home / "outbox").glob(f"{order_id}.{kind}*.eml"))
    ]


def _pdfs(message: EmailMessage) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            found[str(part.get_filename())] = part.get_payload(decode=True)  # type: ignore[assignment]
    return found


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def _crm_invoice(svc: Deps, order_id: str) -> str:
    (row,) = [r for r in svc.crm.rows() if r["ID Order"] == order_id]
    return row["Faktur"]


@needs_poppler
def test_the_completion_message_brings_the_invoice_numbered_once(
    dispatched: Deps, home: Path, tmp_path: Path
) -> None:
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))
    assert pipeline.watch(DirectSteps(dispatched)) == ["INV-0001"]

    (completed,) = _emails(home, "INV-0001", "completed")
    pdfs = _pdfs(completed)
    assert list(pdfs) == ["INV-2026-11-0001.pdf"]
    text = _text(pdfs["INV-2026-11-0001.pdf"], tmp_path)
    for seen in ("INV/2026/11/0001", "INV-0001", "Siti Nurhaliza", "Rp15.000", "Total: Rp150.000"):
        assert seen in text, seen
    # Kept where the shop files it, and named in the CRM row.
    assert (home / "invoices" / "INV-2026-11-0001.pdf").read_bytes() == pdfs["INV-2026-11-0001.pdf"]
    assert _crm_invoice(dispatched, "INV-0001") == "INV/2026/11/0001"
    # The team's other messages and the buyer's confirmation carry no invoice.
    (confirmation,) = _emails(home, "INV-0001", "confirmation")
    assert _pdfs(confirmation) == {}

    # A rerun (and the next order) never takes the number again.
    pipeline.watch(DirectSteps(dispatched))
    _drop(home, "INV-0002", "followers.png", b"\x89PNG\r\n\x1a\n" + b"\x02" * 512)
    assert pipeline.watch(DirectSteps(dispatched)) == ["INV-0002"]
    assert [i.number for i in dispatched.store.invoices.all()] == ["INV/2026/11/0001", "INV/2026/11/0002"]
    assert list(_pdfs(_emails(home, "INV-0002", "completed")[0])) == ["INV-2026-11-0002.pdf"]
    assert len(_emails(home, "INV-0001", "completed")) == 1


@needs_poppler
def test_an_order_invoiced_on_payment_and_then_cancelled_keeps_its_number_voided(
    svc: Deps, home: Path, tmp_path: Path
) -> None:
    svc.catalogue = svc.catalogue.model_copy(update={"invoices": InvoicePolicy(when=IssueWhen.PAID)})
    svc.clock = lambda: NOW
    steps = DirectSteps(svc)
    steps.ingest(str(EXAMPLES / "orders.csv"))
    notify.send_pending(svc)

    (confirmation,) = _emails(home, "INV-0001", "confirmation")
    assert list(_pdfs(confirmation)) == ["INV-2026-11-0001.pdf"]
    # An unpaid order's confirmation brings none: it is not invoiced until it is paid.
    assert svc.store.get("INV-0007").status == OrderStatus.AWAITING_PAYMENT
    (unpaid,) = _emails(home, "INV-0007", "confirmation")
    assert _pdfs(unpaid) == {}
    issued = {i.order_id for i in svc.store.invoices.all()}
    assert "INV-0001" in issued and "INV-0007" not in issued
    # Marked paid later by ops: the "paid, passed to the team" message brings its invoice.
    admin.mark_paid(svc, "INV-0007", by="Sari Wulandari")
    notify.send_pending(svc)
    (paid,) = _emails(home, "INV-0007", "confirmation_paid")  # key confirmation:paid
    assert len(_pdfs(paid)) == 1

    admin.cancel_order(svc, "INV-0001", reason="Pembeli minta batal", by="Sari Wulandari")

    (voided,) = [i for i in svc.store.invoices.all() if i.order_id == "INV-0001"]
    assert voided.number == "INV/2026/11/0001" and voided.voided_at is not None
    kept = _text((home / "invoices" / "INV-2026-11-0001.pdf").read_bytes(), tmp_path)
    assert "DIBATALKAN / VOID" in kept and "Pembeli minta batal" in kept
    # The next invoice takes the next number: the voided one is never given again.
    assert {i.number for i in svc.store.invoices.all()} == {
        f"INV/2026/11/{n:04d}" for n in range(1, len(svc.store.invoices.all()) + 1)
    }
