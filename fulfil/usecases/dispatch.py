"""Dispatch: give each ready order its proof folder, then hand it to its division."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fulfil.core.order import Order
from fulfil.core.pipeline import Step, dispatch, next_step
from fulfil.core.status import EDITABLE
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.outbox import outbox_messages
from fulfil.usecases.unit_of_work import Decided, transact
from integrations.ports import ProofFolderSpec, StaleOrder


def ready_to_dispatch(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    if order_ids is None:
        orders: Iterable[Order] = svc.store.list(EDITABLE)
    else:
        orders = _in_batches(svc, list(order_ids))
    return [o.order_id for o in orders if next_step(o, svc.catalogue.get(o.service_code)) == Step.DISPATCH]


def _in_batches(svc: Deps, order_ids: list[str]) -> Iterator[Order]:
    """The orders, a batch at a time: a big import's are not all in memory at once."""
    for start in range(0, len(order_ids), BATCH):
        yield from svc.store.get_many(order_ids[start : start + BATCH])


def open_proof_folders(svc: Deps, order_ids: list[str] | None) -> dict[str, str]:
    """Find or create the proof folder of each of these orders (None: every order waiting) that
    is ready to dispatch (a rerun finds the one it made); return links."""
    orders: Iterable[Order]
    if order_ids is None:  # the watch's and the sweep's: loaded once, readiness checked below
        orders = waiting = svc.store.list(EDITABLE)
        total = len(waiting)
    else:  # an import's thousands, a batch at a time
        orders, total = _in_batches(svc, order_ids), len(order_ids)
    links: dict[str, str] = {}
    with svc.progress(total, "proof folders") as advance_by:
        for order in orders:
            advance_by(1)
            service = svc.catalogue.get(order.service_code)
            if service is None or next_step(order, service) != Step.DISPATCH:
                continue
            readme = svc.composer.compose("folder_readme", order).body
            spec = ProofFolderSpec(order.order_id, f"{order.order_id} · {service.name.id}", readme)
            links[order.order_id] = svc.proofs.ensure_folder(spec)
            crash_point("after-folder-created")
    return links


def mark_dispatched(svc: Deps, folder_links: dict[str, str]) -> list[str]:
    """Hand each order whose folder exists to its division, a batch per transaction; a batch a
    concurrent run touched is done again order by order."""
    done: list[str] = []
    ids = list(folder_links)
    with svc.progress(len(ids), "dispatch") as advance_by:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            try:
                handed = _dispatch_batch(svc, chunk, folder_links)
            except StaleOrder:
                handed = [i for i in chunk if _dispatch_one(svc, i, folder_links[i])]
            if handed:
                crash_point("after-dispatch-queued")
            done += handed
            advance_by(len(chunk))
    return done


# Orders written per transaction: a commit per order was most of a big import's time.
BATCH = 200


def _decide(svc: Deps, order: Order) -> Decided:
    service = svc.catalogue.get(order.service_code)
    if service is None or next_step(order, service) != Step.DISPATCH:
        return None
    division = svc.catalogue.division_of(service)
    return dispatch(order, service, division.name, at=svc.clock())


def _dispatch_batch(svc: Deps, chunk: list[str], links: dict[str, str]) -> list[str]:
    changes = []
    for order in svc.store.get_many(chunk):
        keys = _decide(svc, order)
        if keys is not None:
            changes.append((order, outbox_messages(svc, order, keys, folder_link=links[order.order_id])))
    if changes:
        svc.store.save_many(changes)
    return [order.order_id for order, _ in changes]


def _dispatch_one(svc: Deps, order_id: str, link: str) -> bool:
    return transact(svc, order_id, lambda order: _decide(svc, order), folder_link=link) is not None
