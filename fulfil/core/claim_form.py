"""Claims from the buyer's side: a row of the shop's claim form (a Google Form like the order
form, or its export) read into a claim a buyer may make on their own order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The claim form's questions as Google Forms exports them (Indonesian first); a header matches
# any of its names, case and spaces aside.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "order_id": ("ID Pesanan", "ID Order", "Nomor Pesanan", "Order ID"),
    "email": ("Email", "Alamat email", "Email Address"),
    "reason": ("Keluhan", "Alasan", "Alasan klaim", "Reason", "Complaint"),
    "items": ("Jumlah item", "Jumlah yang diklaim", "Items", "Items claimed"),
}


@dataclass(frozen=True)
class ClaimRow:
    row: int  # the sheet's row number, header being 1
    order_id: str
    email: str
    reason: str
    items: int | None


def _key(header: str) -> str:
    return " ".join(header.split()).casefold()


def column_map(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Which header feeds which field, and the fields no header names (the required ones)."""
    by_key = {_key(h): h for h in headers}
    found = {
        field: next((by_key[_key(n)] for n in names if _key(n) in by_key), "")
        for field, names in COLUMNS.items()
    }
    missing = [f for f in ("order_id", "email", "reason") if not found[f]]
    return {f: h for f, h in found.items() if h}, missing


def read_claim(row: int, cells: Mapping[str, str], columns: Mapping[str, str]) -> ClaimRow | str:
    """The claim in a row, or why it cannot be read (one line naming the row and the field)."""
    order_id = cells.get(columns["order_id"], "").strip().upper()
    email = cells.get(columns["email"], "").strip()
    reason = cells.get(columns["reason"], "").strip()
    items_text = cells.get(columns.get("items", ""), "").strip()
    if not order_id:
        return f"row {row}: {columns['order_id']} is empty"
    if not reason:
        return f"row {row}: {columns['reason']} is empty (what is wrong?)"
    items: int | None = None
    if items_text:
        if not items_text.isdigit() or int(items_text) < 1:
            return f"row {row}: {columns['items']} {items_text!r} is not a number of items"
        items = int(items_text)
    return ClaimRow(row, order_id, email, reason, items)


def same_buyer(claim_email: str, order_email: str) -> bool:
    """Only the buyer may claim: the form's email must be the order's (case aside)."""
    return bool(claim_email) and claim_email.strip().casefold() == order_email.strip().casefold()
