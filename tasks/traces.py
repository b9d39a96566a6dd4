"""Per-order traces: the run's name and tags carry the IDs of the orders it changed, its log says
what happened to each, each change becomes a version of the order's artifact, and each history
entry a Prefect event on the order's resource (`fulfil.order.<id>`: the UI's event feed).

Artifact versions cost the Prefect server ~8 ms each, so a run writes at most
FULFIL_ORDER_ARTIFACTS_PER_RUN of them, oldest change first; the rest wait in the store for the
next runs. A 5,000-row import is never held up by its own observability.

Events are not held to that quota: they go in batches to `POST /api/events`, which answers once
the server has taken them (bench/README.md: ~0.4 ms each here), so they are out before the run
ends, with no background worker left to drain. Their IDs come from the store, so a batch sent
again (a retry, two runs at once) is still one event each.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
from prefect import get_run_logger
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import ArtifactCreate
from prefect.context import FlowRunContext, TaskRunContext
from prefect.events import Event
from prefect.utilities.asyncutils import run_coro_as_sync

from fulfil.usecases import traces as uc
from fulfil.usecases.deps import Deps
from tasks._runtime import step_task

# The Prefect server writes one artifact at a time; a few in flight keep it busy without a
# burst it would answer with 503s.
IN_FLIGHT = 4
# Events per request: ~0.4 MB of JSON, well inside what the server reads in one go.
EVENTS_PER_REQUEST = 500
# One log line per changed order, up to this many a run.
STORIES_LOGGED = 200


@step_task("history-mark")
def history_mark(deps: Deps) -> int:
    return uc.history_mark(deps)


@step_task("publish-order-traces")
def publish_order_traces(deps: Deps, mark: int) -> int:
    """Trace what this run did to each order changed after `mark`, and send the events of every
    history entry not sent yet; the number of artifact versions still waiting for a later run."""
    svc = deps
    run = FlowRunContext.get()
    base = run.flow_run.name.split(" · ")[0] if run and run.flow_run else "run"
    context = TaskRunContext.get()
    assert context is not None, "publish-order-traces runs as a task"
    task_run = context.task_run
    flow_run_id = task_run.flow_run_id
    assert flow_run_id is not None, "publish-order-traces runs inside a flow"
    plan = uc.begin_trace(svc, mark, f"{base} ({str(flow_run_id)[:8]})")
    logger = get_run_logger()
    # Artifacts first: the server stores events after taking them, and its writes would slow
    # the artifact writes.
    claimed = uc.claim_traces(svc, svc.settings.order_artifacts_per_run)
    failed = run_coro_as_sync(_write_artifacts(claimed, flow_run_id, task_run.id)) if claimed else 0
    if failed:
        # The orders moved and their history is in the store; only the UI's copy is short.
        logger.warning(f"{failed} of {len(claimed)} order artifacts could not be written")
    # Then each part's stories and events, a few hundred orders at a time: a big import's are
    # never all in memory. What the run's name and tags need is kept: IDs and tags.
    marks = uc.RunMarks()
    events = unsent = 0
    again = False
    for part in uc.trace_parts(svc, plan):
        for change in part.changes[: max(0, STORIES_LOGGED - len(marks.order_ids))]:
            logger.info(change.story)
        for change in part.changes:
            marks.add(change)
        if part.events:
            outcome = run_coro_as_sync(_send_events(part.events, flow_run_id))
            assert outcome is not None
            events += len(part.events)
            unsent += outcome[0]
            again = again or outcome[1]
    if len(marks.order_ids) > STORIES_LOGGED:
        # A big import's every order in the run's log would be tens of thousands of API writes.
        logger.info(
            f"… and {len(marks.order_ids) - STORIES_LOGGED:,} more orders changed "
            "(their events and artifacts say how)"
        )
    if marks.order_ids:
        run_coro_as_sync(_name_and_tag(flow_run_id, marks))
    if unsent:
        later = "the next run sends them again" if again else "the server refused them"
        logger.warning(f"{unsent} of {events} order events could not be sent; {later}")
    if not again:
        uc.events_sent(svc, plan.events_upto)
    if events:
        logger.info(f"{events - unsent} order events sent (fulfil.order.<id> in the event feed)")
    waiting = svc.store.trace_backlog_size()
    if waiting:
        logger.info(f"{waiting} order artifact versions wait for the next runs")
    return waiting


async def _write_artifacts(claimed: list[uc.OrderTrace], flow_run_id: UUID, task_run_id: UUID) -> int:
    """Write the artifact versions, a few at a time; how many failed."""
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
    return written.count(False)


async def _send_events(events: list[uc.OrderEvent], flow_run_id: UUID) -> tuple[int, bool]:
    # One related resource (each costs the server ~0.25 ms an event), without its name: a big
    # run's name lists its first orders, and the UI shows the run's name from its ID.
    run_link = {"prefect.resource.id": f"prefect.flow-run.{flow_run_id}", "prefect.resource.role": "flow-run"}
    async with get_client() as client:
        return await send_events(client, events, [run_link])


async def _name_and_tag(flow_run_id: UUID, marks: uc.RunMarks) -> None:
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        await client.update_flow_run(
            flow_run_id, name=marks.name(run.name), tags=sorted(set(run.tags) | set(marks.tags()))
        )


async def send_events(
    client: PrefectClient, events: list[uc.OrderEvent], related: list[dict[str, str]]
) -> tuple[int, bool]:
    """POST the events in batches, oldest first; those written in this run are linked to it.
    The number not sent, and whether a later try may send them (not if the server refused them)."""
    unsent, again = 0, False
    for start in range(0, len(events), EVENTS_PER_REQUEST):
        batch = events[start : start + EVENTS_PER_REQUEST]
        body: list[dict[str, Any]] = []
        for e in batch:
            try:  # Prefect's own checks of the labels and the size, before the server's
                event = Event(
                    id=e.id,
                    event=e.name,
                    occurred=e.occurred,
                    resource=e.resource,
                    related=related if e.in_run else [],
                    payload=e.payload,
                )
            except ValueError:  # one the server would refuse, and with it its whole batch
                unsent += 1
                continue
            body.append(event.model_dump(mode="json"))
        if not body:
            continue
        try:
            await client.request("POST", "/events", json=body)
        except httpx.HTTPStatusError as exc:  # the client already retried 429s and 5xxs
            unsent += len(body)
            again = again or exc.response.status_code >= 500 or exc.response.status_code == 429
        except Exception:  # the server went away: the cursor stays, the next run sends them
            unsent += len(body)
            again = True
    return unsent, again
