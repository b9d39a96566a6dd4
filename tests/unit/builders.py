"""Realistic test data for the core: a valid Indonesian form row and orders in a given status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.core.validation import OrderDraft

TZ = "Asia/Jakarta"

# A Google Form's responses sheet as its Indonesian export writes it: no order ID column.
RESPONSES_HEADERS = [
    "Timestamp",
    "Nama",
    "Email",
    "No. WhatsApp",
    "Kode Layanan",
    "Jumlah",
    "Deadline",
    "Catatan",
    "Status Pembayaran",
]

# 30/11/2026 23:59:59 WIB, the end of the day the example row asks for.
END_OF_30_NOV_WIB = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)

GOOD_DRAFT = OrderDraft(
    order_id="INV-0001",
    submitted_at="23/11/2026 08:02:11",
    buyer_name="Siti Nurhaliza",
    buyer_email="siti.nurhaliza@gmail.com",
    phone="081234567890",
    service_code="GMAIL-BARU",
    quantity="10",
    deadline="30/11/2026",
    notes="Nama akun bebas asal profesional",
    payment="Lunas",
    lang="Indonesia",
)


def draft(**changes: str) -> OrderDraft:
    """The example's first row, with some fields changed."""
    return replace(GOOD_DRAFT, **changes)


def order_in(status: OrderStatus, **fields) -> Order:
    """An order already in `status`, for the Indonesian buyer of the example row."""
    values = {
        "order_id": "INV-0001",
        "status": status,
        "service_code": "GMAIL-BARU",
        "buyer_name": "Siti Nurhaliza",
        "buyer_email": "siti.nurhaliza@gmail.com",
        "phone_raw": "081234567890",
        "phone": "+6281234567890",
        "quantity": 10,
        "deadline": END_OF_30_NOV_WIB,
        "paid": True,
    }
    values.update(fields)
    return Order(**values)
