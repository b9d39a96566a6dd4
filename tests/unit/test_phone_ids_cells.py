"""Phone numbers, order IDs, and text made safe for spreadsheet cells and file names."""

from __future__ import annotations

import re
import unicodedata

import pytest

from fulfil.core.cells import guard_formula, safe_display_name, shown, without_bidi
from fulfil.core.ids import clean_order_id, derive_order_id
from fulfil.core.phone import normalise_phone

# --- phone ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "(0812) 3456.7890",
        "+6281234567890",
        "+62 812-3456-7890",
        "6281234567890",
        "81234567890",  # a sheet that read the number as a number dropped the zero
        "  081234567890  ",
    ],
)
def test_one_indonesian_mobile_number_written_many_ways_normalises_to_one(raw):
    assert normalise_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw", ["08123", "abc", "", "   ", "021-555-1234x", "0812345678901234", "+0812345678"]
)
def test_not_a_phone_number_gives_none(raw):
    assert normalise_phone(raw) is None


def test_a_foreign_number_in_international_form_is_kept():
    assert normalise_phone("+65 9123 4567") == "+6591234567"


def test_country_code_followed_by_the_trunk_zero_is_still_the_same_number():
    assert normalise_phone("+62 (0)812-3456-7890") == "+6281234567890"


# --- order IDs -----------------------------------------------------------------------------------

ROW = ("23/11/2026 08:02:11", "siti.nurhaliza@gmail.com", "Siti Nurhaliza")


def test_derived_id_is_the_same_for_the_same_row():
    assert derive_order_id(*ROW) == derive_order_id(*ROW)


def test_derived_id_ignores_email_case_and_surrounding_spaces():
    assert derive_order_id(" 23/11/2026 08:02:11 ", " Siti.Nurhaliza@Gmail.com ", "Siti Nurhaliza ") == (
        derive_order_id(*ROW)
    )


@pytest.mark.parametrize(
    "other",
    [
        ("23/11/2026 08:02:11", "budi.santoso@yahoo.co.id", "Siti Nurhaliza"),
        ("23/11/2026 08:02:12", "siti.nurhaliza@gmail.com", "Siti Nurhaliza"),
        ("23/11/2026 08:02:11", "siti.nurhaliza@gmail.com", "Siti Aisyah"),
    ],
)
def test_derived_id_differs_for_another_email_time_or_name(other):
    assert derive_order_id(*other) != derive_order_id(*ROW)


@pytest.mark.parametrize(
    "row",
    [ROW, ("", "", ""), ("2026-11-23T08:02:11", "x@y.id", "Đặng Thu Trang 🚀"), ("t" * 500, "e" * 500, "")],
)
def test_derived_id_has_a_fixed_width_and_the_ord_prefix(row):
    order_id = derive_order_id(*row)
    assert re.fullmatch(r"ORD-[0-9A-F]{10}", order_id)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("INV-0001", "INV-0001"),
        ("inv-0001", "INV-0001"),
        (" INV-0001 ", "INV-0001"),
        ("inv/0001", "INV-0001"),
    ],
)
def test_clean_order_id_keeps_a_sane_id_recognisable(raw, clean):
    assert clean_order_id(raw) == clean


@pytest.mark.parametrize(
    "raw", ["../../etc/passwd", "C:\\orders\\INV-1", "INV 0001/../x", "a\x00b", "INV:0001?*<>|", "~/INV"]
)
def test_clean_order_id_leaves_no_path_or_shell_characters(raw):
    cleaned = clean_order_id(raw)
    assert re.fullmatch(r"[A-Z0-9._-]*", cleaned)
    assert "/" not in cleaned
    assert "\\" not in cleaned


def test_clean_order_id_is_bounded():
    assert len(clean_order_id("INV-" + "9" * 500)) <= 64


@pytest.mark.parametrize("raw", ["..", ".", " .. "])
def test_clean_order_id_never_returns_a_dot_directory(raw):
    assert clean_order_id(raw) not in (".", "..")


# --- spreadsheet cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "=SUM(A1:A9)",
        "=cmd|' /C calc'!A0",
        "+1+1",
        "+6281234567890*2",
        "+62 812-3456-7890",
        "-3",
        "@SUM(1)",
        "\t=1+1",
        "\r=1+1",
        '=HYPERLINK("http://evil.example","klik")',
    ],
)
def test_guard_formula_quotes_what_a_sheet_would_run(value):
    guarded = guard_formula(value)
    assert guarded == "'" + value


@pytest.mark.parametrize(
    "value",
    [
        "081234567890",
        "Siti Nurhaliza",
        "Đặng Thu Trang",
        "Rizky Ramadhan 🚀",
        "",
        "INV-0001",
        "1000",
        " =spasi",
    ],
)
def test_guard_formula_leaves_plain_text_alone(value):
    assert guard_formula(value) == value


@pytest.mark.parametrize("number", ["+6281234567890", "+6591234567", "+447911123456"])
def test_a_phone_number_in_the_international_form_is_left_as_the_sheet_should_show_it(number):
    # Digits after a plus run nothing anywhere; a quote before them would show in a RAW sheet.
    assert guard_formula(number) == number


# --- display names -------------------------------------------------------------------------------


def test_safe_display_name_removes_a_right_to_left_override():
    # "bukti‮gnp.exe" shows as "buktiexe.png" in a mail client.
    shown = safe_display_name("bukti\u202egnp.exe")
    assert "\u202e" not in shown
    assert shown.endswith("gnp.exe")


@pytest.mark.parametrize(
    "name", ["bukti\x00.png", "bukti\x07\x1b[31m.png", "bukti\u200b\u2066.png", "a\nb.png"]
)
def test_safe_display_name_removes_control_and_invisible_characters(name):
    shown = safe_display_name(name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in shown)
    assert shown.startswith("bukti") or shown.startswith("a")
    assert shown.endswith(".png")


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "folder/bukti.png"])
def test_safe_display_name_has_no_path_separators(name):
    shown = safe_display_name(name)
    assert "/" not in shown
    assert "\\" not in shown


@pytest.mark.parametrize("name", ["..", ".", "", "   "])
def test_safe_display_name_is_never_empty_or_a_dot_directory(name):
    shown = safe_display_name(name)
    assert shown not in ("", ".", "..")


def test_safe_display_name_truncates_a_very_long_name():
    shown = safe_display_name("bukti-" + "x" * 294)
    assert len(shown) == 120
    assert shown.startswith("bukti-")
    assert shown.endswith("…")


def test_safe_display_name_keeps_a_name_at_the_limit():
    name = "b" * 116 + ".png"
    assert safe_display_name(name) == name


@pytest.mark.parametrize(
    "name", ["Bukti transfer Siti.png", "Đặng Thu Trang - laporan.pdf", "akun_gmail (1).xlsx"]
)
def test_safe_display_name_keeps_ordinary_names(name):
    assert safe_display_name(name) == name


# --- buyer text where it is shown ----------------------------------------------------------------


def test_buyer_text_is_cut_where_it_is_shown_and_says_where_the_rest_is():
    assert shown("Akun @budi.kopi", 1000) == "Akun @budi.kopi"
    assert shown("x" * 1000, 1000) == "x" * 1000
    assert shown("kata " * 300, 1000) == ("kata " * 200).rstrip() + "… (lihat pesanan / see the order)"


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                                     "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"])  # fmt: skip
def test_every_bidi_control_is_removed_from_buyer_text(control):
    # "Siti<RLO>moc.liamg" would show reversed: an address or a name that is not what it says.
    assert shown(f"Siti{control}moc.liamg", 100) == "Sitimoc.liamg"
    assert without_bidi(f"a{control}b") == "ab"
    assert without_bidi(f"Đặng — a{control}b{control}") == "Đặng — ab"  # beside other non-ASCII text


def test_arabic_and_emoji_buyer_text_stays_as_written():
    assert shown("محمد 🚀 Đặng", 100) == "محمد 🚀 Đặng"
