"""No goods sold twice with any number of processes: four processes judge at once two orders
whose folders hold the same ten accounts (two processes per order, started together), on SQLite
and on PostgreSQL. Exactly one order holds the accounts; the other is refused naming it; every
process read one goods key, made once in FULFIL_HOME by whichever came first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fulfil import bootstrap
from fulfil.core.status import OrderStatus as S
from fulfil.settings import Settings
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import EXAMPLES, NOW, ROOT
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)

JUDGE = """
import sys
from fulfil import bootstrap
from fulfil.settings import load_settings
from fulfil.usecases.pipeline import DirectSteps

deps = bootstrap.build(load_settings())
steps = DirectSteps(deps)
sys.stdin.readline()  # all four start judging together
steps.judge_proofs(steps.scan_proof_folders([sys.argv[1]]))
deps.close()
"""


def _accounts(numbers: range) -> bytes:
    return (
        "email,password\n" + "".join(f"toko.akun{i:02d}@gmail.com,Rahasia#{i:02d}\n" for i in numbers)
    ).encode()


def test_four_processes_give_the_same_accounts_to_one_order_only(
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    deps = bootstrap.build(Settings(home=home, database_url=store_url))
    deps.clock = lambda: NOW
    steps = DirectSteps(deps)
    steps.ingest(str(EXAMPLES / "orders.csv"))
    steps.dispatch(None)
    # INV-0001 ordered 10 accounts, INV-0012 20: both files are complete, and ten accounts are in both.
    (home / "drive" / "INV-0001" / "akun-gmail.csv").write_bytes(_accounts(range(1, 11)))
    (home / "drive" / "INV-0012" / "akun-gmail.csv").write_bytes(_accounts(range(1, 21)))
    assert not (home / "goods.key").exists()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULFIL_", "PREFECT_"))} | {
        "FULFIL_HOME": str(home),
        "FULFIL_DATABASE_URL": store_url,
        "PYTHONPATH": str(ROOT),
    }
    judges = [
        subprocess.Popen(
            [sys.executable, "-c", JUDGE, order_id], env=env, stdin=subprocess.PIPE, text=True, cwd=ROOT
        )
        for order_id in ("INV-0001", "INV-0012", "INV-0001", "INV-0012")
    ]
    for judge in judges:
        assert judge.stdin is not None
        judge.stdin.write("go\n")
        judge.stdin.flush()
    assert [judge.wait(timeout=120) for judge in judges] == [0, 0, 0, 0]

    one, twelve = deps.store.get("INV-0001"), deps.store.get("INV-0012")
    winner, loser = (one, twelve) if one.status == S.PROOF_RECEIVED else (twelve, one)
    assert winner.status == S.PROOF_RECEIVED and loser.status == S.DISPATCHED
    assert [d.accepted for d in winner.deliverables] == [True]  # judged once, by one process
    (refused,) = loser.deliverables
    assert not refused.accepted and f"already went to order {winner.order_id}" in refused.reason
    shared = set(winner.deliverables[0].items)
    assert set(deps.store.goods_owners(shared).values()) == {winner.order_id}
    assert len((home / "goods.key").read_bytes().strip()) == 64  # one key, made once
    deps.close()
