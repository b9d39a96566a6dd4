"""Phone numbers stay text: the leading zero a buyer wrote is kept beside the +62 form."""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
# "+62 (0)812…" is written too: the zero after the country code is dropped.
_INDONESIAN_MOBILE = re.compile(r"^(?:\+62|62)?0?(8\d{7,12})$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")


def normalise_phone(raw: str) -> str | None:
    """Return the E.164 form (`+62812…`), or None when it is not a phone number.

    `0812…`, `+62812…`, `62812…` and `812…` (a sheet that dropped the zero) are one number.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if match := _INDONESIAN_MOBILE.match(compact):
        return "+62" + match.group(1)
    if _INTERNATIONAL.match(compact):
        return compact
    return None
