"""Deadline sweep: the ladder's reminders, escalations and buyer messages, each once per order.

`sweep_orders` is the real run (store writes and outbox rows); `preview` is the same decision
computed without writing anything, for `fulfil sweep --dry-run`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fulfil.core import aftersale
from fulfil.core.catalogue import Ladder
from fulfil.core.deadlines import show
from fulfil.core.ladder import Rung, State
from fulfil.core.order import Order
from fulfil.core.pipeline import plan_sweep, sweep
from fulfil.core.status import OrderStatus
from fulfil.usecases import shipping, stock
from fulfil.usecases.deps import Deps
from fulfil.usecases.outbox import outbox_messages, recipient
from fulfil.usecases.unit_of_work import Decided, retry_on_stale, transact

# Completed orders stay in the sweep for their follow-up; cancelled ones have nothing left.
SWEPT = frozenset(OrderStatus) - {OrderStatus.CANCELLED}


@dataclass
class SweepReport:
    flagged: list[str] = field(default_factory=list)  # order IDs newly overdue
    queued: list[str] = field(default_factory=list)  # `INV-0042/reminder:50`: messages put in the outbox
    skipped: list[str] = field(default_factory=list)  # rungs overtaken by a later one, recorded only
    delivered: list[str] = field(default_factory=list)  # shipped orders counted delivered by their days


@dataclass(frozen=True)
class _Done:
    flagged: bool
    sent: list[Rung]
    skipped: list[Rung]


def ladder_of(svc: Deps, order: Order) -> Ladder:
    return svc.catalogue.ladder_for(svc.catalogue.get(order.service_code))


def sweep_orders(svc: Deps, *, now: datetime | None = None) -> SweepReport:
    """One pass at `now` (the services' clock unless given: `--at` catches up or tests a moment)."""
    at = now or svc.clock()
    report = SweepReport()
    for order in svc.store.list(SWEPT):
        # Decide on the copy just read and write only orders with something to do.
        if not plan_sweep(order, ladder_of(svc, order), now=at).changes:
            continue
        done = _apply(svc, order.order_id, at)
        if done is None:
            continue
        if done.flagged:
            report.flagged.append(order.order_id)
        report.queued += [f"{order.order_id}/{r.key}" for r in done.sent]
        report.skipped += [f"{order.order_id}/{r.key}" for r in done.skipped]
    report.queued += _rework_breaches(svc, at)
    report.delivered = shipping.deliveries_due(svc, at)
    # Whatever a crashed run left reserved for orders that since ended, and whoever waits for it.
    if stock.settle(svc):
        stock.retry_waiting(svc)
    return report


def _rework_breaches(svc: Deps, at: datetime) -> list[str]:
    """Claims in rework: reminded before their deadline and escalated after it, each once."""
    queued: list[str] = []
    for order in svc.store.list({OrderStatus.REWORK}):
        remind = timedelta(hours=min(ladder_of(svc, order).remind_hours_before, default=2))
        queued += [f"{order.order_id}/{key}" for key in _rework_rung(svc, order.order_id, remind, at)]
    return queued


def _rework_rung(svc: Deps, order_id: str, remind: timedelta, at: datetime) -> list[str]:
    sent: list[str] = []

    def decide(order: Order) -> Decided:
        keys = aftersale.rework_rungs(order, remind_before=remind, now=at)
        sent[:] = [str(k) for k in keys]
        return keys or None

    return sent if transact(svc, order_id, decide) is not None else []


@retry_on_stale
def _apply(svc: Deps, order_id: str, now: datetime) -> _Done | None:
    """Like `transact`, but each rung's message is rendered with that rung (its label, its time)."""
    order = svc.store.get(order_id)
    ladder = ladder_of(svc, order)
    planned = plan_sweep(order, ladder, now=now)
    before = len(order.history)
    rungs = sweep(order, ladder, now=now)
    if len(order.history) == before:
        return None  # another run got here first
    messages = [
        message
        for rung in rungs
        for message in outbox_messages(svc, order, [rung.key], rung=rung, due=show(rung.at, order.timezone))
    ]
    svc.store.save(order, messages)
    return _Done(planned.flag, rungs, planned.skip)


# ----- the preview -----


@dataclass(frozen=True)
class PreviewLine:
    key: str
    label: str
    at: datetime
    state: State
    recipient: str
    by: str = ""  # for a rung skipped now: the later rung that overtook it


@dataclass(frozen=True)
class OrderPreview:
    order_id: str
    service_code: str
    status: OrderStatus
    deadline: datetime | None
    timezone: str
    flag: bool  # the sweep would set the overdue flag
    lines: list[PreviewLine]

    @property
    def to_send(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.state == State.SEND]


def preview(
    svc: Deps, *, now: datetime | None = None, order_ids: Iterable[str] | None = None
) -> list[OrderPreview]:
    """What a sweep at `now` would do, and every rung's time, without writing anything.

    With no order IDs: the orders with something still ahead or due (finished ladders are left out).
    """
    at = now or svc.clock()
    wanted = None if order_ids is None else [o.strip().upper() for o in order_ids]
    orders = svc.store.list(SWEPT) if wanted is None else svc.store.get_many(wanted)
    out = []
    for order in orders:
        planned = plan_sweep(order, ladder_of(svc, order), now=at)
        open_rungs = any(p.state in (State.SEND, State.SKIP, State.WAITING) for p in planned.rungs)
        if wanted is None and not (open_rungs or planned.flag):
            continue
        lines = [
            PreviewLine(
                p.rung.key, p.rung.label, p.rung.at, p.state, recipient(svc, order, p.rung.kind), p.by
            )
            for p in planned.rungs
        ]
        out.append(
            OrderPreview(
                order.order_id,
                order.service_code,
                order.status,
                order.deadline,
                order.timezone,
                planned.flag,
                lines,
            )
        )
    return out
