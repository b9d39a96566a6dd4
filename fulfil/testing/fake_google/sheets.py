"""Sheets v4 routes (spreadsheets, batchUpdate, values) and the helpers of a person editing a sheet."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from fulfil.testing.fake_google.cells import (
    _a1,
    _col_letters,
    _Range,
    _render,
    _resolve_range,
    _Sheet,
    _Spreadsheet,
    _stored,
    _transpose,
    _trim,
)
from fulfil.testing.fake_google.drive_state import SPREADSHEET_MIME, DriveStateMixin
from fulfil.testing.fake_google.wire import (
    GoogleError,
    _apply_fields,
    _json_reply,
    _parse_fields,
    _Reply,
    _Request,
)


class SheetsMixin(DriveStateMixin):
    """FakeGoogle's Sheets v4 API; each spreadsheet is also a Drive file."""

    # --- Sheets helpers ---

    def add_spreadsheet(
        self,
        title: str,
        sheets: Mapping[str, Sequence[Sequence[Any]]],
        *,
        parent: str | None = None,
        raw: bool = False,
    ) -> str:
        """A spreadsheet (also a Drive file) whose tabs hold `sheets`, typed in as a person would
        (USER_ENTERED: "0812…" becomes a number) unless `raw`."""
        with self._lock:
            f = self._new_file({"name": title, "mimeType": SPREADSHEET_MIME}, [parent or self.root_id], None)
            book = self._books[f.id]
            book.sheets.clear()
            for i, (name, rows) in enumerate((sheets or {"Sheet1": []}).items()):
                width = max((len(r) for r in rows), default=0)
                sheet = _Sheet(
                    self._sheet_id(book, first=i == 0), name, i, max(1000, len(rows)), max(26, width)
                )
                for r, row in enumerate(rows):
                    for c, value in enumerate(row):
                        sheet.set(r, c, _stored(value, "RAW" if raw else "USER_ENTERED"))
                book.sheets.append(sheet)
            return f.id

    def sheet_values(self, spreadsheet_id: str, sheet: str) -> list[list[Any]]:
        """The tab as a person sees it: text as str, numbers as int/float, formulas as `Formula`."""
        with self._lock:
            book = self._books[spreadsheet_id]
            tab = book.sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            return _trim([["" if v is None else v for v in row] for row in tab.cells])

    def submit_form_response(self, spreadsheet_id: str, sheet: str, answers: Mapping[str, Any]) -> int:
        """What Google Forms does when a buyer submits: a new row under the last one, typed in as
        USER_ENTERED, and the spreadsheet file changed on Drive (its changes feed lists it).
        The row's number, 1-based as the sheet counts."""
        with self._lock:
            book, tab, headers = self._form_tab(spreadsheet_id, sheet)
            row = len(_trim([list(r) for r in tab.cells]))
            for header, value in answers.items():
                tab.set(row, headers.index(header), _stored(value, "USER_ENTERED"))
            self._sheets_changed(book)
            return row + 1

    def edit_form_response(
        self, spreadsheet_id: str, sheet: str, row: int, answers: Mapping[str, Any], timestamp: str
    ) -> None:
        """What Google Forms does when a respondent edits their response: the same row (1-based,
        as the sheet counts) gets the changed answers and a new Timestamp (column A)."""
        with self._lock:
            book, tab, headers = self._form_tab(spreadsheet_id, sheet)
            tab.set(row - 1, 0, _stored(timestamp, "USER_ENTERED"))
            for header, value in answers.items():
                tab.set(row - 1, headers.index(header), _stored(value, "USER_ENTERED"))
            self._sheets_changed(book)

    def _form_tab(self, spreadsheet_id: str, sheet: str) -> tuple[_Spreadsheet, _Sheet, list[str]]:
        """The spreadsheet, its tab and the tab's header row (the form's questions)."""
        book = self._books[spreadsheet_id]
        tab = book.sheet(sheet)
        if tab is None:
            raise KeyError(sheet)
        return book, tab, [str(v) for v in tab.cells[0]]

    def sort_sheet(self, spreadsheet_id: str, sheet: str, header: str, *, descending: bool = False) -> None:
        """A person sorting the tab by one column (Data → Sort sheet), the header row kept."""
        with self._lock:
            tab = self._books[spreadsheet_id].sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            rows = _trim([list(r) for r in tab.cells])
            column = [str(v) for v in rows[0]].index(header)
            cell = lambda r: str(r[column] if column < len(r) else "")  # noqa: E731
            body = sorted(rows[1:], key=cell, reverse=descending)
            for r, values in enumerate(body, start=1):
                for c in range(len(rows[0])):
                    tab.set(r, c, values[c] if c < len(values) else None)
            self._sheets_changed(self._books[spreadsheet_id])

    def sheet_properties(self, spreadsheet_id: str, sheet: str) -> dict[str, Any]:
        with self._lock:
            tab = self._books[spreadsheet_id].sheet(sheet)
            if tab is None:
                raise KeyError(sheet)
            return tab.properties()

    # --- Sheets ---

    def _sheet_id(self, book: _Spreadsheet, *, first: bool = False) -> int:
        if first and all(s.sheet_id != 0 for s in book.sheets):
            return 0
        taken = {s.sheet_id for s in book.sheets}
        while True:
            candidate = self._ids.randint(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def _book(self, spreadsheet_id: str) -> _Spreadsheet:
        book = self._books.get(spreadsheet_id)
        if book is None:
            raise GoogleError(404, "Requested entity was not found.")
        if spreadsheet_id in self._denied:
            raise GoogleError(403, "The caller does not have permission")
        return book

    def _sheets(self, req: _Request) -> _Reply:
        rest = req.path[len("/v4/spreadsheets") :]
        if rest in ("", "/"):
            if req.method == "POST":
                return self._spreadsheet_create(req)
            raise GoogleError(404, f"Not Found: {req.method} {req.path}")
        head, _, tail = rest[1:].partition("/")
        sid_raw, _, action = head.partition(":")
        book = self._book(unquote(sid_raw))
        method = req.method
        if not tail:
            if not action and method == "GET":
                return self._spreadsheet_get(req, book)
            if action == "batchUpdate" and method == "POST":
                return self._spreadsheet_batch_update(req, book)
        elif tail.startswith("values:"):
            op = tail[len("values:") :]
            if op == "batchGet" and method == "GET":
                return self._values_batch_get(req, book)
            if op == "batchUpdate" and method == "POST":
                return self._values_batch_update(req, book)
            if op == "batchClear" and method == "POST":
                body = req.json()
                cleared = [self._clear(book, r) for r in body.get("ranges") or []]
                return _json_reply(200, {"spreadsheetId": book.id, "clearedRanges": cleared})
        elif tail.startswith("values/"):
            target = unquote(tail[len("values/") :])
            op = ""
            for suffix in (":append", ":clear"):
                if target.endswith(suffix):
                    target, op = target[: -len(suffix)], suffix[1:]
            if not op and method == "GET":
                return _json_reply(200, self._values_get(req, book, target))
            if not op and method == "PUT":
                return self._values_update(req, book, target)
            if op == "append" and method == "POST":
                return self._values_append(req, book, target)
            if op == "clear" and method == "POST":
                return _json_reply(200, {"spreadsheetId": book.id, "clearedRange": self._clear(book, target)})
        raise GoogleError(404, f"Not Found: {method} {req.path}")

    def _spreadsheet_body(self, book: _Spreadsheet) -> dict[str, Any]:
        return {
            "spreadsheetId": book.id,
            "properties": {
                "title": book.title,
                "locale": book.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": book.time_zone,
            },
            "sheets": [{"properties": s.properties()} for s in book.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
        }

    def _spreadsheet_get(self, req: _Request, book: _Spreadsheet) -> _Reply:
        if req.flag("includeGridData"):
            raise GoogleError(400, "includeGridData=true is not supported by the fake.")
        tree = _parse_fields(req.arg("fields") or "")
        return _json_reply(200, _apply_fields(self._spreadsheet_body(book), tree))

    def _spreadsheet_create(self, req: _Request) -> _Reply:
        body = req.json()
        title = (body.get("properties") or {}).get("title") or "Untitled spreadsheet"
        f = self._new_file({"name": title, "mimeType": SPREADSHEET_MIME}, ["root"], None, req)
        book = self._books[f.id]
        wanted = body.get("sheets") or []
        if wanted:
            book.sheets.clear()
            for i, item in enumerate(wanted):
                self._add_sheet(book, dict(item.get("properties") or {}), default_index=i)
        return _json_reply(200, self._spreadsheet_body(book))

    def _add_sheet(
        self, book: _Spreadsheet, props: dict[str, Any], *, default_index: int | None = None
    ) -> _Sheet:
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet(title) is not None:
            raise GoogleError(
                400,
                f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. '
                "Please enter another name.",
            )
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self._sheet_id(book, first=not book.sheets)
        elif any(s.sheet_id == sheet_id for s in book.sheets):
            raise GoogleError(
                400, f"Invalid requests[0].addSheet: A sheet with id {sheet_id} already exists."
            )
        grid = props.get("gridProperties") or {}
        index = props.get("index", default_index if default_index is not None else len(book.sheets))
        for sheet in book.sheets:
            if sheet.index >= index:
                sheet.index += 1
        sheet = _Sheet(
            int(sheet_id), title, index, int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))
        )
        book.sheets.append(sheet)
        book.reindex()
        return sheet

    def _sheet_by_id(self, book: _Spreadsheet, sheet_id: Any) -> _Sheet:
        for sheet in book.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise GoogleError(400, f"Invalid requests: No grid with id: {sheet_id}")

    def _spreadsheet_batch_update(self, req: _Request, book: _Spreadsheet) -> _Reply:
        body = req.json()
        work = copy.deepcopy(book)  # all or nothing, like Sheets
        replies: list[dict[str, Any]] = []
        cells_moved = False  # rows or columns inserted or deleted: the file changed, as on Drive
        for n, request in enumerate(body.get("requests") or []):
            if len(request) != 1:
                raise GoogleError(400, f"Invalid requests[{n}]: exactly one kind of request per entry.")
            kind, params = next(iter(request.items()))
            if kind == "addSheet":
                sheet = self._add_sheet(work, dict(params.get("properties") or {}))
                replies.append({"addSheet": {"properties": sheet.properties()}})
            elif kind == "deleteSheet":
                sheet = self._sheet_by_id(work, params.get("sheetId"))
                if len(work.sheets) == 1:
                    raise GoogleError(
                        400, "Invalid requests[0].deleteSheet: You can't remove all the sheets."
                    )
                work.sheets.remove(sheet)
                work.reindex()
                replies.append({})
            elif kind == "updateSheetProperties":
                props = params.get("properties") or {}
                sheet = self._sheet_by_id(work, props.get("sheetId"))
                mask = {
                    m.strip().replace("/", ".") for m in (params.get("fields") or "").split(",") if m.strip()
                }
                grid = props.get("gridProperties") or {}
                if ("title" in mask or "*" in mask) and "title" in props:
                    other = work.sheet(props["title"])
                    if other is not None and other is not sheet:
                        raise GoogleError(400, f'A sheet with the name "{props["title"]}" already exists.')
                    sheet.title = props["title"]
                for name, attr in (("rowCount", "rows"), ("columnCount", "cols")):
                    covered = {"*", "gridProperties", f"gridProperties.{name}"} & mask
                    if covered and name in grid:
                        setattr(sheet, attr, int(grid[name]))
                if ("index" in mask or "*" in mask) and "index" in props:
                    work.sheets.remove(sheet)
                    work.sheets.insert(int(props["index"]), sheet)
                    for i, s in enumerate(work.sheets):
                        s.index = i
                replies.append({})
            elif kind == "appendDimension":
                sheet = self._sheet_by_id(work, params.get("sheetId"))
                length = int(params.get("length") or 0)
                if params.get("dimension") == "COLUMNS":
                    sheet.cols += length
                else:
                    sheet.rows += length
                replies.append({})
            elif kind in ("insertDimension", "deleteDimension"):
                span = params.get("range") or {}
                sheet = self._sheet_by_id(work, span.get("sheetId"))
                start, end = int(span.get("startIndex") or 0), int(span.get("endIndex") or 0)
                if end <= start:
                    raise GoogleError(
                        400, f"Invalid requests[{n}].{kind}: endIndex must be after startIndex."
                    )
                if kind == "insertDimension":
                    sheet.insert(span.get("dimension") or "ROWS", start, end - start)
                else:
                    sheet.delete(span.get("dimension") or "ROWS", start, end)
                replies.append({})
                cells_moved = True
            elif kind == "updateSpreadsheetProperties":
                props = params.get("properties") or {}
                if "title" in props:
                    work.title = props["title"]
                replies.append({})
            else:
                raise GoogleError(400, f"Invalid requests[{n}]: the fake does not support {kind!r} requests.")
        self._books[book.id] = work
        if cells_moved:
            self._sheets_changed(work)
        if work.title != book.title and book.id in self._files:
            f = self._files[book.id]
            f.name = work.title
            self._touch(f)
            self._record_change(f)
        reply: dict[str, Any] = {"spreadsheetId": work.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            reply["updatedSpreadsheet"] = self._spreadsheet_body(work)
        return _json_reply(200, reply)

    def _read(self, rng: _Range, render: str, major: str) -> dict[str, Any]:
        r1, c1, r2, c2 = rng.clipped()
        rows = [[_render(rng.sheet.get(r, c), render) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if major == "COLUMNS":
            rows = _transpose(rows)
        body: dict[str, Any] = {"range": rng.a1(), "majorDimension": major}
        values = _trim(rows)
        if values:
            body["values"] = values
        return body

    def _values_get(self, req: _Request, book: _Spreadsheet, target: str) -> dict[str, Any]:
        render = req.arg("valueRenderOption") or "FORMATTED_VALUE"
        major = req.arg("majorDimension") or "ROWS"
        if render not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            raise GoogleError(400, f"Invalid value at 'value_render_option' ({render})")
        if major not in ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"):
            raise GoogleError(400, f"Invalid value at 'major_dimension' ({major})")
        return self._read(_resolve_range(book, target), render, "COLUMNS" if major == "COLUMNS" else "ROWS")

    def _values_batch_get(self, req: _Request, book: _Spreadsheet) -> _Reply:
        ranges = [self._values_get(req, book, r) for r in req.args("ranges")]
        return _json_reply(200, {"spreadsheetId": book.id, "valueRanges": ranges})

    def _input_option(self, value: str | None) -> str:
        if not value:
            raise GoogleError(400, "'valueInputOption' is required but not specified")
        if value not in ("RAW", "USER_ENTERED"):
            raise GoogleError(400, f"Invalid value at 'value_input_option' ({value})")
        return value

    def _write(
        self,
        book: _Spreadsheet,
        target: str,
        values: Any,
        option: str,
        major: str | None,
        *,
        at: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        rng = _resolve_range(book, target)
        if not isinstance(values, list) or any(not isinstance(row, list) for row in values):
            raise GoogleError(400, "Invalid values: a list of lists is expected.")
        matrix = _transpose(values) if major == "COLUMNS" else values
        r0, c0 = at or (rng.r1, rng.c1)
        height = len(matrix)
        width = max((len(row) for row in matrix), default=0)
        sheet = rng.sheet
        if at is None and not rng.single:
            if rng.r2 is not None and r0 + height - 1 > rng.r2:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{target}], but tried writing to row [{r0 + height}]",
                )
            if rng.c2 is not None and c0 + width - 1 > rng.c2:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{target}], but tried writing to column "
                    f"[{_col_letters(c0 + width - 1)}]",
                )
        if at is None and height and width and (r0 + height > sheet.rows or c0 + width > sheet.cols):
            raise GoogleError(
                400,
                f"Range ({_a1(sheet.title, r0, c0, r0 + height - 1, c0 + width - 1)}) "
                "exceeds grid limits. "
                f"Max rows: {sheet.rows}, max columns: {sheet.cols}",
            )
        cells = 0
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    raise GoogleError(400, f"Invalid values[{i}][{j}]: {json.dumps(value)}")
                sheet.set(r0 + i, c0 + j, _stored(value, option))
                cells += 1
        result: dict[str, Any] = {"spreadsheetId": book.id}
        if height and width:
            result["updatedRange"] = _a1(sheet.title, r0, c0, r0 + height - 1, c0 + width - 1)
            result.update(updatedRows=height, updatedColumns=width, updatedCells=cells)
        else:
            result["updatedRange"] = _a1(sheet.title, r0, c0, r0, c0)
        return result

    def _with_values(self, req_args: Mapping[str, Any], book: _Spreadsheet, result: dict[str, Any]) -> None:
        if str(req_args.get("includeValuesInResponse")).lower() == "true" and "updatedRows" in result:
            render = req_args.get("responseValueRenderOption") or "FORMATTED_VALUE"
            rng = _resolve_range(book, result["updatedRange"])
            result["updatedData"] = self._read(rng, render, "ROWS")

    def _values_update(self, req: _Request, book: _Spreadsheet, target: str) -> _Reply:
        option = self._input_option(req.arg("valueInputOption"))
        body = req.json()
        result = self._write(book, target, body.get("values") or [], option, body.get("majorDimension"))
        self._with_values({k: v[0] for k, v in req.query.items()}, book, result)
        self._sheets_changed(book)
        return _json_reply(200, result)

    def _values_batch_update(self, req: _Request, book: _Spreadsheet) -> _Reply:
        body = req.json()
        option = self._input_option(body.get("valueInputOption"))
        work = copy.deepcopy(book)
        responses = []
        for item in body.get("data") or []:
            result = self._write(
                work, item.get("range") or "", item.get("values") or [], option, item.get("majorDimension")
            )
            self._with_values(body, work, result)
            responses.append(result)
        self._books[book.id] = work
        touched = {r["updatedRange"].rpartition("!")[0] for r in responses if "updatedRows" in r}
        reply = {
            "spreadsheetId": book.id,
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len(touched),
            "responses": responses,
        }
        self._sheets_changed(work)
        return _json_reply(200, reply)

    def _values_append(self, req: _Request, book: _Spreadsheet, target: str) -> _Reply:
        option = self._input_option(req.arg("valueInputOption"))
        insert = req.arg("insertDataOption") or "OVERWRITE"
        if insert not in ("OVERWRITE", "INSERT_ROWS"):
            raise GoogleError(400, f"Invalid value at 'insert_data_option' ({insert})")
        body = req.json()
        values = body.get("values") or []
        matrix = _transpose(values) if body.get("majorDimension") == "COLUMNS" else values
        rng = _resolve_range(book, target)
        sheet = rng.sheet
        r1, c1, r2, c2 = rng.clipped()
        last_row: int | None = None
        first_col: int | None = None
        last_col: int | None = None
        first_row: int | None = None
        for r in range(r1, min(r2 + 1, len(sheet.cells))):
            for c in range(c1, min(c2 + 1, len(sheet.cells[r]))):
                if sheet.cells[r][c] is not None:
                    first_row = r if first_row is None else first_row
                    last_row = r
                    first_col = c if first_col is None else min(first_col, c)
                    last_col = c if last_col is None else max(last_col, c)
        at_row = r1 if last_row is None else last_row + 1
        at_col = c1 if first_col is None else first_col
        height = len(matrix)
        width = max((len(row) for row in matrix), default=0)
        if height:
            if insert == "INSERT_ROWS":
                sheet.insert_rows(at_row, height)
            elif at_row + height > sheet.rows:
                sheet.rows = at_row + height
            if at_col + width > sheet.cols:
                sheet.cols = at_col + width
        result = self._write(book, target, matrix, option, None, at=(at_row, at_col))
        result.pop("spreadsheetId", None)
        result["spreadsheetId"] = book.id
        reply: dict[str, Any] = {"spreadsheetId": book.id, "updates": result}
        if last_row is not None and first_row is not None and first_col is not None and last_col is not None:
            reply["tableRange"] = _a1(sheet.title, first_row, first_col, last_row, last_col)
        self._with_values({k: v[0] for k, v in req.query.items()}, book, result)
        self._sheets_changed(book)
        return _json_reply(200, reply)

    def _clear(self, book: _Spreadsheet, target: str) -> str:
        rng = _resolve_range(book, target)
        r1, c1, r2, c2 = rng.clipped()
        for r in range(r1, min(r2 + 1, len(rng.sheet.cells))):
            row = rng.sheet.cells[r]
            for c in range(c1, min(c2 + 1, len(row))):
                row[c] = None
        self._sheets_changed(book)
        return rng.a1()

    def _sheets_changed(self, book: _Spreadsheet) -> None:
        f = self._files.get(book.id)
        if f is not None:
            self._touch(f)
            self._record_change(f)
