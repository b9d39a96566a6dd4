"""What the Prefect UI may show about an order: keys derived from IDs, text without buyer data."""

from __future__ import annotations

import hashlib
import re

_KEY_SAFE = re.compile(r"[^a-z0-9]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International (+…) or Indonesian mobile (08…, 628…) numbers, with the separators people type;
# dates and order IDs such as `ORD-0812345678` are left alone.
_PHONE = re.compile(r"(?:\+\d{1,3}[ .\-]?\(?\d|(?<![\w-])(?:62|0)8)[\d .\-()]{6,}\d")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!])")
HIDDEN = "[disembunyikan/hidden]"


def artifact_key(order_id: str) -> str:
    """`INV-0001` → `order-inv-0001`; Prefect keys allow only lowercase letters, digits and dashes.

    An ID that is not already key-shaped (`INV/2026/7`, `inv_7`) gets a short hash of the exact
    ID too, so two IDs that fold to the same letters never share one artifact history.
    """
    folded = _KEY_SAFE.sub("-", order_id.lower()).strip("-")
    key = f"order-{folded}"
    if folded != order_id.lower():
        key += "-" + hashlib.sha1(order_id.encode()).hexdigest()[:6]
    return key


def redact(text: str, *known: str) -> str:
    """Hide email addresses, phone numbers and the given personal strings (a buyer's name)."""
    for value in sorted((k for k in known if len(k.strip()) >= 3), key=len, reverse=True):
        text = re.sub(re.escape(value.strip()), HIDDEN, text, flags=re.IGNORECASE)
    return _PHONE.sub(HIDDEN, _EMAIL.sub(HIDDEN, text))


def markdown_cell(text: str) -> str:
    """Text from outside (file names, comments) shown literally in a Markdown table cell."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
