"""Dispatch: give each ready order its proof folder, then hand it to its division."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from fulfil.core.catalogue import Service
from fulfil.core.order import Order
from fulfil.core.pipeline import Step, dispatch, next_step
from fulfil.core.status import EDITABLE
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.outbox import outbox_messages
from fulfil.usecases.unit_of_work import Decided, transact
from integrations.ports import ProofFolderSpec, StaleOrder

# Orders read and written per transaction: a commit per order was most of a big import's time.
BATCH = 200


def ready_to_dispatch(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list(EDITABLE) if order_ids is None else _in_batches(svc, list(order_ids))
    return [o.order_id for o in orders if next_step(o, svc.catalogue.get(o.service_code)) == Step.DISPATCH]


def _in_batches(svc: Deps, order_ids: list[str]) -> Iterator[Order]:
    """The orders, a batch at a time: a big import's are not all in memory at once."""
    for start in range(0, len(order_ids), BATCH):
        yield from svc.store.get_many(order_ids[start : start + BATCH])


def dispatch_ready(svc: Deps, order_ids: list[str] | None) -> list[str]:
    """Every order ready to dispatch among these (None: every order waiting) gets its proof
    folder (found again on a rerun), then goes to its division; the orders dispatched.

    A batch at a time, each order read once, and never dispatched before its folder exists: a
    batch's folders are being made (beside this work, where the store can) while the batch before
    it is dispatched in one transaction. A batch a concurrent run changed meanwhile is dispatched
    again order by order, each read afresh."""
    if order_ids is None:  # the watch's and the sweep's: the waiting orders, loaded once
        waiting = svc.store.list(EDITABLE)
        total = len(waiting)
        batches: Iterable[list[Order]] = (waiting[i : i + BATCH] for i in range(0, total, BATCH))
    else:  # an import's thousands, a batch at a time
        ids = order_ids
        total = len(ids)
        batches = (svc.store.get_many(ids[i : i + BATCH]) for i in range(0, total, BATCH))
    done: list[str] = []
    with svc.progress(total, "proof folders + dispatch") as advance_by:
        making: _Folders | None = None
        for batch in batches:
            ready = _ready(svc, batch)
            started = _Folders(ready, svc.proofs.ensure_folders([spec for _, spec in ready]), len(batch))
            if making is not None:
                done += making.then_dispatch(svc, advance_by)
            making = started
        if making is not None:
            done += making.then_dispatch(svc, advance_by)
    return done


class _Folders:
    """A batch's ready orders whose folders are being made."""

    def __init__(
        self, ready: list[tuple[Order, ProofFolderSpec]], links: Callable[[], dict[str, str]], read: int
    ) -> None:
        self.orders = [order for order, _ in ready]
        self.links = links
        self.read = read  # the batch's orders, ready or not

    def then_dispatch(self, svc: Deps, advance_by: Callable[[int], None]) -> list[str]:
        links = self.links()
        done = []
        if links:
            crash_point("after-folder-created")
            done = _dispatch_batch(svc, self.orders, links)
        advance_by(self.read)
        return done


def _ready(svc: Deps, batch: list[Order]) -> list[tuple[Order, ProofFolderSpec]]:
    """The batch's orders ready to dispatch, each with its folder's title and README."""
    ready = []
    for order in batch:
        service = svc.catalogue.get(order.service_code)
        if service is not None and next_step(order, service) == Step.DISPATCH:
            ready.append((order, _folder_spec(svc, order, service)))
    return ready


def _folder_spec(svc: Deps, order: Order, service: Service) -> ProofFolderSpec:
    readme = svc.composer.compose("folder_readme", order).body
    return ProofFolderSpec(order.order_id, f"{order.order_id} · {service.name.id}", readme)


def _decide(svc: Deps, order: Order) -> Decided:
    service = svc.catalogue.get(order.service_code)
    if service is None or next_step(order, service) != Step.DISPATCH:
        return None
    division = svc.catalogue.division_of(service)
    return dispatch(order, service, division.name, at=svc.clock())


def _dispatch_batch(svc: Deps, ready: list[Order], links: dict[str, str]) -> list[str]:
    """Dispatch these orders as read with their folders; on a concurrent change, one by one."""
    changes = []
    for order in ready:
        keys = _decide(svc, order)
        if keys is not None:
            changes.append((order, outbox_messages(svc, order, keys, folder_link=links[order.order_id])))
    try:
        if changes:
            svc.store.save_many(changes)
        handed = [order.order_id for order, _ in changes]
    except StaleOrder:
        handed = [o.order_id for o in ready if _dispatch_one(svc, o.order_id, links[o.order_id])]
    if handed:
        crash_point("after-dispatch-queued")
    return handed


def _dispatch_one(svc: Deps, order_id: str, link: str) -> bool:
    return transact(svc, order_id, lambda order: _decide(svc, order), folder_link=link) is not None
