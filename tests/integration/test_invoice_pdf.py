"""The invoice PDF as a buyer's viewer shows it: rasterised by poppler's pdftoppm and read back by
its pdftotext (Debian's poppler-utils; .ci/chromium.sh installs it in CI)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from fulfil.core.invoice import Invoice, Line
from integrations.invoices.pdf import printable, render_invoice

NUMBER = "INV/2026/11/0001"
A4 = 297 / 210

needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pdftoppm", "pdftotext", "pdfinfo")),
    reason="poppler's pdftoppm/pdftotext/pdfinfo missing: apt-get install poppler-utils (CI has it)",
)


def _invoice(**changes: object) -> Invoice:
    fields: dict[str, object] = {
        "number": NUMBER,
        "order_id": "ORD-7F3A",
        # 20:30 UTC on 2 November is 3 November on the shop's clock (Asia/Jakarta).
        "issued_at": datetime(2026, 11, 2, 20, 30, tzinfo=UTC),
        "buyer_name": "Đặng Thu Trang",
        "lines": (Line("Akun Gmail baru", 10, 15_000), Line("Ongkos kirim", 1, 20_000)),
        "shop_name": "Toko Digital Nusantara",
    }
    fields.update(changes)
    return Invoice(**fields)  # type: ignore[arg-type]


def _write(tmp_path: Path, invoice: Invoice) -> Path:
    path = tmp_path / invoice.file_name
    path.write_bytes(render_invoice(invoice))
    return path


def _text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


@needs_poppler
def test_the_invoice_prints_on_a4_with_its_number_buyer_and_total(tmp_path: Path) -> None:
    invoice = _invoice()
    assert invoice.total_text == "Rp170.000"
    pdf = _write(tmp_path, invoice)
    assert pdf.read_bytes().startswith(b"%PDF-")

    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = tmp_path / "page.png"
    assert png.is_file()
    with Image.open(png) as image:
        assert image.format == "PNG"
        image.verify()
    with Image.open(png) as image:
        width, height = image.size
    # A4 at 100 dpi: 827 × 1169 pixels.
    assert abs(width - 827) <= 2 and abs(height - 1169) <= 2
    assert height / width == pytest.approx(A4, rel=0.01)

    text = _text(pdf)
    for expected in (
        "Toko Digital Nusantara",
        "FAKTUR / INVOICE",
        NUMBER,
        "03/11/2026",
        "ORD-7F3A",
        "Kepada / To:",
        "Đặng Thu Trang",
        "Akun Gmail baru",
        "Rp15.000",
        "Rp150.000",
        "Ongkos kirim",
        "Rp20.000",
        "Total: Rp170.000",
    ):
        assert expected in text, expected
    assert "VOID" not in text


@needs_poppler
def test_the_title_is_the_invoice_number(tmp_path: Path) -> None:
    pdf = _write(tmp_path, _invoice())
    done = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60)
    info = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    assert info["Title"].strip() == NUMBER
    assert info["Page size"].strip().startswith("595.28 x 841.89 pts (A4)")
    assert info["CreationDate"].strip()  # set from the issue time, checked below


@needs_poppler
def test_a_voided_invoice_says_so_with_the_reason(tmp_path: Path) -> None:
    voided = _invoice(voided_at=datetime(2026, 11, 5, 1, 0, tzinfo=UTC), void_reason="Pembeli minta batal")
    text = _text(_write(tmp_path, voided))
    assert "DIBATALKAN / VOID" in text
    assert "Pembeli minta batal" in text
    assert "05/11/2026" in text
    assert NUMBER in text and "Rp170.000" in text  # still the same invoice, marked


def test_the_same_invoice_renders_to_the_same_bytes() -> None:
    first = render_invoice(_invoice())
    assert render_invoice(_invoice()) == first
    assert b"/CreationDate (D:20261102203000Z" in first
    # A different invoice is a different file (the PDF's ID follows the content).
    assert render_invoice(_invoice(buyer_name="Dang Thu Trang")) != first


@needs_poppler
def test_characters_the_font_lacks_do_not_stop_the_invoice(tmp_path: Path) -> None:
    buyer = "Đặng Thu Trang 👩‍👩‍👧👍🏽 ❤️ Σοφία Дарья"
    text = _text(_write(tmp_path, _invoice(buyer_name=buyer)))
    assert "Đặng Thu Trang" in text
    assert "Σοφία Дарья" in text
    assert "👍" not in text and "👩" not in text
    # One "�" for the whole emoji sequence, the joiners and skin tone with it.
    assert printable(buyer) == "Đặng Thu Trang \ufffd ❤️ Σοφία Дарья"


def test_whitespace_in_a_name_prints_as_single_spaces() -> None:
    assert printable("  Siti\nNurhaliza\t ") == "Siti Nurhaliza"
    assert printable("عبد الله") == "عبد الله"  # DejaVu Sans has Arabic letters
