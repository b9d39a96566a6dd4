"""Validation of a form row: every problem at once, each said plainly in two languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fulfil.core.catalogue import Catalogue, Service
from fulfil.core.deadlines import UnreadableDate, default_deadline, parse_when, show
from fulfil.core.order import Problem
from fulfil.core.phone import normalise_phone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# "1.000" is one thousand as Indonesians write it; "1,000" as English speakers do.
_THOUSANDS = re.compile(r"^\d{1,3}([.,])\d{3}(\1\d{3})*$")
# Bounds for a quantity when the service is unknown, so the reason can still be specific.
_ANY_SERVICE_MAX = 1_000_000
PAID_WORDS = frozenset({"lunas", "sudah bayar", "sudah dibayar", "paid", "ya", "yes"})
# Values of the payment column that mean cash on delivery: dispatched before it is paid.
COD_WORDS = frozenset({"cod", "bayar di tempat", "bayar ditempat", "cash on delivery"})
# A price as shops write it: Rp150.000, Rp 150.000,00, 150000.
_PRICE = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,00?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class OrderDraft:
    """A source row after column mapping: every value still as the buyer or the sheet wrote it."""

    order_id: str = ""
    submitted_at: str = ""
    buyer_name: str = ""
    buyer_email: str = ""
    phone: str = ""
    service_code: str = ""
    quantity: str = ""
    deadline: str = ""
    notes: str = ""
    payment: str = ""
    lang: str = ""
    address: str = ""
    price: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Checked:
    """What validation made of a draft: parsed values where they could be read, and problems."""

    problems: list[Problem] = field(default_factory=list)
    service: Service | None = None
    quantity: int | None = None
    deadline: datetime | None = None
    phone: str = ""
    paid: bool = False
    cod: bool = False
    unit_price: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(
    draft: OrderDraft,
    catalogue: Catalogue,
    *,
    now: datetime,
    tz: str,
    paid_words: frozenset[str] = PAID_WORDS,
    cod_words: frozenset[str] = COD_WORDS,
) -> Checked:
    payment = draft.payment.strip().lower()
    out = Checked(paid=payment in paid_words, cod=payment in cod_words)
    problem = out.problems.append

    if not draft.buyer_name.strip():
        problem(Problem("buyer_name", "Nama pembeli wajib diisi", "Buyer name is required"))

    email = draft.buyer_email.strip()
    if not email:
        problem(Problem("buyer_email", "Email wajib diisi", "Email is required"))
    elif not _EMAIL.match(email):
        problem(
            Problem(
                "buyer_email",
                f"Email '{email}' tidak valid (contoh: nama@gmail.com)",
                f"Email '{email}' is not valid (e.g. name@gmail.com)",
            )
        )

    if draft.phone.strip():
        normal = normalise_phone(draft.phone)
        if normal is None:
            problem(
                Problem(
                    "phone",
                    f"Nomor WhatsApp '{draft.phone.strip()}' tidak valid (contoh: 081234567890)",
                    f"WhatsApp number '{draft.phone.strip()}' is not valid (e.g. 081234567890)",
                )
            )
        else:
            out.phone = normal

    code = draft.service_code.strip().upper()
    out.service = catalogue.get(code)
    if not code:
        problem(Problem("service_code", "Kode layanan wajib diisi", "Service code is required"))
    elif out.service is None:
        known = ", ".join(sorted(catalogue.services))
        problem(
            Problem(
                "service_code",
                f"Kode layanan '{code}' tidak dikenal; pilih salah satu: {known}",
                f"Unknown service code '{code}'; choose one of: {known}",
            )
        )

    out.quantity = _check_quantity(draft.quantity, out.service, problem)
    out.deadline = _check_deadline(draft, out.service, now=now, tz=tz, problem=problem)
    out.unit_price = _check_price(draft.price, problem)
    _check_shipping(draft, out, problem)
    return out


def _check_price(raw: str, problem: Callable[[Problem], None]) -> int | None:
    text = raw.strip()
    if not text:
        return None
    found = _PRICE.match(text.replace(" ", "") if len(text) <= 30 else "")
    if found is None:
        shown = text[:30]
        problem(
            Problem(
                "price",
                f"Harga '{shown}' tidak terbaca (tulis Rp150.000 atau 150000)",
                f"Price '{shown}' cannot be read (write Rp150.000 or 150000)",
            )
        )
        return None
    return int(found.group(1).replace(".", ""))


def _check_shipping(draft: OrderDraft, out: Checked, problem: Callable[[Problem], None]) -> None:
    """Shipped goods need somewhere to go; cash on delivery needs a delivery."""
    service = out.service
    if service is None:
        return
    if service.ships and not draft.address.strip():
        problem(Problem("address", "Alamat pengiriman wajib diisi", "A shipping address is required"))
    if out.cod and not service.ships:
        problem(
            Problem(
                "payment",
                f"COD hanya untuk barang yang dikirim; {service.code} tidak dikirim",
                f"Cash on delivery is only for shipped goods; {service.code} is not shipped",
            )
        )


def _check_quantity(raw: str, service: Service | None, problem: Callable[[Problem], None]) -> int | None:
    text = raw.strip().replace("_", "")
    if len(text) > 20:
        # Far beyond any quantity, and int() refuses strings of thousands of digits.
        problem(
            Problem(
                "quantity",
                f"Jumlah '{text[:20]}…' terlalu panjang",
                f"Quantity '{text[:20]}…' is far too long",
            )
        )
        return None
    if not text:
        problem(Problem("quantity", "Jumlah wajib diisi", "Quantity is required"))
        return None
    value: int | None = None
    if _INTEGER.match(text):
        value = int(text)
    elif _THOUSANDS.match(text):
        value = int(text.replace(".", "").replace(",", ""))
    else:
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        # A spreadsheet may write 10 as 10.0, or a huge entry as 1e9: both are whole numbers.
        if number == number and abs(number) != float("inf") and number.is_integer():
            value = int(number)
    if value is None:
        problem(
            Problem(
                "quantity",
                f"Jumlah '{raw.strip()}' harus bilangan bulat, misalnya 10",
                f"Quantity '{raw.strip()}' must be a whole number, e.g. 10",
            )
        )
        return None
    low = service.quantity.min if service else 1
    high = service.quantity.max if service else _ANY_SERVICE_MAX
    if not low <= value <= high:
        problem(
            Problem(
                "quantity",
                f"Jumlah {value} di luar batas {low}–{high}",
                f"Quantity {value} is outside {low}–{high}",
            )
        )
        return None
    return value


def _check_deadline(
    draft: OrderDraft, service: Service | None, *, now: datetime, tz: str, problem: Callable[[Problem], None]
) -> datetime | None:
    raw = draft.deadline.strip()
    if not raw:
        if service is None:
            problem(Problem("deadline", "Deadline wajib diisi", "Deadline is required"))
            return None
        # The lead time runs from when the order reaches the shop's pipeline.
        return default_deadline(now, service.lead_time_hours)
    try:
        deadline, _ = parse_when(raw, tz)
    except UnreadableDate:
        problem(
            Problem(
                "deadline",
                f"Deadline '{raw}' tidak terbaca (tulis 30/11/2026 atau 2026-11-30)",
                f"Deadline '{raw}' cannot be read (write 30/11/2026 or 2026-11-30)",
            )
        )
        return None
    if deadline <= now:
        problem(
            Problem(
                "deadline",
                f"Deadline {show(deadline, tz)} sudah lewat",
                f"Deadline {show(deadline, tz)} has already passed",
            )
        )
        return None
    return deadline
