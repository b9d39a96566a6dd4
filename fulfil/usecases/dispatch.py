"""Dispatch: give each ready order its proof folder, then hand it to its division."""

from __future__ import annotations

from collections.abc import Iterable

from fulfil.core.order import Order
from fulfil.core.pipeline import Step, dispatch, next_step
from fulfil.core.status import EDITABLE
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, transact
from integrations.ports import ProofFolderSpec


def ready_to_dispatch(svc: Deps, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list(EDITABLE) if order_ids is None else svc.store.get_many(order_ids)
    return [o.order_id for o in orders if next_step(o, svc.catalogue.get(o.service_code)) == Step.DISPATCH]


def open_proof_folders(svc: Deps, order_ids: list[str]) -> dict[str, str]:
    """Find or create each order's proof folder (a rerun finds the one it made); return links."""
    links: dict[str, str] = {}
    for order in svc.store.get_many(order_ids):
        service = svc.catalogue.get(order.service_code)
        if service is None:
            continue
        readme = svc.composer.compose("folder_readme", order).body
        spec = ProofFolderSpec(order.order_id, f"{order.order_id} · {service.name.id}", readme)
        links[order.order_id] = svc.proofs.ensure_folder(spec)
        crash_point("after-folder-created")
    return links


def mark_dispatched(svc: Deps, folder_links: dict[str, str]) -> list[str]:
    done: list[str] = []
    for order_id, link in folder_links.items():

        def decide(order: Order) -> Decided:
            service = svc.catalogue.get(order.service_code)
            if service is None or next_step(order, service) != Step.DISPATCH:
                return None
            division = svc.catalogue.division_of(service)
            return dispatch(order, service, division.name, at=svc.clock())

        if transact(svc, order_id, decide, folder_link=link) is not None:
            crash_point("after-dispatch-queued")
            done.append(order_id)
    return done
