"""FileOrderSource on real CSV and XLSX files: every cell comes back as the text the shop wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from fulfil.usecases.intake import ingest, rows_of
from integrations.ports import AdapterError
from integrations.source.files import FileOrderSource
from tests.conftest import EXAMPLES, NOW
from tests.unit.test_intake_mapping import FORM_HEADERS

HEADER = FORM_HEADERS  # the header of examples/orders.csv


def _xlsx(path: Path, *rows: list[object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["ID Pesanan"]: r for r in rows}


def test_the_example_export_is_read_as_text_cell_for_cell() -> None:
    (table,) = FileOrderSource(EXAMPLES / "orders.csv").read()

    assert table.name == "orders.csv"
    assert table.headers == HEADER
    assert len(table.rows) == 14
    assert all(isinstance(v, str) for row in table.rows for v in row.values())
    rows = _by_id(table.rows)
    assert rows["INV-0001"]["No. WhatsApp"] == "081234567890"
    assert rows["INV-0002"]["No. WhatsApp"] == "+6285712345678"
    assert rows["INV-0008"]["Nama"] == '=HYPERLINK("http://evil.example/","Klik saya")'
    assert rows["INV-0003"]["Nama"] == "Đặng Thu Trang"
    assert rows["INV-0004"]["Nama"] == "Rizky Ramadhan 🚀"
    assert rows["INV-0004"]["Jumlah"] == ""  # empty stays empty, not "nan"
    assert rows["INV-0011"]["Jumlah"] == "sepuluh"
    assert rows["INV-0012"]["Deadline"] == ""
    assert rows[""]["Nama"] == "Wahyu Hidayat"


def test_an_xlsx_with_numeric_cells_reads_and_ingests_like_the_csv(tmp_path: Path, svc) -> None:  # type: ignore[no-untyped-def]
    svc.clock = lambda: NOW
    path = _xlsx(
        tmp_path / "pesanan.xlsx",
        ["23/11/2026 08:02:11", "INV-0101", "Siti Nurhaliza", "siti.nurhaliza@gmail.com", 812345678901,
         "GMAIL-BARU", 25, "30/11/2026", None, "Lunas", "Indonesia"],
        ["23/11/2026 08:10:00", "INV-0102", "Budi Santoso", "budi.santoso@yahoo.co.id", "081234567890",
         "IG-FOLLOWERS", 1500.0, "2026-12-01", "Akun @budi.kopi", "Lunas", "Indonesia"],
    )  # fmt: skip

    (table,) = FileOrderSource(path).read()
    rows = _by_id(table.rows)
    assert rows["INV-0101"]["No. WhatsApp"] == "812345678901"
    assert rows["INV-0101"]["Jumlah"] == "25"
    assert rows["INV-0101"]["Catatan"] == ""
    assert rows["INV-0102"]["No. WhatsApp"] == "081234567890"
    assert rows["INV-0102"]["Jumlah"] == "1500"

    ingest(svc, rows_of(svc, [table]))
    siti, budi = svc.store.get("INV-0101"), svc.store.get("INV-0102")
    assert siti.problems == [] and budi.problems == []
    assert siti.phone == "+62812345678901"  # the sheet dropped the zero; the number is the same
    assert (siti.quantity, budi.quantity) == (25, 1500)


def test_a_date_cell_in_an_xlsx_means_the_same_deadline_as_that_date_in_a_csv(tmp_path: Path, svc) -> None:  # type: ignore[no-untyped-def]
    svc.clock = lambda: NOW
    path = _xlsx(
        tmp_path / "pesanan.xlsx",
        ["23/11/2026 08:02:11", "INV-0101", "Siti Nurhaliza", "siti.nurhaliza@gmail.com", "081234567890",
         "GMAIL-BARU", 10, datetime(2026, 11, 30), "", "Lunas", "Indonesia"],
    )  # fmt: skip

    ingest(svc, rows_of(svc, FileOrderSource(path).read()))

    # 30/11/2026 23:59:59 WIB, as "30/11/2026" in the CSV export gives.
    assert svc.store.get("INV-0101").deadline == datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "pesanan-november.csv"
    with pytest.raises(AdapterError, match="file not found") as caught:
        FileOrderSource(path).read()
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_csv_or_xlsx_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "pesanan.numbers"
    path.write_bytes(b"PK\x03\x04 not an export")
    with pytest.raises(AdapterError, match="not a CSV or XLSX") as caught:
        FileOrderSource(path).read()
    assert str(path) in str(caught.value)


def test_a_corrupt_xlsx_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "pesanan.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(AdapterError, match="cannot be read") as caught:
        FileOrderSource(path).read()
    assert str(path) in str(caught.value)


def test_a_csv_excel_saved_in_windows_1252_is_read_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "pesanan.csv"
    row = "23/11/2026 08:02:11,INV-0201,José Ramírez,jose@gmail.com,081234567890,GMAIL-BARU,1,30/11/2026,,"
    # Saved by Excel on Windows as "CSV (Comma delimited)": cp1252, not UTF-8.
    path.write_bytes((",".join(HEADER) + "\n" + row + "Lunas,Indonesia\n").encode("cp1252"))
    (table,) = FileOrderSource(path).read()
    assert table.rows[0]["Nama"] == "José Ramírez"


def test_a_folder_is_read_file_by_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-formulir.csv").write_text(
        ",".join(HEADER) + "\n23/11/2026 08:02:11,INV-0301,Putri Ayu,putri.ayu@gmail.com,081555666777,"
        "GMAIL-BARU,2,30/11/2026,,Lunas,Indonesia\n",
        encoding="utf-8",
    )
    _xlsx(
        inbox / "b-marketplace.XLSX",
        ["23/11/2026 09:00:00", "INV-0302", "Andi Pratama", "andi.pratama@gmail.com", "087812345678",
         "IG-FOLLOWERS", 2500, "05/12/2026", "", "Lunas", "Indonesia"],
    )  # fmt: skip
    (inbox / "catatan.txt").write_text("bukan formulir", encoding="utf-8")

    tables = FileOrderSource(inbox).read()

    assert [t.name for t in tables] == ["a-formulir.csv", "b-marketplace.XLSX"]
    assert [r["ID Pesanan"] for t in tables for r in t.rows] == ["INV-0301", "INV-0302"]


def test_an_excel_lock_file_in_the_inbox_does_not_stop_the_intake(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _xlsx(
        inbox / "pesanan.xlsx",
        ["23/11/2026 09:00:00", "INV-0302", "Andi Pratama", "andi.pratama@gmail.com", "087812345678",
         "IG-FOLLOWERS", 2500, "05/12/2026", "", "Lunas", "Indonesia"],
    )  # fmt: skip
    # Excel writes this 165-byte owner file beside a workbook while it is open.
    (inbox / "~$pesanan.xlsx").write_bytes(b"\x0bRina Wijaya" + b"\x00" * 153)

    tables = FileOrderSource(inbox).read()

    assert [t.name for t in tables] == ["pesanan.xlsx"]
