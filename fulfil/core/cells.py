"""Text that is safe to put in a spreadsheet cell and in a message."""

import re
import unicodedata

# A sheet (Google Sheets, Excel, LibreOffice) runs a cell that starts with one of these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A phone number in the international form (+6281234567890): a sheet reads it as a number at most,
# never runs anything, and a quote before it would show in a sheet written RAW.
_PHONE_NUMBER = re.compile(r"\+[1-9]\d{6,14}")

# Characters that reorder the text around them: a name or note holding them can show in an email
# or a sheet as something else than it is ("Trojan Source"). Removed where buyer text is shown.
BIDI_CONTROLS = frozenset(
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
        0x061C,
    )
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")

# Where buyer text is cut, the reader is told where the rest is: the order keeps it whole.
CUT_MARK = "… (lihat pesanan / see the order)"
NAME_LIMIT = 100
NOTES_LIMIT = 1000
ADDRESS_LIMIT = 500


def guard_formula(value: str) -> str:
    """Prefix a quote so a spreadsheet shows the text instead of running it."""
    if value.startswith(FORMULA_PREFIXES) and not _PHONE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def without_bidi(text: str) -> str:
    """The text with every bidirectional control character removed."""
    # Most texts hold none: an ASCII check, then a look for each, are ~20 times faster than the
    # pattern's scan (four a message, three messages an order of a big import).
    if text.isascii() or not any(control in text for control in BIDI_CONTROLS):
        return text
    return _BIDI.sub("", text)


def shown(text: str, limit: int) -> str:
    """Buyer text as an email or a sheet shows it: no bidi controls, at most `limit` characters
    and then where to read the rest."""
    clean = without_bidi(text)
    if len(clean) <= limit:
        return clean
    return clean[:limit].rstrip() + CUT_MARK


def safe_display_name(name: str, limit: int = 120) -> str:
    """A file name as a person may safely see it: no control or bidi characters, no path, bounded."""
    cleaned = "".join(
        "?" if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in name
    )
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip()
    if cleaned in ("", ".", ".."):
        cleaned = "_"
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned
