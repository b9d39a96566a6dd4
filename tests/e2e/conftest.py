"""E2E fixtures. The session's Prefect harness (`prefect_api`) and `cli_env` live in
tests/conftest.py, so every test directory shares the one harness."""

from __future__ import annotations

import sys  # noqa: F401  (test_cli.py takes the interpreter from here)

import pytest

from tests.conftest import FULFIL

__all__ = ["FULFIL"]


@pytest.fixture
def flows_on(prefect_api: str, svc):  # type: ignore[no-untyped-def]
    """Flows run on the harness API with the test's services; heartbeat off as the CLI does."""
    from fulfil.cli._prefect import flow_settings

    with flow_settings():
        yield svc
