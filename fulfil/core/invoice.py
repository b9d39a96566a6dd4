"""Invoices: what the buyer pays and the number the shop files it under.

Numbers run per month (`INV/2026/11/0001`), are given once per order (a rerun gets the same one)
and never reused: a cancelled order's invoice is voided, not deleted, and its number stays taken.
The store allocates them (integrations/store); the PDF is an adapter (integrations/invoices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from fulfil.core.money import rupiah

if TYPE_CHECKING:
    from fulfil.core.catalogue import Service
    from fulfil.core.order import Order


class IssueWhen(StrEnum):
    """When the shop makes a buyer's invoice: once the order is paid, or once it is completed."""

    PAID = "paid"
    COMPLETED = "completed"


def invoice_number(prefix: str, year: int, month: int, seq: int) -> str:
    """INV/2026/11/0001: the shop's prefix, the month it was issued in, its place in that month."""
    return f"{prefix}/{year:04d}/{month:02d}/{seq:04d}"


def file_name(number: str) -> str:
    """INV-2026-11-0001.pdf: the number as a file name (no slashes)."""
    return number.replace("/", "-") + ".pdf"


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: int  # rupiah

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Invoice:
    """One issued invoice, as kept and as printed."""

    number: str
    order_id: str
    issued_at: datetime
    buyer_name: str
    lines: tuple[Line, ...]
    shop_name: str
    voided_at: datetime | None = None
    void_reason: str = ""

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total_text(self) -> str:
        return rupiah(self.total)

    @property
    def file_name(self) -> str:
        return file_name(self.number)


def bill(order: Order, service: Service | None) -> tuple[Line, ...]:
    """What the buyer pays: the price (the service's, or the form's for an item the catalogue does
    not price) times the quantity, and the shipping; nothing without a price."""
    price = order.unit_price if service is None or service.price is None else service.price
    if service is None or price is None or not order.quantity:
        return ()
    name = service.name.id if order.lang == "id" else service.name.en
    lines = [Line(name, order.quantity, price)]
    if service.shipping is not None and service.shipping.cost:
        lines.append(Line("Ongkos kirim" if order.lang == "id" else "Shipping", 1, service.shipping.cost))
    return tuple(lines)


# What a message's attachment list names for "the order's invoice" (the outbox keeps no file).
INVOICE_ATTACHMENT = "invoice"


def carries_invoice(when: IssueWhen, kind: str, *, paid: bool) -> bool:
    """Which buyer message brings the invoice: the confirmation of a paid order (the shop invoices
    on payment), or the completion message (it invoices on completion)."""
    if when == IssueWhen.PAID:
        return kind == "confirmation" and paid
    return kind == "completed"
