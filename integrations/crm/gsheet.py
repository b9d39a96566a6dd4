"""The CRM sheet as a Google Sheets worksheet: header in row 1, order ID in column A, one row per order.

Writes are RAW, so Sheets keeps exactly the text given ("0812…" keeps its zero, a 20-digit order ID
stays text). Every cell also goes through guard_formula, so a copy downloaded as CSV and opened in
Excel still shows text instead of running it. Every call goes through the bounded retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import gspread
from gspread.http_client import HTTPClient
from gspread.utils import absolute_range_name, rowcol_to_a1

from fulfil.core.cells import guard_formula
from integrations.crm.header import header_mismatch, only_grows
from integrations.google.clients import gspread_account_email
from integrations.google.retry import GoogleApiError, RetryPolicy, call

T = TypeVar("T")
# Read what a person sees, so an ID typed by hand matches the text fulfil wrote.
_READ: dict[str, Any] = {"valueRenderOption": "FORMATTED_VALUE"}


class CrmSheetError(GoogleApiError):
    """The CRM sheet cannot be used as it is: missing, not shared, or laid out differently."""


class GoogleCrmSheet:
    def __init__(
        self,
        client: gspread.Client,
        spreadsheet_key: str,
        worksheet: str,
        header: list[str],
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not header:
            raise ValueError("the CRM header is empty")
        self.client = client
        self.spreadsheet_key = spreadsheet_key
        self.worksheet = worksheet
        self.header = list(header)
        self.policy = policy
        self._tab = absolute_range_name(worksheet)
        self._last_col = rowcol_to_a1(1, len(self.header))[:-1]
        # One writer at a time: two upserts reading the same ID column would both append a new order.
        self._lock = threading.Lock()
        self._opened = False  # the worksheet was seen to exist; cleared when a call fails

    @property
    def _http(self) -> HTTPClient:
        return self.client.http_client

    # --- the CrmSheet port ---

    def upsert(self, rows: Iterable[Mapping[str, Any]]) -> None:
        batch = self._batch(rows)
        if not batch:
            return
        with self._lock:
            self._open()
            found, ids = self._call(self._read_head, "read the header and order IDs")
            self._check_header(found, ids)
            if only_grows(found, self.header):
                self._grow_header()
            where: dict[str, int] = {}
            for number, order_id in enumerate(ids, start=2):  # row 1 is the header
                if order_id:
                    where.setdefault(order_id, number)
            updates = [(where[oid], values) for oid, values in batch.items() if oid in where]
            fresh = {oid: values for oid, values in batch.items() if oid not in where}
            if updates:
                body = {
                    "valueInputOption": "RAW",
                    "data": [{"range": self._row_range(n), "values": [values]} for n, values in updates],
                }
                key = self.spreadsheet_key
                self._call(lambda: self._http.values_batch_update(key, body), f"update {len(updates)} row(s)")
            if fresh:
                self._append(fresh, with_header=not found)

    def rows(self) -> list[dict[str, str]]:
        self._open()
        key = self.spreadsheet_key
        got = self._call(lambda: self._http.values_get(key, self._tab, params=_READ), "read the rows")
        values = [[str(c) for c in r] for r in got.get("values", [])]
        if not values:
            return []
        self._check_header(values[0], [r[0] if r else "" for r in values[1:]])
        width = len(self.header)
        return [
            dict(zip(self.header, r + [""] * (width - len(r)), strict=False)) for r in values[1:] if any(r)
        ]

    def check(self) -> list[str]:
        """What stops fulfil from using the sheet right now (for `fulfil doctor`); [] when fine."""
        self._opened = False  # look again: the sheet may have been renamed or unshared since
        try:
            self._open()
            found, ids = self._call(self._read_head, "read the header and order IDs")
            self._check_header(found, ids)
        except CrmSheetError as exc:
            return [str(exc)]
        return []

    # --- steps ---

    def _batch(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
        """Rows as guarded cell text keyed by order ID; a repeated ID keeps its last row."""
        batch: dict[str, list[str]] = {}
        for row in rows:
            values = [guard_formula(_text(row.get(h))) for h in self.header]
            if not values[0].strip():
                raise ValueError(f"a CRM row has no {self.header[0]!r}: {dict(row)}")
            batch[values[0]] = values
        return batch

    def _open(self) -> None:
        """Find the worksheet once per instance (one call), so later passes spend nothing on it."""
        if self._opened:
            return
        key = self.spreadsheet_key
        params: dict[str, Any] = {"fields": "sheets.properties.title"}
        meta = self._call(lambda: self._http.fetch_sheet_metadata(key, params=params), "open the spreadsheet")
        titles = [s.get("properties", {}).get("title") for s in meta.get("sheets", [])]
        if self.worksheet not in titles:
            raise CrmSheetError(
                f"worksheet {self.worksheet!r} not found in the CRM spreadsheet {key} "
                f"(it has {titles}); create it or set FULFIL_CRM_WORKSHEET"
            )
        self._opened = True

    def _read_head(self) -> tuple[list[str], list[str]]:
        """Row 1 and the order IDs below it, in one call."""
        ranges = [f"{self._tab}!1:1", f"{self._tab}!A2:A"]
        got = self._http.values_batch_get(self.spreadsheet_key, ranges, params=dict(_READ))
        head, column = (v.get("values", []) for v in got["valueRanges"])
        return ([str(c) for c in head[0]] if head else []), [str(r[0]) if r else "" for r in column]

    def _check_header(self, found: list[str], ids: list[str]) -> None:
        if not found:
            if any(ids):
                raise CrmSheetError(
                    f"worksheet {self.worksheet!r}: row 1 is empty but rows below hold orders; "
                    "put the header back before fulfil writes again"
                )
            return  # an empty worksheet: the first append writes the header
        if found != self.header and not only_grows(found, self.header):
            raise CrmSheetError(header_mismatch(f"worksheet {self.worksheet!r}", found, self.header))

    def _grow_header(self) -> None:
        """Write the configured header into row 1: only columns added at the end are new."""
        body = {"valueInputOption": "RAW", "data": [{"range": f"{self._tab}!A1", "values": [self.header]}]}
        key = self.spreadsheet_key
        self._call(lambda: self._http.values_batch_update(key, body), "add the new columns to the header")

    def _append(self, fresh: dict[str, list[str]], *, with_header: bool) -> None:
        tries = 0

        def attempt() -> None:
            nonlocal tries
            tries += 1
            header_needed, pending = with_header, list(fresh.values())
            if tries > 1:
                # The last attempt may have landed though its answer was lost (a timeout): look
                # again, so a retry never writes an order's row twice.
                found, ids = self._read_head()
                header_needed = not found
                present = set(ids)
                pending = [values for oid, values in fresh.items() if oid not in present]
            values = ([self.header] if header_needed else []) + pending
            if values:
                self._http.values_append(
                    self.spreadsheet_key,
                    f"{self._tab}!A:{self._last_col}",
                    params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                    body={"majorDimension": "ROWS", "values": values},
                )

        self._call(attempt, f"append {len(fresh)} row(s)")

    def _row_range(self, number: int) -> str:
        return f"{self._tab}!A{number}:{self._last_col}{number}"

    def _call(self, fn: Callable[[], T], what: str) -> T:
        try:
            return call(fn, what=f"CRM sheet: {what}", policy=self.policy)
        except GoogleApiError as exc:
            self._opened = False  # the sheet may have changed under us: look again next time
            raise self._explain(exc) from None

    def _explain(self, exc: GoogleApiError) -> CrmSheetError:
        key, email = self.spreadsheet_key, gspread_account_email(self.client)
        if exc.status == 403 and not exc.retryable:  # a retryable 403 is a rate limit, not a refusal
            problem = (
                f"permission denied on the CRM spreadsheet {key}: share the sheet with {email} as Editor"
            )
        elif exc.status == 404:
            problem = (
                f"the CRM spreadsheet {key} was not found: check FULFIL_CRM_SPREADSHEET_KEY "
                f"and that the sheet is shared with {email}"
            )
        elif exc.status == 400 and "parse range" in str(exc):
            problem = f"worksheet {self.worksheet!r} not found in the CRM spreadsheet {key} (renamed?)"
        else:
            return CrmSheetError(str(exc), retryable=exc.retryable, status=exc.status)
        return CrmSheetError(problem, status=exc.status)


def _text(value: object) -> str:
    return "" if value is None else str(value)
