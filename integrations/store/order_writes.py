"""Writing orders: a batch of orders, their new history entries and their messages, in a few
statements per batch rather than a few per order (a 50,000-row import is 250 batches).

Called inside OrderStore.save_many's transaction, so a batch is written whole or not at all."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fulfil.core.order import Order
from fulfil.core.status import IN_CRM
from integrations.ports import PENDING, SENT, OutboxMessage, StaleOrder
from integrations.store.batches import chunks
from integrations.store.tables import goods, history, orders, outbox

Change = tuple[Order, list[OutboxMessage]]


def write_orders(conn: Connection, batch: Sequence[Change], now: datetime) -> list[tuple[Any, ...]]:
    """New orders inserted together, known ones updated under their optimistic lock (only the
    columns that changed since they were read), then every new history entry in one insert and
    every message not queued yet in another. Each order's columns as written, in batch order."""
    rows = [_to_row(order) for order, _ in batch]
    new = [row for (order, _), row in zip(batch, rows, strict=True) if order.version == 0]
    if new:
        conn.execute(_INSERT_ORDER, [{**row, "version": 1, "updated_at": now} for row in new])
    known = [(order, row) for (order, _), row in zip(batch, rows, strict=True) if order.version != 0]
    if known:
        _update_known(conn, known, now)
    stored = _history_counts(conn, [o.order_id for o, _ in known])
    queued = _message_states(conn, [o.order_id for o, messages in batch if messages])
    entries: list[dict[str, Any]] = []
    messages: dict[tuple[str, str], dict[str, Any]] = {}
    for order, order_messages in batch:
        entries.extend(_new_entries(order, stored.get(order.order_id, 0), _awaited(order_messages, queued)))
        for msg in order_messages:
            key = (msg.order_id, msg.kind)
            if key not in queued and key not in messages:
                messages[key] = _message_row(msg, now)
        if order.deliverables:
            _hold_goods(conn, order.order_id, order.goods_held())
    if entries:
        conn.execute(insert(history), entries)
    if messages:
        conn.execute(_INSERT_MESSAGE, list(messages.values()))
    return [snapshot(row) for row in rows]


def _update_known(conn: Connection, known: list[tuple[Order, dict[str, Any]]], now: datetime) -> None:
    """One executemany per set of changed columns (a batch of dispatches is one); both drivers
    report the rows it matched in all (SQLAlchemy's supports_sane_multi_rowcount), so one order
    changed meanwhile fails the whole batch, which its caller then saves order by order."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for order, row in known:
        changed = _changed(order.stored, row)
        params = {name: row[name] for name in changed}
        params.update(
            crm_dirty=row["crm_dirty"],
            version=order.version + 1,
            updated_at=now,
            _id=order.order_id,
            _version=order.version,
        )
        by_columns.setdefault(changed, []).append(params)
    matched = sum(conn.execute(_update_of(names), params).rowcount for names, params in by_columns.items())
    if matched != len(known):
        first, last = known[0][0].order_id, known[-1][0].order_id
        raise StaleOrder(
            f"order {first} was changed by another run"
            if len(known) == 1
            else f"one of {len(known)} orders ({first} to {last}) was changed by another run"
        )


# The columns a save compares with the order as it was read, and writes only when changed: the
# whole row (the form's answers as JSON and ten record columns) was most of a dispatch's save.
# crm_dirty is written on every save: it marks the CRM row stale, and crm_synced clears it without
# a new version, so "unchanged since read" says nothing about it.
COMPARED = tuple(c.name for c in orders.c if c.name not in ("order_id", "version", "updated_at", "crm_dirty"))


def snapshot(row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """An order's compared columns, as read from its row or as written (Order.stored)."""
    return tuple(row[name] for name in COMPARED)


def _changed(stored: tuple[Any, ...] | None, row: dict[str, Any]) -> tuple[str, ...]:
    if stored is None:  # never read from this store: every column
        return COMPARED
    # Equal values write nothing; any doubt (a tuple read back as a list) writes the column.
    return tuple(name for name, was in zip(COMPARED, stored, strict=True) if row[name] != was)


_UPDATES: dict[tuple[str, ...], Update] = {}


def _update_of(names: tuple[str, ...]) -> Update:
    """The UPDATE of these columns, built once a process: SQLAlchemy then compiles it once too
    (building a statement per order cost ~1 ms an order)."""
    statement = _UPDATES.get(names)
    if statement is None:
        written = (*names, "crm_dirty", "version", "updated_at")
        statement = _UPDATES[names] = (
            update(orders)
            .where(orders.c.order_id == bindparam("_id"), orders.c.version == bindparam("_version"))
            .values({name: bindparam(name) for name in written})
        )
    return statement


def _history_counts(conn: Connection, order_ids: list[str]) -> dict[str, int]:
    """How many history entries each order has stored: its new ones are appended after them."""
    counts: dict[str, int] = {}
    for chunk in chunks(order_ids):
        query = (
            select(history.c.order_id, func.count())
            .where(history.c.order_id.in_(chunk))
            .group_by(history.c.order_id)
        )
        counts.update({order_id: n for order_id, n in conn.execute(query)})
    return counts


def _message_states(conn: Connection, order_ids: list[str]) -> dict[tuple[str, str], str]:
    """(order, kind) → state of the messages these orders have queued already."""
    states: dict[tuple[str, str], str] = {}
    for chunk in chunks(order_ids):
        query = select(outbox.c.order_id, outbox.c.kind, outbox.c.state).where(outbox.c.order_id.in_(chunk))
        states.update({(r.order_id, r.kind): r.state for r in conn.execute(query)})
    return states


def _awaited(messages: Sequence[OutboxMessage], queued: dict[tuple[str, str], str]) -> str | None:
    """The buyer's message a save queues, unless it was delivered already (a rerun's save)."""
    msg = next((m for m in messages if m.tells_buyer), None)
    if msg is None:
        return None
    return None if queued.get((msg.order_id, msg.kind)) == SENT else msg.kind


def _new_entries(order: Order, known: int, awaited: str | None) -> list[dict[str, Any]]:
    new_entries = order.history[known:]
    told_at = max((i for i, h in enumerate(new_entries) if h.notified), default=-1)
    return [
        {
            "order_id": order.order_id,
            "seq": known + i,
            "status": str(h.status),
            "comment": h.comment,
            "actor": h.actor,
            # The entry that told the buyer waits for its message's delivery.
            "notified": h.notified and not (i == told_at and awaited),
            "awaits": awaited if i == told_at and awaited else None,
            "at": h.at,
        }
        for i, h in enumerate(new_entries)
    ]


def _message_row(msg: OutboxMessage, now: datetime) -> dict[str, Any]:
    return {
        "order_id": msg.order_id,
        "kind": msg.kind,
        "recipient": msg.recipient,
        "channel": msg.channel,
        "attachments": list(msg.attachments),
        "subject": msg.subject,
        "body": msg.body,
        "state": PENDING,
        "attempts": 0,
        "error": "",
        "created_at": now,
    }


_INSERT_ORDER = insert(orders)
_INSERT_MESSAGE = insert(outbox)


def _to_row(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": str(order.status),
        "service_code": order.service_code,
        "buyer_name": order.buyer_name,
        "buyer_email": order.buyer_email,
        "phone_raw": order.phone_raw,
        "phone": order.phone,
        "quantity": order.quantity,
        "deadline": order.deadline,
        "timezone": order.timezone,
        "notes": order.notes,
        "paid": order.paid,
        "lang": order.lang,
        "received_at": order.received_at,
        "source": dict(order.source),
        "source_hash": order.source_hash,
        "problems": [dataclasses.asdict(p) for p in order.problems],
        "overdue": order.overdue,
        "overdue_at": order.overdue_at,
        "assignee": order.assignee,
        "proofs": [dataclasses.asdict(p) for p in order.proofs],
        "team_notes": [{**dataclasses.asdict(n), "at": n.at.isoformat()} for n in order.team_notes],
        "deliverables": [dataclasses.asdict(d) for d in order.deliverables],
        "handovers": [_jsonable(h) for h in order.handovers],
        "claims": [_jsonable(c) for c in order.claims],
        "refunds": [_jsonable(r) for r in order.refunds],
        "held_change": dict(order.held_change),
        "paid_confirmed_by": order.paid_confirmed_by,
        "address": order.address,
        "unit_price": order.unit_price,
        "cod": order.cod,
        "shipments": [_jsonable(x) for x in order.shipments],
        "returns": [_jsonable(r) for r in order.returns],
        # Every saved change of an order with a CRM row makes the row stale until synced.
        "crm_dirty": order.status in IN_CRM,
    }


def _jsonable(record: object) -> dict[str, Any]:
    """A frozen record as JSON: its times as ISO text."""
    return {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in dataclasses.asdict(record).items()  # type: ignore[call-overload]  # records are dataclasses
    }


def _hold_goods(conn: Connection, order_id: str, held: frozenset[str]) -> None:
    """Make the goods ledger say what the order holds now; StaleOrder when another order got
    some of it first (a concurrent writer's rows become visible once it commits)."""
    stored = set(conn.execute(select(goods.c.digest).where(goods.c.order_id == order_id)).scalars())
    for chunk in chunks(sorted(stored - held)):
        conn.execute(delete(goods).where(goods.c.order_id == order_id, goods.c.digest.in_(chunk)))
    new = sorted(held - stored)
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    for chunk in chunks(new):
        conn.execute(
            dialect.insert(goods).on_conflict_do_nothing(),
            [{"digest": d, "order_id": order_id} for d in chunk],
        )
        other = conn.execute(
            select(goods.c.order_id).where(goods.c.digest.in_(chunk), goods.c.order_id != order_id).limit(1)
        ).scalar()
        if other is not None:
            raise StaleOrder(f"order {order_id}: some of its goods went to order {other} first")
