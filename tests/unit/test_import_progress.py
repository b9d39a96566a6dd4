"""A big import shows how far it is at each stage (rows taken in, dispatch with the proof
folders, messages): every bar starts with its total and ends full. Use cases on the in-memory store."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases import pipeline
from fulfil.usecases.pipeline import DirectSteps
from tests.unit.test_online_store import HEADER, order_row


def _export(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(order_row(f"P-{n:04d}", "GMAIL-BARU", 5, Deadline="30/12/2026") for n in range(rows))
    return path


def test_each_stage_of_an_import_reports_its_total_and_reaches_it(home: Path, tmp_path: Path) -> None:
    bars: dict[str, list[int]] = {}  # label → [total, done]

    @contextmanager
    def recording(total: int, label: str) -> Iterator[Callable[[int], None]]:
        bars[label] = [total, 0]

        def advance(n: int) -> None:
            bars[label][1] += n

        yield advance

    svc = bootstrap.build(Settings(home=home), store=MemoryStore())
    svc.progress = recording
    try:
        counts = pipeline.intake(DirectSteps(svc), str(_export(tmp_path / "orders.csv", 250)))
    finally:
        svc.close()
    assert counts["dispatched"] == 250
    # Each buyer's confirmation and each division's work order: two messages an order.
    assert bars == {
        "intake": [250, 250],
        "proof folders + dispatch": [250, 250],
        "messages": [500, 500],
    }
