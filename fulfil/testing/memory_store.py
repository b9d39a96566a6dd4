"""The order store in memory: the same contract as the SQLAlchemy store (tests/integration/
test_store_contract.py runs both), so use cases are tested in milliseconds, without a database.

One process only: it keeps the optimistic version check, the claims and the leases, but shares
nothing across processes; the multi-process guarantees are the real store's (tests/reliability/).
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fulfil.core.errors import UnknownOrder
from fulfil.core.identity import KnownResponse
from fulfil.core.invoice import invoice_number
from fulfil.core.order import HistoryEntry, Order
from fulfil.core.status import IN_CRM, OrderStatus
from fulfil.core.stock import SETTLED_BY_STATUS, Held, Reservation, StockLevel, crosses_low
from integrations.ports import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNSURE,
    IssuedInvoice,
    OutboxMessage,
    QueuedTrace,
    StaleOrder,
)
from integrations.store import claims

_CLAIMED = "claimed "


def _now() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass
class _Row:
    order: Order  # without history: the history lives in MemoryStore._history
    version: int
    crm_dirty: bool
    updated_at: datetime


@dataclasses.dataclass
class _HistoryRow:
    id: int
    order_id: str
    seq: int
    entry: HistoryEntry
    awaits: str | None


class MemoryResponses:
    def __init__(self) -> None:
        self._known: dict[str, KnownResponse] = {}

    def by_keys(self, keys: Iterable[str]) -> dict[str, KnownResponse]:
        return {k: self._known[k] for k in set(keys) if k in self._known}

    def at_rows(self, rows: Iterable[int]) -> builtins.list[KnownResponse]:
        wanted = set(rows)
        return [k for k in self._known.values() if k.row_number in wanted]

    def with_answers(self, answers: Iterable[str]) -> builtins.list[KnownResponse]:
        wanted = set(answers)
        return [k for k in self._known.values() if k.answers in wanted]

    def remember(self, known: Sequence[KnownResponse]) -> None:
        for k in known:
            old = self._known.get(k.key)
            self._known[k.key] = k if old is None else dataclasses.replace(old, row_number=k.row_number)


class MemoryOrigins:
    def __init__(self) -> None:
        self._origin: dict[str, str] = {}  # order ID -> the table its row was last read in

    def ids_from(self, origin: str) -> builtins.set[str]:
        return {order_id for order_id, o in self._origin.items() if o == origin}

    def remember(self, origin: str, order_ids: Iterable[str]) -> None:
        self._origin.update(dict.fromkeys(order_ids, origin))

    def forget(self, order_ids: Iterable[str]) -> None:
        for order_id in order_ids:
            self._origin.pop(order_id, None)


class MemoryInvoices:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_order: dict[str, IssuedInvoice] = {}
        self._seq: dict[str, int] = {}

    def of(self, order_id: str) -> IssuedInvoice | None:
        return self._by_order.get(order_id)

    def issue(self, order_id: str, prefix: str, at: datetime) -> IssuedInvoice:
        with self._lock:
            if order_id not in self._by_order:
                period = f"{at.year:04d}/{at.month:02d}"
                self._seq[period] = self._seq.get(period, 0) + 1
                number = invoice_number(prefix, at.year, at.month, self._seq[period])
                self._by_order[order_id] = IssuedInvoice(number, order_id, at)
            return self._by_order[order_id]

    def void(self, order_id: str, at: datetime, reason: str) -> IssuedInvoice | None:
        with self._lock:
            found = self._by_order.get(order_id)
            if found is not None and found.voided_at is None:
                self._by_order[order_id] = dataclasses.replace(found, voided_at=at, void_reason=reason[:500])
            return self._by_order.get(order_id)

    def all(self) -> builtins.list[IssuedInvoice]:
        return sorted(self._by_order.values(), key=lambda i: (i.issued_at.strftime("%Y/%m"), i.number))


class MemoryStock:
    """Stock in memory, with the SQL store's rules (integrations/store/stock.py)."""

    def __init__(self, status_of: Callable[[str], OrderStatus | None]) -> None:
        self._lock = threading.Lock()
        self._available: dict[str, int] = {}
        self._held: dict[str, dict[str, Any]] = {}  # order -> service, units, state, crossed_low
        self._status_of = status_of

    def reserve(
        self, order_id: str, service_code: str, units: int, *, start: int, low_at: int, at: datetime
    ) -> Reservation:
        with self._lock:
            left = self._available.setdefault(service_code, start)
            row = self._held.get(order_id)
            if row is not None and (
                row["state"] == Held.CONSUMED or (row["state"] == Held.RESERVED and row["units"] == units)
            ):
                return Reservation(True, row["units"], left, row["crossed_low"])
            holding = row["units"] if row is not None and row["state"] == Held.RESERVED else 0
            more = units - holding
            if left < more:
                if holding:
                    self._move(order_id, Held.RESERVED, Held.RELEASED, back=True)
                return Reservation(False, units, self._available[service_code])
            self._available[service_code] = left - more
            crossed = crosses_low(left, left - more, low_at) or bool(row and row["crossed_low"])
            self._held[order_id] = {
                "service": service_code,
                "units": units,
                "state": Held.RESERVED,
                "crossed_low": crossed,
            }
            return Reservation(True, units, left - more, crossed)

    def _move(self, order_id: str, source: Held, target: Held, *, back: bool) -> bool:
        row = self._held.get(order_id)
        if row is None or row["state"] != source:
            return False
        row["state"] = target
        if back:
            self._available[row["service"]] += row["units"]
        return True

    def release(self, order_id: str, at: datetime) -> bool:
        with self._lock:
            return self._move(order_id, Held.RESERVED, Held.RELEASED, back=True)

    def consume(self, order_id: str, at: datetime) -> bool:
        with self._lock:
            return self._move(order_id, Held.RESERVED, Held.CONSUMED, back=False)

    def take_back(self, order_id: str, at: datetime) -> bool:
        with self._lock:
            return self._move(order_id, Held.CONSUMED, Held.RETURNED, back=True)

    def add(self, service_code: str, units: int, *, start: int, at: datetime) -> int:
        with self._lock:
            self._available[service_code] = self._available.get(service_code, start) + units
            return self._available[service_code]

    def held_by(self, order_id: str) -> tuple[Held, int] | None:
        row = self._held.get(order_id)
        return None if row is None else (Held(row["state"]), row["units"])

    def settle(self, at: datetime) -> builtins.list[str]:
        done = []
        with self._lock:
            for order_id, row in self._held.items():
                status = self._status_of(order_id)
                target = SETTLED_BY_STATUS.get(status) if status is not None else None
                if row["state"] == Held.RESERVED and target is not None:
                    self._move(order_id, Held.RESERVED, target, back=target == Held.RELEASED)
                    done.append(order_id)
        return done

    def levels(self, start: Mapping[str, int]) -> builtins.list[StockLevel]:
        def total(code: str, state: Held) -> int:
            return sum(
                r["units"] for r in self._held.values() if r["service"] == code and r["state"] == state
            )

        codes = sorted(set(start) | set(self._available))
        return [
            StockLevel(
                code,
                self._available.get(code, start.get(code, 0)),
                total(code, Held.RESERVED),
                total(code, Held.CONSUMED),
            )
            for code in codes
        ]


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._orders: dict[str, _Row] = {}
        self._history: builtins.list[_HistoryRow] = []
        self._outbox: dict[int, dict[str, Any]] = {}
        self._traces: builtins.list[tuple[int, QueuedTrace]] = []
        self._cursors: dict[str, str] = {}
        self._goods: dict[str, str] = {}  # goods digest -> the order holding it
        self._ids = 0
        self.responses = MemoryResponses()
        self.invoices = MemoryInvoices()
        self.stock = MemoryStock(self._status_of)
        self.origins = MemoryOrigins()

    def _status_of(self, order_id: str) -> OrderStatus | None:
        row = self._orders.get(order_id)
        return None if row is None else row.order.status

    def close(self) -> None:
        """Nothing to let go of: it lives in this process's memory."""

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # ----- reading -----

    def _out(self, row: _Row) -> Order:
        order = copy.deepcopy(row.order)
        order.history = [copy.copy(h.entry) for h in self._history if h.order_id == order.order_id]
        order.version = row.version
        return order

    def find(self, order_id: str) -> Order | None:
        with self._lock:
            row = self._orders.get(order_id)
            return self._out(row) if row else None

    def get(self, order_id: str) -> Order:
        order = self.find(order_id)
        if order is None:
            raise UnknownOrder(f"no order with ID {order_id!r} (see `fulfil orders list`)")
        return order

    def list(self, statuses: Iterable[OrderStatus] | None = None) -> builtins.list[Order]:
        wanted = None if statuses is None else set(statuses)
        with self._lock:
            rows = [r for _, r in sorted(self._orders.items()) if wanted is None or r.order.status in wanted]
            return [self._out(r) for r in rows]

    def get_many(self, order_ids: Iterable[str]) -> builtins.list[Order]:
        wanted = set(order_ids)
        with self._lock:
            return [self._out(r) for i, r in sorted(self._orders.items()) if i in wanted]

    def watched_ids(
        self,
        always: Iterable[OrderStatus],
        recent: Iterable[OrderStatus],
        since: datetime,
        *,
        among: Iterable[str] | None = None,
    ) -> builtins.list[str]:
        always, recent = set(always), set(recent)
        pool = None if among is None else set(among)
        with self._lock:
            return sorted(
                i
                for i, r in self._orders.items()
                if (pool is None or i in pool)
                and (r.order.status in always or (r.order.status in recent and r.updated_at >= since))
            )

    # ----- history marks and the trace backlog -----

    def history_mark(self) -> int:
        with self._lock:
            return max((h.id for h in self._history), default=0)

    def changed_since(self, mark: int, upto: int | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._lock:
            for h in self._history:
                if h.id > mark and (upto is None or h.id <= upto):
                    found[h.order_id] = min(found.get(h.order_id, h.seq), h.seq)
        return dict(sorted(found.items()))

    def queue_traces(self, changes: dict[str, int], run_name: str) -> None:
        with self._lock:
            for order_id, seq in changes.items():
                self._traces.append((self._next_id(), QueuedTrace(order_id, seq, run_name[:128])))

    def claim_traces(self, limit: int) -> builtins.list[QueuedTrace]:
        if limit <= 0:
            return []
        with self._lock:
            taken, self._traces = self._traces[:limit], self._traces[limit:]
            return [t for _, t in taken]

    def trace_backlog_size(self) -> int:
        return len(self._traces)

    # ----- writing -----

    def save(self, order: Order, messages: Iterable[OutboxMessage] = ()) -> None:
        messages = list(messages)
        now = _now()
        with self._lock:
            row = self._orders.get(order.order_id)
            if order.version == 0 and row is not None:
                raise StaleOrder(f"order {order.order_id} was written by another run")
            if order.version != 0 and (row is None or row.version != order.version):
                raise StaleOrder(f"order {order.order_id} was changed by another run")
            held = order.goods_held() if order.deliverables else None
            if held is not None:
                other = next((o for d, o in self._goods.items() if d in held and o != order.order_id), None)
                if other is not None:
                    raise StaleOrder(f"order {order.order_id}: some of its goods went to order {other} first")
            known = sum(1 for h in self._history if h.order_id == order.order_id)
            new_entries = order.history[known:]
            awaited = self._awaited(order.order_id, messages)
            told_at = max((i for i, h in enumerate(new_entries) if h.notified), default=-1)
            for i, h in enumerate(new_entries):
                waits = i == told_at and awaited is not None
                entry = dataclasses.replace(h, notified=h.notified and not waits)
                self._history.append(
                    _HistoryRow(self._next_id(), order.order_id, known + i, entry, awaited if waits else None)
                )
            for msg in messages:
                if self._message(msg.order_id, msg.kind) is None:
                    self._outbox[self._next_id()] = {
                        **dataclasses.asdict(msg),
                        "state": PENDING,
                        "attempts": 0,
                        "error": "",
                        "created_at": now,
                        "sent_at": None,
                        "claimed_by": "",
                        "claim_expires": None,
                        "attempt_started": None,
                    }
            if held is not None:
                self._goods = {d: o for d, o in self._goods.items() if o != order.order_id}
                self._goods.update(dict.fromkeys(held, order.order_id))
            stored = copy.deepcopy(order)
            stored.history = []
            version = order.version + 1 if order.version else 1
            self._orders[order.order_id] = _Row(stored, version, order.status in IN_CRM, now)
        order.version = version

    def save_many(self, changes: Sequence[tuple[Order, Iterable[OutboxMessage]]]) -> None:
        """All of them or none: every version is checked before anything is written."""
        with self._lock:
            for order, _ in changes:
                row = self._orders.get(order.order_id)
                if (order.version == 0) != (row is None) or (
                    row is not None and row.version != order.version
                ):
                    raise StaleOrder(f"order {order.order_id} was changed by another run")
            for order, messages in changes:
                self.save(order, messages)

    def goods_owners(self, digests: Iterable[str]) -> dict[str, str]:
        with self._lock:
            return {d: self._goods[d] for d in set(digests) if d in self._goods}

    def _message(self, order_id: str, kind: str) -> dict[str, Any] | None:
        return next(
            (m for m in self._outbox.values() if m["order_id"] == order_id and m["kind"] == kind), None
        )

    def _awaited(self, order_id: str, messages: Sequence[OutboxMessage]) -> str | None:
        kind = next((m.kind for m in messages if m.tells_buyer), None)
        if kind is None:
            return None
        found = self._message(order_id, kind)
        return None if found is not None and found["state"] == SENT else kind

    # ----- the outbox -----

    def _as_message(self, message_id: int) -> OutboxMessage:
        m = self._outbox[message_id]
        fields = {f.name for f in dataclasses.fields(OutboxMessage)}
        return OutboxMessage(
            **{**{k: v for k, v in m.items() if k in fields}, "id": message_id, "tells_buyer": False}
        )

    def pending_messages(self, limit: int = 500) -> builtins.list[OutboxMessage]:
        with self._lock:
            ids = [i for i, m in sorted(self._outbox.items()) if m["state"] == PENDING][:limit]
            return [self._as_message(i) for i in ids]

    def claim_messages(self, owner: str, limit: int = 500, after_id: int = 0) -> builtins.list[OutboxMessage]:
        now = _now()
        with self._lock:
            holders = {m["claimed_by"] for m in self._outbox.values() if m["state"] == SENDING}
            dead = set(claims.dead_owners(holders))

            def takeable(m: dict[str, Any]) -> bool:
                stale = _abandoned(m, now, dead) and m["attempt_started"] is None
                return m["state"] == PENDING or stale

            ids = [i for i, m in sorted(self._outbox.items()) if i > after_id and takeable(m)][:limit]
            for i in ids:
                self._outbox[i].update(state=SENDING, claimed_by=owner, claim_expires=now + claims.LEASE)
            return [self._as_message(i) for i in ids]

    def start_attempt(self, message_id: int, owner: str, sent: tuple[int, datetime] | None = None) -> bool:
        now = _now()
        with self._lock:
            if sent is not None:
                self.mark_sent(sent[0], sent[1], owner)
            m = self._outbox.get(message_id)
            if m is None or m["attempt_started"] is not None or not self._held(m, owner):
                return False
            m.update(attempt_started=now, claim_expires=now + claims.LEASE)
            return True

    def set_aside_interrupted(self) -> builtins.list[OutboxMessage]:
        now = _now()
        with self._lock:
            holders = {m["claimed_by"] for m in self._outbox.values() if m["state"] == SENDING}
            dead = set(claims.dead_owners(holders))
            ids = [
                i
                for i, m in sorted(self._outbox.items())
                if _abandoned(m, now, dead) and m["attempt_started"] is not None
            ]
            for i in ids:
                self._outbox[i].update(state=UNSURE, claim_expires=None)
            return [self._as_message(i) for i in ids]

    def _held(self, m: dict[str, Any], owner: str | None) -> bool:
        return owner is None or (m["state"] == SENDING and m["claimed_by"] == owner)

    def mark_sent(self, message_id: int, at: datetime, owner: str | None = None) -> None:
        with self._lock:
            m = self._outbox.get(message_id)
            if m is None or not self._held(m, owner):
                return
            m.update(state=SENT, sent_at=at, attempts=m["attempts"] + 1, error="", claim_expires=None)
            for h in self._history:
                if h.order_id == m["order_id"] and h.awaits == m["kind"]:
                    h.entry, h.awaits = dataclasses.replace(h.entry, notified=True), None
            row = self._orders.get(m["order_id"])
            if row is not None and row.order.status in IN_CRM:
                row.crm_dirty, row.version = True, row.version + 1

    def mark_failed(self, message_id: int, error: str, *, permanent: bool, owner: str | None = None) -> None:
        with self._lock:
            m = self._outbox.get(message_id)
            if m is None or m["state"] == SENT or not self._held(m, owner):
                return
            m.update(
                state=FAILED if permanent else PENDING,
                attempts=m["attempts"] + 1,
                error=error[:2000],
                claim_expires=None,
                attempt_started=None,
            )

    def unsent_count(self) -> int:
        with self._lock:
            return sum(1 for m in self._outbox.values() if m["state"] in (PENDING, SENDING))

    def messages(self, order_id: str | None = None) -> builtins.list[OutboxMessage]:
        with self._lock:
            ids = [
                i for i, m in sorted(self._outbox.items()) if order_id is None or m["order_id"] == order_id
            ]
            return [self._as_message(i) for i in ids]

    def failed_messages(self) -> builtins.list[OutboxMessage]:
        return [m for m in self.messages() if m.state in (FAILED, UNSURE)]

    def retry_failed(self, message_ids: Iterable[int] | None = None) -> builtins.list[OutboxMessage]:
        wanted = None if message_ids is None else set(message_ids)
        with self._lock:
            ids = [
                i
                for i, m in sorted(self._outbox.items())
                if m["state"] in (FAILED, UNSURE) and (wanted is None or i in wanted)
            ]
            for i in ids:
                self._outbox[i].update(state=PENDING, attempts=0, attempt_started=None)
            return [self._as_message(i) for i in ids]

    def sent_times(self, order_ids: Iterable[str], kind: str) -> dict[str, datetime]:
        wanted = set(order_ids)
        with self._lock:
            return {
                m["order_id"]: m["sent_at"]
                for m in self._outbox.values()
                if m["order_id"] in wanted and m["kind"] == kind and m["sent_at"] is not None
            }

    def sent_at(self, order_id: str, kind: str) -> datetime | None:
        with self._lock:
            m = self._message(order_id, kind)
            return m["sent_at"] if m else None

    # ----- the CRM projection -----

    def crm_stale(self, limit: int = 5000) -> builtins.list[Order]:
        with self._lock:
            return [self._out(r) for _, r in sorted(self._orders.items()) if r.crm_dirty][:limit]

    def in_crm_unrecorded(self) -> builtins.list[str]:
        with self._lock:
            return [
                i
                for i, r in sorted(self._orders.items())
                if r.order.status == OrderStatus.PROOF_RECEIVED and not r.crm_dirty
            ]

    def crm_synced(self, versions: dict[str, int]) -> None:
        with self._lock:
            for order_id, version in versions.items():
                row = self._orders.get(order_id)
                if row is not None and row.version == version:
                    row.crm_dirty = False

    # ----- cursors -----

    def get_cursor(self, name: str) -> str | None:
        return self._cursors.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        self._cursors[name] = value

    def claim_cursor(self, name: str, owner: str) -> bool:
        now = _now()
        with self._lock:
            value = self._cursors.get(name)
            if value is not None and not value.startswith(_CLAIMED):
                return False
            if value is not None:
                holder, _, expires = value.removeprefix(_CLAIMED).rpartition(" ")
                if datetime.fromisoformat(expires) > now and not claims.dead_owners([holder]):
                    return False
            self._cursors[name] = f"{_CLAIMED}{owner} {(now + claims.LEASE).isoformat()}"
            return True

    def release_cursor(self, name: str, owner: str) -> None:
        with self._lock:
            if (self._cursors.get(name) or "").startswith(f"{_CLAIMED}{owner} "):
                del self._cursors[name]


def _abandoned(m: dict[str, Any], now: datetime, dead: set[str]) -> bool:
    """Being sent by a sender whose lease ran out or whose process (on this host) is gone."""
    expired = m["claim_expires"] is not None and m["claim_expires"] < now
    return bool(m["state"] == SENDING and (expired or m["claimed_by"] in dead))
