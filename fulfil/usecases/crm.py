"""The CRM sheet: one row per order, found by ID, written and then marked on the order."""

from __future__ import annotations

from collections.abc import Iterable

from fulfil.bootstrap import Services
from fulfil.core.crm_record import crm_fields
from fulfil.core.order import Order
from fulfil.core.pipeline import MessageKind, record
from fulfil.core.status import OrderStatus
from fulfil.usecases._unit import transact

RECORDABLE = frozenset({OrderStatus.PROOF_RECEIVED, OrderStatus.RECORDED, OrderStatus.COMPLETED})


def to_record(svc: Services, order_ids: Iterable[str] | None = None) -> list[str]:
    if order_ids is None:
        return [o.order_id for o in svc.store.list({OrderStatus.PROOF_RECEIVED})]
    return [o.order_id for o in svc.store.get_many(order_ids) if o.status == OrderStatus.PROOF_RECEIVED]


def write_crm_rows(svc: Services, order_ids: list[str]) -> int:
    """Upsert the CRM rows of these orders (one batch); the sheet finds each row by order ID."""
    orders = [o for o in svc.store.get_many(order_ids) if o.status in RECORDABLE]
    mapping = svc.crm_columns.columns
    rows = []
    for order in orders:
        fields = crm_fields(
            order,
            svc.catalogue,
            buyer_notified_at=svc.store.sent_at(order.order_id, MessageKind.COMPLETED),
        )
        rows.append({header: fields[name] for header, name in mapping.items()})
    if rows:
        svc.crm.upsert(rows)
    return len(rows)


def mark_recorded(svc: Services, order_ids: list[str]) -> list[str]:
    done = []
    for order_id in order_ids:

        def decide(order: Order):  # type: ignore[no-untyped-def]
            if order.status != OrderStatus.PROOF_RECEIVED:
                return None
            return [] if record(order, at=svc.clock()) else None

        if transact(svc, order_id, decide) is not None:
            done.append(order_id)
    return done
