"""Form exports as CSV or XLSX files, read with pandas, every cell kept as the text it was.

A CSV is read in the encoding and with the delimiter the shop's spreadsheet saved it with
(text_files.py); an XLSX whose formulas have no saved values is refused, not read as empty.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from integrations.ports import AdapterError, SourceTable
from integrations.source.text_files import decode_text, delimiter_of

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".xlsx")


class FileOrderSource:
    """One export file, or every CSV/XLSX in a folder (the scheduled intake's inbox)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def revision(self) -> str | None:
        # Reading a local file costs what telling whether it changed would: always read it.
        return None

    def files(self) -> list[Path]:
        if self.path.is_dir():
            # Skip Excel's "~$" lock files and hidden files (macOS "._x.csv" among them).
            return sorted(
                p
                for p in self.path.iterdir()
                if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))
            )
        if not self.path.exists():
            raise AdapterError(f"file not found: {self.path}")
        if self.path.suffix.lower() not in SUFFIXES:
            raise AdapterError(f"{self.path}: not a CSV or XLSX file")
        return [self.path]

    def read(self) -> list[SourceTable]:
        """The file's table; or each file of the folder, one that cannot be read given with its
        problem: a shop's broken download must not hold up the other exports in the inbox."""
        if not self.path.is_dir():
            return [read_table(p) for p in self.files()]
        return [_table_or_problem(p) for p in self.files()]


def _table_or_problem(path: Path) -> SourceTable:
    try:
        return read_table(path)
    except AdapterError as exc:
        # The report line names the file already: say why without its full path again.
        why = str(exc).removeprefix(str(path)).removeprefix(":").strip()
        return SourceTable(path.name, [], [], problem=why)


def read_table(path: Path) -> SourceTable:
    try:
        frame = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    except FileNotFoundError:
        raise AdapterError(f"file not found: {path}") from None
    except AdapterError:
        raise
    except Exception as exc:  # pandas and openpyxl raise many kinds for a broken file
        raise AdapterError(f"{path}: cannot be read as a form export ({type(exc).__name__}: {exc})") from None
    headers = [str(c).strip() for c in frame.columns]
    # Row by row from the frame, without pandas' own list of row dicts beside ours: at 50,000
    # rows that copy was a third of the read's peak memory.
    rows = [
        dict(zip(headers, map(_cell_text, values), strict=True))
        for values in frame.itertuples(index=False, name=None)
    ]
    return SourceTable(path.name, headers, rows)


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd  # only when a file is read: store-only commands stay fast

    text = decode_text(path.read_bytes())
    if text is None:
        raise AdapterError(
            f"{path}: not a text file (UTF-8, UTF-16 or Windows-1252); export the sheet as CSV (UTF-8)"
        )
    return pd.read_csv(
        io.StringIO(text), sep=delimiter_of(text), dtype=str, keep_default_na=False, skip_blank_lines=True
    )


def _read_xlsx(path: Path) -> pd.DataFrame:
    import pandas as pd

    frame = pd.read_excel(path, dtype=object, keep_default_na=False, engine="openpyxl")
    cell = _uncached_formula(path)
    if cell:
        # pandas reads such a cell as empty: every order would lack its name and the buyers be
        # asked for what the shop's file holds. Refuse the file; the shop can fix it in a minute.
        raise AdapterError(
            f"{path} has formulas without saved values (first: cell {cell}): "
            "open it in Excel or Sheets and save it once"
        )
    return frame


def _uncached_formula(path: Path) -> str | None:
    """The first cell of the sheet pandas reads that holds a formula with no value saved.

    Excel and Sheets save a formula's last result beside it; a workbook written by a script
    (openpyxl) or never recalculated has the formula alone, and only a spreadsheet can compute it.
    """
    formulas = [cell for cell, kind in _filled_cells(path, data_only=False).items() if kind == "f"]
    if not formulas:
        return None  # the usual export: no second read
    saved = _filled_cells(path, data_only=True)
    return next((cell for cell in formulas if cell not in saved), None)


def _filled_cells(path: Path, *, data_only: bool) -> dict[str, str]:
    """Coordinate -> openpyxl data type of the first sheet's cells that hold something, in reading
    order: with data_only=False a formula as a formula ("f"), with data_only=True its saved value."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=data_only)
    try:
        return {
            cell.coordinate: cell.data_type
            for row in book.worksheets[0].iter_rows()
            for cell in row
            # openpyxl gives None for an empty saved text too (=IF(A2="";"";A2) in Excel), but
            # keeps its type "str": that formula was computed. Read-only rows are padded with
            # EmptyCells (no value, type "n", and no coordinate), which this leaves out.
            if cell.value is not None or cell.data_type == "str"
        }
    finally:
        book.close()  # a read-only workbook keeps its file open until closed


def _cell_text(value: object) -> str:
    """A typed spreadsheet cell as the text a person typed: a date stays a date, 10.0 stays 10."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()  # a date cell: the whole day, like a typed date
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
