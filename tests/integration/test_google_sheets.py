"""The Google Sheets adapters over HTTP: real gspread and google-auth against the loopback fake Google.

Call budgets are measured with the fake's request log, counting Sheets API calls only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import gspread
import pytest

from fulfil.config import load_crm_columns, load_source_columns
from fulfil.core.catalogue import Catalogue
from fulfil.core.crm_record import crm_fields
from fulfil.core.intake import SourceRow, to_source_rows
from fulfil.core.status import OrderStatus
from fulfil.settings import PROJECT_CONFIGS
from fulfil.testing.fake_google import FakeGoogle, Formula
from integrations.crm.gsheet import CrmSheetError, GoogleCrmSheet
from integrations.google.clients import gspread_client, load_credentials
from integrations.google.retry import RetryPolicy
from integrations.ports import AdapterError
from integrations.source.gsheet import FormResponsesSource
from tests.google_fixtures import FAST, SHOP_USER, fake, key_json  # noqa: F401  (fixtures)
from tests.unit.builders import RESPONSES_HEADERS, order_in

HEADER = load_crm_columns(PROJECT_CONFIGS).header
HYPERLINK = '=HYPERLINK("https://drive.google.com/drive/folders/abc","bukti")'
FORM_HEADERS = RESPONSES_HEADERS


@pytest.fixture
def gc(fake: FakeGoogle, key_json: str) -> gspread.Client:  # noqa: F811
    credentials = load_credentials(key_json=key_json, api_url=fake.base_url)
    return gspread_client(credentials, fake.base_url)


def _crm(gc: gspread.Client, key: str, *, policy: RetryPolicy = FAST) -> GoogleCrmSheet:
    return GoogleCrmSheet(gc, key, "CRM", HEADER, policy=policy)


def _row(order_id: str, status: str = "new", cells: dict[str, str] | None = None) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update({"ID Order": order_id, "Nama Pembeli": "Sari", "Status": status, **(cells or {})})
    return row


def _data(fake: FakeGoogle, key: str) -> list[list[object]]:  # noqa: F811
    return fake.sheet_values(key, "CRM")[1:]


def _sheets_calls(fake: FakeGoogle, action: Callable[[], object]) -> int:  # noqa: F811
    fake.clear_requests()
    action()
    return fake.calls("sheets")


# --- CRM sheet ----------------------------------------------------------------------------------


def test_an_empty_worksheet_gets_the_header_then_the_rows(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    key = fake.add_spreadsheet("Toko CRM", {"CRM": []})
    crm = _crm(gc, key)
    crm.upsert([_row("INV-0001")])

    values = fake.sheet_values(key, "CRM")
    assert values[0] == HEADER
    assert values[1][:3] == ["INV-0001", "", "Sari"]
    assert [r["ID Order"] for r in crm.rows()] == ["INV-0001"]
    assert crm.check() == []


def test_a_different_header_is_refused_by_name_and_nothing_is_written(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    altered = [h for h in HEADER if h != "Status"] + ["Catatan Admin"]
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [altered, ["INV-0009", "kept"]]})
    before = fake.sheet_values(key, "CRM")
    crm = _crm(gc, key)

    with pytest.raises(CrmSheetError) as refused:
        crm.upsert([_row("INV-0001")])
    message = str(refused.value)
    assert "missing ['Status']" in message and "unexpected ['Catatan Admin']" in message
    assert fake.sheet_values(key, "CRM") == before
    assert not any(r.method in ("PUT", "POST") for r in fake.requests if r.api == "sheets")
    with pytest.raises(CrmSheetError):
        crm.rows()

    headless = fake.add_spreadsheet("Toko CRM", {"CRM": [[], ["INV-0009", "kept"]]})
    with pytest.raises(CrmSheetError, match="row 1 is empty"):
        _crm(gc, headless).upsert([_row("INV-0001")])
    assert fake.sheet_values(headless, "CRM") == [[], ["INV-0009", "kept"]]


def test_an_order_upserted_again_is_updated_in_its_row(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    crm = _crm(gc, key)
    crm.upsert([_row("INV-0001"), _row("INV-0002")])
    crm.upsert([_row("INV-0001", "done", {"Catatan Tim": "selesai"}), _row("INV-0003")])
    # The same order twice in one batch: the last one wins, one row.
    crm.upsert([_row("INV-0002", "proof_received"), _row("INV-0002", "recorded")])

    rows = crm.rows()
    assert [r["ID Order"] for r in rows] == ["INV-0001", "INV-0002", "INV-0003"]
    assert [r["Status"] for r in rows] == ["done", "recorded", "new"]
    assert rows[0]["Catatan Tim"] == "selesai"
    assert len(_data(fake, key)) == 3


def test_formula_and_number_looking_cells_land_as_the_text_a_person_typed(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    long_id = "20261130170000123456789"
    crm = _crm(gc, key)
    crm.upsert(
        [
            _row(
                "INV-0001",
                cells={
                    "Bukti": HYPERLINK,
                    "No. WhatsApp": "081234567890",
                    "Jumlah": "-3",
                    "Catatan Tim": "@admin",
                },
            ),
            _row(long_id, cells={"No. WhatsApp": "+6281234567890", "Jumlah": "0012"}),
        ]
    )

    first, second = (dict(zip(HEADER, r, strict=False)) for r in _data(fake, key))
    assert first["Bukti"] == "'" + HYPERLINK
    assert first["No. WhatsApp"] == "081234567890"
    assert (first["Jumlah"], first["Catatan Tim"]) == ("'-3", "'@admin")
    assert second["ID Order"] == long_id
    # Written RAW, the number stays text: its plus is kept, and no quote shows before it.
    assert (second["No. WhatsApp"], second["Jumlah"]) == ("+6281234567890", "0012")
    cells = [c for r in _data(fake, key) for c in r]
    assert all(isinstance(c, str) for c in cells) and not any(isinstance(c, Formula) for c in cells)

    crm.upsert([_row(long_id, "done")])  # the long ID, read back as text, still matches
    assert [r[0] for r in _data(fake, key)] == ["INV-0001", long_id]


@pytest.mark.parametrize(
    ("phone_form", "shows"), [("international", "+6281234567890"), ("local", "081234567890")]
)
def test_the_crm_sheet_shows_the_buyers_normalised_number_as_text(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
    catalogue: Catalogue,
    phone_form: str,
    shows: str,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    crm = _crm(gc, key)
    # The form's sheet had dropped the zero: the buyer's "0812…" arrived as 81234567890.
    order = order_in(OrderStatus.RECORDED, phone_raw="81234567890", phone="+6281234567890")
    fields = crm_fields(order, catalogue, phone_form=phone_form)

    crm.upsert([{header: fields[name] for header, name in load_crm_columns(PROJECT_CONFIGS).columns.items()}])

    (row,) = _data(fake, key)
    assert dict(zip(HEADER, row, strict=False))["No. WhatsApp"] == shows  # text, as the cell shows it
    assert crm.rows()[0]["No. WhatsApp"] == shows  # and read back as displayed (FORMATTED_VALUE)


def test_call_budget_for_a_big_batch_and_for_one_order(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    crm = _crm(gc, key)
    assert fake.calls("sheets") == 0  # nothing is opened before the first use

    orders = [_row(f"INV-{n:04d}") for n in range(500)]
    big = _sheets_calls(fake, lambda: crm.upsert(orders))
    # open the worksheet (1) + header and ID column (1) + one append (1)
    assert big == 3 <= 25
    assert len(_data(fake, key)) == 500

    one_new = _sheets_calls(fake, lambda: crm.upsert([_row("INV-0500")]))
    one_update = _sheets_calls(fake, lambda: crm.upsert([_row("INV-0007", "done")]))
    assert one_new == one_update == 2  # the handle is cached: IDs (1) + append or update (1)
    mixed = _sheets_calls(fake, lambda: crm.upsert([_row("INV-0008", "done"), _row("INV-0501")]))
    assert mixed == 3

    fresh = _crm(gc, key)
    assert _sheets_calls(fake, lambda: fresh.upsert([_row("INV-0009", "done")])) == 3
    assert len(_data(fake, key)) == 502


def test_fifty_orders_under_503_and_429_faults_end_with_one_row_each(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    policy = RetryPolicy(attempts=10, base_wait=0.01, max_wait=0.01, sleep=lambda s: None)
    crm = _crm(gc, key, policy=policy)
    fake.inject("*", status=503, rate=0.2)
    fake.inject("*", status=429, retry_after=0, rate=0.1)

    ids = [f"INV-{n:04d}" for n in range(50)]
    for order_id in ids[:20]:  # one at a time, as intake finds them
        crm.upsert([_row(order_id)])
    for start in range(10, 50, 10):  # then in batches, some new and some already there
        crm.upsert([_row(i, "paid") for i in ids[start : start + 10]])
    crm.upsert([_row(i, "done") for i in ids])

    fake.clear_faults()
    faulted = [r.status for r in fake.requests if r.fault and r.api == "sheets"]
    assert faulted.count(503) >= 5 and faulted.count(429) >= 2
    rows = crm.rows()
    assert sorted(r["ID Order"] for r in rows) == ids
    assert {r["Status"] for r in rows} == {"done"}


def test_an_append_whose_answer_was_lost_is_not_written_twice(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    # The append lands after 0.4 s, but the client gives up at 0.1 s and looks again at ~0.9 s.
    gc.set_timeout(0.1)
    policy = RetryPolicy(attempts=3, sleep=lambda s: time.sleep(0.8))
    fake.inject(":append", delay=0.4, times=1)
    _crm(gc, key, policy=policy).upsert([_row("INV-0001"), _row("INV-0002")])

    assert [r[0] for r in _data(fake, key)] == ["INV-0001", "INV-0002"]
    assert len([r for r in fake.requests if r.path.endswith(":append")]) == 1


def test_concurrent_upserts_on_one_sheet_never_duplicate_an_order(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    crm = _crm(gc, key)

    def worker(n: int) -> None:
        crm.upsert([_row(f"INV-{k:04d}", f"by {n}") for k in range(5)] + [_row(f"INV-1{n:03d}")])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(worker, range(4)))
    ids = [r[0] for r in _data(fake, key)]
    assert sorted(ids) == sorted({*(f"INV-{k:04d}" for k in range(5)), *(f"INV-1{n:03d}" for n in range(4))})


def test_a_denied_sheet_fails_once_naming_the_fix_and_stays_unchanged(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER, ["INV-0001", "x"]]})
    before = fake.sheet_values(key, "CRM")
    crm = _crm(gc, key)
    crm.rows()  # the worksheet handle is cached; access is lost afterwards
    fake.deny(key)

    fake.clear_requests()
    with pytest.raises(CrmSheetError) as denied:
        crm.upsert([_row("INV-0001", "done"), _row("INV-0002")])
    error = denied.value
    assert (error.status, error.retryable) == (403, False)
    assert f"share the sheet with {SHOP_USER} as Editor" in str(error)
    assert fake.calls("sheets") == 1  # not retried
    assert fake.sheet_values(key, "CRM") == before

    with pytest.raises(CrmSheetError, match="permission denied"):
        _crm(gc, key).upsert([_row("INV-0003")])  # a fresh instance fails at opening
    assert fake.sheet_values(key, "CRM") == before


def test_check_names_what_is_wrong(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    no_tab = fake.add_spreadsheet("Toko CRM", {"Sheet1": []})
    [missing] = _crm(gc, no_tab).check()
    assert "worksheet 'CRM' not found" in missing and "'Sheet1'" in missing

    wrong = fake.add_spreadsheet("Toko CRM", {"CRM": [[h for h in HEADER if h != "Pembeli Diberitahu"]]})
    [differs] = _crm(gc, wrong).check()
    assert "header differs" in differs and "missing ['Pembeli Diberitahu']" in differs

    fine = fake.add_spreadsheet("Toko CRM", {"CRM": [HEADER]})
    crm = _crm(gc, fine)
    assert crm.check() == []
    fake.deny(fine)
    [denied] = crm.check()
    assert "permission denied" in denied and SHOP_USER in denied

    [unknown] = _crm(gc, "no-such-spreadsheet").check()
    assert "not found" in unknown and "FULFIL_CRM_SPREADSHEET_KEY" in unknown


# --- Form responses source ----------------------------------------------------------------------


# Typed in as Google Forms fills its sheet; "'0812…" is a phone the sheet holds as text.
SARI = {
    "Timestamp": "30/11/2026 17:00:00",
    "Nama": "Sari",
    "Email": "sari@example.com",
    "No. WhatsApp": "'081234567890",
    "Kode Layanan": "AKUN-GMAIL",
    "Jumlah": "2",
    "Deadline": "07/12/2026",
    "Catatan": "tolong cepat",
    "Status Pembayaran": "Lunas",
}
BUDI = {
    "Timestamp": "30/11/2026 18:05:00",
    "Nama": "Budi",
    "Email": "budi@example.com",
    "No. WhatsApp": "+62 812-3456-7890",
    "Kode Layanan": "LOGO",
    "Jumlah": "1",
    "Status Pembayaran": "Belum",
}


def _responses(fake: FakeGoogle) -> str:  # noqa: F811
    rows = [[answer.get(h, "") for h in FORM_HEADERS] for answer in (SARI, {}, BUDI)]  # a blank row between
    return fake.add_spreadsheet("Pesanan (Jawaban)", {"Form Responses 1": [FORM_HEADERS, *rows]})


def _drafts(source: FormResponsesSource) -> dict[str, SourceRow]:
    [table] = source.read()
    columns = load_source_columns(PROJECT_CONFIGS)
    rows = to_source_rows(table.headers, table.rows, columns.columns, columns.required)
    return {r.draft.buyer_name: r for r in rows}


def test_form_responses_are_read_in_one_call_as_the_sheet_shows_them(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    key = _responses(fake)
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=FAST)

    fake.clear_requests()
    [table] = source.read()
    assert fake.calls("sheets") == 1
    assert table.name == "Form Responses 1 (Google Sheet)"
    assert table.headers == FORM_HEADERS
    assert table.rows[0]["Timestamp"] == "30/11/2026 17:00:00"

    drafts = _drafts(source)
    sari, budi = drafts["Sari"].draft, drafts["Budi"].draft
    assert (sari.phone, sari.quantity, sari.service_code) == ("081234567890", "2", "AKUN-GMAIL")
    assert (sari.submitted_at, sari.deadline, sari.payment) == ("30/11/2026 17:00:00", "07/12/2026", "Lunas")
    assert sari.notes == "tolong cepat"
    assert (budi.buyer_email, budi.phone, budi.payment) == ("budi@example.com", "+62 812-3456-7890", "Belum")
    assert [drafts[n].row_number for n in ("Sari", "Budi")] == [2, 4]
    assert source.check() == []


def test_an_edited_response_changes_only_that_orders_hash(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    key = _responses(fake)
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=FAST)
    before = {name: r.source_hash for name, r in _drafts(source).items()}

    # The shop owner corrects Budi's quantity in the sheet.
    gc.http_client.values_update(
        key, "'Form Responses 1'!F4", params={"valueInputOption": "USER_ENTERED"}, body={"values": [["3"]]}
    )
    after = {name: r.source_hash for name, r in _drafts(source).items()}
    assert after["Sari"] == before["Sari"]
    assert after["Budi"] != before["Budi"]


def test_form_source_empty_missing_and_denied(fake: FakeGoogle, gc: gspread.Client) -> None:  # noqa: F811
    empty = fake.add_spreadsheet("Pesanan", {"Form Responses 1": []})
    source = FormResponsesSource(gc, empty, "Form Responses 1", policy=FAST)
    [table] = source.read()
    assert (table.headers, table.rows) == ([], [])
    [no_header] = source.check()
    assert "no header row" in no_header

    wrong_tab = FormResponsesSource(gc, empty, "Jawaban Formulir 1", policy=FAST)
    with pytest.raises(AdapterError, match="worksheet 'Jawaban Formulir 1' not found"):
        wrong_tab.read()
    assert "'Form Responses 1'" in wrong_tab.check()[0]

    key = _responses(fake)
    fake.deny(key)
    denied = FormResponsesSource(gc, key, "Form Responses 1", policy=FAST)
    fake.clear_requests()
    with pytest.raises(AdapterError) as refused:
        denied.read()
    assert refused.value.retryable is False
    assert "permission denied" in str(refused.value) and SHOP_USER in str(refused.value)
    assert fake.calls("sheets") == 1
    assert "permission denied" in denied.check()[0]

    missing = FormResponsesSource(gc, "no-such-spreadsheet", "Form Responses 1", policy=FAST)
    with pytest.raises(AdapterError, match="FULFIL_FORM_SPREADSHEET_KEY"):
        missing.read()


def test_a_sheet_from_before_an_upgrade_gets_the_new_columns_and_keeps_its_rows(
    fake: FakeGoogle,  # noqa: F811
    gc: gspread.Client,
) -> None:
    old_header = HEADER[:-3]  # before Diserahkan, Klaim and Refund were added
    old_row = ["INV-0001", *["x"] * (len(old_header) - 1)]
    key = fake.add_spreadsheet("Toko CRM", {"CRM": [old_header, old_row]})
    crm = _crm(gc, key)
    assert crm.check() == []
    crm.upsert([_row("INV-0002")])
    values = fake.sheet_values(key, "CRM")
    assert values[0] == HEADER
    assert values[1] == old_row  # untouched, in its place
    assert [r[0] for r in values[1:]] == ["INV-0001", "INV-0002"]
