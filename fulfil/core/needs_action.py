"""The one rule that says which orders need a person, and why.

An order can wait for ever without anyone being told: a paid order for a service with no written
procedure, a buyer's change held after dispatch, a buyer fulfil cannot reach, a message that will
not be delivered, or an order stuck before the team past its deadline. Each is alerted to ops once,
listed first in the daily digest, shown by `fulfil orders list --needs-action` and published in
the Prefect UI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fulfil.core.catalogue import Catalogue
from fulfil.core.order import Order
from fulfil.core.status import EDITABLE, FINAL, OrderStatus


class Reason(StrEnum):
    NO_PROCEDURE = "no_procedure"
    HELD_CHANGE = "held_change"
    NO_CHANNEL = "no_channel"
    UNDELIVERED = "undelivered"
    STUCK_PAST_DEADLINE = "stuck_past_deadline"
    COD_UNCOLLECTED = "cod_uncollected"
    RETURN_OPEN = "return_open"


@dataclass(frozen=True)
class NeedsAction:
    order_id: str
    reason: Reason
    detail: str  # one line, Indonesian / English, for ops: what to do
    situation: str = ""  # what makes it this situation rather than another (the detail if empty)

    @property
    def key(self) -> str:
        """Once per order, reason and situation: a second held change is a new alert."""
        digest = hashlib.sha256((self.situation or self.detail).encode("utf-8")).hexdigest()[:8]
        return f"{self.reason}-{digest}"


def needs_action(
    order: Order, catalogue: Catalogue, *, now: datetime, undelivered: Iterable[str] = ()
) -> list[NeedsAction]:
    """Why this order needs a person now (none: it does not). `undelivered` are the kinds of its
    messages given up on or set aside as unsure."""
    found: list[NeedsAction] = []

    def need(reason: Reason, detail: str, situation: str = "") -> None:
        found.append(NeedsAction(order.order_id, reason, detail, situation))

    service = catalogue.get(order.service_code)
    open_ = order.status not in FINAL and order.status != OrderStatus.CANCELLED
    if (
        order.status in EDITABLE
        and order.paid
        and not order.problems
        and service is not None
        and not service.can_dispatch
    ):
        need(
            Reason.NO_PROCEDURE,
            f"Layanan {service.code} belum punya prosedur (OLP): tim tidak bisa mengerjakan / "
            f"service {service.code} has no written procedure: add procedure_url or cancel the order",
        )
    if order.held_change:
        fields = ", ".join(sorted(k for k, v in order.held_change.items() if order.source.get(k, "") != v))
        need(
            Reason.HELD_CHANGE,
            f"Pembeli mengubah jawaban setelah dikirim ke tim ({fields or '?'}) / "
            f"the buyer changed {fields or 'answers'} after dispatch: apply it or leave it",
            json.dumps(order.held_change, sort_keys=True),
        )
    if open_ and not order.buyer_reachable:
        need(
            Reason.NO_CHANNEL,
            "Pembeli tidak bisa dihubungi (tanpa email atau nomor) / "
            "the buyer gave no usable email or phone: contact them another way",
        )
    kinds = sorted(set(undelivered))
    if kinds:
        need(
            Reason.UNDELIVERED,
            f"Pesan tidak terkirim: {', '.join(kinds)} / messages not delivered: {', '.join(kinds)} "
            "(fulfil outbox list --failed)",
        )
    if order.status in EDITABLE and order.deadline is not None and now > order.deadline:
        need(
            Reason.STUCK_PAST_DEADLINE,
            f"Masih {order.status} setelah deadline / still {order.status} past its deadline: "
            "nobody is working on it",
        )
    delivered = order.shipments[-1].delivered_at if order.shipments else None
    days = catalogue.cod_collect_days
    if order.cod and not order.paid and delivered is not None and now > delivered + timedelta(days=days):
        need(
            Reason.COD_UNCOLLECTED,
            f"COD belum dikonfirmasi lunas {days} hari setelah diterima / cash on delivery not confirmed "
            f"collected {days} days after delivery: check with the courier, then `fulfil orders paid`",
        )
    ret = order.open_return
    if ret is not None and now > ret.at + timedelta(days=days * 2):
        need(
            Reason.RETURN_OPEN,
            f"Retur #{ret.number} belum diterima kembali / return #{ret.number} not received back: "
            "check its tracking, then `fulfil orders return-received`",
            f"return-{ret.number}",
        )
    return found
