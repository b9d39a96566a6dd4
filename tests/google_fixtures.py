"""Fixtures for the Google adapters: a running loopback fake Google and a service-account key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fulfil.testing.fake_google import FakeGoogle
from fulfil.testing.world import SERVICE_ACCOUNT, service_account_json
from integrations.google.retry import RetryPolicy

# The real retry policy, without the waiting.
FAST = RetryPolicy(base_wait=0.001, max_wait=0.01, total_cap=5, sleep=lambda s: None)


@pytest.fixture(scope="session")
def key_json() -> str:
    # The token URI is replaced by FULFIL_GOOGLE_API_URL's; the default one is never called.
    return service_account_json()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as running:
        yield running


__all__ = ["FAST", "SERVICE_ACCOUNT", "fake", "key_json"]
