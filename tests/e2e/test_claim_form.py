"""Claims from the buyer's side: `fulfil orders claims <claim form export>` as ops run it after
the shop's claim form (a Google Form like the order form) collected some."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fulfil import bootstrap
from fulfil.core.status import OrderStatus as S
from fulfil.settings import PROJECT_CONFIGS, Settings
from fulfil.usecases import pipeline
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import EXAMPLES, NOW
from tests.e2e.test_cli import run

HEADER = "Timestamp,ID Pesanan,Email,Keluhan,Jumlah item\n"


def test_buyers_claims_from_the_form_open_once_and_strangers_are_refused_in_one_line(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    # The example orders are read as of 23/11/2026 and the command runs today: a long warranty,
    # so the buyer's claim is inside it whatever today is.
    configs = tmp_path / "configs"
    shutil.copytree(PROJECT_CONFIGS, configs)
    services = configs / "services.yaml"
    services.write_text(
        services.read_text(encoding="utf-8").replace("warranty_days: 7", "warranty_days: 3650")
    )
    deps = bootstrap.build(Settings(home=home, config_dir=configs))
    deps.clock = lambda: NOW
    steps = DirectSteps(deps)
    steps.ingest(str(EXAMPLES / "orders.csv"))
    steps.dispatch(None)
    accounts = "email,password\n" + "".join(f"toko{i}@gmail.com,Rahasia{i}\n" for i in range(10))
    (home / "drive" / "INV-0001" / "akun-gmail.csv").write_text(accounts)
    pipeline.watch(steps)
    assert deps.store.get("INV-0001").status == S.COMPLETED
    deps.close()

    form = tmp_path / "klaim.csv"
    form.write_text(
        HEADER
        + "01/12/2026 09:00:00,inv-0001,Siti.Nurhaliza@gmail.com,Akun ke-3 tidak bisa login,1\n"
        + "01/12/2026 09:05:00,INV-0001,orang.lain@gmail.com,minta ganti semua,\n"  # not the buyer
        + "01/12/2026 09:06:00,INV-0003,dang.thutrang@gmail.com,,\n"  # no complaint given
        + "01/12/2026 09:07:00,INV-0002,budi.santoso@yahoo.co.id,followers turun,dua\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULFIL_", "PREFECT_"))}
    env["FULFIL_HOME"] = str(home)
    env["FULFIL_CONFIG_DIR"] = str(configs)

    first = run(env, "orders", "claims", str(form), ok=False)
    assert first.returncode == 1
    assert "claims opened: 1 (INV-0001 #1)" in first.stdout
    refusals = [line for line in first.stderr.splitlines() if "not taken" in line]
    assert len(refusals) == 3 and all("Traceback" not in line for line in first.stderr.splitlines())
    assert "row 3: no order INV-0001 for the email given" in first.stderr
    assert "row 4: Keluhan is empty" in first.stderr
    assert "row 5: Jumlah item 'dua' is not a number of items" in first.stderr

    again = run(env, "orders", "claims", str(form), ok=False)  # the same export read again
    assert "claims opened: 0; already open: 1" in again.stdout

    deps = bootstrap.build(Settings(home=home, config_dir=configs))
    one = deps.store.get("INV-0001")
    assert one.status == S.REWORK and [(c.by, c.items) for c in one.claims] == [("buyer", 1)]
    assert [m.kind for m in deps.store.messages("INV-0001")].count("claim_received:1") == 1
    deps.close()
