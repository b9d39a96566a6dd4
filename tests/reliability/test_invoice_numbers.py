"""Invoice numbers from four processes at once, each issuing for every order in its own order:
each order gets one number, the month's numbers run 1..N with no gap and none twice (SQLite, and
PostgreSQL in CI)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from fulfil.core.order import Order
from integrations.store import OrderStore
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)

ORDERS = [f"ORD-{n:03d}" for n in range(40)]
ISSUER = """
import random, sys
from datetime import UTC, datetime
from integrations.store import OrderStore
url, seed = sys.argv[1], int(sys.argv[2])
ids = [f"ORD-{n:03d}" for n in range(40)]
random.Random(seed).shuffle(ids)
store = OrderStore.open(url)
for order_id in ids:
    store.invoices.issue(order_id, "INV", datetime(2026, 11, 30, 10, tzinfo=UTC))
store.engine.dispose()
"""


def test_four_processes_issuing_at_once_leave_no_gap_and_no_number_twice(store_url: str) -> None:  # noqa: F811
    store = OrderStore.open(store_url)
    for order_id in ORDERS:
        store.save(Order(order_id=order_id, received_at=datetime(2026, 11, 30, tzinfo=UTC)))
    issuers = [
        subprocess.Popen([sys.executable, "-c", ISSUER, store_url, str(seed)], stderr=subprocess.PIPE)
        for seed in range(4)
    ]
    for p in issuers:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]

    issued = store.invoices.all()
    store.engine.dispose()
    assert sorted(i.order_id for i in issued) == ORDERS  # one each
    assert [i.number for i in issued] == [f"INV/2026/11/{n:04d}" for n in range(1, len(ORDERS) + 1)]
