"""Counting what a deliverable file holds (rows of a CSV or XLSX) without keeping its contents."""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

from integrations.ports import UncountableFile


def count_rows(name: str, content: bytes) -> int:
    """Data rows of a CSV or XLSX: the header and blank lines are not counted."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv":
        return _count_csv(content)
    if suffix in (".xlsx", ".xlsm"):
        return _count_xlsx(content)
    raise UncountableFile(f"cannot count rows of a {suffix or 'nameless'} file")


def _count_csv(content: bytes) -> int:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UncountableFile("not UTF-8 text") from None
    if "\x00" in text:
        raise UncountableFile("binary data, not a CSV")
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    except csv.Error as exc:  # e.g. a cell over the csv module's field limit
        raise UncountableFile(f"not a readable CSV ({exc})") from None
    return max(len(rows) - 1, 0)


def _count_xlsx(content: bytes) -> int:
    from openpyxl import load_workbook  # only when a workbook arrives

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException…
        raise UncountableFile(f"not a readable XLSX ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        rows = [
            r for r in sheet.iter_rows(values_only=True) if any(v is not None and str(v).strip() for v in r)
        ]
    finally:
        book.close()
    return max(len(rows) - 1, 0)
