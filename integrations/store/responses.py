"""The form responses fulfil has named: response key → order, and the row it stood in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.sql import ColumnElement

from fulfil.core.identity import KnownResponse
from integrations.store.batches import chunks
from integrations.store.claims import insert_or_skip
from integrations.store.tables import form_responses as t


class FormResponseBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _where_in(self, column: ColumnElement[Any], values: Iterable[object]) -> list[KnownResponse]:
        wanted = sorted(set(values), key=str)
        found: list[KnownResponse] = []
        with self.engine.connect() as conn:
            for chunk in chunks(wanted):
                for r in conn.execute(select(t).where(column.in_(chunk))).mappings():
                    key, order, row = r["response_key"], r["order_id"], r["row_number"]
                    found.append(KnownResponse(key, order, row, r["buyer"], r["answers"]))
        return found

    def by_keys(self, keys: Iterable[str]) -> dict[str, KnownResponse]:
        return {k.key: k for k in self._where_in(t.c.response_key, keys)}

    def at_rows(self, rows: Iterable[int]) -> list[KnownResponse]:
        return self._where_in(t.c.row_number, rows)

    def with_answers(self, answers: Iterable[str]) -> list[KnownResponse]:
        return self._where_in(t.c.answers, answers)

    def remember(self, known: Sequence[KnownResponse]) -> None:
        """Record each key (a second process recording the same key is no conflict) and the row
        it stands in now."""
        if not known:
            return
        now = datetime.now(UTC)
        have = self.by_keys(k.key for k in known)
        with self.engine.begin() as conn:
            for k in known:
                old = have.get(k.key)
                if old is None:
                    row = {
                        "response_key": k.key,
                        "order_id": k.order_id,
                        "row_number": k.row_number,
                        "buyer": k.buyer,
                        "answers": k.answers,
                        "seen_at": now,
                    }
                    # Another intake may name the same key a moment before us, to the same order.
                    insert_or_skip(conn, t, row)
                elif old.row_number != k.row_number:
                    moved = update(t).where(t.c.response_key == k.key)
                    conn.execute(moved.values(row_number=k.row_number, seen_at=now))
