"""What the Prefect UI may show about an order: keys from IDs, text without buyer data."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from fulfil.core.trace import HIDDEN, artifact_key, markdown_cell, redact
from fulfil.usecases.traces import OrderChange, RunMarks


def test_an_artifact_key_is_the_order_id_in_prefects_alphabet() -> None:
    assert artifact_key("INV-0001") == "order-inv-0001"
    assert artifact_key("ORD-7K2Q9XW3PA") == "order-ord-7k2q9xw3pa"


def test_ids_that_fold_to_the_same_letters_keep_separate_histories() -> None:
    assert artifact_key("INV/2026/7") != artifact_key("INV_2026_7")
    assert artifact_key("INV/2026/7").startswith("order-inv-2026-7-")


@given(st.text(min_size=1, max_size=64))
def test_every_order_id_gives_a_key_prefect_accepts(order_id: str) -> None:
    assert re.fullmatch(r"[a-z0-9-]+", artifact_key(order_id))


def test_redact_hides_emails_phones_and_the_buyers_name() -> None:
    text = "Siti Nurhaliza (siti.n@gmail.com, 0812-3456-7890 / +62 857 1234 5678) minta revisi"
    shown = redact(text, "Siti Nurhaliza")
    assert "Siti" not in shown and "gmail" not in shown and "3456" not in shown and "857" not in shown
    assert shown.count(HIDDEN) == 4 and shown.endswith("minta revisi")


def test_redact_leaves_dates_counts_and_order_ids_alone() -> None:
    text = "INV-0001 / ORD-0812345678: 10 dari 10 akun, tenggat 30/11/2026 17:00, 2026-11-23"
    assert redact(text) == text


def test_a_hostile_file_name_shows_as_text_in_a_markdown_table() -> None:
    cell = markdown_cell("bukti | <img src=x onerror=alert(1)> [klik](http://evil)\n.png")
    # Every character Markdown or HTML would act on is escaped, and the row stays one line.
    assert re.search(r"(?<!\\)[<>|\[\]]", cell) is None
    assert "\n" not in cell and "bukti" in cell


def _marks(n: int) -> RunMarks:
    """A run's marks after `n` changes, gathered one at a time as its traces stream past."""
    marks = RunMarks()
    for i in range(n):
        marks.add(
            OrderChange(f"INV-{i:05d}", (f"order:INV-{i:05d}", "service:GMAIL-BARU", "division:akun"), "")
        )
    return marks


def test_a_run_of_a_few_orders_is_tagged_and_named_with_each() -> None:
    marks = _marks(3)
    assert marks.tags() == [
        "division:akun",
        "order:INV-00000",
        "order:INV-00001",
        "order:INV-00002",
        "service:GMAIL-BARU",
    ]
    assert marks.name("intake") == "intake · INV-00000 INV-00001 INV-00002"


def test_a_big_imports_run_stays_within_what_prefect_accepts_for_a_state_change() -> None:
    # The server refuses a state change relating more than 100 resources (one per tag): a run
    # tagged with 50,000 orders failed its last transition with a 500 and never finished.
    marks = _marks(50_000)
    assert marks.tags() == ["division:akun", "service:GMAIL-BARU"]
    name = marks.name("intake")
    assert name.startswith("intake · INV-00000 INV-00001") and name.endswith(" +49,960")
    assert len(name) < 600


def test_a_run_is_tagged_with_its_orders_up_to_forty_and_with_none_of_them_beyond() -> None:
    at_most = _marks(40).tags()
    assert len([t for t in at_most if t.startswith("order:")]) == 40
    assert _marks(41).tags() == ["division:akun", "service:GMAIL-BARU"]
