"""A real SMTP server (aiosmtpd on loopback) that counts what it accepts per (order, kind), for the
tests that run several processes and check each message arrives once."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope


class CountingMailbox:
    def __init__(self) -> None:
        self.delivered: Counter[tuple[str, str]] = Counter()  # (X-Fulfil-Order, X-Fulfil-Kind)
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        text = envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else ""
        head = dict(line.split(":", 1) for line in text.split("\n\n", 1)[0].splitlines() if ":" in line)
        self.delivered[(head.get("X-Fulfil-Order", "").strip(), head.get("X-Fulfil-Kind", "").strip())] += 1
        return "250 OK"

    def settings(self) -> dict[str, str]:
        """The environment that points fulfil's SMTP sender at this server."""
        return {
            "FULFIL_NOTIFIER": "smtp",
            "FULFIL_SMTP_HOST": "127.0.0.1",
            "FULFIL_SMTP_PORT": str(self.port),
            "FULFIL_SMTP_SECURITY": "none",
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def counting_smtp() -> Iterator[CountingMailbox]:
    mailbox = CountingMailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_counter() -> Iterator[CountingMailbox]:
    """A counting SMTP server for the test, stopped after it."""
    with counting_smtp() as mailbox:
        yield mailbox
