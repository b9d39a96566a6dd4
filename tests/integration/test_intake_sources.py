"""What an intake tells the shop about its exports: a header written a little differently, a folder
with one broken file among good ones, an order whose row is gone from the export it came from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fulfil.core.status import OrderStatus
from fulfil.usecases import pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import FilesNotRead
from fulfil.usecases.pipeline import DirectSteps
from integrations.ports import SENT, AdapterError, Envelope
from tests.conftest import NOW
from tests.integration.test_export_shapes import _with_formulas
from tests.integration.test_file_source import HEADER, _xlsx

PUTRI = ["23/11/2026 08:02:11", "INV-0301", "Putri Ayu", "putri.ayu@gmail.com", "081555666777",
         "GMAIL-BARU", "2", "30/11/2026", "", "Lunas", "Indonesia"]  # fmt: skip
ANDI = ["23/11/2026 09:00:00", "INV-0302", "Andi Pratama", "andi.pratama@gmail.com", "087812345678",
        "GMAIL-BARU", "3", "05/12/2026", "", "Lunas", "Indonesia"]  # fmt: skip
DEWI = ["24/11/2026 10:00:00", "INV-0303", "Dewi Lestari", "dewi.lestari@gmail.com", "081299887766",
        "GMAIL-BARU", "1", "05/12/2026", "", "Lunas", "Indonesia"]  # fmt: skip
GONE_NOTE = (
    "Baris pesanan ini tidak ada lagi di {0}; pesanan tidak diubah, ops yang memutuskan. / "
    "This order's row is no longer in {0}; the order is left as it is, ops decide."
)


def _csv(path: Path, *rows: list[str], header: list[str] = HEADER) -> Path:
    """An export as Google Sheets downloads it: UTF-8, commas."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


@pytest.fixture
def shop(svc: Deps) -> Deps:
    svc.clock = lambda: NOW
    return svc


# ----- a header written a little differently -----


def test_a_header_that_nearly_names_a_column_is_warned_not_dropped_silently(
    shop: Deps, tmp_path: Path, all_logs: list[str]
) -> None:
    header = ["No WhatsApp" if h == "No. WhatsApp" else h for h in HEADER]
    path = _csv(tmp_path / "pesanan.csv", PUTRI, ANDI, header=header)

    counts = pipeline.intake(DirectSteps(shop), str(path))

    advice = 'No WhatsApp → did you mean "No. WhatsApp"? add it to configs/source_columns.yaml under phone'
    assert counts["warnings"] == [f"pesanan.csv: {advice}"]
    assert f"fulfil.intake WARNING pesanan.csv: {advice}" in all_logs
    # The orders come in as before, without the numbers the shop is now told about.
    assert counts["new"] == 2 and shop.store.get("INV-0301").phone == ""


# ----- a folder with bad files among good ones -----


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    _csv(inbox / "a-formulir.csv", PUTRI)
    _with_formulas(inbox / "b-rumus.xlsx")
    _csv(inbox / "c-kolom.csv", DEWI, header=["Jumlh" if h == "Jumlah" else h for h in HEADER])
    # A workbook saved with a .csv name: not text.
    _xlsx(tmp_path / "d.xlsx", PUTRI).rename(inbox / "d-rusak.csv")
    _xlsx(inbox / "e-marketplace.xlsx", ANDI)
    return inbox


def test_a_folder_takes_in_every_good_file_then_fails_naming_each_bad_one(shop: Deps, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)

    with pytest.raises(FilesNotRead) as caught:
        pipeline.intake(DirectSteps(shop), str(inbox))

    has = ", ".join(repr(h) for h in HEADER).replace("'Jumlah'", "'Jumlh'")
    assert str(caught.value) == (
        "3 file(s) not taken in; fix them and run the intake again "
        "(the other files' 2 row(s) were taken in):\n"
        "  b-rumus.xlsx: has formulas without saved values (first: cell C2): "
        "open it in Excel or Sheets and save it once\n"
        f"  c-kolom.csv: the file lacks required column(s): 'Jumlah' (it has: {has}); "
        'Jumlh → did you mean "Jumlah"? add it to configs/source_columns.yaml under quantity\n'
        "  d-rusak.csv: not a text file (UTF-8, UTF-16 or Windows-1252); export the sheet as CSV (UTF-8)"
    )
    assert caught.value.report is not None and caught.value.report.new == 2  # for the command to print
    # The good files' orders went the whole way before the run failed: dispatched, buyers told.
    assert {o.order_id: o.status for o in shop.store.list()} == {
        "INV-0301": OrderStatus.DISPATCHED,
        "INV-0302": OrderStatus.DISPATCHED,
    }
    assert {(m.order_id, m.kind) for m in shop.store.messages() if m.state == SENT} >= {
        ("INV-0301", "confirmation"),
        ("INV-0302", "confirmation"),
    }

    sent = len(shop.store.messages())
    with pytest.raises(FilesNotRead):  # until the files are fixed, every run says so again
        pipeline.intake(DirectSteps(shop), str(inbox))
    assert len(shop.store.messages()) == sent


class _MailDown:
    def send(self, envelope: Envelope) -> None:
        raise AdapterError("the mail server does not answer")


def test_messages_left_undelivered_are_said_too_when_a_file_was_not_taken_in(
    shop: Deps, tmp_path: Path
) -> None:
    shop.notifier = _MailDown()

    with pytest.raises(FilesNotRead) as caught:
        pipeline.intake(DirectSteps(shop), str(_inbox(tmp_path)))

    said = str(caught.value)
    assert said.startswith("3 file(s) not taken in")
    assert "\nalso: " in said and "message(s) not delivered" in said


def test_a_single_unreadable_file_is_still_refused_at_once(shop: Deps, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "d.xlsx", PUTRI).rename(tmp_path / "pesanan.csv")

    with pytest.raises(Exception, match="not a text file"):
        DirectSteps(shop).ingest(str(path))
    assert shop.store.list() == []


# ----- an order whose row is gone from its export -----


def _history_tail(svc: Deps, order_id: str) -> list[str]:
    return [h.comment for h in svc.store.get(order_id).history][-2:]


def test_an_order_gone_from_its_export_is_noted_once_and_left_to_ops(shop: Deps, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pesanan.csv", PUTRI, ANDI)
    steps = DirectSteps(shop)
    pipeline.intake(steps, str(path))
    andi = shop.store.get("INV-0302")
    messages = len(shop.store.messages())

    _csv(path, PUTRI)  # the shop downloads the export again: Andi's row was deleted
    counts = pipeline.intake(steps, str(path))

    assert counts["gone"] == ["INV-0302"]
    after = shop.store.get("INV-0302")
    assert after.history[-1].comment == GONE_NOTE.format("pesanan.csv")
    assert len(after.history) == len(andi.history) + 1
    assert after.status == andi.status == OrderStatus.DISPATCHED  # not cancelled: ops decide
    assert len(shop.store.messages()) == messages  # nobody is told anything

    assert steps.ingest(str(path)).gone == []  # still gone: nothing more is written
    assert len(shop.store.get("INV-0302").history) == len(after.history)

    _csv(path, PUTRI, ANDI)  # it comes back: nothing special
    assert steps.ingest(str(path)).gone == []
    assert len(shop.store.get("INV-0302").history) == len(after.history)


def test_a_folder_of_daily_exports_never_marks_yesterdays_orders_gone(shop: Deps, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    steps = DirectSteps(shop)
    yesterday = _csv(inbox / "pesanan-2026-11-23.csv", PUTRI, ANDI)
    steps.ingest(str(inbox))

    yesterday.unlink()  # moved away once read, as a shop tidies its inbox
    _csv(inbox / "pesanan-2026-11-24.csv", DEWI)
    assert steps.ingest(str(inbox)).gone == []
    _csv(yesterday, PUTRI, ANDI)  # or left beside today's
    assert steps.ingest(str(inbox)).gone == []
    assert GONE_NOTE.format("pesanan-2026-11-23.csv") not in _history_tail(shop, "INV-0301")

    # The same day's export saved again over its file, without a row: that row is gone from it.
    _csv(yesterday, PUTRI)
    assert steps.ingest(str(inbox)).gone == ["INV-0302"]
    assert _history_tail(shop, "INV-0302")[-1] == GONE_NOTE.format("pesanan-2026-11-23.csv")


def test_a_row_moved_to_another_export_is_not_gone(shop: Deps, tmp_path: Path) -> None:
    steps = DirectSteps(shop)
    steps.ingest(str(_csv(tmp_path / "pesanan.csv", PUTRI, ANDI)))
    # Andi's row now lives in the marketplace's export, read in the same folder.
    inbox = tmp_path / "inbox"
    _csv(inbox / "pesanan.csv", PUTRI)
    _csv(inbox / "marketplace.csv", ANDI)
    assert steps.ingest(str(inbox)).gone == []
    # ...and from then on it is that file's row.
    _csv(inbox / "marketplace.csv", DEWI)
    assert steps.ingest(str(inbox)).gone == ["INV-0302"]
    assert _history_tail(shop, "INV-0302")[-1] == GONE_NOTE.format("marketplace.csv")


def test_a_refused_file_marks_none_of_its_orders_gone(shop: Deps, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    steps = DirectSteps(shop)
    _csv(inbox / "pesanan.csv", PUTRI, ANDI)
    steps.ingest(str(inbox))

    _csv(inbox / "pesanan.csv", PUTRI, header=["Jumlh" if h == "Jumlah" else h for h in HEADER])
    report = steps.ingest(str(inbox))

    assert report.bad_files and report.gone == []
