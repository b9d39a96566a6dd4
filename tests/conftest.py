"""Shared fixtures: real configs, a fresh FULFIL_HOME per test, services built as the CLI builds them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.bootstrap import Services
from fulfil.config import load_catalogue
from fulfil.core.catalogue import Catalogue
from fulfil.settings import PROJECT_CONFIGS, Settings

# The loopback fake Google and a service-account key, for every test that needs them.
pytest_plugins = ["tests.google_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# A fixed "now" for tests that must not depend on the day they run: the example file's day.
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


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
    monkeypatch.setenv("FULFIL_HOME", str(path))
    for name in [k for k in os.environ if k.startswith("FULFIL_") and not k.startswith("FULFIL_TEST_")]:
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def svc(home: Path) -> Iterator[Services]:
    """Services on the local adapters in `home`, installed as the process's services."""
    services = bootstrap.build(Settings(home=home))
    bootstrap.use(services)
    yield services
    bootstrap.use(None)
    services.store.engine.dispose()
