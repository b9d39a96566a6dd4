"""The dispatch task: proof folders (idempotent I/O, so the task is retried) and the orders handed
to their divisions."""

from __future__ import annotations

from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import listed, log, step_task


@step_task("dispatch", retry_waits=[2, 10])
def dispatch_orders(deps: Deps, order_ids: list[str] | None = None) -> list[str]:
    """Give every order ready to dispatch among these (all if None) its proof folder, then hand
    it to its division."""
    done = DirectSteps(deps).dispatch(order_ids)
    log(f"dispatched {len(done)} orders with their proof folders: {listed(done)}")
    return done
