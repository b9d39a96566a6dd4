"""Proof tasks: read the folders (retried), judge the files (store), then keep the feed cursor."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import proofs as uc
from tasks._runtime import log, services, worth_retrying


@task(name="scan-proof-folders", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=worth_retrying)
def scan_proof_folders(order_ids: list[str] | None = None) -> uc.Scan:
    svc = services()
    watched = uc.orders_to_watch(svc, order_ids)
    scan = uc.scan_proof_folders(svc, watched)
    files = sum(len(f) for f in scan.found.values())
    log(f"{len(watched)} orders watched, {len(scan.found)} folders changed, {files} files in them")
    return scan


@task(name="judge-proofs")
def judge_proofs(scan: uc.Scan) -> list[str]:
    svc = services()
    received = uc.judge_proofs(svc, scan.found)
    uc.save_cursor(svc, scan.cursor)
    log(f"proof accepted for {len(received)} orders: {', '.join(received) or '-'}")
    return received
