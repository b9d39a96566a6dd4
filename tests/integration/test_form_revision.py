"""The scheduled intake on a Google Form's responses sheet reads the sheet only when it changed:
one Drive call tells (the spreadsheet's version), so an idle shop spends no Sheets quota."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gspread
import pytest

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.testing.fake_google import FakeGoogle
from fulfil.testing.world import FORM_WORKSHEET, build_world
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from integrations.google.clients import gspread_client, load_credentials
from tests.conftest import EXAMPLES, NOW


@pytest.fixture
def on_form(fake: FakeGoogle, home: Path) -> Iterator[tuple[Deps, str]]:
    world = build_world(fake, EXAMPLES / "orders.csv")
    fields = {k.removeprefix("FULFIL_").lower(): v for k, v in world.environment().items()}
    svc = bootstrap.build(Settings(home=home, **fields))
    svc.clock = lambda: NOW
    yield svc, world.form_spreadsheet_key
    svc.close()


def _sheets_reads(fake: FakeGoogle) -> int:
    return sum(1 for r in fake.requests if r.api == "sheets" and r.method == "GET")


def test_an_unchanged_form_sheet_is_not_read_again_and_a_new_answer_is(
    on_form: tuple[Deps, str], fake: FakeGoogle
) -> None:
    svc, form = on_form
    steps = DirectSteps(svc)
    first = steps.ingest(None)
    assert first.new == 13 and _sheets_reads(fake) == 1

    fake.clear_requests()
    again = steps.ingest(None)
    assert (again.rows, again.new) == (0, 0)
    assert _sheets_reads(fake) == 0
    assert [r.path for r in fake.requests if r.api == "drive"] == [f"/drive/v3/files/{form}"]

    fake.submit_form_response(
        form,
        FORM_WORKSHEET,
        {
            "Timestamp": "24/11/2026 10:00:00",
            "ID Pesanan": "INV-0100",
            "Nama": "Ayu Lestari",
            "Email": "ayu.lestari@gmail.com",
            "No. WhatsApp": "081299998888",
            "Kode Layanan": "GMAIL-BARU",
            "Jumlah": "5",
            "Deadline": "30/11/2026",
            "Status Pembayaran": "Lunas",
            "Bahasa": "Indonesia",
        },
    )
    fake.clear_requests()
    later = steps.ingest(None)
    assert later.new == 1 and "INV-0100" in later.order_ids
    assert _sheets_reads(fake) == 1
    assert svc.store.get("INV-0100").buyer_name == "Ayu Lestari"


def test_a_failed_intake_reads_the_same_sheet_again(on_form: tuple[Deps, str], fake: FakeGoogle) -> None:
    svc, _ = on_form
    steps = DirectSteps(svc)
    fake.inject("/v4/spreadsheets/*", status=404, rate=1.0)  # not retried: fails at once
    with pytest.raises(Exception, match=r"the form spreadsheet .* was not found"):
        steps.ingest(None)
    fake.clear_faults()
    fake.clear_requests()
    assert steps.ingest(None).new == 13  # the version was not marked as read: it is read now
    assert _sheets_reads(fake) == 1


def _form_tab(fake: FakeGoogle, svc: Deps, form: str) -> gspread.Worksheet:
    """The responses tab as a person at the shop edits it in the browser."""
    credentials = load_credentials(
        key_json=svc.settings.google_credentials_json.get_secret_value(), api_url=fake.base_url
    )  # type: ignore[union-attr]
    return gspread_client(credentials, fake.base_url).open_by_key(form).worksheet(FORM_WORKSHEET)


def test_a_response_deleted_from_the_form_sheet_is_noted_once_on_its_order(
    on_form: tuple[Deps, str], fake: FakeGoogle
) -> None:
    svc, form = on_form
    steps = DirectSteps(svc)
    steps.ingest(None)
    before = svc.store.get("INV-0005")
    ids = [str(r[1]) for r in fake.sheet_values(form, FORM_WORKSHEET)]

    _form_tab(fake, svc, form).delete_rows(ids.index("INV-0005") + 1)  # the shop deletes the row
    report = steps.ingest(None)

    assert report.gone == ["INV-0005"]
    after = svc.store.get("INV-0005")
    assert [h.comment for h in after.history[len(before.history) :]] == [
        "Baris pesanan ini tidak ada lagi di Form Responses 1 (Google Sheet); pesanan tidak diubah, "
        "ops yang memutuskan. / This order's row is no longer in Form Responses 1 (Google Sheet); "
        "the order is left as it is, ops decide."
    ]
    assert after.status == before.status
    # One of INV-0002's two rows deleted: its order is still in the sheet.
    _form_tab(fake, svc, form).delete_rows(ids.index("INV-0002") + 1)
    assert steps.ingest(None).gone == []


def test_a_form_sheet_refused_for_its_header_is_read_again_once_the_columns_are_fixed(
    on_form: tuple[Deps, str], fake: FakeGoogle
) -> None:
    svc, form = on_form
    header = [str(h) for h in fake.sheet_values(form, FORM_WORKSHEET)[0]]
    _form_tab(fake, svc, form).update_cell(1, header.index("Jumlah") + 1, "Jumlh")
    steps = DirectSteps(svc)

    refused = steps.ingest(None)

    assert refused.new == 0 and len(refused.bad_files) == 1
    assert refused.bad_files[0].startswith(
        "Form Responses 1 (Google Sheet): the file lacks required column(s): 'Jumlah'"
    )
    assert refused.bad_files[0].endswith(
        'Jumlh → did you mean "Jumlah"? add it to configs/source_columns.yaml under quantity'
    )
    # The shop adds the name to configs/source_columns.yaml; the sheet itself did not change.
    columns = dict(svc.source_columns.columns, quantity=[*svc.source_columns.columns["quantity"], "Jumlh"])
    svc.source_columns = svc.source_columns.model_copy(update={"columns": columns})
    assert steps.ingest(None).new == 13
