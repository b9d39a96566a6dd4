"""CRM tasks: the sheet upsert (idempotent by order ID, retried) and the recorded status."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import crm as uc
from tasks._runtime import log, services, worth_retrying


@task(name="sync-crm-rows", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=worth_retrying)
def sync_crm_rows() -> list[str]:
    """Write every CRM row whose order changed since it was last written."""
    written = uc.sync_crm_rows(services())
    log(f"CRM rows written: {len(written)}")
    return written


@task(name="mark-recorded")
def mark_recorded(order_ids: list[str]) -> list[str]:
    done = uc.mark_recorded(services(), order_ids)
    log(f"recorded {len(done)} orders")
    return done
