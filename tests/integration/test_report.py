"""The report a manager reads: numbers from the store, written as CSV, Markdown and a chart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from fulfil.usecases import dispatch, intake, pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.report import write_report
from tests.conftest import EXAMPLES, NOW


def _accounts(n: int) -> bytes:
    return ("email\n" + "".join(f"akun{i}@gmail.com\n" for i in range(n))).encode()


def _run(svc: Deps, home: Path, when) -> None:  # type: ignore[no-untyped-def]
    svc.clock = lambda: when
    pipeline.watch(DirectSteps(svc))


def test_the_report_counts_what_happened(svc: Deps, home: Path) -> None:
    svc.clock = lambda: NOW
    intake.ingest(svc, intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    dispatch.dispatch_ready(svc, None)
    (home / "drive" / "INV-0001" / "akun.csv").write_bytes(_accounts(10))
    (home / "drive" / "INV-0009" / "bukti.png").write_bytes(b"")  # rejected
    _run(svc, home, NOW + timedelta(hours=6))  # on time
    late = svc.store.get("INV-0002").deadline + timedelta(hours=3)
    (home / "drive" / "INV-0002" / "followers.png").write_bytes(b"\x89PNG" + b"1" * 30)
    _run(svc, home, late)  # completed after its deadline

    from fulfil.usecases import aftersale

    svc.clock = lambda: late + timedelta(hours=1)
    aftersale.open_claim(svc, "INV-0001", reason="akun 2 terkunci", items=1, actor="ops:rina")
    aftersale.refund(svc, "INV-0002", amount=75_000, reason="followers kurang", full=False, actor="ops:rina")

    made = write_report(svc, since=timedelta(days=14))

    frame = pd.read_csv(made.csv)
    assert len(frame) == 13
    assert made.chart.stat().st_size > 5_000 and made.chart.read_bytes()[:4] == b"\x89PNG"
    text = made.summary
    assert "| completed | 1 |" in text and "| rework | 1 |" in text and "| needs_info | 4 |" in text
    assert "Claims: 1; refund / refunds: 1 (Rp75.000)" in text
    assert "INV-0001 klaim / claim #1: dikerjakan / in rework" in text
    # completed, on time, late, on-time %
    assert "| GMAIL-BARU | 1 | 1 | 0 | 100.0 |" in text and "| IG-FOLLOWERS | 1 | 0 | 1 | 0.0 |" in text
    assert "| Divisi Akun | 1 | 1 | 0 | 100.0 |" in text
    assert "Rejected proofs: 1" in text
    second = (late - NOW).total_seconds() / 3600  # INV-0002's proof came at `late`
    assert f"| kirim → bukti / dispatch → proof | 2 | {(6 + second) / 2:.1f} |" in text  # the median of two
    assert "Open orders past or within 24 h of their deadline: 1" in text and "INV-0012" in text
    assert "siti" not in text.lower()  # IDs and numbers, no buyer data
