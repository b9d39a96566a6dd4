"""Running flows from the CLI. Prefect is imported here only, when a command runs a flow."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fulfil.usecases.deps import Deps


def quiet_console_logs() -> None:
    """Keep Prefect's log lines off the terminal; they still reach the API and the UI.

    A failed run's traceback stays in the UI; the terminal gets fulfil's one-line error.
    """
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # No network here or at many shops: don't try to send usage telemetry.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@contextmanager
def flow_settings() -> Iterator[None]:
    # A sync flow otherwise waits ~1 s at its end for the heartbeat thread (PREFECT-FACTS.md);
    # only temporary_settings switches it off, the environment variable does not.
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def run_flow(deps: Deps, flow: Callable[..., Any], *, tags: list[str] | None = None, **params: Any) -> Any:
    """Run `flow` in this process on the command's services (built once, not again per run)."""
    import prefect

    from fulfil import heap
    from tasks._runtime import given

    heap.settle()  # Prefect and the flows are imported, the services built
    with flow_settings(), prefect.tags(*(tags or [])), given(deps):
        return flow(**params)
