"""Goods are delivered once: what identifies a delivered file and each item (row) in it, so the
same accounts never go to two orders, and the rule that judges a file's content by what it is,
not by its name.

An item's identity is a keyed digest of its row (cells trimmed, case folded): the store keeps
digests, never rows, and without the shop's key a digest cannot be turned back into an account.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

# A file's content as sniffed by the adapter: a type name ("png", "pdf", "xlsx", "zip", …), or
# "text" / "binary" when no known signature matched.
TEXT = "text"
BINARY = "binary"

# What a file of each name extension must contain. Extensions not listed are not checked.
CONTENT_OF: Mapping[str, frozenset[str]] = {
    "png": frozenset({"png"}),
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "pdf": frozenset({"pdf"}),
    # An Office file is a zip; a signature reader may name it either way.
    "xlsx": frozenset({"xlsx", "zip"}),
    "xlsm": frozenset({"xlsx", "zip"}),
    "docx": frozenset({"docx", "zip"}),
    "zip": frozenset({"zip", "xlsx", "docx"}),
    "mp4": frozenset({"mp4"}),
    "csv": frozenset({TEXT}),
    "txt": frozenset({TEXT}),
}


def content_mismatch(name: str, sniffed: str | None) -> str:
    """Why a file's content is not what its name says, in both languages; empty when it is (or
    when nothing was sniffed, or the extension is not one fulfil checks)."""
    ext = PurePath(name).suffix.lower().lstrip(".")
    expected = CONTENT_OF.get(ext)
    if sniffed is None or expected is None or sniffed in expected:
        return ""
    said = {TEXT: "teks / text", BINARY: "data biner / binary data"}.get(sniffed, sniffed.upper())
    return (
        f"Isi file bukan {ext.upper()} (terbaca sebagai {said.split(' / ')[0]}) / "
        f"The file's content is not a {ext.upper()} (it reads as {said.split(' / ')[-1]})"
    )


@dataclass(frozen=True)
class Items:
    """The distinct items of a deliverable file and how many rows repeated one already counted."""

    digests: frozenset[str]
    repeated: int

    @property
    def count(self) -> int:
        return len(self.digests)


def item_digest(row: Sequence[str], key: bytes) -> str:
    # JSON keeps the cells apart whatever they hold: ("a", "b") is never ("a,b",).
    normal = json.dumps([cell.strip().casefold() for cell in row], ensure_ascii=False)
    return hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def items_of(rows: Iterable[Sequence[str]], key: bytes) -> Items:
    """Each distinct row once: a file listing one account three times delivers one account."""
    digests: set[str] = set()
    total = 0
    for row in rows:
        total += 1
        digests.add(item_digest(row, key))
    return Items(frozenset(digests), total - len(digests))


def file_digest(md5: str) -> str:
    """The goods key of a whole file: its checksum (Order.goods_held writes the same)."""
    return f"file:{md5}"


def taken_elsewhere(order_id: str, digests: Iterable[str], owners: Mapping[str, str]) -> dict[str, int]:
    """The other orders that already hold some of these digests, with how many each holds."""
    found: dict[str, int] = {}
    for digest in digests:
        owner = owners.get(digest)
        if owner is not None and owner != order_id:
            found[owner] = found.get(owner, 0) + 1
    return found
