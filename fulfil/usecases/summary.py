"""Order views for people: the CLI table, JSON and Prefect artifacts share them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fulfil.core.deadlines import in_zone
from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.usecases.deps import Deps


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def brief(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": str(order.status),
        "service_code": order.service_code,
        "quantity": order.quantity,
        "deadline": _iso(in_zone(order.deadline, order.timezone)) if order.deadline else None,
        "overdue": order.overdue,
        "last_comment": order.history[-1].comment if order.history else "",
    }


def detail(order: Order) -> dict[str, Any]:
    out = brief(order)
    out.update(
        {
            "buyer_name": order.buyer_name,
            "buyer_email": order.buyer_email,
            "phone": order.phone_raw,
            "phone_e164": order.phone,
            "paid": order.paid,
            "cod": order.cod,
            "address": order.address,
            "lang": order.lang,
            "buyer_notes": order.notes,
            "assignee": order.assignee,
            "overdue_at": _iso(order.overdue_at),
            "received_at": _iso(order.received_at),
            "proofs": [
                {"file": p.name, "size": p.size, "accepted": p.accepted, "reason": p.reason}
                for p in order.proofs
            ],
            "notes": [
                {"text": n.text, "source": n.source, "at": _iso(in_zone(n.at, order.timezone))}
                for n in order.notes_to_show
            ],
            "deliverables": [
                {"file": d.file, "count": d.count, "md5": d.md5, "accepted": d.accepted, "reason": d.reason}
                for d in order.deliverables
            ],
            "handed_over": [
                {
                    "file": h.file,
                    "md5": h.md5,
                    "to": h.to,
                    "how": h.method,
                    "at": _iso(in_zone(h.at, order.timezone)),
                    "withdrawn_at": _iso(h.withdrawn_at),
                }
                for h in order.handovers
            ],
            "claims": [
                {
                    "number": c.number,
                    "reason": c.reason,
                    "items": c.items,
                    "by": c.by,
                    "at": _iso(in_zone(c.at, order.timezone)),
                    "deadline": _iso(in_zone(c.deadline, order.timezone)),
                    "done_at": _iso(c.done_at),
                }
                for c in order.claims
            ],
            "shipments": [
                {
                    "courier": x.courier,
                    "number": x.number,
                    "at": _iso(in_zone(x.at, order.timezone)),
                    "delivered_at": _iso(x.delivered_at),
                    "delivered_by": x.delivered_by,
                }
                for x in order.shipments
            ],
            "returns": [
                {
                    "number": r.number,
                    "reason": r.reason,
                    "by": r.by,
                    "at": _iso(r.at),
                    "tracking": f"{r.courier} {r.tracking}".strip(),
                    "outcome": r.outcome or "open",
                }
                for r in order.returns
            ],
            "refunds": [
                {
                    "number": r.number,
                    "amount": r.amount,
                    "full": r.full,
                    "reason": r.reason,
                    "by": r.by,
                    "at": _iso(r.at),
                }
                for r in order.refunds
            ],
            "history": [
                {
                    "status": str(h.status),
                    "comment": h.comment,
                    "notified": h.notified,
                    "actor": h.actor,
                    "at": _iso(in_zone(h.at, order.timezone)),
                }
                for h in order.history
            ],
        }
    )
    if order.status == OrderStatus.NEEDS_INFO:
        out["problems"] = [{"field": p.field, "reason": p.reason} for p in order.problems]
    return out


# A run's summary table shows this many orders at most: a 50,000-row import's table would be
# unreadable in the UI (and load every order into memory); `fulfil orders list` has them all.
SUMMARY_ROWS = 500


def order_rows(svc: Deps, order_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    orders = svc.store.list() if order_ids is None else svc.store.get_many(order_ids)
    return [brief(o) for o in orders]
