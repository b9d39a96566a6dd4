"""Sheets' grid: tabs, spreadsheets, A1 ranges, and what a typed value becomes and reads back as."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fulfil.testing.fake_google.wire import GoogleError

# What a formula's computed value reads as when the fake cannot evaluate it (only HYPERLINK is).
UNEVALUATED = "#FORMULA"


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (what USER_ENTERED makes of a string starting with "=")."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class _Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    cells: list[list[Any]] = field(default_factory=list)

    def get(self, r: int, c: int) -> Any:
        if r < len(self.cells) and c < len(self.cells[r]):
            return self.cells[r][c]
        return None

    def set(self, r: int, c: int, value: Any) -> None:
        while len(self.cells) <= r:
            self.cells.append([])
        row = self.cells[r]
        if value is None and c >= len(row):
            return
        while len(row) <= c:
            row.append(None)
        row[c] = value

    def insert_rows(self, at: int, count: int) -> None:
        if at < len(self.cells):
            self.cells[at:at] = [[] for _ in range(count)]
        self.rows += count

    def insert(self, dimension: str, at: int, count: int) -> None:
        if dimension == "COLUMNS":
            for row in self.cells:
                if at < len(row):
                    row[at:at] = [None] * count
            self.cols += count
        else:
            self.insert_rows(at, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        limit = self.cols if dimension == "COLUMNS" else self.rows
        if end > limit:
            raise GoogleError(400, f"Invalid request: index {end} is beyond the grid ({limit}).")
        if end - start >= limit:
            what = "columns" if dimension == "COLUMNS" else "rows"
            raise GoogleError(400, f"Invalid request: You can't delete all the {what} on the sheet.")
        if dimension == "COLUMNS":
            for row in self.cells:
                del row[start:end]
            self.cols -= end - start
        else:
            del self.cells[start:end]
            self.rows -= end - start

    def properties(self) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.rows, "columnCount": self.cols},
        }


@dataclass
class _Spreadsheet:
    id: str
    title: str
    sheets: list[_Sheet]
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"

    def sheet(self, title: str) -> _Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        return None

    def reindex(self) -> None:
        self.sheets.sort(key=lambda s: s.index)
        for i, sheet in enumerate(self.sheets):
            sheet.index = i


# --- A1 ranges ---

_A1_END = re.compile(r"([A-Za-z]{0,3})(\d{0,7})")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def _col_letters(index: int) -> str:
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _quote_title(title: str) -> str:
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _parse_cells(spec: str) -> tuple[int, int, int | None, int | None] | None:
    """`A1`, `A1:B2`, `A:A`, `A2:Q`, `1:3` as (r1, c1, r2, c2), 0-based, None for an open end."""
    first, colon, second = spec.partition(":")
    m1 = _A1_END.fullmatch(first)
    if not m1 or not (m1.group(1) or m1.group(2)):
        return None
    if m1.group(2) and int(m1.group(2)) == 0:
        return None
    if not colon:
        if not (m1.group(1) and m1.group(2)):
            return None
        r, c = int(m1.group(2)) - 1, _col_index(m1.group(1))
        return r, c, r, c
    m2 = _A1_END.fullmatch(second)
    if not m2 or not (m2.group(1) or m2.group(2)):
        return None
    if m2.group(2) and int(m2.group(2)) == 0:
        return None
    r1 = int(m1.group(2)) - 1 if m1.group(2) else 0
    c1 = _col_index(m1.group(1)) if m1.group(1) else 0
    r2 = int(m2.group(2)) - 1 if m2.group(2) else None
    c2 = _col_index(m2.group(1)) if m2.group(1) else None
    if r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    return r1, c1, r2, c2


@dataclass
class _Range:
    sheet: _Sheet
    r1: int
    c1: int
    r2: int | None
    c2: int | None
    single: bool = False  # one cell named ("A2"): writes start there and may spill over

    def clipped(self) -> tuple[int, int, int, int]:
        last_r = self.sheet.rows - 1 if self.r2 is None else min(self.r2, self.sheet.rows - 1)
        last_c = self.sheet.cols - 1 if self.c2 is None else min(self.c2, self.sheet.cols - 1)
        return self.r1, self.c1, last_r, last_c

    def a1(self) -> str:
        r1, c1, r2, c2 = self.clipped()
        return _a1(self.sheet.title, r1, c1, max(r2, r1), max(c2, c1))


def _a1(title: str, r1: int, c1: int, r2: int, c2: int) -> str:
    start = f"{_col_letters(c1)}{r1 + 1}"
    if (r1, c1) == (r2, c2):
        return f"{_quote_title(title)}!{start}"
    return f"{_quote_title(title)}!{start}:{_col_letters(c2)}{r2 + 1}"


def _resolve_range(book: _Spreadsheet, text: str) -> _Range:
    def bad() -> GoogleError:
        return GoogleError(400, f"Unable to parse range: {text}")

    title: str | None = None
    cells: str | None
    if text.startswith("'"):
        i, chars = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    chars.append("'")
                    i += 2
                    continue
                break
            chars.append(text[i])
            i += 1
        else:
            raise bad()
        title, rest = "".join(chars), text[i + 1 :]
        if rest and not rest.startswith("!"):
            raise bad()
        cells = rest[1:] if rest else None
    elif "!" in text:
        title, _, cells = text.rpartition("!")
    elif book.sheet(text) is not None:
        title, cells = text, None
    else:
        cells = text
    sheet = book.sheets[0] if title is None else book.sheet(title)
    if sheet is None:
        raise bad()
    if not cells:
        return _Range(sheet, 0, 0, None, None)
    parsed = _parse_cells(cells)
    if parsed is None:
        raise bad()
    return _Range(sheet, *parsed, single=":" not in cells)


# --- cell values ---

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_HYPERLINK = re.compile(r'=\s*HYPERLINK\(\s*"((?:[^"]|"")*)"\s*(?:[,;]\s*"((?:[^"]|"")*)"\s*)?\)\s*', re.I)


def _user_entered(value: Any) -> Any:
    """What Sheets makes of a value typed by a person (valueInputOption=USER_ENTERED)."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if value.startswith("'"):
        return value[1:]
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    text = value.strip()
    if _NUMBER.fullmatch(text) or _GROUPED_NUMBER.fullmatch(text):
        plain = text.replace(",", "")
        digits = plain.lstrip("+-")
        if re.fullmatch(r"\d+", digits) and len(digits.lstrip("0")) <= 15:
            return int(plain)
        return float(plain)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return value


def _stored(value: Any, option: str) -> Any:
    if option == "RAW":
        return None if value == "" else value
    return _user_entered(value)


def _evaluate(formula: Formula) -> str:
    match = _HYPERLINK.fullmatch(formula.text)
    if match:
        label = match.group(2) if match.group(2) is not None else match.group(1)
        return label.replace('""', '"')
    return UNEVALUATED


def _format_number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else f"{value:.5E}".replace(".00000E", "E")
    return repr(value)


def _render(value: Any, option: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text if option == "FORMULA" else _evaluate(value)
    if option == "FORMATTED_VALUE":
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return _format_number(value)
    return value


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        end = len(row)
        while end and row[end - 1] in ("", None):
            end -= 1
        out.append(list(row[:end]))
    while out and not out[-1]:
        out.pop()
    return out


def _transpose(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(r) for r in rows), default=0)
    return [[r[c] if c < len(r) else None for r in rows] for c in range(width)]
