"""Form exports as CSV or XLSX files, read with pandas, every cell kept as the text it was."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from integrations.ports import AdapterError, SourceTable

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
        return [read_table(p) for p in self.files()]


def read_table(path: Path) -> SourceTable:
    import pandas as pd  # only when a file is read: store-only commands stay fast

    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=object, keep_default_na=False, engine="openpyxl")
        else:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True
            )
    except FileNotFoundError:
        raise AdapterError(f"file not found: {path}") from None
    except UnicodeDecodeError:
        raise AdapterError(f"{path}: not UTF-8 text; export the sheet as CSV (UTF-8)") from None
    except Exception as exc:  # pandas and openpyxl raise many kinds for a broken file
        raise AdapterError(f"{path}: cannot be read as a form export ({type(exc).__name__}: {exc})") from None
    headers = [str(c).strip() for c in frame.columns]
    frame.columns = headers
    rows = [{h: _cell_text(v) for h, v in rec.items()} for rec in frame.to_dict("records")]
    return SourceTable(path.name, headers, rows)


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
