"""Per-order traces for the Prefect UI: what a run did to each order it touched, without buyer data.

A run takes the history mark when it starts; at its end every order with history written after
the mark gets one new version of its artifact (its status, what happened, proofs, deadline) and
one sentence in the run's log. The run's name and tags then carry those order IDs, so a manager
who types an ID into the flow-run search finds the runs that acted on that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fulfil.core.deadlines import show
from fulfil.core.order import HistoryEntry, Order
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


def history_mark(svc: Deps) -> int:
    return svc.store.history_mark()


def run_changes(svc: Deps, mark: int, run_label: str) -> list[OrderChange]:
    """The orders changed after `mark`, each with the entries written since; their artifact
    versions are queued, to be written within the per-run quota (claim_traces)."""
    first_new = svc.store.changed_since(mark, svc.store.history_mark())
    orders = svc.store.get_many(first_new)
    svc.store.queue_traces(first_new, run_label)
    return [change_of(svc, o, o.history[first_new[o.order_id] :]) for o in orders]


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


def run_name(base: str, order_ids: Iterable[str]) -> str:
    """`watch-proofs · INV-0001 INV-0007`: the UI's search matches any part of a run's name."""
    ids = " ".join(i for i in order_ids if i not in base)
    return f"{base} · {ids}" if ids else base


def run_tags(changes: Iterable[OrderChange]) -> list[str]:
    return sorted({tag for c in changes for tag in c.tags})


def _link(url: str) -> str:
    # Only our own adapters' links are shown as links; anything else stays inert text.
    if url.startswith(("https://drive.google.com/", "https://docs.google.com/", "file://")):
        return f"[buka / open]({url})"
    return markdown_cell(url) if url else "-"
