"""Counting what a deliverable file holds (rows of a CSV or XLSX) without keeping its contents."""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

from integrations.ports import UncountableFile


def read_rows(name: str, content: bytes) -> list[tuple[str, ...]]:
    """The data rows of a CSV or XLSX, each cell as text: the header and blank lines left out.
    The caller keeps only what it derives from them (a count, keyed digests), never the rows."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv":
        return _csv_rows(content)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(content)
    raise UncountableFile(f"cannot count rows of a {suffix or 'nameless'} file")


def count_rows(name: str, content: bytes) -> int:
    """How many data rows a CSV or XLSX holds."""
    return len(read_rows(name, content))


def _csv_rows(content: bytes) -> list[tuple[str, ...]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UncountableFile("not UTF-8 text") from None
    if "\x00" in text:
        raise UncountableFile("binary data, not a CSV")
    try:
        rows = [tuple(r) for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    except csv.Error as exc:  # e.g. a cell over the csv module's field limit
        raise UncountableFile(f"not a readable CSV ({exc})") from None
    return rows[1:]


def _xlsx_rows(content: bytes) -> list[tuple[str, ...]]:
    from openpyxl import load_workbook  # only when a workbook arrives

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException…
        raise UncountableFile(f"not a readable XLSX ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        rows = [
            tuple("" if v is None else str(v) for v in r)
            for r in sheet.iter_rows(values_only=True)
            if any(v is not None and str(v).strip() for v in r)
        ]
    finally:
        book.close()
    return rows[1:]
