"""`fulfil doctor` probes the Prefect API for a missing password only where other machines reach it."""

from __future__ import annotations

import pytest

from fulfil.cli.google import is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "api.localhost",
    ],
)
def test_only_this_machine_reaches_a_loopback_host(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "0.0.0.0",
        "192.168.1.20",
        "10.0.0.5",
        "128.0.0.1",
        "::",
        "fd00::2",
        "prefect-host",
        "prefect.example.com",
        "localhost.example.com",
        "127.0.0.1.nip.io",
        "",
        None,
    ],
)
def test_any_other_host_is_checked(host: str | None) -> None:
    assert not is_loopback(host)
