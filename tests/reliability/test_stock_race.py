"""No unit of stock reserved twice, with any number of processes: six processes take in orders
for the same ten T-shirts at once (three exports of eight one-shirt orders, each export read by
two processes started together), on SQLite and on PostgreSQL. Exactly ten orders hold a shirt,
the other fourteen wait for stock and their buyers are told once, the shelf is empty, and one
low-stock alert went to ops."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fulfil import bootstrap
from fulfil.core.status import OrderStatus as S
from fulfil.core.stock import Held
from fulfil.settings import PROJECT_CONFIGS, Settings
from fulfil.usecases import stock
from tests.conftest import EXAMPLES, ROOT
from tests.integration.conftest import store_url  # noqa: F401  (a fresh SQLite, and PostgreSQL in CI)

INGEST = """
import sys
from fulfil import bootstrap
from fulfil.settings import load_settings
from fulfil.usecases.pipeline import DirectSteps

deps = bootstrap.build(load_settings())
sys.stdin.readline()  # all start together
DirectSteps(deps).ingest(sys.argv[1])
deps.close()
"""


def _export(path: Path, first: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["ID Pesanan", "Nama", "Email", "Kode Layanan", "Jumlah", "Alamat", "Status Pembayaran"]
        )
        for n in range(first, first + 8):
            writer.writerow(
                [f"K-{n:02d}", f"Pembeli {n}", f"b{n}@gmail.com", "KAOS-POLOS", "1", "Jl. Melati 1", "Lunas"]
            )
    return path


def test_six_processes_never_reserve_the_same_unit(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    configs = tmp_path / "configs"
    shutil.copytree(PROJECT_CONFIGS, configs)
    shutil.copy(
        EXAMPLES / "goods" / "services.yaml", configs / "services.yaml"
    )  # KAOS-POLOS: 10, low under 5
    home = tmp_path / "home"
    deps = bootstrap.build(Settings(home=home, database_url=store_url, config_dir=configs))
    exports = [_export(tmp_path / f"orders-{i}.csv", first) for i, first in enumerate((1, 9, 17))]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULFIL_", "PREFECT_"))} | {
        "FULFIL_HOME": str(home),
        "FULFIL_DATABASE_URL": store_url,
        "FULFIL_CONFIG_DIR": str(configs),
        "PYTHONPATH": str(ROOT),
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", INGEST, str(export)], env=env, stdin=subprocess.PIPE, text=True, cwd=ROOT
        )
        for export in exports * 2
    ]
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    assert [run.wait(timeout=180) for run in runs] == [0] * 6

    orders = deps.store.list()
    holding = [o.order_id for o in orders if deps.store.stock.held_by(o.order_id) == (Held.RESERVED, 1)]
    waiting = [o.order_id for o in orders if o.status == S.AWAITING_STOCK]
    assert len(orders) == 24
    assert len(holding) == 10 and len(waiting) == 14
    assert not set(holding) & set(waiting)
    level = next(x for x in stock.levels(deps) if x.service_code == "KAOS-POLOS")
    assert (level.available, level.reserved) == (0, 10)
    told = [m for m in deps.store.messages() if m.kind == "out_of_stock"]
    assert sorted(m.order_id for m in told) == sorted(waiting)  # each waiting buyer told once
    assert len([m for m in deps.store.messages() if m.kind == "low_stock"]) == 1
    deps.close()
