"""CsvCrmSheet on a real file: one row per order, safe to open in a spreadsheet, never the wrong columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from fulfil.config import load_crm_columns
from fulfil.settings import PROJECT_CONFIGS
from integrations.crm.local_csv import CrmFileError, CsvCrmSheet

HEADER = load_crm_columns(PROJECT_CONFIGS).header


def _row(order_id: str, **values: str) -> dict[str, str]:
    row = {
        "ID Order": order_id,
        "Nama Pembeli": "Siti Nurhaliza",
        "Email": "siti.nurhaliza@gmail.com",
        "No. WhatsApp": "081234567890",
        "Kode Layanan": "GMAIL-BARU",
        "Jumlah": "10",
        "Status": "proof_received",
    }
    row.update(values)
    return row


def _cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_the_sheet_starts_with_the_header_and_the_order_id_first(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    CsvCrmSheet(path, HEADER).upsert([_row("INV-0001")])

    cells = _cells(path)
    assert cells[0] == HEADER
    assert cells[0][0] == "ID Order"
    assert [r[0] for r in cells[1:]] == ["INV-0001"]
    assert len(cells[1]) == len(HEADER)


def test_writing_the_same_order_again_updates_its_row(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    sheet = CsvCrmSheet(path, HEADER)
    sheet.upsert([_row("INV-0001"), _row("INV-0003", **{"Nama Pembeli": "Đặng Thu Trang"})])

    sheet.upsert([_row("INV-0001", Status="completed", Selesai="23/11/2026 10:00 WIB")])

    rows = sheet.rows()
    assert [r["ID Order"] for r in rows] == ["INV-0001", "INV-0003"]
    assert rows[0]["Status"] == "completed"
    assert rows[0]["Selesai"] == "23/11/2026 10:00 WIB"
    assert rows[1]["Nama Pembeli"] == "Đặng Thu Trang"
    assert len(_cells(path)) == 3
    assert not (tmp_path / ".crm.csv.tmp").exists()


def test_cells_a_spreadsheet_would_run_are_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    sheet = CsvCrmSheet(path, HEADER)
    sheet.upsert(
        [
            _row(
                "INV-0008",
                **{
                    "Nama Pembeli": '=HYPERLINK("http://evil.example/","Klik saya")',
                    "No. WhatsApp": "+6285712345678",
                    "Catatan Tim": "-2+3",
                    "Dikerjakan oleh": "@Bagus Pratama",
                },
            )
        ]
    )
    sheet.upsert([_row("INV-0001")])  # rewriting the file keeps the guard

    for cell in (c for row in _cells(path) for c in row):
        # A bare phone number runs nothing and stays as written (see the test below).
        assert not cell.startswith(("=", "+", "-", "@")) or cell == "+6285712345678", cell
    eight = next(r for r in sheet.rows() if r["ID Order"] == "INV-0008")
    assert eight["Nama Pembeli"] == '\'=HYPERLINK("http://evil.example/","Klik saya")'
    assert eight["No. WhatsApp"] == "+6285712345678"
    assert eight["Catatan Tim"] == "'-2+3"
    assert eight["Dikerjakan oleh"] == "'@Bagus Pratama"


def test_a_phone_number_keeps_its_leading_zero(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    CsvCrmSheet(path, HEADER).upsert([_row("INV-0001", **{"No. WhatsApp": "081234567890"})])

    assert _cells(path)[1][HEADER.index("No. WhatsApp")] == "081234567890"


def test_a_phone_number_keeps_its_plus_without_a_quote(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    CsvCrmSheet(path, HEADER).upsert([_row("INV-0001", **{"No. WhatsApp": "+6281234567890"})])

    assert _cells(path)[1][HEADER.index("No. WhatsApp")] == "+6281234567890"


def test_a_sheet_with_other_columns_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    theirs = "ID Order,Nama Pembeli,Nomor HP,Total Bayar\nINV-0001,Siti Nurhaliza,081234567890,150000\n"
    path.write_text(theirs, encoding="utf-8")

    with pytest.raises(CrmFileError) as caught:
        CsvCrmSheet(path, HEADER).upsert([_row("INV-0002")])

    message = str(caught.value)
    assert str(path) in message
    assert "missing" in message and "'No. WhatsApp'" in message and "'Email'" in message
    assert "unexpected" in message and "'Nomor HP'" in message and "'Total Bayar'" in message
    assert path.read_text(encoding="utf-8") == theirs


def test_a_sheet_with_the_columns_reordered_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    swapped = [HEADER[1], HEADER[0], *HEADER[2:]]
    path.write_text(",".join(swapped) + "\n", encoding="utf-8")

    with pytest.raises(CrmFileError, match="same columns in another order"):
        CsvCrmSheet(path, HEADER).upsert([_row("INV-0001")])
    assert path.read_text(encoding="utf-8") == ",".join(swapped) + "\n"


def test_a_sheet_saved_by_excel_with_a_bom_is_still_recognised(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    sheet = CsvCrmSheet(path, HEADER)
    sheet.upsert([_row("INV-0001")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    sheet.upsert([_row("INV-0001", Status="completed"), _row("INV-0002")])

    assert [(r["ID Order"], r["Status"]) for r in sheet.rows()] == [
        ("INV-0001", "completed"),
        ("INV-0002", "proof_received"),
    ]


def test_a_file_from_before_an_upgrade_gets_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    old_header = HEADER[:-3]  # before Diserahkan, Klaim and Refund were added
    path.write_text(",".join(old_header) + "\nINV-0001," + ",".join(["x"] * (len(old_header) - 1)) + "\n")
    sheet = CsvCrmSheet(path, HEADER)
    assert [r["ID Order"] for r in sheet.rows()] == ["INV-0001"]
    sheet.upsert([_row("INV-0002")])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(HEADER)
    assert lines[1].startswith("INV-0001,x,") and lines[1].endswith(",,,")
    assert [r["ID Order"] for r in sheet.rows()] == ["INV-0001", "INV-0002"]
