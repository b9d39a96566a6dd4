"""What every task shares: the flow run's services, a logger that never sees personal data, and
the retry condition."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from typing import Any, ParamSpec, TypeVar

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from fulfil import heap
from fulfil.core.errors import AdapterError, FulfilError
from fulfil.usecases.deps import Deps

# Services a caller in this process already built (the CLI, the demo, the benchmark, a test) and
# hands to the flows it runs, for the extent of a `with given(deps):` block only.
_given: ContextVar[Deps | None] = ContextVar("fulfil_given_deps", default=None)


@contextmanager
def given(deps: Deps) -> Iterator[Deps]:
    """Flows run inside this block use `deps` instead of building their own."""
    token = _given.set(deps)
    try:
        yield deps
    finally:
        _given.reset(token)


@contextmanager
def flow_run_deps() -> Iterator[Deps]:
    """The services of one flow run: the caller's (see `given`), or built here from the
    environment and Prefect blocks, as a run started by a deployment does, and closed at its end."""
    handed = _given.get()
    if handed is not None:
        yield handed
        return
    from fulfil import bootstrap
    from fulfil.blocks import apply_blocks
    from fulfil.settings import load_settings

    deps = bootstrap.build(apply_blocks(load_settings()))
    heap.settle()  # a deployment's run: its own process, its start-up over
    try:
        yield deps
    finally:
        deps.close()


P = ParamSpec("P")
R = TypeVar("R")


def step_task(name: str, *, retry_waits: list[float] | None = None) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A pipeline step as a Prefect task. With `retry_waits` (idempotent I/O only) it is tried
    again after each wait when the failure may pass (`worth_retrying`). Never cached: a step is
    given the run's Deps, which are not data to hash."""
    if retry_waits is None:
        return task(name=name, cache_policy=NO_CACHE)
    return task(
        name=name,
        retries=len(retry_waits),
        retry_delay_seconds=retry_waits,
        retry_condition_fn=worth_retrying,
        cache_policy=NO_CACHE,
    )


IDS_LOGGED = 100


def listed(ids: Collection[str]) -> str:
    """Order IDs for a log line: the first IDS_LOGGED, then how many more (a 50,000-row import
    once logged every ID in one 600 KB line, sent to the Prefect API and shown whole in its UI)."""
    if not ids:
        return "-"
    shown = ", ".join(islice(ids, IDS_LOGGED))
    return shown if len(ids) <= IDS_LOGGED else f"{shown} … and {len(ids) - IDS_LOGGED:,} more"


def log(message: str) -> None:
    """Log order IDs, counts and statuses only; callers never pass names, emails or phones."""
    get_run_logger().info(message)


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """A task's retry condition: try again after a failure that may pass (a timeout, a 503, a
    rate limit), never after a refusal a person must fix (a permission, Google's storage refusal
    of a service account, a bad setting): that one fails the run at once, in one line."""
    try:
        state.result()
    except AdapterError as exc:
        return exc.retryable
    except FulfilError:
        return False
    except Exception:
        return True
    return False
