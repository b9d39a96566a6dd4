"""Proof tasks: read the folders (retried), judge the files (store), then keep the feed cursor."""

from __future__ import annotations

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.proofs import Scan
from tasks._runtime import listed, log, step_task


@step_task("scan-proof-folders", retry_waits=[2, 10])
def scan_proof_folders(deps: Deps, order_ids: list[str] | None = None) -> Scan:
    scan = DirectSteps(deps).scan_proof_folders(order_ids)
    files = sum(len(f) for f in scan.found.values())
    log(f"{scan.watched} orders watched, {len(scan.found)} folders changed, {files} files in them")
    return scan


@step_task("judge-proofs")
def judge_proofs(deps: Deps, scan: Scan) -> list[str]:
    received = DirectSteps(deps).judge_proofs(scan)
    log(f"proof accepted for {len(received)} orders: {listed(received)}")
    return received
