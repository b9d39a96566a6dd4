"""Dispatch tasks: proof folders (idempotent I/O, retried) and the dispatched status."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import dispatch as uc
from tasks._runtime import log, services, worth_retrying


@task(name="open-proof-folders", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=worth_retrying)
def open_proof_folders(order_ids: list[str] | None = None) -> dict[str, str]:
    """Find or create a proof folder for every order ready to dispatch among these (all if None)."""
    svc = services()
    ready = uc.ready_to_dispatch(svc, order_ids)
    links = uc.open_proof_folders(svc, ready)
    log(f"proof folders ready for {len(links)} orders: {', '.join(links) or '-'}")
    return links


@task(name="mark-dispatched")
def mark_dispatched(folder_links: dict[str, str]) -> list[str]:
    done = uc.mark_dispatched(services(), folder_links)
    log(f"dispatched {len(done)} orders: {', '.join(done) or '-'}")
    return done
