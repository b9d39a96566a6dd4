"""Several real processes send the same outbox at once: every message reaches the SMTP server once.

Before messages were claimed, three senders on one PostgreSQL delivered 719 completion emails for
240 orders. Here 3 processes on PostgreSQL (2 on SQLite) start together on 240 queued messages,
against a real SMTP server (aiosmtpd) that counts what it accepts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil.core.order import Order
from integrations.store import OrderStore, OutboxMessage
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)
from tests.smtp_counting import counting_smtp

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
    go = tmp_path / "go"
    with counting_smtp() as mailbox:
        env = {
            **os.environ,
            **mailbox.settings(),
            "FULFIL_HOME": str(tmp_path / "home"),
            "FULFIL_DATABASE_URL": store_url,
        }
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

    assert [p.returncode for p in senders] == [0] * processes, [err for _, err in outputs]
    assert all("Traceback" not in err for _, err in outputs)
    sent = [int(out.split()[0]) for out, _ in outputs]
    assert sum(sent) == ORDERS
    assert len(mailbox.delivered) == ORDERS
    assert set(mailbox.delivered.values()) == {1}, mailbox.delivered.most_common(3)
    store = OrderStore.open(store_url)
    assert {m.state for m in store.messages()} == {"sent"}
    store.engine.dispose()
