"""Files small shops really produce, each made here as their spreadsheet saves it, read as they saw it.

Excel with an Indonesian locale saves "CSV" with semicolons, in Windows-1252, with CRLF; its
"Unicode text" is UTF-16 with tabs; a script's XLSX has formulas without values; a deadline typed
in a General-format cell is a serial number. Each must reach the orders as the shop meant it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil.usecases import pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.pipeline import DirectSteps
from integrations.ports import AdapterError
from integrations.source.files import FileOrderSource
from tests.conftest import NOW
from tests.integration.test_file_source import HEADER, _by_id, _xlsx
from tests.unit.builders import END_OF_30_NOV_WIB

# Notes with the other shapes' delimiters in them: a semicolon file's notes hold commas (unquoted,
# as Excel writes them), a comma file's hold semicolons.
ROWS = [
    ["23/11/2026 08:02:11", "INV-0501", "Désirée Wulandari", "desiree.w@gmail.com", "081234567890",
     "GMAIL-BARU", "10", "30/11/2026", "Rp 150.000 – lunas, terima kasih", "Lunas", "Indonesia"],
    ["23/11/2026 08:10:00", "INV-0502", "Budi Santoso", "budi.santoso@yahoo.co.id", "085712345678",
     "IG-FOLLOWERS", "1500", "2026-12-01", "Akun @budi.kopi; kirim sore", "Lunas", "Indonesia"],
    # ã is ă in cp1250, the page charset-normalizer guesses when left to itself.
    ["23/11/2026 08:31:05", "INV-0503", "João da Costa", "joao.dacosta@gmail.com", "081398765432",
     "GMAIL-BARU", "3", "30/11/2026 17:00", "", "Lunas", "Indonesia"],
]  # fmt: skip


def _export(path: Path, *, delimiter: str, newline: str, save: Callable[[str], bytes]) -> Path:
    """HEADER and ROWS written as a spreadsheet saves them: `save` turns the text into its bytes."""
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator=newline).writerows([HEADER, *ROWS])
    path.write_bytes(save(text.getvalue()))
    return path


SHAPES = [
    pytest.param(";", "\r\n", lambda t: t.encode("cp1252"), id="excel-indonesia-csv-cp1252"),
    pytest.param(";", "\r\n", lambda t: t.encode("utf-8-sig"), id="excel-indonesia-csv-utf8-bom"),
    pytest.param(
        "\t", "\r\n", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), id="excel-unicode-text-utf16"
    ),
    pytest.param("\t", "\n", lambda t: t.encode("utf-8"), id="utf8-tab-separated"),
    pytest.param(",", "\n", lambda t: t.encode("utf-8"), id="comma-with-semicolons-in-notes"),
]


@pytest.mark.parametrize(("delimiter", "newline", "save"), SHAPES)
def test_a_shops_export_reads_cell_for_cell_as_the_shop_saw_it(
    tmp_path: Path, delimiter: str, newline: str, save: Callable[[str], bytes]
) -> None:
    path = _export(tmp_path / "pesanan.csv", delimiter=delimiter, newline=newline, save=save)

    (table,) = FileOrderSource(path).read()

    assert table.headers == HEADER
    assert table.rows == [dict(zip(HEADER, row, strict=True)) for row in ROWS]


@pytest.mark.parametrize(("delimiter", "newline", "save"), SHAPES)
def test_a_shops_export_becomes_the_orders_it_holds(
    tmp_path: Path, svc: Deps, delimiter: str, newline: str, save: Callable[[str], bytes]
) -> None:
    svc.clock = lambda: NOW
    path = _export(tmp_path / "pesanan.csv", delimiter=delimiter, newline=newline, save=save)

    ingest(svc, rows_of(svc, FileOrderSource(path).read()))

    desiree, budi, joao = (svc.store.get(f"INV-050{n}") for n in (1, 2, 3))
    assert [o.problems for o in (desiree, budi, joao)] == [[], [], []]
    assert (desiree.buyer_name, desiree.buyer_email) == ("Désirée Wulandari", "desiree.w@gmail.com")
    assert (joao.buyer_name, joao.buyer_email) == ("João da Costa", "joao.dacosta@gmail.com")
    assert desiree.notes == "Rp 150.000 – lunas, terima kasih"
    assert budi.notes == "Akun @budi.kopi; kirim sore"
    assert (desiree.quantity, budi.quantity, joao.quantity) == (10, 1500, 3)
    assert desiree.deadline == END_OF_30_NOV_WIB
    assert budi.deadline == datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC)
    assert joao.deadline == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 17:00 WIB


def test_a_file_that_is_not_text_is_refused_in_one_line_by_name(tmp_path: Path) -> None:
    # An XLSX renamed .csv: a zip, in no encoding a spreadsheet writes text in.
    path = _xlsx(tmp_path / "pesanan.xlsx", ROWS[0]).rename(tmp_path / "pesanan.csv")

    with pytest.raises(AdapterError, match="not a text file") as caught:
        FileOrderSource(path).read()

    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


# ----- XLSX -----


def _with_formulas(path: Path) -> Path:
    """An export a script wrote with openpyxl: its formulas have no saved value (Excel would show
    SITI NURHALIZA; pandas reads an empty cell)."""
    return _xlsx(
        path,
        ["23/11/2026 08:02:11", "INV-0601", '=UPPER("Siti Nurhaliza")', '=LOWER("Siti.Nurhaliza@Gmail.com")',
         "081234567890", "GMAIL-BARU", 10, "30/11/2026", "", "Lunas", "Indonesia"],
        ["23/11/2026 08:10:00", "INV-0602", '=UPPER("Budi Santoso")', "budi.santoso@yahoo.co.id",
         "085712345678", "IG-FOLLOWERS", 1500, "2026-12-01", "", "Lunas", "Indonesia"],
    )  # fmt: skip


def test_an_xlsx_of_formulas_without_saved_values_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = _with_formulas(tmp_path / "pesanan.xlsx")

    with pytest.raises(AdapterError) as caught:
        FileOrderSource(path).read()

    assert str(caught.value) == (
        f"{path} has formulas without saved values (first: cell C2): "
        "open it in Excel or Sheets and save it once"
    )


def _saved_by_excel(path: Path, results: dict[str, str]) -> Path:
    """The workbook as Excel saves it once opened: each formula's result stored beside it, as text
    (`t="str"`), an empty result as an empty value, which openpyxl reads as None too."""
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, result in results.items():
        sheet, found = re.subn(
            rf'<c r="{cell}"><f>(.*?)</f><v ?/>', rf'<c r="{cell}" t="str"><f>\1</f><v>{result}</v>', sheet
        )
        assert found == 1, cell
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return path


def test_an_xlsx_whose_formulas_excel_computed_is_read_with_their_values(tmp_path: Path) -> None:
    # Budi's name is a formula whose result is empty text (=IF(...;"";...) in a shop's sheet):
    # computed and saved, so the file is read, and his missing name is his order's problem.
    path = _saved_by_excel(
        _with_formulas(tmp_path / "pesanan.xlsx"),
        {"C2": "SITI NURHALIZA", "D2": "siti.nurhaliza@gmail.com", "C3": ""},
    )

    (table,) = FileOrderSource(path).read()

    rows = _by_id(table.rows)
    assert (rows["INV-0601"]["Nama"], rows["INV-0601"]["Email"]) == (
        "SITI NURHALIZA",
        "siti.nurhaliza@gmail.com",
    )
    assert rows["INV-0602"]["Nama"] == ""


def test_an_intake_of_formulas_without_values_takes_no_order_and_emails_no_buyer(
    tmp_path: Path, svc: Deps
) -> None:
    svc.clock = lambda: NOW
    path = _with_formulas(tmp_path / "pesanan.xlsx")

    with pytest.raises(AdapterError, match="formulas without saved values"):
        pipeline.intake(DirectSteps(svc), str(path))

    assert svc.store.list() == []
    assert svc.store.messages() == []


def test_a_general_format_serial_deadline_in_an_xlsx_is_that_day(tmp_path: Path, svc: Deps) -> None:
    svc.clock = lambda: NOW
    path = _xlsx(
        tmp_path / "pesanan.xlsx",
        # Typed as 30/11/2026 into a General-format cell, Excel keeps 46356; 46356.5 is 12:00 that day.
        ["23/11/2026 08:02:11", "INV-0701", "Siti Nurhaliza", "siti.nurhaliza@gmail.com", "081234567890",
         "GMAIL-BARU", 10, 46356, "", "Lunas", "Indonesia"],
        ["23/11/2026 08:10:00", "INV-0702", "Budi Santoso", "budi.santoso@yahoo.co.id", "085712345678",
         "IG-FOLLOWERS", 1500, 46356.5, "", "Lunas", "Indonesia"],
    )  # fmt: skip

    tables = FileOrderSource(path).read()
    rows = _by_id(tables[0].rows)
    assert (rows["INV-0701"]["Deadline"], rows["INV-0702"]["Deadline"]) == ("46356", "46356.5")
    ingest(svc, rows_of(svc, tables))

    siti, budi = svc.store.get("INV-0701"), svc.store.get("INV-0702")
    assert siti.problems == [] and budi.problems == []
    assert siti.deadline == END_OF_30_NOV_WIB
    assert budi.deadline == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 12:00 WIB
    assert "needs_info" not in {m.kind for m in svc.store.messages()}  # nobody asked to fix it


def test_a_serial_deadline_as_text_in_a_csv_is_that_day(tmp_path: Path, svc: Deps) -> None:
    svc.clock = lambda: NOW
    path = tmp_path / "pesanan.csv"
    path.write_text(
        ",".join(HEADER) + "\n23/11/2026 08:02:11,INV-0801,Putri Ayu,putri.ayu@gmail.com,081555666777,"
        "GMAIL-BARU,2,46356,,Lunas,Indonesia\n",
        encoding="utf-8",
    )

    ingest(svc, rows_of(svc, FileOrderSource(path).read()))

    putri = svc.store.get("INV-0801")
    assert putri.problems == []
    assert putri.deadline == END_OF_30_NOV_WIB
