"""The CRM row an admin would write for an order, as field -> text."""

from __future__ import annotations

from datetime import datetime

from fulfil.core.catalogue import Catalogue
from fulfil.core.cells import NAME_LIMIT, shown, without_bidi
from fulfil.core.deadlines import show
from fulfil.core.handover import delivered_count
from fulfil.core.invoice import bill
from fulfil.core.money import rupiah
from fulfil.core.order import Order
from fulfil.core.phone import INTERNATIONAL, phone_shown
from fulfil.core.shipping import Tracking
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
    "delivered_count",
    "team_notes",
    "completed_at",
    "overdue",
    "buyer_notified_at",
    "handed_over",
    "claims",
    "refunds",
    "invoice",
    "total",
    "payment",
    "shipping",
    "returns",
)


def crm_fields(
    order: Order,
    catalogue: Catalogue,
    *,
    buyer_notified_at: datetime | None = None,
    invoice: str = "",
    phone_form: str = INTERNATIONAL,
) -> dict[str, str]:
    """Every CRM field for the order as display text, without bidi controls, the buyer's name
    bounded (the order keeps it whole); the sheet adapter guards formulas."""
    tz = order.timezone
    service = catalogue.get(order.service_code)
    delivered = delivered_count(order, service)
    # The first entry in completed is the completion; later ones are notes on a done order.
    completed_at = next((h.at for h in order.history if h.status == OrderStatus.COMPLETED), None)
    fields = {
        "order_id": order.order_id,
        "invoice": invoice,
        "received_at": show(order.received_at, tz),
        "buyer_name": shown(order.buyer_name, NAME_LIMIT),
        "buyer_email": order.buyer_email,
        # The normalised number, one way of writing it whatever the buyer typed (a sheet that
        # dropped the zero gave 81234567890): the sheet adapters keep it text. Not a number: what
        # the buyer wrote, bounded like a name.
        "phone": shown(phone_shown(order.phone, order.phone_raw, phone_form), NAME_LIMIT),
        "service_code": order.service_code,
        "service_name": service.name.id if service else "",
        "quantity": "" if order.quantity is None else str(order.quantity),
        "deadline": show(order.deadline, tz),
        "division": catalogue.division_of(service).name if service else "",
        "assignee": order.assignee,
        "status": str(order.status),
        "proofs": _proofs(order),
        "delivered_count": "" if delivered is None else str(delivered),
        "team_notes": "\n".join(n.text for n in order.notes_to_show),
        "completed_at": show(completed_at, tz),
        "overdue": "ya" if order.overdue else "tidak",
        "buyer_notified_at": show(buyer_notified_at, tz),
        "handed_over": "\n".join(
            f"{h.file} (md5 {h.md5}) → {h.to}, {HOW_SHORT.get(h.method, h.method)}, {show(h.at, tz)}"
            + (f", dicabut {show(h.withdrawn_at, tz)}" if h.withdrawn_at else "")
            for h in order.handovers
        ),
        "claims": "\n".join(
            f"#{c.number} {c.items or 'semua'} item: {c.reason}"
            + (f" (selesai {show(c.done_at, tz)})" if c.done_at else f" (batas {show(c.deadline, tz)})")
            for c in order.claims
        ),
        "total": rupiah(total) if (total := sum(line.amount for line in bill(order, service))) else "",
        "payment": _payment(order),
        "shipping": "\n".join(
            f"{Tracking(x.courier, x.number).courier_name} {x.number}, {show(x.at, tz)}"
            + (f", diterima {show(x.delivered_at, tz)}" if x.delivered_at else "")
            for x in order.shipments
        ),
        "returns": "\n".join(
            f"#{r.number} {r.reason}" + (f" ({r.outcome})" if r.outcome else "") for r in order.returns
        ),
        "refunds": "\n".join(
            f"#{r.number} {rupiah(r.amount)} {'penuh' if r.full else 'sebagian'}: {r.reason}"
            for r in order.refunds
        ),
    }
    return {name: without_bidi(text) for name, text in fields.items()}


HOW_SHORT = {"attachment": "lampiran", "share": "dibagikan"}


def _payment(order: Order) -> str:
    if order.cod:
        return "COD, lunas" if order.paid else "COD, belum tertagih"
    return "lunas" if order.paid else "belum dibayar"


def _proofs(order: Order) -> str:
    """Accepted proof names or links; a deliverable shows its count and MD5, never its contents."""
    counted = {d.fingerprint: d for d in order.deliverables if d.accepted}
    shown = []
    for p in order.accepted_proofs:
        d = counted.get(p.fingerprint)
        where = p.link or p.name
        shown.append(f"{where} ({d.count}, md5 {d.md5})" if d and d.md5 else where)
    return "\n".join(shown)
