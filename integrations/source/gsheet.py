"""A Google Form's responses worksheet as an order source: one values call per pass, all text.

Cells are read as FORMATTED_VALUE, the text the sheet shows: a timestamp comes out as typed
("30/11/2026 17:00:00"), never as a serial number, and a phone stored as text keeps its zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import gspread
from gspread.urls import DRIVE_FILES_API_V3_URL
from gspread.utils import absolute_range_name

from integrations.google.clients import gspread_account_email
from integrations.google.retry import GoogleApiError, RetryPolicy, call
from integrations.ports import AdapterError, SourceTable

T = TypeVar("T")


class FormResponsesSource:
    def __init__(
        self,
        client: gspread.Client,
        spreadsheet_key: str,
        worksheet: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.spreadsheet_key = spreadsheet_key
        self.worksheet = worksheet
        self.policy = policy
        self._tab = absolute_range_name(worksheet)

    def revision(self) -> str | None:
        """The spreadsheet's Drive `version`, which grows with every change to it: one Drive call
        instead of a Sheets read (Sheets allows 60 reads a minute per user, Drive far more)."""
        url = f"{DRIVE_FILES_API_V3_URL}/{self.spreadsheet_key}"
        params: dict[str, str | int | bool | float | list[str] | None] = {
            "fields": "version",
            "supportsAllDrives": "true",
        }
        answer = self._call(
            lambda: self.client.http_client.request("get", url, params=params).json(), "check"
        )
        version = answer.get("version") if isinstance(answer, dict) else None
        return str(version) if version is not None else None

    def read(self) -> list[SourceTable]:
        key = self.spreadsheet_key
        params: dict[str, Any] = {"valueRenderOption": "FORMATTED_VALUE"}
        got = self._call(lambda: self.client.http_client.values_get(key, self._tab, params=params), "read")
        values = [[str(c) for c in row] for row in got.get("values", [])]
        name = f"{self.worksheet} (Google Sheet)"
        if not values:
            return [SourceTable(name, [], [])]
        headers = [h.strip() for h in values[0]]
        width = len(headers)
        # Blank rows stay in (as empty rows intake skips) so row numbers match the sheet's.
        rows = [dict(zip(headers, r + [""] * (width - len(r)), strict=False)) for r in values[1:]]
        return [SourceTable(name, headers, rows)]

    def check(self) -> list[str]:
        """What stops fulfil from reading the responses now (for `fulfil doctor`); [] when fine."""
        key = self.spreadsheet_key
        try:
            meta = self._call(
                lambda: self.client.http_client.fetch_sheet_metadata(
                    key, params={"fields": "sheets.properties.title"}
                ),
                "open the spreadsheet",
            )
            titles = [s.get("properties", {}).get("title") for s in meta.get("sheets", [])]
            if self.worksheet not in titles:
                return [
                    f"worksheet {self.worksheet!r} not found in the form spreadsheet {key} (it has {titles})"
                ]
            head = self._call(
                lambda: self.client.http_client.values_get(key, f"{self._tab}!1:1"), "read the header"
            )
        except AdapterError as exc:
            return [str(exc)]
        if not head.get("values"):
            return [f"worksheet {self.worksheet!r} has no header row: is it the form's responses tab?"]
        return []

    def _call(self, fn: Callable[[], T], what: str) -> T:
        try:
            return call(fn, what=f"form responses: {what}", policy=self.policy)
        except GoogleApiError as exc:
            raise self._explain(exc) from None

    def _explain(self, exc: GoogleApiError) -> AdapterError:
        key, email = self.spreadsheet_key, gspread_account_email(self.client)
        if exc.status == 403 and not exc.retryable:  # a retryable 403 is a rate limit, not a refusal
            problem = (
                f"permission denied on the form spreadsheet {key}: share it with {email} (Viewer is enough)"
            )
        elif exc.status == 404:
            problem = (
                f"the form spreadsheet {key} was not found: check FULFIL_FORM_SPREADSHEET_KEY "
                f"and that it is shared with {email}"
            )
        elif exc.status == 400 and "parse range" in str(exc):
            problem = (
                f"worksheet {self.worksheet!r} not found in the form spreadsheet {key}; "
                "set FULFIL_FORM_WORKSHEET to the responses tab's name"
            )
        else:
            return GoogleApiError(str(exc), retryable=exc.retryable, status=exc.status)
        return GoogleApiError(problem, status=exc.status)
