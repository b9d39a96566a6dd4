"""The whole demo with FULFIL_NOTIFIER=smtp against a real SMTP server on loopback."""

from __future__ import annotations

import socket
from collections import Counter
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.test_cli import run

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Any:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_the_demo_over_smtp_delivers_every_message_once_even_when_run_twice(cli_env, inbox) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    env = {
        **cli_env,
        "FULFIL_NOTIFIER": "smtp",
        "FULFIL_SMTP_HOST": "127.0.0.1",
        "FULFIL_SMTP_PORT": str(port),
        "FULFIL_SMTP_SECURITY": "none",
        "FULFIL_SMTP_FROM": "Toko Digital Nusantara <toko@localhost>",
    }
    run(env, "demo")
    first = Counter(m["Message-ID"] for m in box.messages)

    run(env, "demo")

    assert len(first) >= 20  # confirmations, needs_info, dispatches, completions, rejections
    assert set(first.values()) == {1}  # none twice
    assert len(box.messages) == sum(first.values())  # the second run sent nothing
    kinds = Counter(m["X-Fulfil-Kind"] for m in box.messages)
    assert kinds["completed"] == 5 and kinds["dispatch"] == 7
    completed = next(
        m for m in box.messages if m["X-Fulfil-Order"] == "INV-0001" and m["X-Fulfil-Kind"] == "completed"
    )
    assert (
        completed.get_body(("html",)) is not None
        and "Pesanan Anda sudah selesai" in completed.get_body(("plain",)).get_content()
    )
    assert not list((Path(cli_env["FULFIL_HOME"]) / "outbox").glob("*.eml"))  # SMTP, not the folder
