"""The CRM row an admin would write for an order, as field -> text."""

from __future__ import annotations

from datetime import datetime

from fulfil.core.catalogue import Catalogue
from fulfil.core.deadlines import show
from fulfil.core.order import Order
from fulfil.core.status import OrderStatus

CRM_FIELDS = (
    "order_id",
    "received_at",
    "buyer_name",
    "buyer_email",
    "phone",
    "service_code",
    "service_name",
    "quantity",
    "deadline",
    "division",
    "assignee",
    "status",
    "proofs",
    "team_notes",
    "completed_at",
    "overdue",
    "buyer_notified_at",
)


def crm_fields(
    order: Order, catalogue: Catalogue, *, buyer_notified_at: datetime | None = None
) -> dict[str, str]:
    """Every CRM field for the order as display text; the sheet adapter guards formulas."""
    tz = order.timezone
    service = catalogue.get(order.service_code)
    completed_at = next((h.at for h in reversed(order.history) if h.status == OrderStatus.COMPLETED), None)
    return {
        "order_id": order.order_id,
        "received_at": show(order.received_at, tz),
        "buyer_name": order.buyer_name,
        "buyer_email": order.buyer_email,
        # As the buyer wrote it, so 0812… keeps its zero; the +62 form when they wrote none.
        "phone": order.phone_raw or order.phone,
        "service_code": order.service_code,
        "service_name": service.name.id if service else "",
        "quantity": "" if order.quantity is None else str(order.quantity),
        "deadline": show(order.deadline, tz),
        "division": catalogue.division_of(service).name if service else "",
        "assignee": order.assignee,
        "status": str(order.status),
        "proofs": ", ".join(p.link or p.name for p in order.accepted_proofs),
        "team_notes": "",
        "completed_at": show(completed_at, tz),
        "overdue": "ya" if order.overdue else "tidak",
        "buyer_notified_at": show(buyer_notified_at, tz),
    }
