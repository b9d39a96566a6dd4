"""Several real processes send the same outbox at once: every message reaches the SMTP server once.

Before messages were claimed, three senders on one PostgreSQL delivered 719 completion emails for
240 orders. Here 3 processes on PostgreSQL (2 on SQLite) start together on 240 queued messages,
against a real SMTP server (aiosmtpd) that counts what it accepts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from fulfil.core.order import Order
from integrations.store import OrderStore, OutboxMessage
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 240
SENDER = """
import sys, time
from pathlib import Path
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.usecases.notify import send_pending
svc = bootstrap.build(Settings())
report = send_pending(svc)
print(len(report.sent), len(report.failed), len(report.retry_later))
"""


class Counting:
    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        text = envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else ""
        headers = (line.split(":", 1) for line in text.splitlines() if ":" in line)
        order = next((value.strip() for name, value in headers if name == "X-Fulfil-Order"), "")
        self.delivered[order] += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _queue(url: str) -> None:
    store = OrderStore.open(url)
    now = datetime.now(UTC)
    for n in range(ORDERS):
        order = Order(order_id=f"P-{n:04d}", buyer_email=f"b{n}@example.com", received_at=now)
        message = OutboxMessage(order.order_id, "completed", order.buyer_email, f"Pesanan {n}", "Selesai.")
        store.save(order, [message])
    store.engine.dispose()


@pytest.mark.slow
def test_every_message_is_delivered_once_by_several_senders_at_once(
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    processes = 3 if store_url.startswith("postgresql") else 2
    _queue(store_url)
    counting = Counting()
    port = _free_port()
    controller = Controller(counting, hostname="127.0.0.1", port=port)
    controller.start()
    go = tmp_path / "go"
    env = {
        **os.environ,
        "FULFIL_HOME": str(tmp_path / "home"),
        "FULFIL_DATABASE_URL": store_url,
        "FULFIL_NOTIFIER": "smtp",
        "FULFIL_SMTP_HOST": "127.0.0.1",
        "FULFIL_SMTP_PORT": str(port),
        "FULFIL_SMTP_SECURITY": "none",
    }
    try:
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, str(go)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        time.sleep(2.0)  # every process imported and waiting
        go.touch()
        outputs = [p.communicate(timeout=180) for p in senders]
    finally:
        controller.stop()

    assert [p.returncode for p in senders] == [0] * processes, [err for _, err in outputs]
    assert all("Traceback" not in err for _, err in outputs)
    sent = [int(out.split()[0]) for out, _ in outputs]
    assert sum(sent) == ORDERS
    assert len(counting.delivered) == ORDERS
    assert set(counting.delivered.values()) == {1}, counting.delivered.most_common(3)
    store = OrderStore.open(store_url)
    assert {m.state for m in store.messages()} == {"sent"}
    store.engine.dispose()
