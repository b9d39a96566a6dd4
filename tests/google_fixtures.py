"""Fixtures for the Google adapters: a running loopback fake Google, the shop's sign-in to it, and
a service-account key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fulfil.testing.fake_google import SHOP_USER, FakeGoogle
from fulfil.testing.world import SERVICE_ACCOUNT, service_account_json
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
