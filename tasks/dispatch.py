"""Dispatch tasks: proof folders (idempotent I/O, retried) and the dispatched status."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import log, worth_retrying


@task(
    name="open-proof-folders",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=worth_retrying,
    cache_policy=NO_CACHE,
)
def open_proof_folders(deps: Deps, order_ids: list[str] | None = None) -> dict[str, str]:
    """Find or create a proof folder for every order ready to dispatch among these (all if None)."""
    links = DirectSteps(deps).open_proof_folders(order_ids)
    log(f"proof folders ready for {len(links)} orders: {', '.join(links) or '-'}")
    return links


@task(name="mark-dispatched", cache_policy=NO_CACHE)
def mark_dispatched(deps: Deps, folder_links: dict[str, str]) -> list[str]:
    done = DirectSteps(deps).mark_dispatched(folder_links)
    log(f"dispatched {len(done)} orders: {', '.join(done) or '-'}")
    return done
