"""The report's numbers against a hand-built store whose answers are known: on-time rates, medians
and p90s, an empty period, a period of cancelled orders only; and the files it writes are valid."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from PIL import Image

from fulfil.core.order import Order
from fulfil.core.status import OrderStatus as S
from fulfil.usecases.deps import Deps
from fulfil.usecases.report import NO_ORDERS, NONE_COMPLETED, write_report
from integrations.store.store import OutboxMessage
from tests.conftest import NOW

H = timedelta(hours=1)
START = NOW - timedelta(days=3)  # every hand-built order arrives here, inside a 14-day period


def _order(
    svc: Deps,
    order_id: str,
    service: str,
    *,
    steps: Sequence[tuple[S, timedelta]] = (),
    deadline: timedelta = 48 * H,
    told_after_proof: timedelta | None = None,
    received: datetime = START,
) -> Order:
    """An order received at `received`, moved through `steps` (status, time after receipt)."""
    order = Order(order_id, service_code=service, buyer_name="Siti Nurhaliza", buyer_email="siti@example.com")
    order.received_at, order.deadline, order.paid = received, received + deadline, True
    for status, after in steps:
        order.move_to(status, actor="test", comment=str(status), at=received + after)
    told = told_after_proof is not None
    messages = [OutboxMessage(order_id, "completed", "siti@example.com", "s", "b")] if told else []
    svc.store.save(order, messages)
    if told_after_proof is not None:  # the buyer's message went out this long after the proof
        proof_at = next(h.at for h in order.history if h.status == S.PROOF_RECEIVED)
        (message,) = svc.store.messages(order_id)
        svc.store.mark_sent(message.id, proof_at + told_after_proof)
    return order


def _done(proof_after: timedelta, completed_after: timedelta) -> list[tuple[S, timedelta]]:
    return [
        (S.DISPATCHED, 0 * H),
        (S.PROOF_RECEIVED, proof_after),
        (S.RECORDED, completed_after),
        (S.COMPLETED, completed_after),
    ]


def _valid_png(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        image.verify()  # checks the PNG's chunks and their CRCs
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_on_time_rates_medians_and_p90_match_a_hand_count(svc: Deps, home: Path) -> None:
    svc.clock = lambda: NOW
    # Divisi Akun: four completed, dispatch → proof 1, 2, 3 and 10 h; the last one after its deadline.
    _order(svc, "A-1", "GMAIL-BARU", steps=_done(1 * H, 2 * H), told_after_proof=0.5 * H)
    _order(svc, "A-2", "GMAIL-BARU", steps=_done(2 * H, 3 * H), told_after_proof=1 * H)
    _order(svc, "A-3", "GMAIL-BARU", steps=_done(3 * H, 4 * H), told_after_proof=1 * H)
    _order(svc, "A-4", "GMAIL-BARU", steps=_done(10 * H, 11 * H), deadline=10 * H, told_after_proof=4 * H)
    # Divisi Sosial Media: one completed on time (4 h to proof, 2 h to tell), one cancelled, one
    # still open with its deadline 12 h from now.
    _order(svc, "B-1", "IG-FOLLOWERS", steps=_done(4 * H, 5 * H), told_after_proof=2 * H)
    _order(svc, "B-2", "IG-FOLLOWERS", steps=[(S.DISPATCHED, 0 * H), (S.CANCELLED, 1 * H)])
    _order(svc, "B-3", "IG-FOLLOWERS", steps=[(S.DISPATCHED, 0 * H)], deadline=NOW - START + 12 * H)
    # Received before the period: not counted anywhere.
    _order(svc, "OLD-1", "GMAIL-BARU", steps=_done(50 * H, 60 * H), received=NOW - timedelta(days=20))

    made = write_report(svc, since=timedelta(days=14))

    text = made.summary
    assert "Orders received since" in text and ": 7\n" in text
    assert "| completed | 5 |" in text and "| cancelled | 1 |" in text and "| dispatched | 1 |" in text
    # completed | on time | late | on-time %
    assert "| GMAIL-BARU | 4 | 3 | 1 | 75.0 |" in text
    assert "| IG-FOLLOWERS | 1 | 1 | 0 | 100.0 |" in text
    assert "| Divisi Akun | 4 | 3 | 1 | 75.0 |" in text
    # Hours to proof 1, 2, 3, 4, 10: median 3; p90 between the 4th and 5th, 4 + 0.6 × 6 = 7.6.
    assert "| kirim → bukti / dispatch → proof | 5 | 3.0 | 7.6 |" in text
    # Hours from proof to the buyer's message 0.5, 1, 1, 2, 4: median 1; p90 2 + 0.6 × 2 = 3.2.
    assert "| bukti → pembeli diberi tahu / proof → buyer told | 5 | 1.0 | 3.2 |" in text
    assert "within 24 h of their deadline: 1" in text and "- B-3 IG-FOLLOWERS (dispatched)" in text
    assert "OLD-1" not in text
    assert "Siti" not in text and "siti@" not in text  # IDs and numbers, no buyer data
    assert made.on_time[0] == {
        "per": "layanan / service",
        "nama / name": "GMAIL-BARU",
        "selesai / completed": 4,
        "tepat waktu / on time": 3,
        "terlambat / late": 1,
        "tepat waktu % / on-time %": 75.0,
    }

    frame = pd.read_csv(made.csv).set_index("order_id")
    assert sorted(frame.index) == ["A-1", "A-2", "A-3", "A-4", "B-1", "B-2", "B-3"]
    assert "buyer_name" not in frame.columns and "Siti" not in made.csv.read_text(encoding="utf-8")
    # Times in the shop's zone (Asia/Jakarta, +07:00): START is 03:00 UTC, 10:00 WIB.
    assert frame.loc["A-1", "dispatched_at"] == "2026-11-20 10:00:00+07:00"
    assert frame.loc["A-4", "on_time"] == False  # noqa: E712 (the CSV's own spelling)
    assert pd.isna(frame.loc["B-3", "on_time"])  # not completed: neither on time nor late
    assert made.chart.stat().st_size > 5_000 and _valid_png(made.chart) == (1200, 480)


def test_an_empty_period_says_so_and_still_writes_valid_files(svc: Deps, home: Path) -> None:
    svc.clock = lambda: NOW
    _order(svc, "OLD-1", "GMAIL-BARU", steps=_done(5 * H, 6 * H), received=NOW - timedelta(days=30))

    made = write_report(svc, since=timedelta(days=7))

    assert NO_ORDERS in made.summary
    assert "Tidak ada pesanan" in made.summary and "No orders in this period" in made.summary
    assert made.markdown.read_text(encoding="utf-8") == made.summary
    frame = pd.read_csv(made.csv)
    assert frame.empty and {"order_id", "status", "on_time", "hours_to_proof"} <= set(frame.columns)
    assert _valid_png(made.chart) == (1200, 480)
    assert [p.name for p in sorted((home / "reports").iterdir())] == [
        "report-2026-11-23.csv",
        "report-2026-11-23.md",
        "report-2026-11-23.png",
    ]


def test_a_period_of_cancelled_orders_only_has_no_rates_and_no_times(svc: Deps) -> None:
    svc.clock = lambda: NOW
    _order(svc, "C-1", "GMAIL-BARU", steps=[(S.CANCELLED, 1 * H)])
    _order(svc, "C-2", "IG-FOLLOWERS", steps=[(S.DISPATCHED, 0 * H), (S.CANCELLED, 2 * H)])
    _order(svc, "C-3", "WEB-UMKM", steps=[(S.NEEDS_INFO, 0 * H), (S.CANCELLED, 5 * H)], deadline=H)

    made = write_report(svc, since=timedelta(days=14))

    text = made.summary
    assert "| cancelled | 3 |" in text
    assert NONE_COMPLETED in text and made.on_time == []
    assert "| kirim → bukti / dispatch → proof | 0 | - | - |" in text
    assert "within 24 h of their deadline: 0" in text  # cancelled orders are not waiting on anyone
    assert len(pd.read_csv(made.csv)) == 3
    assert _valid_png(made.chart) == (1200, 480)


def test_a_failed_message_is_listed_without_the_address_it_was_for(svc: Deps) -> None:
    svc.clock = lambda: NOW
    _order(svc, "D-1", "GMAIL-BARU", steps=[(S.DISPATCHED, 0 * H)])
    svc.store.save(svc.store.get("D-1"), [OutboxMessage("D-1", "confirmation", "siti@example.com", "s", "b")])
    (message,) = svc.store.messages("D-1")
    svc.store.mark_failed(message.id, "SMTP 550 for siti@example.com: mailbox unavailable", permanent=True)

    text = write_report(svc, since=timedelta(days=14)).summary

    assert "failed messages: 1" in text
    assert "- D-1 confirmation: SMTP 550 for <email>: mailbox unavailable" in text
    assert "siti@example.com" not in text


def test_without_google_the_files_stay_where_they_were_written(svc: Deps, tmp_path: Path) -> None:
    svc.clock = lambda: NOW

    made = write_report(svc, out=tmp_path / "elsewhere")

    assert made.links == {p.name: str(p) for p in made.files}
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == sorted(made.links)
