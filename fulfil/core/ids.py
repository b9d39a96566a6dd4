"""Order IDs: the source's own when it has one, otherwise derived from the row itself."""

import hashlib
import re

_ALLOWED = re.compile(r"[^A-Za-z0-9._-]+")


def clean_order_id(raw: str) -> str:
    """An ID as the source wrote it, reduced to characters safe in folder and run names."""
    # No leading/trailing dots or dashes: "." and ".." are not folder names.
    return _ALLOWED.sub("-", raw.strip()).strip("-.").upper()[:64]


def derive_order_id(submitted_at: str, buyer_email: str, buyer_name: str = "") -> str:
    """The same form row always maps to the same ID, so reading it again finds the same order.

    Fixed width, so searching the Prefect UI for one order never also lists others.
    """
    key = "|".join((submitted_at.strip(), buyer_email.strip().lower(), buyer_name.strip()))
    return "ORD-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10].upper()
