"""Proof tasks: read the folders (retried), judge the files (store), then keep the feed cursor."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.proofs import Scan
from tasks._runtime import log, worth_retrying


@task(
    name="scan-proof-folders",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=worth_retrying,
    cache_policy=NO_CACHE,
)
def scan_proof_folders(deps: Deps, order_ids: list[str] | None = None) -> Scan:
    scan = DirectSteps(deps).scan_proof_folders(order_ids)
    files = sum(len(f) for f in scan.found.values())
    log(f"{scan.watched} orders watched, {len(scan.found)} folders changed, {files} files in them")
    return scan


@task(name="judge-proofs", cache_policy=NO_CACHE)
def judge_proofs(deps: Deps, scan: Scan) -> list[str]:
    received = DirectSteps(deps).judge_proofs(scan)
    log(f"proof accepted for {len(received)} orders: {', '.join(received) or '-'}")
    return received
