"""A CSV export's bytes as text, and the delimiter its header is written with.

Shops send what their spreadsheet saved: Google Sheets writes UTF-8 with commas; Excel with an
Indonesian (or any comma-decimal) locale writes semicolons in Windows-1252; Excel's "Unicode text"
is UTF-16 with a BOM and tabs. Each is read as the shop saw it in the spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import io
from itertools import islice

# On a tie (a one-column header), the first wins: comma, as Google Sheets and Forms write.
DELIMITERS = (",", ";", "\t")
# Records read to tell delimiters apart when the header alone does not.
_SAMPLE_RECORDS = 10
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The code pages a non-UTF-8 export can be in: Excel writes Windows' "ANSI" page, 1252 on an
# Indonesian or Western Windows. Unrestricted, charset-normalizer names Urdu or Baltic pages for a
# short Indonesian file (cp1006 for "José"), which decode its é and – wrongly.
_LEGACY_PAGES = ["cp1252"]


def decode_text(data: bytes) -> str | None:
    """The text of a CSV export, or None when the bytes are not text in an encoding a shop's
    spreadsheet writes (a workbook renamed .csv, a PDF, a broken download)."""
    text = _decode(data)
    # No spreadsheet writes NUL into text; a binary file can still decode (NUL is valid UTF-8).
    if text is None or "\x00" in text:
        return None
    return text


def _decode(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    try:
        # Bytes that decode as UTF-8 are UTF-8: a cp1252 file with accents almost never does.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for the rare non-UTF-8 file

    # charset-normalizer decides whether the bytes read as text in that page at all: cp1252
    # decodes nearly any byte, so a binary file would otherwise come back as mojibake.
    match = from_bytes(data, cp_isolation=_LEGACY_PAGES).best()
    return None if match is None else str(match)


def delimiter_of(text: str) -> str:
    """The delimiter that splits the header into the most columns; on a tie, the one that keeps
    the first rows the header's width.

    Each candidate parses the text as CSV, so a quoted note's commas do not count, and a
    semicolon file's notes ("Rp 150.000, lunas") are not split: its header holds no commas.
    """
    return max(DELIMITERS, key=lambda d: _fit(text, d))


def _fit(text: str, delimiter: str) -> tuple[int, int]:
    try:
        records = [
            r for r in islice(csv.reader(io.StringIO(text), delimiter=delimiter), _SAMPLE_RECORDS) if r
        ]
    except csv.Error:  # a cell over csv's size limit: this delimiter cannot be told right
        return (0, 0)
    if not records:
        return (0, 0)
    width = len(records[0])
    return (width, sum(len(r) == width for r in records[1:]))
