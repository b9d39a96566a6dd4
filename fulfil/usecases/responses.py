"""Name the order of each form response that came without an order ID (see core/identity.py).

Tables are named one after another, each against what the store knows plus what the tables
before it named, so a folder holding an export taken before an edit and one taken after names
the edited response as the same order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fulfil.core.identity import KnownResponse, Resolution, resolve
from fulfil.core.intake import SourceRow
from fulfil.core.status import FINAL
from fulfil.usecases.deps import Deps


class ResponseNamer:
    def __init__(self, svc: Deps) -> None:
        self.svc = svc
        self.named: dict[str, KnownResponse] = {}  # named in this read, not yet in the store

    def name(self, rows: Sequence[SourceRow]) -> list[SourceRow]:
        """`rows` of one table, each with the order ID its response belongs to."""
        responses = [r.response for r in rows if r.response is not None]
        if not responses:
            return list(rows)
        book = self.svc.store.responses
        known = book.by_keys(x.key for x in responses)
        known.update({x.key: self.named[x.key] for x in responses if x.key in self.named})
        unknown = [x for x in responses if x.key not in known]
        at_rows = _merge(book.at_rows({x.row_number for x in unknown}), self.named.values())
        by_answers = _merge(book.with_answers({x.answers for x in unknown}), self.named.values())
        fallback_ids = {x.fallback_id for x in unknown}
        stored = self.svc.store.get_many(fallback_ids | {k.order_id for k in at_rows})
        existing = {o.order_id for o in stored if o.order_id in fallback_ids}
        existing |= {k.order_id for k in self.named.values() if k.order_id in fallback_ids}
        closed = {o.order_id for o in stored if o.status in FINAL}
        verdicts = {
            v.response.key: v for v in resolve(responses, known, at_rows, by_answers, existing, closed)
        }
        out: list[SourceRow] = []
        for row in rows:
            if row.response is None:
                out.append(row)
                continue
            v: Resolution = verdicts[row.response.key]
            r = row.response
            self.named[r.key] = r.of_order(v.order_id)
            out.append(row.named(v.order_id, v.verdict, v.other_order))
        return out


def _merge(stored: list[KnownResponse], named: Iterable[KnownResponse]) -> list[KnownResponse]:
    by_key = {k.key: k for k in stored}
    by_key.update({k.key: k for k in named})
    return list(by_key.values())
