"""The CRM sheet: a projection of the store, one row per order found by ID, kept in step."""

from __future__ import annotations

from fulfil.core.crm_record import crm_fields
from fulfil.core.order import Order
from fulfil.core.pipeline import MessageKind, record
from fulfil.core.status import OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact


def sync_crm_rows(svc: Deps) -> list[str]:
    """Upsert, in one batch, the rows of every order changed since its row was written.

    Returns the orders written, and any order whose row was written by a run that died before
    recording it (its flag is clear, it is still proof_received): both may now be recorded. A
    crash before the flag is cleared only means the same rows are written again next time: the
    sheet finds each row by order ID.
    """
    stale = svc.store.crm_stale()
    written_earlier = svc.store.in_crm_unrecorded()
    if not stale:
        return written_earlier
    mapping = svc.crm_columns.columns
    told = svc.store.sent_times((o.order_id for o in stale), MessageKind.COMPLETED)
    rows = []
    for order in stale:
        issued = svc.store.invoices.of(order.order_id) if svc.catalogue.invoices else None
        invoice = "" if issued is None else issued.number + (" (batal/void)" if issued.voided_at else "")
        fields = crm_fields(
            order,
            svc.catalogue,
            buyer_notified_at=told.get(order.order_id),
            invoice=invoice,
            phone_form=svc.settings.crm_phone_format,
        )
        rows.append({header: fields[name] for header, name in mapping.items()})
    svc.crm.upsert(rows)
    crash_point("after-crm-write")
    svc.store.crm_synced({o.order_id: o.version for o in stale})
    crash_point("after-crm-synced")
    return sorted({o.order_id for o in stale} | set(written_earlier))


def mark_recorded(svc: Deps, order_ids: list[str]) -> list[str]:
    """Orders whose row is now in the sheet move from proof_received to recorded."""
    done = []
    for order_id in order_ids:

        def decide(order: Order) -> Decided:
            if order.status != OrderStatus.PROOF_RECEIVED:
                return None
            return [] if record(order, at=svc.clock()) else None

        if transact(svc, order_id, decide) is not None:
            done.append(order_id)
    return done
