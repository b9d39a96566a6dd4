"""Fixtures for the Google adapters: a running loopback fake Google, the shop's sign-in to it, and
a service-account key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.testing.fake_google import SHOP_USER, FakeGoogle
from fulfil.testing.world import SERVICE_ACCOUNT, service_account_json
from fulfil.usecases.deps import Deps
from integrations.google.retry import RetryPolicy

# The real retry policy, without the waiting.
FAST = RetryPolicy(base_wait=0.001, max_wait=0.01, total_cap=5, sleep=lambda s: None)


@pytest.fixture(scope="session")
def service_account_key() -> str:
    # The token URI is replaced by FULFIL_GOOGLE_API_URL's; the default one is never called.
    return service_account_json()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as running:
        yield running


@pytest.fixture
def key_json(fake: FakeGoogle) -> str:
    """The credentials fulfil is given by default: the shop's own sign-in (as `fulfil google login`
    stores it), a refresh token of this fake's. Files it makes are the shop user's."""
    return json.dumps(fake.authorized_user_info(SHOP_USER))


__all__ = ["FAST", "SERVICE_ACCOUNT", "SHOP_USER", "fake", "key_json", "service_account_key"]


def services_on_drive(fake: FakeGoogle, key_json: str, root: str, home: Path) -> Deps:
    """The services with proofs (and reports) on the fake's Drive folder `root`; the order store,
    the CRM and the outbox stay local. The caller closes them."""
    settings = Settings(
        home=home,
        proof_store="gdrive",
        drive_folder_id=root,
        google_api_url=fake.base_url,
        google_credentials_json=key_json,
    )
    return bootstrap.build(settings)


def dispatch_the_example(svc: Deps, example: Path) -> None:
    """The example export read in and its valid paid orders dispatched, as intake does."""
    from fulfil.usecases.pipeline import DirectSteps

    steps = DirectSteps(svc)
    steps.ingest(str(example))
    steps.dispatch(None)
