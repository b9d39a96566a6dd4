"""Proof tasks: read the folders (retried), judge the files (store)."""

from __future__ import annotations

from prefect import task

from fulfil.core.handover import FoundFile
from fulfil.usecases import proofs as uc
from tasks._runtime import log, services


@task(name="scan-proof-folders", retries=2, retry_delay_seconds=[2, 10])
def scan_proof_folders(order_ids: list[str] | None = None) -> dict[str, list[FoundFile]]:
    svc = services()
    waiting = uc.orders_to_watch(svc, order_ids)
    found = uc.scan_proof_folders(svc, waiting)
    log(f"{len(waiting)} orders watched; {sum(len(f) for f in found.values())} files in their folders")
    return found


@task(name="judge-proofs")
def judge_proofs(found: dict[str, list[FoundFile]]) -> list[str]:
    received = uc.judge_proofs(services(), found)
    log(f"proof accepted for {len(received)} orders: {', '.join(received) or '-'}")
    return received
