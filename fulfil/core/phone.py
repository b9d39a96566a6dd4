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


LOCAL = "local"  # 0812…, as Indonesians write a number
INTERNATIONAL = "international"  # +62812…, as WhatsApp links and other countries' numbers need


def phone_shown(phone: str, written: str, form: str = INTERNATIONAL) -> str:
    """The number for a person to read: `phone` (E.164) in the shop's chosen form, an Indonesian
    one as 0812… when `form` is local. A number that is not valid has no E.164 form: it is shown
    as the buyer `written` it, for ops to put right."""
    if not phone:
        return written
    if form == LOCAL and phone.startswith("+62"):
        return "0" + phone.removeprefix("+62")
    return phone
