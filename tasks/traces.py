"""Per-order traces: the run's name and tags carry the IDs of the orders it changed, its log says
what happened to each, and each change becomes a version of the order's artifact.

Artifact versions cost the Prefect server ~8 ms each, so a run writes at most
FULFIL_ORDER_ARTIFACTS_PER_RUN of them, oldest change first; the rest wait in the store for the
next runs. A 5,000-row import is never held up by its own observability.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate
from prefect.context import FlowRunContext, TaskRunContext
from prefect.utilities.asyncutils import run_coro_as_sync

from fulfil.usecases import traces as uc
from fulfil.usecases.deps import Deps
from tasks._runtime import step_task

# The Prefect server writes one artifact at a time; a few in flight keep it busy without a
# burst it would answer with 503s.
IN_FLIGHT = 4


@step_task("history-mark")
def history_mark(deps: Deps) -> int:
    return uc.history_mark(deps)


@step_task("publish-order-traces")
def publish_order_traces(deps: Deps, mark: int) -> int:
    """Trace what this run did to each order changed after `mark`; the number of artifact
    versions still waiting for a later run."""
    svc = deps
    run = FlowRunContext.get()
    base = run.flow_run.name.split(" · ")[0] if run and run.flow_run else "run"
    context = TaskRunContext.get()
    assert context is not None, "publish-order-traces runs as a task"
    task_run = context.task_run
    flow_run_id = task_run.flow_run_id
    assert flow_run_id is not None, "publish-order-traces runs inside a flow"
    changes = uc.run_changes(svc, mark, f"{base} ({str(flow_run_id)[:8]})")
    logger = get_run_logger()
    for change in changes:
        logger.info(change.story)
    claimed = uc.claim_traces(svc, svc.settings.order_artifacts_per_run)
    failed = run_coro_as_sync(_write(changes, claimed, flow_run_id, task_run.id))
    if failed:
        # The orders moved and their history is in the store; only the UI's copy is short.
        logger.warning(f"{failed} of {len(claimed)} order artifacts could not be written")
    waiting = svc.store.trace_backlog_size()
    if waiting:
        logger.info(f"{waiting} order artifact versions wait for the next runs")
    return waiting


async def _write(
    changes: list[uc.OrderChange], claimed: list[uc.OrderTrace], flow_run_id: UUID, task_run_id: UUID
) -> int:
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with get_client() as client:

        async def one(trace: uc.OrderTrace) -> bool:
            async with gate:
                try:
                    await client.create_artifact(
                        ArtifactCreate(
                            key=trace.key,
                            type="markdown",
                            description=trace.description,
                            data=trace.markdown,
                            flow_run_id=flow_run_id,
                            task_run_id=task_run_id,
                        )
                    )
                except Exception:  # counted and reported: the run's work is done either way
                    return False
                return True

        written = await asyncio.gather(*(one(t) for t in claimed))
        if changes:
            run = await client.read_flow_run(flow_run_id)
            await client.update_flow_run(
                flow_run_id,
                name=uc.run_name(run.name, [c.order_id for c in changes]),
                tags=sorted(set(run.tags) | set(uc.run_tags(changes))),
            )
    return written.count(False)
