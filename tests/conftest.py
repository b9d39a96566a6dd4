"""Shared fixtures: real configs, a fresh FULFIL_HOME per test, services built as the CLI builds them."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.config import load_catalogue
from fulfil.core.catalogue import Catalogue
from fulfil.settings import PROJECT_CONFIGS, Settings
from fulfil.usecases.deps import Deps

# The loopback fake Google and a service-account key, for every test that needs them.
pytest_plugins = ["tests.google_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# A fixed "now" for tests that must not depend on the day they run: the example file's day.
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# The installed console script, as a person runs it.
FULFIL = str(Path(sys.executable).parent / "fulfil")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-url",
        # .ci/run starts a throwaway PostgreSQL and passes its URL through the environment.
        default=os.environ.get("FULFIL_TEST_DATABASE_URL", ""),
        help="run the store tests against this SQLAlchemy URL too, e.g. "
        "postgresql+psycopg://user@127.0.0.1:5432/db (default: $FULFIL_TEST_DATABASE_URL)",
    )


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(PROJECT_CONFIGS)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh FULFIL_HOME; the environment points there so subprocesses agree."""
    path = tmp_path / "home"
    # Settings from the developer's shell must not leak in; the test's own come after.
    for name in [k for k in os.environ if k.startswith("FULFIL_") and not k.startswith("FULFIL_TEST_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FULFIL_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """Start Prefect's test harness once (~10 s) and give its API URL to subprocesses too.

    Here rather than in tests/e2e/ so tests/reliability/ shares the same one harness.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield str(PREFECT_API_URL.value())


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


@pytest.fixture
def svc(home: Path) -> Iterator[Deps]:
    """Deps on the local adapters in `home`; flows run in the test use them too."""
    from tasks._runtime import given

    services = bootstrap.build(Settings(home=home))
    with given(services):
        yield services
    services.close()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


@pytest.fixture
def all_logs() -> Iterator[list[str]]:
    """Every log line at DEBUG, the root and `apprise` loggers set to DEBUG as a developer might
    (the suite runs with pytest's logging plugin off, so caplog is not there)."""
    handler, root, apprise_log = _Lines(), logging.getLogger(), logging.getLogger("apprise")
    old = (root.level, apprise_log.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    apprise_log.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old[0])
    apprise_log.setLevel(old[1])
