"""An order keeps its identity however the buyer edits their form answers and the shop sorts the
sheet: in CSV exports taken before and after, and in the responses sheet read through gspread."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import gspread
import pytest

from fulfil.core.pipeline import held_as_duplicate
from fulfil.core.status import OrderStatus
from fulfil.testing.fake_google import FakeGoogle
from fulfil.usecases import dispatch
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import IntakeReport, ingest, release_duplicate, rows_of
from integrations.google.clients import gspread_client, load_credentials
from integrations.ports import SourceTable
from integrations.source.gsheet import FormResponsesSource
from tests.google_fixtures import FAST, fake, key_json  # noqa: F401  (fixtures)
from tests.unit.builders import RESPONSES_HEADERS

HEADERS = RESPONSES_HEADERS
SARI = [
    "30/11/2026 10:00:00",
    "Sari",
    "sari@example.com",
    "081234567890",
    "GMAIL-BARU",
    "",
    "31/12/2026",
    "",
    "Lunas",
]
BUDI = [
    "30/11/2026 11:00:00",
    "Budi",
    "budi@example.com",
    "081298765432",
    "GMAIL-BARU",
    "3",
    "31/12/2026",
    "",
    "Lunas",
]
DEWI = ["30/11/2026 12:00:00", "Dewi", "dewi@example.com", "", "GMAIL-BARU", "1", "31/12/2026", "", "Lunas"]
SARI_EDITED = ["01/12/2026 08:15:00", *SARI[1:5], "4", *SARI[6:]]  # the quantity she forgot


def _export(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADERS, *rows])
    return path


def _ingest(svc: Deps, tables: list[SourceTable]) -> IntakeReport:
    return ingest(svc, rows_of(svc, tables))


def _orders(svc: Deps) -> dict[str, str]:
    """Buyer name → order ID, failing if a buyer has two orders."""
    by_name: dict[str, str] = {}
    for order in svc.store.list():
        assert order.buyer_name not in by_name, f"{order.buyer_name} has two orders"
        by_name[order.buyer_name] = order.order_id
    return by_name


def test_exports_before_and_after_an_edit_and_a_sort_name_the_same_orders(
    make_worker: Callable[[], Deps], tmp_path: Path
) -> None:
    # Two workers on one store (SQLite, and PostgreSQL in CI): what one named, the other finds.
    svc, other = make_worker(), make_worker()
    _ingest(svc, svc.source(_export(tmp_path / "before.csv", [SARI, BUDI, DEWI])).read())
    first = _orders(svc)
    sari = svc.store.get(first["Sari"])
    assert sari.status == OrderStatus.NEEDS_INFO  # she forgot the quantity

    report = _ingest(svc, svc.source(_export(tmp_path / "after.csv", [SARI_EDITED, BUDI, DEWI])).read())
    assert _orders(svc) == first
    assert (report.new, report.edited) == (0, 1)
    sari = svc.store.get(first["Sari"])
    assert sari.quantity == 4 and not sari.problems
    assert any("The buyer edited their form answers: quantity" in h.comment for h in sari.history)
    assert first["Sari"] in dispatch.ready_to_dispatch(svc)

    # Sorted newest first, then the old export read again: still the same three orders, and the
    # old export does not undo her edit.
    _ingest(other, other.source(_export(tmp_path / "sorted.csv", [SARI_EDITED, DEWI, BUDI])).read())
    _ingest(other, other.source(tmp_path / "before.csv").read())
    assert _orders(svc) == first
    assert svc.store.get(first["Sari"]).quantity == 4


def test_a_folder_with_the_export_before_and_after_the_edit_makes_one_order(
    svc: Deps, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _export(inbox / "1-before.csv", [SARI, BUDI])
    _export(inbox / "2-after.csv", [SARI_EDITED, BUDI])

    _ingest(svc, svc.source(inbox).read())
    orders = _orders(svc)
    assert set(orders) == {"Sari", "Budi"}
    assert svc.store.get(orders["Sari"]).quantity == 4


def test_submit_pressed_twice_is_held_for_ops_and_dispatched_once(
    make_worker: Callable[[], Deps], tmp_path: Path
) -> None:
    svc = make_worker()
    again = ["30/11/2026 11:00:07", *BUDI[1:]]
    report = _ingest(svc, svc.source(_export(tmp_path / "double.csv", [BUDI, again])).read())

    assert report.new == 2 and len(report.held_duplicates) == 1
    [held] = report.held_duplicates
    first = next(o for o in svc.store.list() if o.order_id != held)
    order = svc.store.get(held)
    assert held_as_duplicate(order) and first.order_id in order.problems[0].reason
    assert dispatch.ready_to_dispatch(svc) == [first.order_id]
    assert [m.order_id for m in svc.store.messages()] == [first.order_id]  # the buyer is told once

    # Reading it again changes nothing; ops decide it was a real second order.
    _ingest(svc, svc.source(tmp_path / "double.csv").read())
    assert held_as_duplicate(svc.store.get(held))
    released = release_duplicate(svc, held, actor="ops:rina")
    assert not released.problems and held in dispatch.ready_to_dispatch(svc)


@pytest.fixture
def gc(fake: FakeGoogle, key_json: str) -> gspread.Client:  # noqa: F811
    return gspread_client(load_credentials(key_json=key_json, api_url=fake.base_url), fake.base_url)


def test_the_responses_sheet_edited_in_place_and_re_sorted_keeps_its_orders(
    svc: Deps,
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Pesanan (Jawaban)", {"Form Responses 1": [HEADERS, SARI, BUDI, DEWI]})
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=FAST)
    _ingest(svc, source.read())
    first = _orders(svc)

    # Sari edits her response in Google Forms: row 2 gets her quantity and a new Timestamp.
    fake.edit_form_response(key, "Form Responses 1", 2, {"Jumlah": "4"}, "01/12/2026 08:15:00")
    report = _ingest(svc, source.read())
    assert (report.new, report.edited) == (0, 1)
    # The shop sorts the sheet by name, Z to A.
    fake.sort_sheet(key, "Form Responses 1", "Nama", descending=True)
    report = _ingest(svc, source.read())
    assert report.new == 0

    assert _orders(svc) == first
    sari = svc.store.get(first["Sari"])
    assert sari.quantity == 4
    assert any("quantity" in h.comment and h.actor == "buyer" for h in sari.history)
