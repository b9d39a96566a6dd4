"""CRM tasks: the sheet upsert (idempotent by order ID, retried) and the recorded status."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import log, worth_retrying


@task(
    name="sync-crm-rows",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=worth_retrying,
    cache_policy=NO_CACHE,
)
def sync_crm_rows(deps: Deps) -> list[str]:
    """Write every CRM row whose order changed since it was last written."""
    written = DirectSteps(deps).sync_crm_rows()
    log(f"CRM rows written: {len(written)}")
    return written


@task(name="mark-recorded", cache_policy=NO_CACHE)
def mark_recorded(deps: Deps, order_ids: list[str]) -> list[str]:
    done = DirectSteps(deps).mark_recorded(order_ids)
    log(f"recorded {len(done)} orders")
    return done
