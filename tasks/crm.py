"""CRM tasks: the sheet upsert (idempotent by order ID, retried) and the recorded status."""

from __future__ import annotations

from prefect import task

from fulfil.usecases import crm as uc
from tasks._runtime import log, services


@task(name="write-crm-rows", retries=2, retry_delay_seconds=[2, 10])
def write_crm_rows(order_ids: list[str] | None = None, *, refresh: list[str] | None = None) -> list[str]:
    """Upsert the CRM rows of orders with an accepted proof (and refresh `refresh`)."""
    svc = services()
    ids = uc.to_record(svc, order_ids) + list(refresh or [])
    written = uc.write_crm_rows(svc, ids)
    log(f"CRM rows written: {written}")
    return [i for i in ids if i not in (refresh or [])]


@task(name="mark-recorded")
def mark_recorded(order_ids: list[str]) -> list[str]:
    done = uc.mark_recorded(services(), order_ids)
    log(f"recorded {len(done)} orders")
    return done
