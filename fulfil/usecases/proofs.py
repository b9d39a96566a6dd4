"""Proof watch: look in the waiting orders' folders and judge what the team dropped there."""

from __future__ import annotations

from collections.abc import Iterable

from fulfil.bootstrap import Services
from fulfil.core.order import Order
from fulfil.core.pipeline import FoundFile, take_proofs
from fulfil.core.status import WAITING_FOR_PROOF, OrderStatus
from fulfil.usecases._unit import transact


def waiting_for_proof(svc: Services, order_ids: Iterable[str] | None = None) -> list[str]:
    orders = svc.store.list(WAITING_FOR_PROOF) if order_ids is None else svc.store.get_many(order_ids)
    return [o.order_id for o in orders if o.is_waiting_for_proof]


def scan_proof_folders(svc: Services, order_ids: list[str]) -> dict[str, list[FoundFile]]:
    return svc.proofs.list_files(order_ids) if order_ids else {}


def judge_proofs(svc: Services, found: dict[str, list[FoundFile]]) -> list[str]:
    """Record every new file's verdict; return the orders whose proof is now accepted."""
    received: list[str] = []
    for order_id, files in found.items():

        def decide(order: Order, files: list[FoundFile] = files):  # type: ignore[no-untyped-def]
            service = svc.catalogue.get(order.service_code)
            if service is None or not order.is_waiting_for_proof:
                return None
            return [] if take_proofs(order, files, service.proof, at=svc.clock()) else None

        order = transact(svc, order_id, decide)
        if order is not None and order.status == OrderStatus.PROOF_RECEIVED:
            received.append(order_id)
    return received
