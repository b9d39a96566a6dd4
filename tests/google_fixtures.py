"""Fixtures for the Google adapters: a running loopback fake Google and a service-account key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fulfil.testing.fake_google import FakeGoogle
from integrations.google.retry import RetryPolicy

SERVICE_ACCOUNT = "fulfil@toko-test.iam.gserviceaccount.com"
# The real retry policy, without the waiting.
FAST = RetryPolicy(base_wait=0.001, max_wait=0.01, total_cap=5, sleep=lambda s: None)


def service_account_json(token_uri: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "toko-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": SERVICE_ACCOUNT,
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


@pytest.fixture(scope="session")
def key_json() -> str:
    # The token URI is replaced by FULFIL_GOOGLE_API_URL's; this one is never called.
    return service_account_json("https://oauth2.googleapis.com/token")


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as running:
        yield running
