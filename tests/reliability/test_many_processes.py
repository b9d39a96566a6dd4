"""Several `fulfil intake` and then several `fulfil watch --once` at the same time, as ops typing a
command beside `fulfil serve`, or two workers, would run them: every (order, message kind)
reaches the real SMTP server once, the CRM has one row per order, no command shows a traceback.

Measured before messages were claimed: 3 processes on PostgreSQL sent 719 completion emails for
240 orders; 2 on SQLite 2,000 deliveries of 1,072 confirmations."""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import FULFIL
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)
from tests.smtp_counting import CountingMailbox, smtp_counter  # noqa: F401  (fixture)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
ORDERS = 240
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _export(path: Path) -> Path:
    due = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    header = ["ID Pesanan", "Nama", "Email", "Kode Layanan", "Jumlah", "Deadline", "Status Pembayaran"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for n in range(ORDERS):
            out.writerow(
                [f"MP-{n:04d}", f"Pembeli {n}", f"b{n}@example.com", "IG-FOLLOWERS", "500", due, "Lunas"]
            )
    return path


def _all_at_once(env: dict[str, str], commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    return [
        subprocess.CompletedProcess(c, p.returncode, o, e)
        for c, p, (o, e) in zip(commands, procs, outs, strict=True)
    ]


def test_intakes_and_watches_running_together_deliver_each_message_once(
    cli_env: dict[str, str],
    store_url: str,  # noqa: F811
    smtp_counter: CountingMailbox,  # noqa: F811
    tmp_path: Path,
) -> None:
    processes = 3 if store_url.startswith("postgresql") else 2
    home = Path(cli_env["FULFIL_HOME"])
    env = {
        **cli_env,
        "FULFIL_DATABASE_URL": store_url,
        **smtp_counter.settings(),
    }
    export = _export(tmp_path / "orders.csv")
    intakes = _all_at_once(env, [[FULFIL, "intake", str(export)]] * processes)
    for n in range(ORDERS):
        (home / "drive" / f"MP-{n:04d}" / "bukti.png").write_bytes(PNG)
    watches = _all_at_once(env, [[FULFIL, "watch", "--once"]] * processes)
    # Ops asking for today's digest while the scheduled one goes: one digest.
    digests = _all_at_once(env, [[FULFIL, "digest"]] * processes)

    assert sum("digest sent to ops" in d.stdout for d in digests) == 1
    assert sum(n for (order, _), n in smtp_counter.delivered.items() if order == "digest") == 1
    for done in intakes + watches + digests:
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    per_kind = Counter(kind for order, kind in smtp_counter.delivered if order != "digest")
    assert per_kind == {"confirmation": ORDERS, "dispatch": ORDERS, "completed": ORDERS}, per_kind
    assert set(smtp_counter.delivered.values()) == {1}, smtp_counter.delivered.most_common(3)
    with (home / "crm.csv").open(encoding="utf-8") as fh:
        ids = [row[0] for row in list(csv.reader(fh))[1:]]
    assert len(ids) == len(set(ids)) == ORDERS
