"""From a form export's rows to order drafts: column mapping, IDs, duplicates collapsed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from fulfil.core.errors import FulfilError
from fulfil.core.header_match import NearMiss, near_misses
from fulfil.core.identity import Response, Verdict, read_response
from fulfil.core.ids import clean_order_id, derive_order_id
from fulfil.core.validation import OrderDraft


class MissingColumns(FulfilError):
    pass


@dataclass(frozen=True)
class SourceRow:
    draft: OrderDraft
    row_number: int
    source_hash: str
    # Set when the source gave no order ID: the response as fulfil names it (core/identity.py).
    response: Response | None = None
    verdict: Verdict = Verdict.SAME
    other_order: str = ""  # the order a possible double submission repeats

    def named(self, order_id: str, verdict: Verdict, other_order: str = "") -> SourceRow:
        """This row as the response of `order_id`."""
        draft = replace(self.draft, order_id=order_id)
        return replace(self, draft=draft, source_hash=_hash(draft), verdict=verdict, other_order=other_order)


def _hash(draft: OrderDraft) -> str:
    return hashlib.sha256(
        json.dumps(draft.as_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def _norm(header: str) -> str:
    return " ".join(str(header).split()).casefold()


@dataclass(frozen=True)
class HeaderMatch:
    """Which header feeds each order field, and headers that nearly name a field left unfed."""

    found: dict[str, str]
    near: list[NearMiss] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [n.advice() for n in self.near]


def match_headers(
    headers: Sequence[str], columns: Mapping[str, Sequence[str]], required: Sequence[str]
) -> HeaderMatch:
    """Map each order field to the header that feeds it; refuse a file missing a required one,
    naming the header that nearly matches it when there is one."""
    by_norm = {_norm(h): h for h in headers}
    found: dict[str, str] = {}
    for fld, names in columns.items():
        for name in names:
            if _norm(name) in by_norm:
                found[fld] = by_norm[_norm(name)]
                break
    near = near_misses(headers, columns, found)
    missing = [columns[f][0] for f in required if f not in found]
    if missing:
        hints = [n.advice() for n in near if n.field in required]
        raise MissingColumns(
            "the file lacks required column(s): "
            + ", ".join(repr(m) for m in missing)
            + f" (it has: {', '.join(repr(h) for h in headers) or 'no header'})"
            + "".join(f"; {hint}" for hint in hints)
        )
    return HeaderMatch(found, near)


def match_columns(
    headers: Sequence[str], columns: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, str]:
    """Map each order field to the header that feeds it; refuse a file missing a required one."""
    return match_headers(headers, columns, required).found


def to_source_rows(
    headers: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    tz: str = "Asia/Jakarta",
    *,
    matched: HeaderMatch | None = None,
) -> list[SourceRow]:
    """Drafts in file order; rows with the same order ID collapse to the last one written.

    A row without an order ID gets a provisional one derived from the row, and its response
    key: the intake names its order from the responses it has seen (core/identity.py).
    `matched`: the headers as already matched (match_headers), to keep its warnings."""
    mapping = (matched or match_headers(headers, columns, required)).found
    by_id: dict[str, SourceRow] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as a sheet counts
        values = {fld: _text(row.get(header)) for fld, header in mapping.items()}
        if not any(values.values()):
            continue
        order_id = clean_order_id(values.get("order_id", ""))
        given = bool(order_id)
        if not given:
            order_id = derive_order_id(
                values.get("submitted_at", ""),
                values.get("buyer_email", ""),
                values.get("buyer_name", ""),
            )
        values["order_id"] = order_id
        draft = OrderDraft(**values)
        response = None
        if not given:
            response = read_response(draft, number, order_id, tz)
        by_id.pop(order_id, None)
        by_id[order_id] = SourceRow(draft, number, _hash(draft), response)
    return list(by_id.values())


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
