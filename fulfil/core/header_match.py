"""A header that nearly names a known column: said to the shop, never guessed into use.

"No WhatsApp" for "No. WhatsApp" would otherwise drop every phone number without a word; taking
it silently could just as well map "Nama Produk" to the buyer's name. So fulfil names the near
match and the line to add to configs/source_columns.yaml, and the shop decides.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# How alike two headers must be, punctuation, spaces and case aside (difflib's ratio): a letter
# left out or doubled in a name of six or more ("Jumlh", "Kode Layanann") passes; a different
# column sharing a word ("Alamat" beside "Alamat email", "Nama Produk" beside "Nama") does not.
CLOSE_ENOUGH = 0.8
COLUMNS_FILE = "configs/source_columns.yaml"


@dataclass(frozen=True)
class NearMiss:
    """A field the file has no column for, and the header in the file that nearly names it."""

    field: str
    header: str  # as the file writes it
    name: str  # the configured name it nearly matches

    def advice(self) -> str:
        return f'{self.header} → did you mean "{self.name}"? add it to {COLUMNS_FILE} under {self.field}'


def loose(header: str) -> str:
    """A header with only its letters and digits, in one case: "No. WhatsApp" -> "nowhatsapp"."""
    return "".join(ch for ch in str(header).casefold() if ch.isalnum())


def near_misses(
    headers: Sequence[str], columns: Mapping[str, Sequence[str]], found: Mapping[str, str]
) -> list[NearMiss]:
    """For each configured field not `found`, the unused header most like one of its names, if
    any is close enough; at most one per field, in the configuration's order."""
    unused = [h for h in headers if h not in set(found.values()) and loose(h)]
    misses: list[NearMiss] = []
    for fld, names in columns.items():
        if fld in found:
            continue
        best: tuple[float, str, str] | None = None
        for header in unused:
            for name in names:
                score = difflib.SequenceMatcher(None, loose(header), loose(name)).ratio()
                if score >= CLOSE_ENOUGH and (best is None or score > best[0]):
                    best = (score, header, name)
        if best is not None:
            misses.append(NearMiss(fld, best[1], best[2]))
    return misses
