"""One Prefect test harness (a real Prefect API server) for the whole session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """Start Prefect's test harness once (~10 s) and give its API URL to subprocesses too."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def flows_on(prefect_api: str, svc):  # type: ignore[no-untyped-def]
    """Flows run on the harness API with the test's services; heartbeat off as the CLI does."""
    from fulfil.cli._prefect import flow_settings

    with flow_settings():
        yield svc


@pytest.fixture
def cli_env(prefect_api: str, home: Path) -> dict[str, str]:
    """The environment a person's shell would have, pointed at the harness and a fresh home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}
    env.update(
        FULFIL_HOME=str(home),
        PREFECT_API_URL=prefect_api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        COLUMNS="200",
    )
    return env


# The installed console script, as a person runs it.
FULFIL = str(Path(sys.executable).parent / "fulfil")
