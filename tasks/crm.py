"""CRM tasks: the sheet upsert (idempotent by order ID, retried) and the recorded status."""

from __future__ import annotations

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import log, step_task


@step_task("sync-crm-rows", retry_waits=[2, 10])
def sync_crm_rows(deps: Deps) -> list[str]:
    """Write every CRM row whose order changed since it was last written."""
    written = DirectSteps(deps).sync_crm_rows()
    log(f"CRM rows written: {len(written)}")
    return written


@step_task("mark-recorded")
def mark_recorded(deps: Deps, order_ids: list[str]) -> list[str]:
    done = DirectSteps(deps).mark_recorded(order_ids)
    log(f"recorded {len(done)} orders")
    return done
