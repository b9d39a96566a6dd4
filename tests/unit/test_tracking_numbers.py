"""Couriers and tracking numbers ("no. resi"): formats, courier names, and reading both out of a note."""

from __future__ import annotations

import pytest

from fulfil.core.shipping import (
    COURIERS,
    Tracking,
    check_tracking,
    courier_named,
    find_tracking,
    normalise_number,
)

# --- formats --------------------------------------------------------------------------------------

# (courier code, number as a team member may write it, the number normalised)
VALID = [
    ("JNE", "0123456789012345", "0123456789012345"),
    ("JNE", "0123 4567 8901 2345", "0123456789012345"),
    ("JNE", "010190001491925", "010190001491925"),
    ("JNE", "010880123456", "010880123456"),
    ("JNE", "tg7007260622", "TG7007260622"),
    ("JNE", "CGK1A02345678913", "CGK1A02345678913"),
    ("JNT", "JP1234567890", "JP1234567890"),
    ("JNT", "jp 1234-567890", "JP1234567890"),
    ("JNT", "JX8009962760", "JX8009962760"),
    ("JNT", "JD0123456789", "JD0123456789"),
    ("SICEPAT", "001234567890", "001234567890"),
    ("SICEPAT", "0052-0822-5151", "005208225151"),
    ("SICEPAT", " 002927168687 ", "002927168687"),
    ("ANTERAJA", "10001234567890", "10001234567890"),
    ("ANTERAJA", "1100 0123 4567 890", "110001234567890"),
    ("ANTERAJA", "tsa1234567890", "TSA1234567890"),
    ("POS", "RR123456789ID", "RR123456789ID"),
    ("POS", "rr 123456789 id", "RR123456789ID"),
    ("POS", "RP123456789ID", "RP123456789ID"),
    ("POS", "1234567890123", "1234567890123"),
    ("POS", "P2301010012345", "P2301010012345"),
    ("NINJA", "NLIDAP12345678", "NLIDAP12345678"),
    ("NINJA", "nlidap-1234-5678", "NLIDAP12345678"),
    ("NINJA", "NVIDSHOP0001234", "NVIDSHOP0001234"),
    ("IDEXPRESS", "IDE701234567890", "IDE701234567890"),
    ("IDEXPRESS", "ids 7012 3456 7890", "IDS701234567890"),
    ("LION", "11LP1788182996987", "11LP1788182996987"),
    ("LION", "11lp 1788 1829 96987", "11LP1788182996987"),
    ("LION", "11-19-5470676", "11195470676"),
]

# (courier code, a number that must be refused for it)
INVALID = [
    ("JNE", "1234"),
    ("JNE", "08123456789"),  # a phone number, not a resi
    ("JNE", "0123456789012345678"),
    ("JNE", "JNE"),
    ("JNT", "JP12"),
    ("JNT", "1234567890"),
    ("JNT", "JP123456789012"),
    ("JNT", "XP1234567890"),
    ("SICEPAT", "1234"),
    ("SICEPAT", "123456789012"),
    ("SICEPAT", "00123456789"),
    ("ANTERAJA", "1234"),
    ("ANTERAJA", "20001234567890"),
    ("ANTERAJA", "1000123456789"),
    ("POS", "RR12345678ID"),
    ("POS", "6281234567890"),  # a phone number with the country code
    ("POS", "1234"),
    ("NINJA", "NV12"),
    ("NINJA", "12345678"),
    ("IDEXPRESS", "IDE1234"),
    ("IDEXPRESS", "IDX701234567890"),
    ("LION", "LP1234"),
    ("LION", "11LP123"),
]


def test_every_courier_has_a_name_aliases_an_example_and_a_tracking_page():
    for code, courier in COURIERS.items():
        assert courier.code == code
        assert courier.name and courier.aliases
        assert courier.tracking_url.startswith("https://")


@pytest.mark.parametrize("code", list(COURIERS))
def test_each_couriers_own_example_fits_its_format(code):
    assert check_tracking(code, COURIERS[code].example) is None


@pytest.mark.parametrize(("code", "written", "normalised"), VALID)
def test_real_numbers_are_accepted_however_they_are_written(code, written, normalised):
    assert check_tracking(code, written) is None
    assert normalise_number(written) == normalised


@pytest.mark.parametrize(("code", "number"), INVALID)
def test_wrong_numbers_are_refused_naming_the_courier_and_its_example(code, number):
    courier = COURIERS[code]
    reason = check_tracking(code, number)

    assert reason is not None
    indonesian, english = reason.split(" / ")
    assert f"'{number}'" in indonesian and f"'{number}'" in english
    assert "tidak sesuai format" in indonesian and "does not fit" in english
    for part in (indonesian, english):
        assert courier.name in part
        assert courier.example in part
    assert "\n" not in reason


def test_the_reason_reads_as_documented():
    assert check_tracking("JNT", "JP12") == (
        "No. resi 'JP12' tidak sesuai format J&T Express (contoh: JP1234567890) / "
        "Tracking number 'JP12' does not fit J&T Express's format (e.g. JP1234567890)"
    )


@pytest.mark.parametrize("number", ["", "   ", " - "])
def test_an_empty_number_is_refused_naming_the_courier(number):
    reason = check_tracking("SICEPAT", number)
    assert reason is not None
    assert "SiCepat" in reason and "001234567890" in reason


def test_a_long_paste_is_refused_and_quoted_short_on_one_line():
    reason = check_tracking("JNE", "0123\n4567 " * 2000)
    assert reason is not None
    assert "\n" not in reason
    assert len(reason) < 400


def test_courier_codes_are_read_case_insensitively():
    assert check_tracking(" jnt ", "JP1234567890") is None


def test_an_unknown_courier_code_is_a_programming_error():
    with pytest.raises(ValueError, match="TIKI"):
        check_tracking("TIKI", "123456789012")


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("jp 1234-567890", "JP1234567890"),
        ("0123 4567\t8901\u00a02345", "0123456789012345"),
        ("0812\u20133456\u20107890", "081234567890"),  # en dash and hyphen from a phone keyboard
        ("  rr123456789id  ", "RR123456789ID"),
        ("", ""),
    ],
)
def test_normalise_number_upper_cases_and_drops_spaces_and_dashes(written, normalised):
    assert normalise_number(written) == normalised


# --- courier names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("JNE", "JNE"),
        (" JNE ", "JNE"),
        ("jne express", "JNE"),
        ("J&T", "JNT"),
        ("j&t", "JNT"),
        ("J & T", "JNT"),
        ("jnt", "JNT"),
        ("JNT", "JNT"),
        ("jet", "JNT"),
        ("J&T Express", "JNT"),
        ("SiCepat", "SICEPAT"),
        ("si cepat", "SICEPAT"),
        ("AnterAja", "ANTERAJA"),
        ("anter aja", "ANTERAJA"),
        ("POS", "POS"),
        ("pos", "POS"),
        ("Pos Indonesia", "POS"),
        ("POS Indonesia", "POS"),
        ("Ninja Xpress", "NINJA"),
        ("ninja express", "NINJA"),
        ("ninja", "NINJA"),
        ("ID Express", "IDEXPRESS"),
        ("idexpress", "IDEXPRESS"),
        ("Lion Parcel", "LION"),
        ("lion", "LION"),
    ],
)
def test_a_courier_is_known_by_the_names_a_team_writes(text, code):
    courier = courier_named(text)
    assert courier is not None
    assert courier.code == code


@pytest.mark.parametrize("text", ["", "  ", "TIKI", "Wahana", "GoSend", "j&t cargo", "kurir"])
def test_an_unknown_courier_name_gives_none(text):
    assert courier_named(text) is None


# --- reading a note -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "code", "number"),
    [
        ("JNE: 0123 4567 8901 2345", "JNE", "0123456789012345"),
        ("Resi J&T JP1234567890", "JNT", "JP1234567890"),
        ("kurir sicepat resi 001234567890", "SICEPAT", "001234567890"),
        ("Dikirim via AnterAja, no resi 10001234567890", "ANTERAJA", "10001234567890"),
        ("courier: POS, tracking: RR123456789ID", "POS", "RR123456789ID"),
        ("Sudah dikirim pakai Ninja Xpress, resi NLIDAP12345678", "NINJA", "NLIDAP12345678"),
        ("ID Express IDE701234567890", "IDEXPRESS", "IDE701234567890"),
        ("Lion Parcel STT: 11LP1788182996987", "LION", "11LP1788182996987"),
        ("POS RR 123456789 ID", "POS", "RR123456789ID"),
        ("resi jp-1234-567890 (j & t)", "JNT", "JP1234567890"),
        ("0123 4567 8901 2345 via JNE", "JNE", "0123456789012345"),
        ("JNE 0123 4567 8901 2345, 2 koli", "JNE", "0123456789012345"),
        ("sicepat 0012-3456-7890 (2 koli)", "SICEPAT", "001234567890"),
    ],
)
def test_a_courier_and_its_number_are_read_out_of_a_note(note, code, number):
    assert find_tracking(note) == Tracking(code, number)


@pytest.mark.parametrize(
    ("note", "code", "number"),
    [
        ("J&T JP1234567890, HP 08123456789, order INV-0001", "JNT", "JP1234567890"),
        ("INV-0001 / hp 0812-3456-7890 / J&T JP1234567890", "JNT", "JP1234567890"),
        ("JNE order INV-0001 hp 081234567890 resi 0123456789012345", "JNE", "0123456789012345"),
        ("JNE hp +6281234567890 resi 0123 4567 8901 2345", "JNE", "0123456789012345"),
        ("JNE, WA +62 812-3456-7890, resi 010190001491925", "JNE", "010190001491925"),
        ("POS, penerima 6281234567890, resi 1234567890123", "POS", "1234567890123"),
        ("JNE ORD-3FA2B1C9D0 resi 0123456789012345", "JNE", "0123456789012345"),
        ("INV/20240101/MPL/1234567890 dikirim JNE 0123456789012345", "JNE", "0123456789012345"),
        ("Order: 00123456789012, dikirim sicepat 001234567890", "SICEPAT", "001234567890"),
        ("JNE ongkir Rp15.000 dikirim 12-05-2024 resi 0123456789012345", "JNE", "0123456789012345"),
    ],
)
def test_phone_numbers_order_ids_dates_and_amounts_are_not_taken_for_the_resi(note, code, number):
    assert find_tracking(note) == Tracking(code, number)


@pytest.mark.parametrize(
    "note",
    [
        "JNE hp 081234567890",
        "JNE hp +62 812-3456-7890",
        "JNE untuk order INV-0001",
        "JNE, Order: 00123456789012 belum ada resi",
        "Kirim pakai JNE ya",
    ],
)
def test_a_phone_number_or_order_id_alone_is_not_a_resi(note):
    reason = find_tracking(note)
    assert isinstance(reason, str)
    assert "JNE" in reason and COURIERS["JNE"].example in reason
    assert "tidak ditemukan" in reason and "no tracking number was found" in reason


def test_a_number_belongs_to_the_courier_named_just_before_it():
    assert find_tracking("ganti dari JNE ke J&T, resi JP1234567890") == Tracking("JNT", "JP1234567890")


def test_a_courier_named_without_a_number_gives_a_bilingual_reason():
    assert find_tracking("Sudah dikirim via SiCepat") == (
        "Kurir SiCepat disebut, tetapi no. resi tidak ditemukan (contoh: 001234567890) / "
        "SiCepat is named but no tracking number was found (e.g. 001234567890)"
    )


@pytest.mark.parametrize(
    ("note", "code", "quoted"),
    [
        ("Resi J&T JP12", "JNT", "JP12"),
        ("kurir sicepat resi 1234-5678", "SICEPAT", "1234-5678"),
        ("JNE 0123 4567 8901 2345 6789", "JNE", "0123 4567 8901 2345 6789"),
        ("AnterAja 20001234567890", "ANTERAJA", "20001234567890"),
    ],
)
def test_a_number_that_does_not_fit_is_quoted_back_with_the_couriers_example(note, code, quoted):
    assert find_tracking(note) == check_tracking(code, quoted)


def test_a_courier_the_shop_does_not_use_is_refused():
    assert find_tracking("Resi J&T JP1234567890", allowed=["JNE", "SICEPAT"]) == (
        "kurir J&T Express tidak dipakai toko ini / courier J&T Express is not used by this shop"
    )
    assert find_tracking("Kirim JNE ya", allowed=["SICEPAT"]) == (
        "kurir JNE tidak dipakai toko ini / courier JNE is not used by this shop"
    )


def test_a_courier_the_shop_uses_is_accepted_whatever_the_case_of_its_code():
    assert find_tracking("Resi J&T JP1234567890", allowed=("jnt", "jne")) == Tracking("JNT", "JP1234567890")
    assert find_tracking("Resi J&T JP1234567890", allowed=iter(["JNT"])) == Tracking("JNT", "JP1234567890")


@pytest.mark.parametrize(
    "note",
    [
        "",
        "Paket sudah dikemas, tunggu pickup",
        "Alamat: Jl. Caringin No. 9, Bandung, kode pos 40223, hp 081234567890",
        "resi 0123456789012345",
        "INV-0001 lunas",
        "JNEA0001 JNTX SICEPATNYA posisi",  # courier names inside other words
    ],
)
def test_a_note_naming_no_courier_gives_none(note):
    assert find_tracking(note) is None


# --- tracking links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "number"),
    [("ANTERAJA", "10001234567890"), ("NINJA", "NLIDAP12345678"), ("LION", "11LP1788182996987")],
)
def test_the_tracking_link_carries_the_number_where_the_page_takes_it(code, number):
    tracking = Tracking(code, number)
    assert number in tracking.url
    assert "{number}" not in tracking.url
    assert tracking.url.startswith("https://")


@pytest.mark.parametrize(
    "code", [c for c, courier in COURIERS.items() if "{number}" not in courier.tracking_url]
)
def test_without_a_place_for_the_number_the_link_is_the_tracking_page(code):
    assert Tracking(code, COURIERS[code].example).url == COURIERS[code].tracking_url


def test_a_tracking_shows_the_name_a_buyer_knows():
    assert Tracking("JNT", "JP1234567890").courier_name == "J&T Express"
    assert Tracking("POS", "RR123456789ID").courier_name == "POS Indonesia"


def test_a_tracking_read_from_a_note_links_to_its_parcel():
    tracking = find_tracking("Lion Parcel 11LP 1788 1829 96987")
    assert isinstance(tracking, Tracking)
    assert tracking.url == "https://lionparcel.com/track/stt?q=11LP1788182996987"


# --- hostile notes --------------------------------------------------------------------------------

NOTE_LENGTH = 20_000


@pytest.mark.parametrize(
    "unit",
    [
        "0",
        "1 ",
        "1 2 ",
        "0123 ",
        "0812-",
        "+62 812-",
        "a-1-",
        "j & t ",
        "JNE 0123 ",
        "RR 1 ",
        "INV-1 ",
        "Rp1.",
        "-",
        " ",
        "kode pos ",
    ],
)
def test_a_20000_character_hostile_note_is_read_to_the_end(unit):
    # Notes are pasted by people; these shapes would make a backtracking regex run for minutes. No timing
    # is asserted (unit tests must not flake on a slow machine); a super-linear reader shows as a hang.
    note = ("JNE " + unit * NOTE_LENGTH)[:NOTE_LENGTH]
    result = find_tracking(note)
    if isinstance(result, str):
        assert "\n" not in result
        assert len(result) < 400
    else:
        assert isinstance(result, Tracking)
