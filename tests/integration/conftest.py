"""Integration fixtures: a real store (SQLite, and the --database-url one when given) and workers on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.usecases.deps import Deps
from integrations.store import OrderStore
from integrations.store.tables import metadata
from tests.conftest import NOW


@pytest.fixture(params=["sqlite", "database-url"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody used yet: a SQLite file, or the --database-url one emptied first."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'fulfil.db'}"
    url = request.config.getoption("--database-url")
    if not url:
        pytest.skip("no PostgreSQL: give --database-url or $FULFIL_TEST_DATABASE_URL (.ci/run does)")
    empty_database(url)
    return url


def empty_database(url: str) -> None:
    """fulfil's tables and Alembic's mark dropped: the database as nobody used it yet."""
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[OrderStore]:
    opened = OrderStore.open(store_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def make_worker(home: Path, store_url: str) -> Iterator[Callable[[], Deps]]:
    """Deps as a separate worker process would build them, all on the same store."""
    built: list[Deps] = []

    def make() -> Deps:
        services = bootstrap.build(Settings(home=home, database_url=store_url))
        services.clock = lambda: NOW
        built.append(services)
        return services

    yield make
    for services in built:
        services.store.engine.dispose()


@pytest.fixture
def dispatched(svc: Deps) -> Deps:
    """The example export read in at the moment it was written, its orders sent to the teams."""
    from fulfil.core.status import OrderStatus
    from fulfil.usecases.pipeline import DirectSteps
    from tests.conftest import EXAMPLES

    svc.clock = lambda: NOW
    steps = DirectSteps(svc)
    steps.ingest(str(EXAMPLES / "orders.csv"))
    steps.dispatch(None)
    for order_id in ("INV-0001", "INV-0002", "INV-0003"):
        assert svc.store.get(order_id).status == OrderStatus.DISPATCHED
    return svc
