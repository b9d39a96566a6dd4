"""OrderStore: load and save orders, their history and their outbox messages, safely."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.sql import ColumnElement

from fulfil.core.errors import FulfilError, UnknownOrder
from fulfil.core.order import (
    Claim,
    Delivered,
    HandedOver,
    HistoryEntry,
    Order,
    Problem,
    ProofFile,
    Refund,
    ReturnRequest,
    Shipment,
    TeamNote,
)
from fulfil.core.status import IN_CRM, OrderStatus
from integrations.ports import FAILED, PENDING, SENDING, SENT, UNSURE, OutboxMessage, QueuedTrace, StaleOrder
from integrations.store import claims, json_text, migrate
from integrations.store.batches import chunks
from integrations.store.invoices import InvoiceBook
from integrations.store.order_writes import snapshot, write_orders
from integrations.store.origins import RowOriginBook
from integrations.store.responses import FormResponseBook
from integrations.store.stock import StockBook
from integrations.store.tables import cursors, goods, history, orders, outbox, trace_backlog

_CLAIMED = "claimed "  # a cursor value while its one-off job runs: "claimed OWNER EXPIRY"


class StoreUnavailable(FulfilError):
    """The order store cannot be opened: a wrong URL, a missing driver, a server or path problem."""


def _shown(url: str) -> str:
    """The URL without its password, as it may be printed."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url if "@" not in url else "…@" + url.rsplit("@", 1)[-1]


def _now() -> datetime:
    return datetime.now(UTC)


_JSON_TEXT: dict[str, Any] = {"json_serializer": json_text.dumps, "json_deserializer": json_text.loads}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **_JSON_TEXT)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the watch read while intake writes; the busy timeout waits instead of failing.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **_JSON_TEXT)


class OrderStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.responses = FormResponseBook(engine)
        self.invoices = InvoiceBook(engine)
        self.stock = StockBook(engine)
        self.origins = RowOriginBook(engine)

    def close(self) -> None:
        self.engine.dispose()

    @classmethod
    def open(cls, url: str) -> OrderStore:
        """The store at `url`, migrated; a URL, driver, server or path problem is one sentence."""
        shown = _shown(url)
        try:
            engine = make_engine(url)
            migrate.upgrade(engine)
        except (ArgumentError, NoSuchModuleError):
            raise StoreUnavailable(
                f"FULFIL_DATABASE_URL {shown!r} is not a database URL fulfil can use: give "
                "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB or sqlite:////PATH/fulfil.db"
            ) from None
        except ImportError as exc:
            raise StoreUnavailable(
                f"the database driver for {shown!r} is not installed ({exc.name}); for PostgreSQL: "
                "pip install -c constraints.txt -e '.[postgres]'"
            ) from None
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot make the database folder {exc.filename or ''} ({exc.strerror or exc}): "
                "check FULFIL_HOME or FULFIL_DATABASE_URL"
            ) from None
        except DBAPIError as exc:
            why = (
                str(exc.orig or exc).strip().splitlines()[0]
                if str(exc.orig or exc).strip()
                else type(exc).__name__
            )
            raise StoreUnavailable(f"cannot open the database {shown}: {why}") from None
        return cls(engine)

    # ----- reading -----

    def find(self, order_id: str) -> Order | None:
        found = self._load(orders.c.order_id == order_id)
        return found[0] if found else None

    def get(self, order_id: str) -> Order:
        order = self.find(order_id)
        if order is None:
            raise UnknownOrder(f"no order with ID {order_id!r} (see `fulfil orders list`)")
        return order

    def list(self, statuses: Iterable[OrderStatus] | None = None) -> builtins.list[Order]:
        if statuses is None:
            return self._load(None)
        return self._load(orders.c.status.in_([str(s) for s in statuses]))

    def watched_ids(
        self,
        always: Iterable[OrderStatus],
        recent: Iterable[OrderStatus],
        since: datetime,
        *,
        among: Iterable[str] | None = None,
    ) -> builtins.list[str]:
        """IDs of orders in `always`, or in `recent` and changed since `since`; no rows loaded."""
        query = select(orders.c.order_id).where(
            or_(
                orders.c.status.in_([str(s) for s in always]),
                and_(orders.c.status.in_([str(s) for s in recent]), orders.c.updated_at >= since),
            )
        )
        with self.engine.connect() as conn:
            if among is None:
                return list(conn.execute(query.order_by(orders.c.order_id)).scalars())
            found: builtins.list[str] = []
            for chunk in chunks(list(among)):
                found.extend(conn.execute(query.where(orders.c.order_id.in_(chunk))).scalars())
            return sorted(found)

    def get_many(self, order_ids: Iterable[str]) -> builtins.list[Order]:
        ids = list(order_ids)
        return self._load(orders.c.order_id.in_(ids)) if ids else []

    def _load(self, where: ColumnElement[bool] | None) -> builtins.list[Order]:
        query = select(orders).order_by(orders.c.order_id)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            ids = [r["order_id"] for r in rows]
            entries: dict[str, list[HistoryEntry]] = {i: [] for i in ids}
            if ids:
                for chunk in chunks(ids):
                    hq = (
                        select(history)
                        .where(history.c.order_id.in_(chunk))
                        .order_by(history.c.order_id, history.c.seq)
                    )
                    for h in conn.execute(hq).mappings():
                        entries[h["order_id"]].append(
                            HistoryEntry(
                                OrderStatus(h["status"]),
                                h["comment"],
                                h["actor"],
                                h["at"],
                                h["notified"],
                            )
                        )
        return [_to_order(r, entries[r["order_id"]]) for r in rows]

    def history_mark(self) -> int:
        """Where the order history ends now; what is written after it is a later run's news."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(history.c.id))).scalar_one() or 0)

    def changed_since(self, mark: int, upto: int | None = None) -> dict[str, int]:
        """Orders with history written after `mark` (up to `upto`): order ID → its first new entry."""
        written = [history.c.id > mark] + ([history.c.id <= upto] if upto is not None else [])
        query = (
            select(history.c.order_id, func.min(history.c.seq))
            .where(*written)
            .group_by(history.c.order_id)
            .order_by(history.c.order_id)
        )
        with self.engine.connect() as conn:
            return {order_id: seq for order_id, seq in conn.execute(query)}

    def queue_traces(self, changes: dict[str, int], run_name: str) -> None:
        if not changes:
            return
        now = _now()
        rows = [
            {"order_id": order_id, "first_seq": seq, "run_name": run_name[:128], "queued_at": now}
            for order_id, seq in changes.items()
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(trace_backlog), rows)

    def claim_traces(self, limit: int) -> builtins.list[QueuedTrace]:
        """Take the oldest `limit` queued changes off the backlog, so two runs never both write one."""
        if limit <= 0:
            return []
        oldest = select(trace_backlog.c.id).order_by(trace_backlog.c.id).limit(limit).scalar_subquery()
        claim = (
            delete(trace_backlog)
            .where(trace_backlog.c.id.in_(oldest))
            .returning(
                trace_backlog.c.id,
                trace_backlog.c.order_id,
                trace_backlog.c.first_seq,
                trace_backlog.c.run_name,
            )
        )
        with self.engine.begin() as conn:
            rows = sorted(conn.execute(claim), key=lambda r: r.id)
        return [QueuedTrace(r.order_id, r.first_seq, r.run_name) for r in rows]

    def trace_backlog_size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(trace_backlog)).scalar_one())

    # ----- writing -----

    def save(self, order: Order, messages: Iterable[OutboxMessage] = ()) -> None:
        """Write the order, its new history entries and its messages in one transaction.

        Fails with StaleOrder if the order changed since it was read (optimistic lock), so two
        workers advancing the same order can never both win.
        """
        self.save_many([(order, messages)])

    def save_many(self, changes: Sequence[tuple[Order, Iterable[OutboxMessage]]]) -> None:
        """Several orders and their messages in one transaction (a bulk import's batch): all of
        them or none; StaleOrder when any of them changed since it was read."""
        now = _now()
        batch = [(order, list(messages)) for order, messages in changes]
        try:
            with self.engine.begin() as conn:
                written = write_orders(conn, batch, now)
        except IntegrityError as exc:
            # A concurrent insert of the same order ID or message key: the other writer won.
            raise StaleOrder(f"order {batch[0][0].order_id} was written by another run") from exc
        for (order, _), columns in zip(batch, written, strict=True):
            order.version = order.version + 1 if order.version else 1
            order.stored = columns

    def goods_owners(self, digests: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(digests))
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(wanted):
                q = select(goods.c.digest, goods.c.order_id).where(goods.c.digest.in_(chunk))
                found.update({r.digest: r.order_id for r in conn.execute(q)})
        return found

    # ----- the outbox -----

    def pending_messages(self, limit: int = 500) -> builtins.list[OutboxMessage]:
        q = select(outbox).where(outbox.c.state == PENDING).order_by(outbox.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_to_message(r) for r in conn.execute(q).mappings()]

    def _dead_senders(self) -> builtins.list[str]:
        """The owners of messages being sent whose process (on this host) is gone."""
        with self.engine.connect() as conn:
            holders = conn.execute(
                select(outbox.c.claimed_by).where(outbox.c.state == SENDING).distinct()
            ).scalars()
            return list(claims.dead_owners(holders))

    def claim_messages(self, owner: str, limit: int = 500, after_id: int = 0) -> builtins.list[OutboxMessage]:
        """Take up to `limit` unsent messages above `after_id` for `owner` to send: pending ones,
        and those whose sender's lease ran out or whose sender (on this host) died. Nobody else
        sends them while the claim holds (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer
        at a time)."""
        now = _now()
        dead = self._dead_senders()
        # A message whose sender began handing it over is not taken: it may have arrived.
        takeable = or_(
            outbox.c.state == PENDING,
            and_(_abandoned(now, dead), outbox.c.attempt_started.is_(None)),
        )
        # Materialized: inlined into the UPDATE, PostgreSQL may run the LIMIT ... SKIP LOCKED
        # subquery more than once and take more than `limit` rows.
        picked = (
            select(outbox.c.id)
            .where(takeable, outbox.c.id > after_id)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # One statement: on SQLite it takes the write lock first (a read-then-write transaction
        # could fail at once under WAL); on PostgreSQL the locked rows are skipped, not waited on.
        claim = (
            update(outbox)
            .where(outbox.c.id.in_(select(picked.c.id)), takeable)
            .values(state=SENDING, claimed_by=owner, claim_expires=now + claims.LEASE)
            .returning(*outbox.c)
        )
        with self.engine.begin() as conn:
            taken = conn.execute(claim).mappings()
            return sorted((_to_message(r) for r in taken), key=lambda m: m.id)

    def start_attempt(self, message_id: int, owner: str, sent: tuple[int, datetime] | None = None) -> bool:
        """Record, before the message is handed to its channel, that `owner` is doing so now; false
        (send nothing) when its claim was lost to another sender meanwhile. `sent`: the message
        `owner` handed over just before, marked sent in the same transaction (one commit a
        message in a long pass, not two)."""
        now = _now()
        with self.engine.begin() as conn:
            if sent is not None:
                _mark_sent(conn, sent[0], sent[1], owner)
            started = conn.execute(
                _START_ATTEMPT, {"_id": message_id, "_owner": owner, "now": now, "until": now + claims.LEASE}
            )
            return started.rowcount == 1

    def set_aside_interrupted(self) -> builtins.list[OutboxMessage]:
        """Messages whose sender died (or ran out of its lease) while handing them over: they may
        have arrived, so they become "unsure" and are returned, for ops to be told."""
        now = _now()
        dead = self._dead_senders()
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(outbox)
                .where(_abandoned(now, dead), outbox.c.attempt_started.is_not(None))
                .values(state=UNSURE, claim_expires=None)
                .returning(*outbox.c)
            ).mappings()
            return sorted((_to_message(r) for r in rows), key=lambda m: m.id)

    def failed_messages(self) -> builtins.list[OutboxMessage]:
        return [m for m in self.messages() if m.state in (FAILED, UNSURE)]

    def retry_failed(self, message_ids: Iterable[int] | None = None) -> builtins.list[OutboxMessage]:
        """Put failed and unsure messages (these, or all) back in the queue with fresh attempts;
        the next send delivers each once. Sent and pending messages are left as they are."""
        wanted = None if message_ids is None else list(message_ids)
        where = [outbox.c.state.in_([FAILED, UNSURE])] + ([] if wanted is None else [outbox.c.id.in_(wanted)])
        with self.engine.begin() as conn:
            requeued = conn.execute(
                update(outbox)
                .where(*where)
                .values(state=PENDING, attempts=0, attempt_started=None)
                .returning(*outbox.c)
            ).mappings()
            return sorted((_to_message(r) for r in requeued), key=lambda m: m.id)

    def unsent_count(self) -> int:
        """Messages waiting to be sent or being sent: what a send pass has before it."""
        query = select(func.count()).select_from(outbox).where(outbox.c.state.in_([PENDING, SENDING]))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def messages(self, order_id: str | None = None) -> builtins.list[OutboxMessage]:
        q = select(outbox).order_by(outbox.c.id)
        if order_id is not None:
            q = q.where(outbox.c.order_id == order_id)
        with self.engine.connect() as conn:
            return [_to_message(r) for r in conn.execute(q).mappings()]

    def mark_sent(self, message_id: int, at: datetime, owner: str | None = None) -> None:
        """Mark a message sent (by its claim's `owner`, when given): never undone."""
        with self.engine.begin() as conn:
            _mark_sent(conn, message_id, at, owner)

    # ----- the CRM projection -----

    def crm_stale(self, limit: int = 5000) -> builtins.list[Order]:
        """Orders whose CRM row does not yet show their latest change."""
        return self._load(orders.c.crm_dirty.is_(True))[:limit]

    def in_crm_unrecorded(self) -> builtins.list[str]:
        """Orders whose CRM row is written (flag clear) but that are not yet marked recorded."""
        query = select(orders.c.order_id).where(
            orders.c.status == str(OrderStatus.PROOF_RECEIVED), orders.c.crm_dirty.is_(False)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def crm_synced(self, versions: dict[str, int]) -> None:
        """Clear the flag for rows written at these versions; a change made since keeps it set."""
        with self.engine.begin() as conn:
            for order_id, version in versions.items():
                conn.execute(
                    update(orders)
                    .where(orders.c.order_id == order_id, orders.c.version == version)
                    .values(crm_dirty=False)
                )

    def mark_failed(self, message_id: int, error: str, *, permanent: bool, owner: str | None = None) -> None:
        """A failed try, by its claim's `owner` when given; a message already sent stays sent."""
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.state != SENT, *_held_by(owner))
                .values(
                    state=FAILED if permanent else PENDING,
                    attempts=outbox.c.attempts + 1,
                    error=error[:2000],
                    claim_expires=None,
                    attempt_started=None,  # the channel said no: nothing arrived, a retry is safe
                )
            )

    def sent_times(self, order_ids: Iterable[str], kind: str) -> dict[str, datetime]:
        """When each of these orders' `kind` message was sent, in one query per 500 orders."""
        found: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(order_ids)):
                q = select(outbox.c.order_id, outbox.c.sent_at).where(
                    outbox.c.order_id.in_(chunk), outbox.c.kind == kind, outbox.c.sent_at.is_not(None)
                )
                found.update({r.order_id: r.sent_at for r in conn.execute(q)})
        return found

    def sent_at(self, order_id: str, kind: str) -> datetime | None:
        q = select(outbox.c.sent_at).where(outbox.c.order_id == order_id, outbox.c.kind == kind)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one_or_none()

    # ----- cursors (e.g. a Drive changes page token) -----

    def get_cursor(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar_one_or_none()

    def claim_cursor(self, name: str, owner: str) -> bool:
        """Take the one-off job `name` (a day's digest) for `owner`, unless it is done or another
        live owner holds it; `set_cursor` marks it done, `release_cursor` gives it back."""
        now = _now()
        claim = f"{_CLAIMED}{owner} {(now + claims.LEASE).isoformat()}"
        with self.engine.begin() as conn:
            claims.insert_or_skip(conn, cursors, {"name": name, "value": claim})
            value = conn.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar_one()
        if value == claim:
            return True
        if not value.startswith(_CLAIMED):
            return False  # done already
        holder, _, expires = value.removeprefix(_CLAIMED).rpartition(" ")
        if datetime.fromisoformat(expires) > now and not claims.dead_owners([holder]):
            return False
        with self.engine.begin() as conn:  # a dead or late holder: take it over, one taker only
            taken = conn.execute(
                update(cursors).where(cursors.c.name == name, cursors.c.value == value).values(value=claim)
            )
            return taken.rowcount == 1

    def release_cursor(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(cursors).where(
                    cursors.c.name == name, cursors.c.value.startswith(f"{_CLAIMED}{owner} ")
                )
            )

    def set_cursor(self, name: str, value: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(cursors).where(cursors.c.name == name).values(value=value))
            if done.rowcount == 0:
                conn.execute(insert(cursors).values(name=name, value=value))


def _to_order(row: RowMapping, entries: builtins.list[HistoryEntry]) -> Order:
    return Order(
        order_id=row["order_id"],
        status=OrderStatus(row["status"]),
        service_code=row["service_code"],
        buyer_name=row["buyer_name"],
        buyer_email=row["buyer_email"],
        phone_raw=row["phone_raw"],
        phone=row["phone"],
        quantity=row["quantity"],
        deadline=row["deadline"],
        timezone=row["timezone"],
        notes=row["notes"],
        paid=row["paid"],
        lang=row["lang"],
        received_at=row["received_at"],
        source=dict(row["source"]),
        source_hash=row["source_hash"],
        problems=[Problem(**p) for p in row["problems"]],
        overdue=row["overdue"],
        overdue_at=row["overdue_at"],
        assignee=row["assignee"],
        proofs=[ProofFile(**p) for p in row["proofs"]],
        team_notes=[TeamNote(**{**n, "at": datetime.fromisoformat(n["at"])}) for n in row["team_notes"]],
        deliverables=[Delivered(**{**d, "items": tuple(d.get("items", ()))}) for d in row["deliverables"]],
        handovers=[HandedOver(**_dated(h, "at", "withdrawn_at")) for h in row["handovers"]],
        claims=[Claim(**_dated(c, "at", "deadline", "done_at")) for c in row["claims"]],
        refunds=[Refund(**_dated(r, "at")) for r in row["refunds"]],
        held_change=dict(row["held_change"] or {}),
        paid_confirmed_by=row["paid_confirmed_by"],
        address=row["address"],
        unit_price=row["unit_price"],
        cod=row["cod"],
        shipments=[Shipment(**_dated(x, "at", "delivered_at")) for x in row["shipments"]],
        returns=[ReturnRequest(**_dated(r, "at", "received_at")) for r in row["returns"]],
        history=entries,
        version=row["version"],
        stored=snapshot(row),
    )


def _dated(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {**data, **{n: datetime.fromisoformat(data[n]) if data.get(n) else None for n in names}}


# The outbox's per-message statements, built once: a big import sends 100,000 messages, and
# building a statement per call was a third of each one's cost.
_START_ATTEMPT = (
    update(outbox)
    .where(
        outbox.c.id == bindparam("_id"),
        outbox.c.attempt_started.is_(None),
        outbox.c.state == SENDING,
        outbox.c.claimed_by == bindparam("_owner"),
    )
    .values(attempt_started=bindparam("now"), claim_expires=bindparam("until"))
)
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("_id"))
    .values(
        state=SENT, sent_at=bindparam("sent_at"), attempts=outbox.c.attempts + 1, error="", claim_expires=None
    )
    .returning(outbox.c.order_id, outbox.c.kind)
)
_MARK_SENT_BY_OWNER = _MARK_SENT.where(outbox.c.state == SENDING, outbox.c.claimed_by == bindparam("_owner"))
_HISTORY_TOLD = (
    update(history)
    .where(history.c.order_id == bindparam("_order"), history.c.awaits == bindparam("_kind"))
    .values(notified=True, awaits=None)
)
_CRM_STALE = (
    update(orders)
    .where(orders.c.order_id == bindparam("_order"), orders.c.status.in_([str(s) for s in IN_CRM]))
    .values(crm_dirty=True, version=orders.c.version + 1)
)


def _mark_sent(conn: Connection, message_id: int, at: datetime, owner: str | None) -> None:
    marking = _MARK_SENT if owner is None else _MARK_SENT_BY_OWNER
    told = conn.execute(marking, {"_id": message_id, "_owner": owner, "sent_at": at}).first()
    if told is None:
        return  # the claim ran out and another sender took the message over
    conn.execute(_HISTORY_TOLD, {"_order": told.order_id, "_kind": told.kind})
    # The CRM row shows when the buyer was told. The version moves too, so a sync that read the
    # order before this cannot clear the flag.
    conn.execute(_CRM_STALE, {"_order": told.order_id})


def _abandoned(now: datetime, dead: Iterable[str]) -> ColumnElement[bool]:
    """Being sent by a sender whose lease ran out or whose process (on this host) is gone."""
    return and_(
        outbox.c.state == SENDING, or_(outbox.c.claim_expires < now, outbox.c.claimed_by.in_(list(dead)))
    )


def _held_by(owner: str | None) -> builtins.list[ColumnElement[bool]]:
    """The condition that `owner` still holds the message's claim (none: an admin's direct edit)."""
    if owner is None:
        return []
    return [outbox.c.state == SENDING, outbox.c.claimed_by == owner]


def _to_message(row: RowMapping) -> OutboxMessage:
    return OutboxMessage(
        order_id=row["order_id"],
        kind=row["kind"],
        recipient=row["recipient"],
        channel=row["channel"],
        attachments=tuple(row["attachments"]),
        subject=row["subject"],
        body=row["body"],
        id=row["id"],
        state=row["state"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        error=row["error"],
    )
