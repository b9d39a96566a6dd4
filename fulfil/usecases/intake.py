"""Intake: form rows become orders, upserted by ID, validated and admitted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fulfil.core.deadlines import UnreadableDate, parse_when
from fulfil.core.identity import Verdict, changed_answers, submitted_before
from fulfil.core.intake import SourceRow, to_source_rows
from fulfil.core.order import BUYER, SYSTEM, HistoryEntry, Order
from fulfil.core.pipeline import MessageKind, held_as_duplicate, hold_as_duplicate
from fulfil.core.status import EDITABLE, FINAL, OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases.attention import alert_order
from fulfil.usecases.deps import Deps
from fulfil.usecases.outbox import outbox_messages
from fulfil.usecases.responses import ResponseNamer
from fulfil.usecases.stock import admit_with_stock
from fulfil.usecases.unit_of_work import Decided, transact
from fulfil.usecases.validating import checked, draft_of
from integrations.ports import OrderSource, SourceTable, StaleOrder


@dataclass
class IntakeReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    change_ignored: int = 0
    edited: int = 0  # responses the buyer edited in the form, taken as the same order
    held_duplicates: list[str] = field(default_factory=list)  # possible double submissions
    order_ids: list[str] = field(default_factory=list)
    # The source said it had not changed since its last full read: nothing was read.
    source_unchanged: bool = False


# The source's revision read last time in full (a Google Sheet's Drive version).
SOURCE_REVISION_CURSOR = "source-revision"
UNCHANGED = "unchanged"


def new_revision(svc: Deps, source: OrderSource) -> str | None:
    """The source's revision when it changed since the last full read (None: it cannot tell, or
    was never read), or UNCHANGED: then intake reads nothing, the orders are as taken in."""
    revision = source.revision()
    if revision is not None and revision == svc.store.get_cursor(SOURCE_REVISION_CURSOR):
        return UNCHANGED
    return revision


def read_up_to(svc: Deps, revision: str | None) -> None:
    """Every row of `revision` is taken in: the next intake reads only a newer one."""
    if revision is not None and revision != UNCHANGED:
        svc.store.set_cursor(SOURCE_REVISION_CURSOR, revision)


def rows_of(svc: Deps, tables: list[SourceTable]) -> list[SourceRow]:
    cols = svc.source_columns
    namer = ResponseNamer(svc)
    rows: list[SourceRow] = []
    for table in tables:
        read = to_source_rows(table.headers, table.rows, cols.columns, cols.required, svc.tz)
        rows.extend(namer.name(read))
    # Across files too, one order per ID: the last row read wins.
    return list({r.draft.order_id: r for r in rows}.values())


def ingest(svc: Deps, rows: list[SourceRow], progress: Callable[[int], None] | None = None) -> IntakeReport:
    report = IntakeReport(rows=len(rows))
    known = {o.order_id: o for o in svc.store.get_many(r.draft.order_id for r in rows)}
    for row in rows:
        outcome = _ingest_one(svc, row, known.get(row.draft.order_id))
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.order_ids.append(row.draft.order_id)
        if row.verdict == Verdict.EDITED:
            report.edited += 1
        elif row.verdict == Verdict.DUPLICATE and outcome == "new":
            report.held_duplicates.append(row.draft.order_id)
        if progress:
            progress(1)
    # After the orders exist: the next read finds each response by its key.
    svc.store.responses.remember([r.response.of_order(r.draft.order_id) for r in rows if r.response])
    return report


def _ingest_one(svc: Deps, row: SourceRow, existing: Order | None) -> str:
    if existing is None:
        try:
            _create(svc, row)
            return "new"
        except StaleOrder:
            pass  # another run created it a moment ago: treat it as an update below
    elif existing.source_hash == row.source_hash:
        return "unchanged"
    outcome = "updated"

    def decide(order: Order) -> Decided:
        nonlocal outcome
        if order.source_hash == row.source_hash or submitted_before(
            row.draft.submitted_at, order.source.get("submitted_at", ""), svc.tz
        ):
            # Unchanged, or an export taken before the answers the order already holds.
            outcome = "unchanged"
            return None
        order.source_hash = row.source_hash
        changed = changed_answers(order.source, row.draft)
        if order.status in EDITABLE:
            order.source = row.draft.as_dict()
            if changed:
                order.comment(
                    f"Pembeli mengubah jawaban formulir: {', '.join(changed)} / "
                    f"The buyer edited their form answers: {', '.join(changed)}",
                    actor=BUYER,
                    at=svc.clock(),
                )
            return _admit(svc, order, row)
        outcome = "change_ignored"
        if order.status in FINAL:  # a finished order keeps what it was done with
            order.comment(
                f"Perubahan formulir tidak diterapkan (status {order.status}): {', '.join(changed)} / "
                f"Form change not applied to a {order.status} order",
                actor=SYSTEM,
                at=svc.clock(),
            )
            return []
        # Held for ops: the team's work changes only when a person says so (apply-change).
        order.held_change = row.draft.as_dict()
        order.comment(
            f"Perubahan formulir ditahan (status {order.status}): {', '.join(changed)}. "
            f"Ops memutuskan. / Form change held for ops on a {order.status} order.",
            actor=SYSTEM,
            at=svc.clock(),
        )
        return []

    transact(svc, row.draft.order_id, decide)
    if outcome == "change_ignored":
        alert_order(svc, row.draft.order_id)  # ops hear of the held change now, once
    return outcome


def _create(svc: Deps, row: SourceRow) -> None:
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
    if row.verdict == Verdict.DUPLICATE:
        kinds = hold_as_duplicate(order, row.draft, checked(svc, row.draft), row.other_order, at=now)
    else:
        kinds = _admit(svc, order, row)
    svc.store.save(order, outbox_messages(svc, order, kinds))
    crash_point("after-intake-commit")


def _admit(svc: Deps, order: Order, row: SourceRow) -> list[MessageKind]:
    return admit_with_stock(svc, order, row.draft, checked(svc, row.draft))


def release_duplicate(svc: Deps, order_id: str, *, actor: str) -> Order:
    """Ops decided a held order is not a double submission: take it in like any other."""

    def decide(order: Order) -> list[MessageKind] | None:
        if not held_as_duplicate(order):
            return None
        order.comment("Bukan pesanan ganda / Not a double submission", actor=actor, at=svc.clock())
        draft = draft_of(order.source)
        return admit_with_stock(svc, order, draft, checked(svc, draft))

    return transact(svc, order_id, decide) or svc.store.get(order_id)
