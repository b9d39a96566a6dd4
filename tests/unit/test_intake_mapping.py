"""From a Google Form export's headers and rows to drafts, with the real configs/source_columns.yaml."""

from __future__ import annotations

import pytest

from fulfil.config import load_source_columns
from fulfil.core.intake import MissingColumns, match_columns, match_headers, to_source_rows
from fulfil.core.validation import validate
from fulfil.settings import PROJECT_CONFIGS
from tests.conftest import NOW
from tests.unit.builders import TZ

# The header of examples/orders.csv, as Google Forms' Indonesian export writes it.
FORM_HEADERS = [
    "Timestamp",
    "ID Pesanan",
    "Nama",
    "Email",
    "No. WhatsApp",
    "Kode Layanan",
    "Jumlah",
    "Deadline",
    "Catatan",
    "Status Pembayaran",
    "Bahasa",
]


@pytest.fixture(scope="module")
def cols():
    return load_source_columns(PROJECT_CONFIGS)


def rows_from(cols, headers, rows):
    return to_source_rows(headers, rows, cols.columns, cols.required)


def form_row(**overrides: str) -> dict[str, str]:
    row = {
        "Timestamp": "23/11/2026 08:02:11",
        "ID Pesanan": "INV-0001",
        "Nama": "Siti Nurhaliza",
        "Email": "siti.nurhaliza@gmail.com",
        "No. WhatsApp": "081234567890",
        "Kode Layanan": "GMAIL-BARU",
        "Jumlah": "10",
        "Deadline": "30/11/2026",
        "Catatan": "Nama akun bebas asal profesional",
        "Status Pembayaran": "Lunas",
        "Bahasa": "Indonesia",
    }
    row.update(overrides)
    return row


def test_indonesian_form_headers_map_to_every_order_field(cols):
    mapping = match_columns(FORM_HEADERS, cols.columns, cols.required)
    assert mapping == {
        "submitted_at": "Timestamp",
        "order_id": "ID Pesanan",
        "buyer_name": "Nama",
        "buyer_email": "Email",
        "phone": "No. WhatsApp",
        "service_code": "Kode Layanan",
        "quantity": "Jumlah",
        "deadline": "Deadline",
        "notes": "Catatan",
        "payment": "Status Pembayaran",
        "lang": "Bahasa",
    }


def test_english_headers_map_too(cols):
    headers = ["Order ID", "Name", "Email Address", "Service Code", "Quantity", "Payment Status", "Language"]
    mapping = match_columns(headers, cols.columns, cols.required)
    assert mapping["order_id"] == "Order ID"
    assert mapping["buyer_email"] == "Email Address"
    assert mapping["quantity"] == "Quantity"
    assert mapping["lang"] == "Language"


def test_headers_match_regardless_of_case_and_spaces(cols):
    headers = ["  nama ", "EMAIL", "kode   layanan", "JUMLAH  ", "no.  whatsapp"]
    row = {
        "  nama ": "Budi Santoso",
        "EMAIL": "budi.santoso@yahoo.co.id",
        "kode   layanan": "IG-FOLLOWERS",
        "JUMLAH  ": "1000",
        "no.  whatsapp": "+6285712345678",
    }
    (only,) = rows_from(cols, headers, [row])
    d = only.draft
    assert (d.buyer_name, d.buyer_email, d.service_code, d.quantity, d.phone) == (
        "Budi Santoso",
        "budi.santoso@yahoo.co.id",
        "IG-FOLLOWERS",
        "1000",
        "+6285712345678",
    )


def test_a_file_missing_jumlah_and_email_is_refused_naming_both(cols):
    headers = [h for h in FORM_HEADERS if h not in ("Jumlah", "Email")]
    with pytest.raises(MissingColumns) as caught:
        rows_from(cols, headers, [form_row()])
    message = str(caught.value)
    assert "'Jumlah'" in message
    assert "'Email'" in message


def test_optional_columns_may_be_absent(cols):
    headers = ["Nama", "Email", "Kode Layanan", "Jumlah"]
    (only,) = rows_from(cols, headers, [{h: form_row()[h] for h in headers}])
    assert only.draft.deadline == ""
    assert only.draft.payment == ""


def test_values_reach_the_draft_trimmed(cols):
    (only,) = rows_from(cols, FORM_HEADERS, [form_row(Nama="  Siti Nurhaliza  ", Jumlah=" 10 ")])
    assert only.draft.buyer_name == "Siti Nurhaliza"
    assert only.draft.quantity == "10"


def test_duplicate_rows_with_the_same_id_collapse_to_the_last(cols):
    rows = [
        form_row(Jumlah="10"),
        form_row(**{"ID Pesanan": "INV-0002", "Nama": "Budi Santoso", "Email": "budi@yahoo.co.id"}),
        form_row(Jumlah="20"),
    ]
    result = rows_from(cols, FORM_HEADERS, rows)
    by_id = {r.draft.order_id: r for r in result}
    assert sorted(by_id) == ["INV-0001", "INV-0002"]
    assert by_id["INV-0001"].draft.quantity == "20"
    assert by_id["INV-0001"].row_number == 4  # the header is row 1


def test_ids_written_differently_are_the_same_order(cols):
    rows = [form_row(**{"ID Pesanan": "inv-0001", "Jumlah": "10"}), form_row(**{"ID Pesanan": " INV-0001 "})]
    result = rows_from(cols, FORM_HEADERS, rows)
    assert [r.draft.order_id for r in result] == ["INV-0001"]


def test_rows_without_an_id_get_the_same_derived_id_when_read_again(cols):
    headers = [h for h in FORM_HEADERS if h != "ID Pesanan"]
    raw = [
        {h: v for h, v in form_row().items() if h != "ID Pesanan"},
        {
            h: v
            for h, v in form_row(
                Timestamp="23/11/2026 08:15:40", Nama="Budi Santoso", Email="budi@yahoo.co.id"
            ).items()
            if h != "ID Pesanan"
        },
    ]
    first = [r.draft.order_id for r in rows_from(cols, headers, raw)]
    again = [r.draft.order_id for r in rows_from(cols, headers, [dict(r) for r in raw])]
    assert first == again
    assert len(set(first)) == 2
    assert all(i.startswith("ORD-") for i in first)


def test_blank_id_cell_gets_a_derived_id(cols):
    (only,) = rows_from(cols, FORM_HEADERS, [form_row(**{"ID Pesanan": "  "})])
    assert only.draft.order_id.startswith("ORD-")


def test_blank_rows_are_skipped_and_row_numbers_stay_the_sheets(cols):
    rows = [
        form_row(),
        dict.fromkeys(FORM_HEADERS, ""),
        dict.fromkeys(FORM_HEADERS, "   "),
        dict.fromkeys(FORM_HEADERS, float("nan")),
        dict.fromkeys(FORM_HEADERS),
        form_row(**{"ID Pesanan": "INV-0002"}),
    ]
    result = rows_from(cols, FORM_HEADERS, rows)
    assert [(r.draft.order_id, r.row_number) for r in result] == [("INV-0001", 2), ("INV-0002", 7)]


def test_source_hash_changes_when_a_value_changes(cols):
    (before,) = rows_from(cols, FORM_HEADERS, [form_row()])
    (same,) = rows_from(cols, FORM_HEADERS, [form_row()])
    (after,) = rows_from(cols, FORM_HEADERS, [form_row(Jumlah="11")])
    assert before.source_hash == same.source_hash
    assert after.source_hash != before.source_hash


def test_source_hash_ignores_columns_fulfil_does_not_read(cols):
    headers = [*FORM_HEADERS, "Skor"]
    (before,) = rows_from(cols, headers, [form_row(Skor="1")])
    (after,) = rows_from(cols, headers, [form_row(Skor="2")])
    assert before.source_hash == after.source_hash


def test_the_example_row_comes_through_valid(cols, catalogue):
    (only,) = rows_from(cols, FORM_HEADERS, [form_row()])
    checked = validate(only.draft, catalogue, now=NOW, tz=TZ)
    assert checked.ok
    assert checked.quantity == 10


# ----- headers written slightly differently -----


def _with(headers: list[str], old: str, new: str) -> list[str]:
    return [new if h == old else h for h in headers]


@pytest.mark.parametrize("written", ["No WhatsApp", "no.whatsapp", "NO. WHATSAPP:", "No Whatsapp "])
def test_a_phone_header_written_a_little_differently_is_named_with_the_line_to_add(cols, written):
    headers = _with(FORM_HEADERS, "No. WhatsApp", written)

    matched = match_headers(headers, cols.columns, cols.required)

    assert "phone" not in matched.found  # never guessed into use: the shop decides
    assert matched.warnings == [
        f'{written} → did you mean "No. WhatsApp"? add it to configs/source_columns.yaml under phone'
    ]


def test_common_indonesian_and_english_alternatives_are_read_as_they_are(cols):
    headers = ["Nama  Lengkap", "E-mail", "Nomor WhatsApp", "Kode Layanan", "Jumlah"]

    matched = match_headers(headers, cols.columns, cols.required)

    assert matched.found["buyer_name"] == "Nama  Lengkap"
    assert matched.found["buyer_email"] == "E-mail"
    assert matched.found["phone"] == "Nomor WhatsApp"
    assert matched.warnings == []


def test_a_required_header_written_differently_refuses_the_file_naming_the_near_match(cols):
    headers = _with(_with(FORM_HEADERS, "Jumlah", "Jumlh"), "Email", "E mail")

    with pytest.raises(MissingColumns) as caught:
        rows_from(cols, headers, [form_row()])

    message = str(caught.value)
    assert message.startswith("the file lacks required column(s): 'Email', 'Jumlah' (it has: ")
    assert 'E mail → did you mean "Email"? add it to configs/source_columns.yaml under buyer_email' in message
    assert 'Jumlh → did you mean "Jumlah"? add it to configs/source_columns.yaml under quantity' in message


@pytest.mark.parametrize(
    "headers",
    [
        # Another column sharing a word is not taken for the missing one.
        ["Nama Produk", "Email", "Kode Layanan", "Jumlah"],
        ["Nama", "Alamat", "Kode Layanan", "Jumlah"],
        ["Nama", "Email", "Kode Layanan", "Jumlah Bayar"],
    ],
)
def test_a_different_column_is_not_offered_for_a_missing_one(cols, headers):
    with pytest.raises(MissingColumns) as caught:
        match_headers(headers, cols.columns, cols.required)
    assert "did you mean" not in str(caught.value)


def test_an_optional_column_simply_absent_gives_no_warning(cols):
    headers = ["Nama", "Email", "Kode Layanan", "Jumlah", "Skor"]
    assert match_headers(headers, cols.columns, cols.required).warnings == []
