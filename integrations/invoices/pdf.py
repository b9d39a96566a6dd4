"""An invoice printed as an A4 PDF with fpdf2: Bahasa Indonesia first, English beside it.

The text is set in DejaVu Sans, embedded (a subset) from the copy matplotlib ships, so no system
font is needed and any Latin, Vietnamese, Greek, Cyrillic or Arabic buyer name prints (Arabic
letters unjoined and left to right: joining and right-to-left order need fpdf2's text shaping,
i.e. uharfbuzz, which fulfil does not install). Characters DejaVu Sans has no glyph for (emoji)
print as one U+FFFD "�" per run instead of an empty gap.

The same invoice prints the same bytes: the PDF's creation date is the invoice's issue time and
fpdf2 derives the file ID from the content, so a rerun can tell that nothing changed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import FontFace

from fulfil.core.invoice import Invoice
from fulfil.core.money import rupiah

FONT = "DejaVu"
REPLACEMENT = "\ufffd"
# Joiners and variation selectors that belong to an emoji sequence (👨‍👩‍👧, ❤️): DejaVu Sans
# has them, so they would survive next to the replaced emoji; they are folded into its "�".
_GLUE = "\u200d\ufe00-\ufe0f"
_RUN = re.compile(f"[{_GLUE}]*{REPLACEMENT}(?:[{_GLUE}]*{REPLACEMENT})*[{_GLUE}]*")
_RED = (180, 0, 0)
_GREY = (235, 235, 235)


def font_files() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold, as matplotlib (a fulfil dependency) ships them."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


@cache
def _covered() -> frozenset[int]:
    """The code points both faces have a glyph for."""
    regular, bold = (frozenset(TTFont(path).getBestCmap()) for path in font_files())
    return regular & bold


def printable(text: str) -> str:
    """The text as the font can print it: whitespace (newlines, tabs) as single spaces, and each
    run of characters without a glyph (an emoji with its joiners and selectors) as one "�"."""
    covered = _covered()
    text = " ".join(text.split())
    marked = "".join(ch if ord(ch) in covered and ch != REPLACEMENT else REPLACEMENT for ch in text)
    return _RUN.sub(REPLACEMENT, marked)


def _local(moment: datetime, tz: str) -> datetime:
    """The moment on the shop's clock (a naive one is taken as already on it)."""
    return moment.astimezone(ZoneInfo(tz)) if moment.tzinfo else moment


def _date(moment: datetime, tz: str) -> str:
    return _local(moment, tz).strftime("%d/%m/%Y")


def render_invoice(invoice: Invoice, *, lang: str = "id", tz: str = "Asia/Jakarta") -> bytes:
    """The invoice as A4 PDF bytes. Labels are always both languages, Indonesian first; `lang`
    (the buyer's, "id" or "en") is the document's language tag, `tz` the shop's clock the dates
    are printed on. The PDF's title is the invoice number."""
    regular, bold = font_files()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(invoice.number)
    pdf.set_author(printable(invoice.shop_name))
    pdf.set_subject(f"Faktur / Invoice {invoice.number} ({invoice.order_id})")
    pdf.set_lang("en" if lang == "en" else "id")
    pdf.set_creator("fulfil")
    issued = invoice.issued_at if invoice.issued_at.tzinfo else invoice.issued_at.replace(tzinfo=UTC)
    pdf.set_creation_date(issued)  # never the wall clock: the same invoice, the same bytes
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT, "", regular)
    pdf.add_font(FONT, "B", bold)
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, printable(invoice.shop_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 9, "FAKTUR / INVOICE", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    if invoice.voided_at is not None:
        _void_mark(pdf, invoice, tz)

    pdf.set_font(FONT, "", 10)
    for label, value in (
        ("Nomor / Number", invoice.number),
        ("Tanggal / Date", _date(invoice.issued_at, tz)),
        ("ID Pesanan / Order ID", invoice.order_id),
        ("Kepada / To", invoice.buyer_name),
    ):
        pdf.set_font(FONT, "B", 10)
        pdf.cell(50, 6, f"{label}:")
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 6, printable(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    _lines(pdf, invoice)

    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, f"Total: {invoice.total_text}", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _void_mark(pdf: FPDF, invoice: Invoice, tz: str) -> None:
    """A red framed banner above everything else: this invoice no longer bills anything."""
    assert invoice.voided_at is not None
    pdf.set_draw_color(*_RED)
    pdf.set_text_color(*_RED)
    pdf.set_line_width(0.8)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 13, "DIBATALKAN / VOID", border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    said = f"Dibatalkan / Voided: {_date(invoice.voided_at, tz)}"
    reason = printable(invoice.void_reason)
    if reason:
        said += f" — Alasan / Reason: {reason}"
    pdf.multi_cell(0, 6, said, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(3)


def _lines(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_font(FONT, "", 10)
    heading = FontFace(emphasis="BOLD", fill_color=_GREY)
    with pdf.table(
        col_widths=(48, 12, 20, 20),
        headings_style=heading,
        line_height=6,
        text_align="LEFT",
        padding=1.5,
    ) as table:
        head = table.row()
        head.cell("Deskripsi / Description")
        head.cell("Jml / Qty", align="RIGHT")
        head.cell("Harga satuan / Unit price", align="RIGHT")
        head.cell("Jumlah / Amount", align="RIGHT")
        for line in invoice.lines:
            row = table.row()
            row.cell(printable(line.description))
            row.cell(f"{line.quantity:,}".replace(",", "."), align="RIGHT")
            row.cell(rupiah(line.unit_price), align="RIGHT")
            row.cell(rupiah(line.amount), align="RIGHT")
