"""Per-order traces: an artifact version per order a run changed, its story in the log, its ID in
the run's name and tags. Written for the orders of a whole run at once, never one run per order."""

from __future__ import annotations

import asyncio
from uuid import UUID

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate
from prefect.context import get_run_context
from prefect.utilities.asyncutils import run_coro_as_sync

from fulfil.usecases import traces as uc
from tasks._runtime import services

# The Prefect server writes one artifact at a time; a few in flight keep it busy without a
# burst it would answer with 503s.
IN_FLIGHT = 4


@task(name="history-mark")
def history_mark() -> int:
    return uc.history_mark(services())


@task(name="publish-order-traces")
def publish_order_traces(mark: int) -> int:
    """Publish what this run did to each order changed after `mark`; the mark reached.

    Flows submit it beside their last steps (sending messages) and call it once more at the
    end with the mark it returned, for whatever those steps added.
    """
    svc = services()
    traces, reached = uc.order_traces(svc, mark)
    logger = get_run_logger()
    for trace in traces:
        logger.info(trace.story)
    if traces:
        context = get_run_context()
        run_id, task_run_id = context.task_run.flow_run_id, context.task_run.id
        artifacts = svc.settings.order_artifacts
        failed = run_coro_as_sync(_write(traces, run_id, task_run_id, artifacts=artifacts))
        if failed:
            # The orders moved and their history is in the store; only the UI's copy is short.
            logger.warning(f"{failed} of {len(traces)} order artifacts could not be written")
    return reached


async def _write(
    traces: list[uc.OrderTrace], flow_run_id: UUID, task_run_id: UUID, *, artifacts: bool
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

        written = await asyncio.gather(*(one(t) for t in traces)) if artifacts else []
        run = await client.read_flow_run(flow_run_id)
        base = run.name.split(" · ")[0]
        await client.update_flow_run(
            flow_run_id,
            name=uc.run_name(base, [t.order_id for t in traces]),
            tags=sorted(set(run.tags) | set(uc.run_tags(traces))),
        )
    return written.count(False)
