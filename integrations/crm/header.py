"""The CRM sheet's header check, the same for the local CSV and the Google Sheet."""

from __future__ import annotations


def only_grows(found: list[str], wanted: list[str]) -> bool:
    """Whether the configured header adds columns at the end of the sheet's and changes nothing
    else: then fulfil writes the new column names into row 1 (an upgrade that added fields) and
    every existing row keeps its place."""
    return 0 < len(found) < len(wanted) and wanted[: len(found)] == found


def header_mismatch(where: str, found: list[str], wanted: list[str]) -> str:
    """Why a sheet's header is refused, naming what is missing and what is unexpected."""
    extra = [h for h in found if h not in wanted]
    missing = [h for h in wanted if h not in found]
    parts = [f"{where}: its header differs from configs/crm_columns.yaml"]
    if missing:
        parts.append(f"missing {missing}")
    if extra:
        parts.append(f"unexpected {extra}")
    if not missing and not extra:
        parts.append("same columns in another order")
    return "; ".join(parts) + "; refusing to write into the wrong columns"
