"""Proof watch: look in the waiting orders' folders and judge what the team dropped there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from fulfil.core.catalogue import Service
from fulfil.core.goods import file_digest, items_of
from fulfil.core.handover import Counted, FoundFile, contents_needed, counts_rows, is_note_file, take_handover
from fulfil.core.message_key import MessageKey
from fulfil.core.order import Order
from fulfil.core.status import IN_CRM, WAITING_FOR_PROOF, OrderStatus
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import transact
from integrations.ports import AdapterError, UncountableFile


def orders_to_watch(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    """Orders waiting for a proof, and orders done recently enough that a late team note counts.

    IDs only, straight from the store: a poll with 100,000 orders waiting must not load them.
    """
    since = svc.clock() - timedelta(days=svc.settings.late_note_days)
    return svc.store.watched_ids(WAITING_FOR_PROOF, IN_CRM, since, among=order_ids)


PROOF_CURSOR = "proof-store-changes"


@dataclass
class Scan:
    found: dict[str, list[FoundFile]]
    # Saved only after the files are judged, so a crash in between re-reads the same changes.
    cursor: str | None
    watched: int = 0  # how many orders were looked at


def scan_proof_folders(svc: Deps, order_ids: list[str]) -> Scan:
    """Ask the changes feed once, then list only the watched folders that changed."""
    feed = svc.proofs.changes(svc.store.get_cursor(PROOF_CURSOR))
    watched = len(order_ids)
    if feed.order_ids is not None:
        order_ids = [i for i in order_ids if i in feed.order_ids]
    return Scan(svc.proofs.list_files(order_ids) if order_ids else {}, feed.cursor, watched)


def save_cursor(svc: Deps, cursor: str | None) -> None:
    if cursor is not None:
        svc.store.set_cursor(PROOF_CURSOR, cursor)


def judge_proofs(svc: Deps, found: dict[str, list[FoundFile]]) -> list[str]:
    """Record every new file's verdict and every note; return the orders whose proof is now accepted.

    Deliverable files are read only to count their rows: their contents go nowhere else.
    """
    received: list[str] = []
    failed: list[str] = []
    orders = {o.order_id: o for o in svc.store.get_many(found)}
    for order_id, files in found.items():
        order = orders.get(order_id)
        service = svc.catalogue.get(order.service_code) if order else None
        if order is None or service is None:
            continue
        try:
            contents = _read_contents(svc, order_id, contents_needed(order, files, service), service)
        except AdapterError as exc:
            # One folder that cannot be read now must not hold up the other orders.
            failed.append(f"{order_id}: {exc}")
            continue
        decide = partial(_handover, svc=svc, files=files, service=service, contents=contents)
        order = transact(svc, order_id, decide)
        if order is not None and order.status == OrderStatus.PROOF_RECEIVED:
            crash_point("after-proof-accepted")
            received.append(order_id)
    if failed:
        # The others are judged; raising keeps the feed cursor where it was, so the next pass
        # reads these folders again instead of missing their changes.
        raise AdapterError("proof folders not read: " + "; ".join(failed), retryable=True)
    return received


@dataclass
class _Contents:
    """What reading the new files gave: notes' bytes, deliverables' counts, every file's type."""

    note_bytes: dict[str, bytes] = field(default_factory=dict)
    counts: dict[str, Counted] = field(default_factory=dict)
    sniffed: dict[str, str] = field(default_factory=dict)

    def goods(self, files: list[FoundFile]) -> set[str]:
        """Every goods digest these files could hand over (see fulfil/core/goods.py)."""
        wanted = {file_digest(f.md5) for f in files if f.md5}
        for counted in self.counts.values():
            wanted |= counted.items
        return wanted


def _handover(
    order: Order, *, svc: Deps, files: list[FoundFile], service: Service, contents: _Contents
) -> list[MessageKey | str] | None:
    # Read inside the unit of work: after a concurrent claim of the same goods, the retry sees it.
    owners = svc.store.goods_owners(contents.goods(files))
    return take_handover(
        order,
        files,
        service,
        at=svc.clock(),
        note_bytes=contents.note_bytes,
        counts=contents.counts,
        note_limit=svc.settings.note_limit,
        sniffed=contents.sniffed,
        owners=owners,
    )


def _read_contents(svc: Deps, order_id: str, files: list[FoundFile], service: Service) -> _Contents:
    read = _Contents()
    for f in files:
        content = svc.proofs.fetch(order_id, f)
        if is_note_file(f.name):
            read.note_bytes[f.fingerprint] = content
            continue
        read.sniffed[f.fingerprint] = svc.sniff(content)
        if counts_rows(f.name, service):
            try:
                items = items_of(svc.read_rows(f.name, content), svc.goods_key())
                read.counts[f.fingerprint] = Counted(
                    items.count, items=items.digests, repeated=items.repeated
                )
            except UncountableFile as exc:
                read.counts[f.fingerprint] = Counted(error=str(exc))
        del content  # a deliverable may hold passwords: keep only its type, count and digests
    return read
