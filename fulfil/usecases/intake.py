"""Intake: form rows become orders, upserted by ID, validated and admitted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fulfil.core.deadlines import UnreadableDate, parse_when
from fulfil.core.errors import FulfilError
from fulfil.core.identity import Verdict, changed_answers, submitted_before
from fulfil.core.intake import MissingColumns, SourceRow, match_headers, to_source_rows
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
from integrations.ports import AdapterError, OrderSource, OutboxMessage, SourceTable, StaleOrder

# Header names, file names and why a file was refused: never a buyer's answers.
log = logging.getLogger("fulfil.intake")


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
    # "file: header → did you mean …": a header that nearly names a known column, left unread.
    warnings: list[str] = field(default_factory=list)
    # "file: why", one line per file of a folder that could not be taken in (the rest were).
    bad_files: list[str] = field(default_factory=list)
    # Orders whose row is no longer in the table it was read from: noted once in their history.
    gone: list[str] = field(default_factory=list)


class FilesNotRead(FulfilError):
    """Files of the source were not taken in: the intake (command, flow run) failed, after
    taking in every other file's orders. `report` says what was taken in (for the command)."""

    def __init__(self, message: str, report: IntakeReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class SourceRead:
    """A source's tables as rows, one per order ID, and what could not be read."""

    rows: list[SourceRow] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # order ID -> the table its row is in
    tables: list[str] = field(default_factory=list)  # the tables read in full
    warnings: list[str] = field(default_factory=list)
    bad_files: list[str] = field(default_factory=list)


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


def read_tables(svc: Deps, tables: list[SourceTable], *, strict: bool = False) -> SourceRead:
    """Each table's rows, named (core/identity.py). A table that cannot be read is listed with
    why, and the others read all the same; with `strict` it refuses the whole source instead."""
    cols = svc.source_columns
    namer = ResponseNamer(svc)
    read = SourceRead()
    by_id: dict[str, SourceRow] = {}
    for table in tables:
        if table.problem:
            read.bad_files.append(f"{table.name}: {table.problem}")
            continue
        try:
            matched = match_headers(table.headers, cols.columns, cols.required)
        except MissingColumns as refused:
            if strict:
                raise
            read.bad_files.append(f"{table.name}: {refused}")
            continue
        read.warnings.extend(f"{table.name}: {warning}" for warning in matched.warnings)
        found = to_source_rows(
            table.headers, table.rows, cols.columns, cols.required, svc.tz, matched=matched
        )
        # Across files too, one order per ID: the last row read wins.
        for row in namer.name(found):
            by_id[row.draft.order_id] = row
            read.origin[row.draft.order_id] = table.name
        read.tables.append(table.name)
    read.rows = list(by_id.values())
    return read


def rows_of(svc: Deps, tables: list[SourceTable]) -> list[SourceRow]:
    """Every table's rows; a table that cannot be read refuses them all."""
    for table in tables:
        if table.problem:
            raise AdapterError(f"{table.name}: {table.problem}")
    return read_tables(svc, tables, strict=True).rows


def take_in(svc: Deps, tables: list[SourceTable]) -> IntakeReport:
    """Every table that can be read taken in; the others listed on the report (see
    `check_every_file_read`); a row gone from a table read in full noted on its order."""
    read = read_tables(svc, tables)
    # Their cells are in read.rows now: both copies of a 50,000-row export at once were ~80 MB.
    tables.clear()
    with svc.progress(len(read.rows), "intake") as advance_by:
        report = ingest(svc, read.rows, progress=advance_by)
    report.gone = note_gone(svc, read)
    report.warnings, report.bad_files = read.warnings, read.bad_files
    for line in read.warnings:
        log.warning("%s", line)
    for line in read.bad_files:
        log.error("not taken in: %s", line)
    return report


def check_every_file_read(report: IntakeReport, *, also: str = "") -> None:
    """Fail, once every other file's orders are in, naming each file not taken in, one a line;
    `also`: another failure of the same pass (messages undelivered), said after them."""
    if not report.bad_files:
        return
    lines = "\n".join(f"  {line}" for line in report.bad_files)
    raise FilesNotRead(
        f"{len(report.bad_files)} file(s) not taken in; fix them and run the intake again "
        f"(the other files' {report.rows} row(s) were taken in):\n{lines}"
        + (f"\nalso: {also}" if also else ""),
        report,
    )


GONE = (
    "Baris pesanan ini tidak ada lagi di {origin}; pesanan tidak diubah, ops yang memutuskan. / "
    "This order's row is no longer in {origin}; the order is left as it is, ops decide."
)


def note_gone(svc: Deps, read: SourceRead) -> list[str]:
    """For each table read in full: note, once, each order whose row was last read in it and is
    in no table of this read; remember where each row read now is. A folder of daily exports
    never marks yesterday's orders: their file is another table, read again or not at all."""
    origins = svc.store.origins
    here_by_table: dict[str, set[str]] = {name: set() for name in read.tables}
    for order_id, name in read.origin.items():
        here_by_table[name].add(order_id)
    gone: list[str] = []
    for name, here in here_by_table.items():
        before = origins.ids_from(name)
        origins.remember(name, here - before)
        missing = sorted(before - read.origin.keys())
        for order_id in missing:
            note = GONE.format(origin=name)

            def decide(order: Order, note: str = note) -> Decided:
                return [] if order.comment(note, actor=SYSTEM, at=svc.clock()) else None

            transact(svc, order_id, decide)
            gone.append(order_id)
        # After the notes: a crash in between notes again, and Order.comment keeps one.
        origins.forget(missing)
    return gone


# Rows taken per batch: their known orders read in one query, their new orders saved in one
# transaction (a commit per order was most of a big import's time; a crash loses one batch at
# most, which the rerun takes in again, by ID).
BATCH = 200


def ingest(svc: Deps, rows: list[SourceRow], progress: Callable[[int], None] | None = None) -> IntakeReport:
    report = IntakeReport(rows=len(rows))
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        known = {o.order_id: o for o in svc.store.get_many(r.draft.order_id for r in chunk)}
        outcomes = _ingest_batch(svc, chunk, known)
        for row, outcome in zip(chunk, outcomes, strict=True):
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.order_ids.append(row.draft.order_id)
            if row.verdict == Verdict.EDITED:
                report.edited += 1
            elif row.verdict == Verdict.DUPLICATE and outcome == "new":
                report.held_duplicates.append(row.draft.order_id)
        if progress:
            progress(len(chunk))
        # After the orders exist: the next read finds each response by its key.
        svc.store.responses.remember([r.response.of_order(r.draft.order_id) for r in chunk if r.response])
    return report


def _ingest_batch(svc: Deps, chunk: list[SourceRow], known: dict[str, Order]) -> list[str]:
    """Each row's outcome; the batch's new orders written together, or, when a concurrent run
    wrote one of them first, one by one (that one then taken as an update)."""
    outcomes: list[str] = []
    new: list[tuple[int, Order, list[OutboxMessage]]] = []
    for row in chunk:
        if row.draft.order_id in known:
            outcomes.append(_ingest_one(svc, row, known[row.draft.order_id]))
        else:
            order, messages = _new_order(svc, row)
            new.append((len(outcomes), order, messages))
            outcomes.append("new")
    if not new:
        return outcomes
    try:
        svc.store.save_many([(order, messages) for _, order, messages in new])
    except StaleOrder:
        for at, order, messages in new:
            try:
                svc.store.save(order, messages)
            except StaleOrder:  # another run created it a moment ago: an update of its order
                outcomes[at] = _ingest_one(svc, chunk[at], svc.store.find(order.order_id))
    crash_point("after-intake-commit")
    return outcomes


def _ingest_one(svc: Deps, row: SourceRow, existing: Order | None) -> str:
    if existing is None:
        order, messages = _new_order(svc, row)
        try:
            svc.store.save(order, messages)
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


def _new_order(svc: Deps, row: SourceRow) -> tuple[Order, list[OutboxMessage]]:
    """A row not seen before as an order, admitted, with its messages: not saved yet."""
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
    return order, outbox_messages(svc, order, kinds)


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
