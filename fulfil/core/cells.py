"""Text that is safe to put in a spreadsheet cell and in a message."""

import unicodedata

# A sheet (Google Sheets, Excel, LibreOffice) runs a cell that starts with one of these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_BIDI_CONTROLS = {
    chr(c)
    for c in (
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x200E,
        0x200F,
    )
}


def guard_formula(value: str) -> str:
    """Prefix a quote so a spreadsheet shows the text instead of running it."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_display_name(name: str, limit: int = 120) -> str:
    """A file name as a person may safely see it: no control or bidi characters, no path, bounded."""
    cleaned = "".join(
        "?" if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in name
    )
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip()
    if cleaned in ("", ".", ".."):
        cleaned = "_"
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned
