"""Dispatch tasks: proof folders (idempotent I/O, retried) and the dispatched status."""

from __future__ import annotations

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import listed, log, step_task


@step_task("open-proof-folders", retry_waits=[2, 10])
def open_proof_folders(deps: Deps, order_ids: list[str] | None = None) -> dict[str, str]:
    """Find or create a proof folder for every order ready to dispatch among these (all if None)."""
    links = DirectSteps(deps).open_proof_folders(order_ids)
    log(f"proof folders ready for {len(links)} orders: {listed(links)}")
    return links


@step_task("mark-dispatched")
def mark_dispatched(deps: Deps, folder_links: dict[str, str]) -> list[str]:
    done = DirectSteps(deps).mark_dispatched(folder_links)
    log(f"dispatched {len(done)} orders: {listed(done)}")
    return done
