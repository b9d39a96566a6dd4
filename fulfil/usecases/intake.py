"""Intake: form rows become orders, upserted by ID, validated and admitted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fulfil.bootstrap import Services
from fulfil.core.deadlines import UnreadableDate, parse_when
from fulfil.core.intake import SourceRow, to_source_rows
from fulfil.core.order import SYSTEM, HistoryEntry, Order
from fulfil.core.pipeline import admit
from fulfil.core.status import EDITABLE, OrderStatus
from fulfil.core.validation import validate
from fulfil.crash import crash_point
from fulfil.usecases._unit import outbox_messages, transact
from integrations.ports import SourceTable
from integrations.store import StaleOrder


@dataclass
class IntakeReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    change_ignored: int = 0
    order_ids: list[str] = field(default_factory=list)


def rows_of(svc: Services, tables: list[SourceTable]) -> list[SourceRow]:
    cols = svc.source_columns
    rows: list[SourceRow] = []
    for table in tables:
        rows.extend(to_source_rows(table.headers, table.rows, cols.columns, cols.required))
    # Across files too, one order per ID: the last row read wins.
    return list({r.draft.order_id: r for r in rows}.values())


def ingest(
    svc: Services, rows: list[SourceRow], progress: Callable[[int], None] | None = None
) -> IntakeReport:
    report = IntakeReport(rows=len(rows))
    known = {o.order_id: o for o in svc.store.get_many(r.draft.order_id for r in rows)}
    for row in rows:
        outcome = _ingest_one(svc, row, known.get(row.draft.order_id))
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.order_ids.append(row.draft.order_id)
        if progress:
            progress(1)
    return report


def _ingest_one(svc: Services, row: SourceRow, existing: Order | None) -> str:
    if existing is None:
        try:
            _create(svc, row)
            return "new"
        except StaleOrder:
            pass  # another run created it a moment ago: treat it as an update below
    elif existing.source_hash == row.source_hash:
        return "unchanged"
    outcome = "updated"

    def decide(order: Order):  # type: ignore[no-untyped-def]
        nonlocal outcome
        if order.source_hash == row.source_hash:
            outcome = "unchanged"
            return None
        order.source_hash = row.source_hash
        if order.status in EDITABLE:
            order.source = row.draft.as_dict()
            return _admit(svc, order, row)
        outcome = "change_ignored"
        changed = sorted(k for k, v in row.draft.as_dict().items() if order.source.get(k, "") != v)
        order.comment(
            f"Perubahan formulir tidak diterapkan (status {order.status}): {', '.join(changed)}. "
            f"Ops perlu memeriksa. / Form change not applied to a {order.status} order.",
            actor=SYSTEM,
            at=svc.clock(),
        )
        return []

    transact(svc, row.draft.order_id, decide)
    return outcome


def _create(svc: Services, row: SourceRow) -> None:
    now = svc.clock()
    received_at = now
    if row.draft.submitted_at:
        try:
            received_at, _ = parse_when(row.draft.submitted_at, svc.tz)
        except UnreadableDate:
            received_at = now
    order = Order(
        order_id=row.draft.order_id,
        timezone=svc.tz,
        received_at=received_at,
        source=row.draft.as_dict(),
        source_hash=row.source_hash,
        history=[
            HistoryEntry(
                OrderStatus.RECEIVED,
                f"Pesanan masuk dari formulir (baris {row.row_number}) / Order received from the form",
                SYSTEM,
                now,
            )
        ],
    )
    kinds = _admit(svc, order, row)
    svc.store.save(order, outbox_messages(svc, order, kinds))
    crash_point("after-intake-commit")


def _admit(svc: Services, order: Order, row: SourceRow):  # type: ignore[no-untyped-def]
    now = svc.clock()
    checked = validate(
        row.draft,
        svc.catalogue,
        now=now,
        tz=svc.tz,
        paid_words=frozenset(w.lower() for w in svc.source_columns.paid_words),
    )
    return admit(order, row.draft, checked, at=now)
