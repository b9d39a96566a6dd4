"""Invoice numbers, allocated once per order: `INV/2026/11/0001`, the next in the month's sequence.

Two processes issuing at once may both read the same highest number: the unique (period, seq)
key lets one insert win and the other read again and take the next; the unique order key makes a
rerun (or a second process on the same order) find the number already given."""

from __future__ import annotations

import random
import time
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from fulfil.core.invoice import invoice_number
from integrations.ports import IssuedInvoice
from integrations.store.tables import invoices as t

_ATTEMPTS = 50


class InvoiceBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, order_id: str) -> IssuedInvoice | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.order_id == order_id)).mappings().first()
        return None if row is None else _issued(row)

    def issue(self, order_id: str, prefix: str, at: datetime) -> IssuedInvoice:
        """The order's invoice number: the one it has, or the month's next."""
        period = f"{at.year:04d}/{at.month:02d}"
        for _ in range(_ATTEMPTS):
            found = self.of(order_id)
            if found is not None:
                return found
            try:
                with self.engine.begin() as conn:
                    last = conn.execute(select(func.max(t.c.seq)).where(t.c.period == period)).scalar()
                    seq = (last or 0) + 1
                    number = invoice_number(prefix, at.year, at.month, seq)
                    conn.execute(
                        t.insert().values(
                            number=number, order_id=order_id, period=period, seq=seq, issued_at=at
                        )
                    )
                return IssuedInvoice(number, order_id, at)
            except IntegrityError:
                continue  # another process took that number (or this order) first: read again
            except OperationalError:
                # SQLite under WAL refuses a read-then-write transaction while another writes.
                time.sleep(random.uniform(0.01, 0.1))
        raise RuntimeError(f"could not allocate an invoice number for {order_id} after {_ATTEMPTS} tries")

    def void(self, order_id: str, at: datetime, reason: str) -> IssuedInvoice | None:
        """Mark the order's invoice void (its number stays taken); None if it has none."""
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.order_id == order_id, t.c.voided_at.is_(None))
                .values(voided_at=at, void_reason=reason[:500])
            )
        return self.of(order_id)

    def all(self) -> list[IssuedInvoice]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.period, t.c.seq)).mappings().all()
        return [_issued(r) for r in rows]


def _issued(row: object) -> IssuedInvoice:
    r = dict(row)  # type: ignore[call-overload]
    return IssuedInvoice(r["number"], r["order_id"], r["issued_at"], r["voided_at"], r["void_reason"])
