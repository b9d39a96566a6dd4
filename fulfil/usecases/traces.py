"""Per-order traces for the Prefect UI: what a run did to each order it touched, without buyer data.

A run takes the history mark when it starts; at its end every order with history written after
the mark gets one new version of its artifact (its status, what happened, proofs, deadline) and
one sentence in the run's log. The run's name and tags then carry those order IDs, so a manager
who types an ID into the flow-run search finds the runs that acted on that order.

Each history entry also becomes one Prefect event on the order's resource, `fulfil.order.<id>`:
`fulfil.order.<new status>` when it changed the status, `fulfil.order.escalated` for an
escalation, `fulfil.order.commented` for anything else. The UI's event feed filtered to that
resource tells the order's whole story, and automations can act on it. Events are not held to the
artifact quota: a run sends every entry not sent yet (a store cursor says up to where), also those
that `fulfil orders ...` commands wrote between runs. An event carries the status, service,
division, who acted and two flags; never the comment (it may hold a buyer's words) or buyer data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4, uuid5

from fulfil.core import ladder as ladders
from fulfil.core.deadlines import show
from fulfil.core.order import SYSTEM, HistoryEntry, Order
from fulfil.core.status import FINAL
from fulfil.core.trace import artifact_key, markdown_cell, redact
from fulfil.usecases.deps import Deps

STATUS_WORDS: dict[str, str] = {
    "received": "diterima / received",
    "needs_info": "perlu info / needs info",
    "awaiting_payment": "menunggu pembayaran / awaiting payment",
    "dispatched": "dikirim ke tim / dispatched to the team",
    "assigned": "dikerjakan petugas / assigned",
    "proof_received": "bukti diterima / proof received",
    "recorded": "dicatat di CRM / recorded in the CRM",
    "completed": "selesai / completed",
    "cancelled": "dibatalkan / cancelled",
}


@dataclass(frozen=True)
class OrderChange:
    """What a run did to one order, for its log line and the run's name and tags."""

    order_id: str
    tags: tuple[str, ...]
    story: str


@dataclass(frozen=True)
class OrderTrace:
    """One version of the order's artifact."""

    order_id: str
    key: str
    description: str
    markdown: str


@dataclass(frozen=True)
class OrderEvent:
    """One history entry as a Prefect event on the order's resource, without buyer data."""

    name: str  # fulfil.order.dispatched, fulfil.order.escalated, fulfil.order.commented, ...
    resource: dict[str, str]  # prefect.resource.id fulfil.order.<id>, its name, service, division
    occurred: datetime
    payload: dict[str, str | bool | int | None]
    # Derived from the store and the entry, so sending it again is one event: the Prefect server
    # keeps the first event of an ID and drops the rest.
    id: UUID
    # Written during the run that sends it (it is then linked to that run), or before it: by a
    # `fulfil orders ...` command, or by a run that could not send its events.
    in_run: bool = True


@dataclass(frozen=True)
class RunTrace:
    changes: list[OrderChange]  # this run's, for its log, name and tags; artifact versions queued
    events: list[OrderEvent]  # every entry not sent yet, order by order, each order's in order
    events_upto: int  # the history mark they reach: events_sent(svc, events_upto) once they are out


EVENT_PREFIX = "fulfil.order."
ESCALATED = EVENT_PREFIX + "escalated"
COMMENTED = EVENT_PREFIX + "commented"
# Store cursors: the history mark up to which events went out, and the store's own UUID, which
# keeps two shops (or a shop's test copy) on one Prefect server from sharing event IDs.
EVENTS_CURSOR = "order-events-sent"
NAMESPACE_CURSOR = "order-events-namespace"
# A claim's rework past its deadline (fulfil/core/aftersale.py rework_rungs): its history line is
# how that ladder knows it went, as the main ladder's key is for the sweep.
_REWORK_OVERDUE = re.compile(r"Claim #\d+ rework is past its deadline$")
_TICK = timedelta(microseconds=1)


def history_mark(svc: Deps) -> int:
    return svc.store.history_mark()


@dataclass(frozen=True)
class TracePlan:
    """What a run's traces cover, known before any order is loaded (see begin_trace)."""

    first_new: dict[str, int]  # orders changed after the run's mark → their first new entry
    first_unsent: dict[str, int]  # orders with entries whose event has not gone → the first
    namespace: UUID
    events_upto: int


def trace_run(svc: Deps, mark: int, run_label: str) -> RunTrace:
    """The whole of a run's trace at once (see begin_trace and trace_parts, which a big import
    uses so that its events are never all in memory)."""
    plan = begin_trace(svc, mark, run_label)
    parts = list(trace_parts(svc, plan))
    return RunTrace(
        [c for p in parts for c in p.changes], [e for p in parts for e in p.events], plan.events_upto
    )


def begin_trace(svc: Deps, mark: int, run_label: str) -> TracePlan:
    """What the run that took `mark` did, and every history entry whose event has not gone yet.

    The orders changed after `mark` get their artifact versions queued, to be written within the
    per-run quota (claim_traces). Events start at the cursor of the last run that sent them (at
    `mark` for a store that never sent any), so the changes `fulfil orders ...` made between runs
    go too; an entry sent twice (two runs at once) is still one event on the server.
    """
    upto = svc.store.history_mark()
    sent = svc.store.get_cursor(EVENTS_CURSOR)
    since = mark if sent is None else min(int(sent), mark)
    first_new = svc.store.changed_since(mark, upto)
    first_unsent = first_new if since == mark else svc.store.changed_since(since, upto)
    svc.store.queue_traces(first_new, run_label)
    namespace = events_namespace(svc) if first_unsent else UUID(int=0)
    return TracePlan(first_new, first_unsent, namespace, upto)


# Orders loaded, and their events made, at a time: a 50,000-row import's 150,000 events held
# at once were a third of its peak memory.
TRACED_AT_ONCE = 500


def trace_parts(svc: Deps, plan: TracePlan, size: int = TRACED_AT_ONCE) -> Iterator[RunTrace]:
    """The plan's changes and events, `size` orders at a time, oldest entries of each order first."""
    ids = list(plan.first_unsent)
    for start in range(0, len(ids), size):
        changes: list[OrderChange] = []
        events: list[OrderEvent] = []
        for order in svc.store.get_many(ids[start : start + size]):
            if order.order_id in plan.first_new:
                changes.append(change_of(svc, order, order.history[plan.first_new[order.order_id] :]))
            service = svc.catalogue.get(order.service_code)
            events += order_events(
                order,
                plan.first_unsent[order.order_id],
                division=service.division if service else "",
                namespace=plan.namespace,
                run_from=plan.first_new.get(order.order_id, len(order.history)),
            )
        yield RunTrace(changes, events, plan.events_upto)


def events_sent(svc: Deps, upto: int) -> None:
    """The events of every entry up to history mark `upto` are out; the next run starts there."""
    sent = svc.store.get_cursor(EVENTS_CURSOR)
    if sent is None or int(sent) < upto:
        svc.store.set_cursor(EVENTS_CURSOR, str(upto))


def events_namespace(svc: Deps) -> UUID:
    """The store's own namespace for event IDs, made the first time it is asked for."""
    made = svc.store.get_cursor(NAMESPACE_CURSOR)
    if made is None:
        # Another process making it at the same moment fails here; theirs is read below.
        with suppress(Exception):
            svc.store.set_cursor(NAMESPACE_CURSOR, str(uuid4()))
        made = svc.store.get_cursor(NAMESPACE_CURSOR)
        assert made is not None, "the store keeps its cursors"
    return UUID(made)


def order_events(
    order: Order, first: int, *, division: str, namespace: UUID, run_from: int = 0
) -> list[OrderEvent]:
    """The events of `order`'s history entries from index `first` on, in order.

    `occurred` is the entry's time; entries written in one moment (one step often writes two)
    are a microsecond apart, so the feed, which sorts by time, shows them in the order they were
    written. Entries from `run_from` on were written by the run that sends them.
    """
    private = (order.buyer_name, order.buyer_email, order.phone_raw, order.phone)
    service = order.service_code or "unknown"
    resource = {
        "prefect.resource.id": EVENT_PREFIX + order.order_id,
        "prefect.resource.name": order.order_id,
        "fulfil.service": service,
        "fulfil.division": division or "unknown",
    }
    moments = _moments(order.history)
    events: list[OrderEvent] = []
    for seq in range(first, len(order.history)):
        entry = order.history[seq]
        before = order.history[seq - 1] if seq else None
        overdue = order.overdue and (order.overdue_at is None or order.overdue_at <= entry.at)
        events.append(
            OrderEvent(
                name=event_name(entry, before),
                resource=dict(resource),
                occurred=moments[seq],
                payload={
                    "status": str(entry.status),
                    "previous_status": str(before.status) if before else None,
                    "service": service,
                    "division": division or "unknown",
                    # Staff as the history names them (`ops:Rina`), or system/team/buyer.
                    "actor": redact(entry.actor, *private),
                    "buyer_told": entry.notified,
                    "overdue": overdue,
                    "seq": seq,
                },
                id=event_id(namespace, order.order_id, seq, entry),
                in_run=seq >= run_from,
            )
        )
    return events


def event_name(entry: HistoryEntry, before: HistoryEntry | None) -> str:
    if before is None or entry.status != before.status:
        return EVENT_PREFIX + str(entry.status)
    return ESCALATED if is_escalation(entry) else COMMENTED


def is_escalation(entry: HistoryEntry) -> bool:
    """An escalation to the division's lead and ops went: the deadline ladder's (its history line
    starts with its outbox key, `escalation:breach · …`, read back with the ladder's own parser,
    the one the sweep trusts to send each rung once), or a claim's rework past its deadline."""
    if entry.actor != SYSTEM:
        return False
    if entry.comment.startswith(ladders.ESCALATION):
        done = ladders.recorded(Order("", history=[entry]))
        return any(
            key.partition(":")[0] == ladders.ESCALATION and state == ladders.State.SENT
            for key, state in done.items()
        )
    return _REWORK_OVERDUE.search(entry.comment) is not None


def event_id(namespace: UUID, order_id: str, seq: int, entry: HistoryEntry) -> UUID:
    """The same entry of the same store gives the same ID, whichever run sends it and how often."""
    at = _utc(entry.at).isoformat()
    return uuid5(namespace, f"{order_id}\n{seq}\n{at}\n{entry.status}\n{entry.actor}")


def _moments(history: Sequence[HistoryEntry]) -> list[datetime]:
    """Each entry's time; one equal to (or a hair before) the one before it moves a microsecond
    after it. A real step back in time (a sweep run "as of" another moment) keeps its time."""
    out: list[datetime] = []
    for h in history:
        at = _utc(h.at)
        if out and out[-1] - timedelta(milliseconds=1) < at <= out[-1]:
            at = out[-1] + _TICK
        out.append(at)
    return out


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def change_of(svc: Deps, order: Order, happened: Sequence[HistoryEntry]) -> OrderChange:
    private = (order.buyer_name, order.buyer_email, order.phone_raw, order.phone)
    steps = "; ".join(redact(h.comment, *private) for h in happened) or "no change recorded"
    service = svc.catalogue.get(order.service_code)
    tags = [f"order:{order.order_id}", f"service:{order.service_code or 'unknown'}"]
    if service:
        tags.append(f"division:{service.division}")
    return OrderChange(
        order_id=order.order_id,
        tags=tuple(tags),
        story=f"{order.order_id} ({order.service_code or '?'}) is now {order.status}: {steps}",
    )


def claim_traces(svc: Deps, limit: int) -> list[OrderTrace]:
    """Up to `limit` queued changes, oldest first, taken off the queue to be written now."""
    queued = svc.store.claim_traces(limit)
    orders = {o.order_id: o for o in svc.store.get_many({q.order_id for q in queued})}
    now = svc.clock()
    return [
        trace_of(svc, orders[q.order_id], orders[q.order_id].history[q.first_seq :], now, q.run_name)
        for q in queued
        if q.order_id in orders
    ]


def trace_of(
    svc: Deps, order: Order, happened: Sequence[HistoryEntry], now: datetime, run_label: str
) -> OrderTrace:
    private = (order.buyer_name, order.buyer_email, order.phone_raw, order.phone)
    service = svc.catalogue.get(order.service_code)
    division = service.division if service else ""
    status = STATUS_WORDS.get(str(order.status), str(order.status))
    deadline = show(order.deadline, order.timezone) or "-"
    late = order.overdue or (
        order.deadline is not None and order.deadline < now and order.status not in FINAL
    )
    lines = [
        f"# {order.order_id} · {order.service_code or '?'}",
        "",
        "| | |",
        "|---|---|",
        f"| Status | **{status}** |",
        f"| Divisi / Division | {markdown_cell(division or '-')} |",
        f"| Jumlah / Quantity | {order.quantity if order.quantity is not None else '-'} |",
        f"| Tenggat / Deadline | {deadline} |",
        f"| Terlambat / Overdue | {'**ya / yes**' if late else 'tidak / no'} |",
        f"| Petugas / Assignee | {markdown_cell(order.assignee or '-')} |",
        f"| Diubah oleh run / Changed by run | {markdown_cell(run_label)} |",
        "",
        "## Yang terjadi / What happened",
        "",
        "| Waktu / Time | Status | Keterangan / Comment | Oleh / By | Pembeli diberi tahu / Buyer told |",
        "|---|---|---|---|---|",
        *(
            f"| {show(h.at, order.timezone)} | {h.status} | {markdown_cell(redact(h.comment, *private))} "
            f"| {markdown_cell(h.actor)} | {'ya / yes' if h.notified else '-'} |"
            for h in happened
        ),
    ]
    if order.proofs:
        lines += [
            "",
            "## Bukti / Proofs",
            "",
            "| File | Diterima / Accepted | Alasan / Reason | Link |",
            "|---|---|---|---|",
            *(
                f"| {markdown_cell(p.name)} | {'ya / yes' if p.accepted else 'tidak / no'} "
                f"| {markdown_cell(p.reason or '-')} | {_link(p.link)} |"
                for p in order.proofs
            ),
        ]
    return OrderTrace(
        order_id=order.order_id,
        key=artifact_key(order.order_id),
        description=f"{order.order_id}: {order.status}" + (" (late / terlambat)" if late else ""),
        markdown="\n".join(lines) + "\n",
    )


# Prefect refuses a run's state change when its event would relate more than 100 resources (one
# per tag): a run tagged with every order of a big import could then never finish. Past these
# many orders a run is tagged by service and division only, and named with its first orders.
ORDERS_TAGGED = 40
ORDERS_NAMED = 40


def run_name(base: str, order_ids: Iterable[str]) -> str:
    """`watch-proofs · INV-0001 INV-0007`: the UI's search matches any part of a run's name."""
    ids = [i for i in order_ids if i not in base]
    shown = " ".join(ids[:ORDERS_NAMED])
    if len(ids) > ORDERS_NAMED:
        shown += f" +{len(ids) - ORDERS_NAMED:,}"
    return f"{base} · {shown}" if shown else base


def run_tags(of_changes: Iterable[str]) -> list[str]:
    """The run's tags from its changes' tags: its orders' only while they are few."""
    tags = set(of_changes)
    orders = {tag for tag in tags if tag.startswith("order:")}
    if len(orders) > ORDERS_TAGGED:
        tags -= orders
    return sorted(tags)


@dataclass
class RunMarks:
    """What a run's name and tags need from its changes, gathered as they stream past (a big
    import's changes are never all in memory): the orders' IDs and the tags run_tags keeps."""

    order_ids: list[str] = field(default_factory=list)
    _tags: set[str] = field(default_factory=set)

    def add(self, change: OrderChange) -> None:
        self.order_ids.append(change.order_id)
        # Orders' own tags are kept only while one more would still decide run_tags' rule.
        few = len(self.order_ids) <= ORDERS_TAGGED + 1
        self._tags.update(t for t in change.tags if few or not t.startswith("order:"))

    def name(self, base: str) -> str:
        return run_name(base, self.order_ids)

    def tags(self) -> list[str]:
        return run_tags(self._tags)


def _link(url: str) -> str:
    # Only our own adapters' links are shown as links; anything else stays inert text.
    if url.startswith(("https://drive.google.com/", "https://docs.google.com/", "file://")):
        return f"[buka / open]({url})"
    return markdown_cell(url) if url else "-"
