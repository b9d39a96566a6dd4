"""Stock counts and each order's reservation (see fulfil/core/stock.py).

A reservation is one guarded UPDATE (`available >= units`) and one row keyed by the order, in one
transaction: two processes can never both take the last unit (the database serialises the
UPDATE and re-checks its condition), and a rerun finds the order's row instead of reserving again.
"""

from __future__ import annotations

import builtins
import functools
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from fulfil.core.stock import SETTLED_BY_STATUS, Held, Reservation, StockLevel, crosses_low
from integrations.store.tables import orders, stock_levels, stock_reservations

_ATTEMPTS = 50
T = TypeVar("T")
levels, held = stock_levels.c, stock_reservations.c


class StockBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reserve(
        self, order_id: str, service_code: str, units: int, *, start: int, low_at: int, at: datetime
    ) -> Reservation:
        """Hold `units` for the order (changing what it held, if its quantity changed); not held
        when that many are not available."""
        return self._retrying(lambda conn: _reserve(conn, order_id, service_code, units, start, low_at, at))

    def release(self, order_id: str, at: datetime) -> bool:
        """Put a reserved order's units back on the shelf; False if it held none."""
        return self._retrying(lambda conn: _move(conn, order_id, Held.RESERVED, Held.RELEASED, +1, at))

    def consume(self, order_id: str, at: datetime) -> bool:
        return self._retrying(lambda conn: _move(conn, order_id, Held.RESERVED, Held.CONSUMED, 0, at))

    def take_back(self, order_id: str, at: datetime) -> bool:
        """Returned goods are on the shelf again; False if they were never consumed or are back."""
        return self._retrying(lambda conn: _move(conn, order_id, Held.CONSUMED, Held.RETURNED, +1, at))

    def add(self, service_code: str, units: int, *, start: int, at: datetime) -> int:
        """A restock (or, negative, a write-off): what is available afterwards."""

        def run(conn: Connection) -> int:
            _ensure_level(conn, service_code, start, at)
            conn.execute(
                update(stock_levels)
                .where(levels.service_code == service_code)
                .values(available=levels.available + units, updated_at=at)
            )
            return int(
                conn.execute(select(levels.available).where(levels.service_code == service_code)).scalar_one()
            )

        return self._retrying(run)

    def held_by(self, order_id: str) -> tuple[Held, int] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(held.state, held.units).where(held.order_id == order_id)).first()
        return None if row is None else (Held(row.state), int(row.units))

    def settle(self, at: datetime) -> builtins.list[str]:
        """Units still reserved by orders that were shipped, completed, cancelled or refunded since:
        consumed or put back. Safe to repeat; returns the orders settled."""
        done = []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(held.order_id, orders.c.status)
                .join(orders, orders.c.order_id == held.order_id)
                .where(held.state == Held.RESERVED, orders.c.status.in_([str(s) for s in SETTLED_BY_STATUS]))
            ).all()
        for order_id, status in rows:
            target = SETTLED_BY_STATUS[status]
            back = +1 if target == Held.RELEASED else 0
            move = functools.partial(
                _move, order_id=order_id, source=Held.RESERVED, target=target, back=back, at=at
            )
            if self._retrying(move):
                done.append(order_id)
        return done

    def levels(self, start: Mapping[str, int]) -> builtins.list[StockLevel]:
        """Each stock-keeping service's count: on the shelf, held by open orders, gone out."""
        with self.engine.connect() as conn:
            available = dict(conn.execute(select(levels.service_code, levels.available)).all())
            sums = conn.execute(
                select(held.service_code, held.state, func.sum(held.units)).group_by(
                    held.service_code, held.state
                )
            ).all()
        by: dict[tuple[str, str], int] = {(code, state): int(n or 0) for code, state, n in sums}
        codes = sorted(set(start) | set(available))
        return [
            StockLevel(
                code,
                int(available.get(code, start.get(code, 0))),
                by.get((code, Held.RESERVED), 0),
                by.get((code, Held.CONSUMED), 0),
            )
            for code in codes
        ]

    def _retrying(self, work: Callable[[Connection], T]) -> T:
        for _ in range(_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except IntegrityError:
                continue  # another process made the same row first: read it
            except OperationalError:
                # SQLite under WAL refuses a read-then-write transaction while another writes.
                time.sleep(random.uniform(0.01, 0.1))
        raise RuntimeError(f"the stock could not be updated after {_ATTEMPTS} tries")


def _ensure_level(conn: Connection, service_code: str, start: int, at: datetime) -> None:
    """The service's count starts at the catalogue's `stock.count` the first time it is used."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(stock_levels)
        .values(service_code=service_code, available=start, updated_at=at)
        .on_conflict_do_nothing()
    )


def _available(conn: Connection, service_code: str) -> int:
    return int(conn.execute(select(levels.available).where(levels.service_code == service_code)).scalar_one())


def _reserve(
    conn: Connection, order_id: str, service_code: str, units: int, start: int, low_at: int, at: datetime
) -> Reservation:
    _ensure_level(conn, service_code, start, at)
    row = conn.execute(select(stock_reservations).where(held.order_id == order_id)).mappings().first()
    if row is not None and row["state"] == Held.CONSUMED:
        return Reservation(True, int(row["units"]), _available(conn, service_code), bool(row["crossed_low"]))
    holding = int(row["units"]) if row is not None and row["state"] == Held.RESERVED else 0
    if row is not None and holding == units:
        return Reservation(True, units, _available(conn, service_code), bool(row["crossed_low"]))
    more = units - holding
    left = conn.execute(
        update(stock_levels)
        .where(levels.service_code == service_code, levels.available >= more)
        .values(available=levels.available - more, updated_at=at)
        .returning(levels.available)
    ).scalar()
    if left is None:  # not enough on the shelf: what it held goes back, the order waits
        if holding:
            _move(conn, order_id, Held.RESERVED, Held.RELEASED, +1, at)
        return Reservation(False, units, _available(conn, service_code))
    crossed = crosses_low(int(left) + more, int(left), low_at) or bool(row and row["crossed_low"])
    values = {
        "service_code": service_code,
        "units": units,
        "state": Held.RESERVED,
        "crossed_low": crossed,
        "at": at,
    }
    if row is None:
        conn.execute(stock_reservations.insert().values(order_id=order_id, **values))
    else:
        conn.execute(update(stock_reservations).where(held.order_id == order_id).values(**values))
    return Reservation(True, units, int(left), crossed)


def _move(conn: Connection, order_id: str, source: Held, target: Held, back: int, at: datetime) -> bool:
    """Move the order's units from one state to another, once; `back` puts them on the shelf."""
    row = conn.execute(
        update(stock_reservations)
        .where(held.order_id == order_id, held.state == source)
        .values(state=target, at=at)
        .returning(held.service_code, held.units)
    ).first()
    if row is None:
        return False
    if back:
        conn.execute(
            update(stock_levels)
            .where(levels.service_code == row.service_code)
            .values(available=levels.available + row.units, updated_at=at)
        )
    return True
