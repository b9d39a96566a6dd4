"""What the technical team hands back, judged by the pure core: notes, counted deliverables, the CRM text."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from fulfil.core.catalogue import Deliverable, Names
from fulfil.core.crm_record import crm_fields
from fulfil.core.handover import (
    CUT_MARKER,
    Counted,
    FoundFile,
    UnreadableNote,
    check_delivery,
    clean_note,
    contents_needed,
    delivered_count,
    is_deliverable,
    take_handover,
)
from fulfil.core.order import SYSTEM, TEAM, Delivered
from fulfil.core.status import OrderStatus
from tests.conftest import NOW
from tests.unit.builders import order_in

S = OrderStatus
LATER = NOW + timedelta(hours=2)
ACCOUNTS = Names(id="akun", en="accounts")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _file(name: str, *, size: int = 400, content: str = "", **extra: str) -> FoundFile:
    """A file as the local folder lists it: fingerprint `<name>:<md5>`, a file link."""
    md5 = _md5(content or name)
    return FoundFile(
        name,
        size,
        f"{name}:{md5}",
        link=f"file:///drive/INV-0001/{name}",
        md5=md5,
        **extra,
    )


def take(order, files, service, *, at=NOW, notes=None, counts=None, limit=5000):
    return take_handover(
        order, files, service, at=at, note_bytes=notes or {}, counts=counts or {}, note_limit=limit
    )


@pytest.fixture
def gmail(catalogue):
    """Ready-made Gmail accounts: akun*.csv / akun*.xlsx rows must equal the ordered quantity."""
    return catalogue.services["GMAIL-BARU"]


@pytest.fixture
def followers(catalogue):
    """Instagram followers: a screenshot is the proof; the team's notes go to the buyer."""
    return catalogue.services["IG-FOLLOWERS"]


def _accounts_rule(check: str = "equal") -> Deliverable:
    return Deliverable(patterns=["akun*.csv", "akun*.xlsx"], check=check, unit=ACCOUNTS)


# --- clean_note ----------------------------------------------------------------------------------


def test_a_note_loses_its_bom_windows_line_ends_and_control_characters() -> None:
    raw = (
        "\ufeffAkun sudah jadi semua.\r\n"
        "Password sama untuk semua akun\x07\x1b.\r\n"
        "\tCek folder 'akun' ya 🙏\rTerima kasih\r\n\r\n"
    ).encode()

    text = clean_note(raw)

    assert text == (
        "Akun sudah jadi semua.\nPassword sama untuk semua akun.\n\tCek folder 'akun' ya 🙏\nTerima kasih"
    )


def test_a_note_with_a_nul_byte_is_refused_as_binary_in_both_languages() -> None:
    with pytest.raises(UnreadableNote) as caught:
        clean_note(b"Akun sudah jadi\x00\x00\x01\x02")

    message = str(caught.value)
    assert "biner" in message and "binary" in message


def test_a_note_that_is_not_utf8_is_refused_in_both_languages() -> None:
    latin1 = "Akun sudah jadi, café buka jam 9".encode("latin-1")

    with pytest.raises(UnreadableNote) as caught:
        clean_note(latin1)

    message = str(caught.value)
    assert "tidak bisa dibaca" in message and "cannot be read" in message and "UTF-8" in message


def test_a_long_note_is_cut_at_the_limit_and_says_so() -> None:
    long_note = ("Followers masuk bertahap. " * 300)[:6000]
    assert len(long_note) == 6000

    text = clean_note(long_note.encode())

    assert text == long_note[:5000] + CUT_MARKER
    assert text.endswith(" … [dipotong / cut]")


def test_the_limit_counts_characters_not_bytes_and_a_note_at_the_limit_is_kept_whole() -> None:
    exact = "é" * 5000  # 10,000 bytes in UTF-8

    assert clean_note(exact.encode()) == exact


def test_a_custom_limit_is_applied() -> None:
    text = clean_note(("x" * 150).encode(), limit=100)

    assert text == "x" * 100 + CUT_MARKER


# --- check_delivery ------------------------------------------------------------------------------


def test_a_short_delivery_is_refused_with_both_languages() -> None:
    assert check_delivery(8, 10, _accounts_rule()) == (False, "Kurang: 8 dari 10 akun / 8 of 10 accounts")


def test_an_exact_delivery_is_accepted() -> None:
    assert check_delivery(10, 10, _accounts_rule()) == (True, "10 dari 10 akun / 10 of 10 accounts")


def test_an_over_delivery_is_accepted_with_a_note_that_it_is_more() -> None:
    assert check_delivery(12, 10, _accounts_rule()) == (True, "Lebih: 12 dari 10 akun / 12 of 10 accounts")


def test_at_least_accepts_more_without_complaint_and_refuses_less() -> None:
    rule = _accounts_rule("at_least")

    assert check_delivery(12, 10, rule) == (True, "12 dari 10 akun / 12 of 10 accounts")
    assert check_delivery(10, 10, rule) == (True, "10 dari 10 akun / 10 of 10 accounts")
    assert check_delivery(9, 10, rule) == (False, "Kurang: 9 dari 10 akun / 9 of 10 accounts")


@pytest.mark.parametrize("counted", [0, 3, 10, 25])
def test_check_none_accepts_any_count(counted: int) -> None:
    accepted, said = check_delivery(counted, 10, _accounts_rule("none"))

    assert accepted
    assert said == f"{counted} dari 10 akun / {counted} of 10 accounts"


# --- is_deliverable ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("akun-gmail.csv", True),
        ("AKUN-Gmail.CSV", True),
        ("Akun_batch2.Xlsx", True),
        ("kiriman/akun-1.csv", True),
        ("Kiriman/AKUN.XLSX", True),
        ("akun/bukti.png", False),  # a folder called akun is not an accounts file
        ("data-akun.csv", False),
        ("akun.pdf", False),
        ("akun.csv.exe", False),
    ],
)
def test_deliverable_names_match_case_insensitively_in_subfolders(name: str, expected: bool) -> None:
    assert is_deliverable(name, _accounts_rule()) is expected


def test_nothing_is_a_deliverable_for_a_service_without_one() -> None:
    assert is_deliverable("akun-gmail.csv", None) is False


# --- take_handover: deliverables -----------------------------------------------------------------


def test_a_short_delivery_is_refused_once_and_a_complete_one_moves_the_order(gmail) -> None:
    order = order_in(S.DISPATCHED)
    short = _file("akun-gmail.csv", content="8 rows")

    keys = take(order, [short], gmail, counts={short.fingerprint: Counted(8)})

    reason = "Kurang: 8 dari 10 akun / 8 of 10 accounts"
    assert [str(k) for k in keys] == [f"proof_rejected:{short.fingerprint[-12:]}"]
    assert order.status == S.DISPATCHED
    assert order.deliverables == [Delivered("akun-gmail.csv", 8, short.md5, False, reason, short.fingerprint)]
    assert order.history[-1].comment == f"Bukti ditolak: akun-gmail.csv — {reason}"
    assert order.history[-1].actor == SYSTEM

    # The next scan sees the same file: nothing is judged or sent again.
    history = list(order.history)
    assert take(order, [short], gmail, at=NOW + timedelta(minutes=1)) is None
    assert order.history == history

    full = _file("akun-gmail.csv", content="10 rows")
    keys = take(order, [short, full], gmail, at=LATER, counts={full.fingerprint: Counted(10)})

    assert keys == []
    assert order.status == S.PROOF_RECEIVED
    assert order.deliverables[1] == Delivered(
        "akun-gmail.csv", 10, full.md5, True, "10 dari 10 akun / 10 of 10 accounts", full.fingerprint
    )
    assert [p.fingerprint for p in order.accepted_proofs] == [full.fingerprint]
    assert order.history[-1].status == S.PROOF_RECEIVED
    assert order.history[-1].at == LATER


def test_an_over_delivery_completes_the_proof_and_the_history_says_more(gmail) -> None:
    order = order_in(S.ASSIGNED)
    over = _file("akun.xlsx")

    assert take(order, [over], gmail, counts={over.fingerprint: Counted(12)}) == []

    assert order.status == S.PROOF_RECEIVED
    assert order.deliverables[0].accepted
    assert any("Lebih: 12 dari 10 akun" in h.comment for h in order.history)


def test_a_screenshot_alone_does_not_complete_a_service_that_must_deliver_accounts(gmail) -> None:
    order = order_in(S.DISPATCHED)

    take(order, [_file("screenshot.png")], gmail)

    assert [p.name for p in order.accepted_proofs] == ["screenshot.png"]
    assert order.status == S.DISPATCHED


def test_a_deliverable_that_cannot_be_counted_is_refused_with_why(gmail) -> None:
    order = order_in(S.DISPATCHED)
    broken = _file("akun-gmail.csv")

    keys = take(order, [broken], gmail, counts={broken.fingerprint: Counted(error="not UTF-8 text")})

    assert [str(k) for k in keys] == [f"proof_rejected:{broken.fingerprint[-12:]}"]
    assert order.status == S.DISPATCHED
    (delivered,) = order.deliverables
    assert (delivered.count, delivered.accepted) == (None, False)
    assert (
        delivered.reason
        == "File tidak bisa dihitung (not UTF-8 text) / The file cannot be counted (not UTF-8 text)"
    )
    assert order.proofs[0].reason == delivered.reason
    assert "not UTF-8 text" in order.history[-1].comment


def test_a_file_counted_by_files_counts_the_matching_files(followers) -> None:
    rule = Deliverable(
        patterns=["laporan-*.csv"], count="files", check="equal", unit=Names(id="laporan", en="reports")
    )
    service = followers.model_copy(
        update={
            "deliverable": rule,
            "proof": followers.proof.model_copy(update={"allowed_types": ["csv", "png"]}),
        }
    )
    order = order_in(S.DISPATCHED, service_code="IG-FOLLOWERS", quantity=3)
    one, two, three = (_file(f"laporan-{i}.csv") for i in (1, 2, 3))
    # The pipeline counted the CSV's rows; a file-counted deliverable counts the file, not its rows.
    rows = {f.fingerprint: Counted(40) for f in (one, two, three)}

    take(order, [one, two, _file("bukti.png")], service, counts=rows)

    assert order.status == S.DISPATCHED
    assert [d.count for d in order.deliverables] == [1, 2]
    assert order.deliverables[-1].reason == "Kurang: 2 dari 3 laporan / 2 of 3 reports"

    take(order, [one, two, three], service, at=LATER, counts=rows)

    assert order.status == S.PROOF_RECEIVED
    assert order.deliverables[-1].count == 3 and order.deliverables[-1].accepted
    assert delivered_count(order, service) == 3


def test_screenshots_counted_by_files_are_not_refused_for_having_no_rows(followers) -> None:
    rule = Deliverable(
        patterns=["bukti-*.png"], count="files", check="at_least", unit=Names(id="foto", en="photos")
    )
    service = followers.model_copy(update={"deliverable": rule})
    order = order_in(S.DISPATCHED, service_code="IG-FOLLOWERS", quantity=2)
    shots = [_file("bukti-1.png"), _file("bukti-2.png")]
    # What judge_proofs hands over for a PNG: count_rows cannot count rows of an image.
    counts = {f.fingerprint: Counted(error="cannot count rows of a .png file") for f in shots}

    keys = take(order, shots, service, counts=counts)

    assert keys == []
    assert order.status == S.PROOF_RECEIVED
    assert delivered_count(order, service) == 2


# --- take_handover: notes ------------------------------------------------------------------------


def test_a_note_file_is_kept_as_the_teams_word(gmail) -> None:
    order = order_in(S.DISPATCHED)
    note = _file("hasil/Notes.TXT")

    keys = take(order, [note], gmail, notes={note.fingerprint: b"Password sama untuk semua akun\r\n"})

    assert keys == []  # recorded, nobody is written to
    assert order.status == S.DISPATCHED
    (kept,) = order.team_notes
    assert (kept.text, kept.at) == ("Password sama untuk semua akun", NOW)
    last = order.history[-1]
    assert last.actor == TEAM
    assert last.comment == "Catatan tim (hasil_Notes.TXT): Password sama untuk semua akun"
    assert order.proofs == []  # a note is not a proof
    # Read once: the next scan neither reads it again nor records it twice.
    assert contents_needed(order, [note], gmail) == []
    assert take(order, [note], gmail, notes={note.fingerprint: b"Password sama"}) is None
    assert len(order.team_notes) == 1


def test_a_note_the_folder_could_not_give_yet_is_read_next_time(gmail) -> None:
    order = order_in(S.DISPATCHED)
    note = _file("CATATAN.txt")

    assert take(order, [note], gmail) is None

    assert order.team_notes == []
    assert contents_needed(order, [note], gmail) == [note]


def test_an_unreadable_note_is_refused_with_the_reason_in_the_history(gmail) -> None:
    order = order_in(S.DISPATCHED)
    note = _file("catatan.txt")

    take(order, [note], gmail, notes={note.fingerprint: "Akun café".encode("cp1252")})

    assert order.team_notes == []
    assert order.status == S.DISPATCHED
    assert order.history[-1].comment.startswith("Catatan ditolak: catatan.txt — ")
    assert "UTF-8" in order.history[-1].comment


def test_a_note_after_completion_is_recorded_and_sends_nothing(gmail) -> None:
    order = order_in(S.COMPLETED)
    note = _file("CATATAN.txt")
    late_accounts = _file("akun-tambahan.csv")

    keys = take(
        order,
        [note, late_accounts],
        gmail,
        notes={note.fingerprint: b"2 akun minta verifikasi ulang, sudah dibantu"},
        counts={late_accounts.fingerprint: Counted(2)},
    )

    assert keys == []
    assert order.status == S.COMPLETED
    assert [n.text for n in order.team_notes] == ["2 akun minta verifikasi ulang, sudah dibantu"]
    assert order.history[-1].actor == TEAM
    # Proofs are judged only while the order waits for one.
    assert order.proofs == [] and order.deliverables == []


def test_an_empty_note_file_is_not_read_again_on_every_scan(gmail) -> None:
    order = order_in(S.COMPLETED)
    note = _file("CATATAN.txt", size=3)

    take(order, [note], gmail, notes={note.fingerprint: b" \r\n"})

    assert order.notes_to_show == []
    assert not [h for h in order.history if h.actor == "team"]
    assert contents_needed(order, [note], gmail) == []
    assert take(order, [note], gmail, at=LATER, notes={note.fingerprint: b" \r\n"}) is None


def test_a_drive_description_becomes_a_note_once(followers) -> None:
    order = order_in(S.DISPATCHED, service_code="IG-FOLLOWERS", quantity=1000)
    shot = _file("followers.png", description="Followers masuk bertahap\u200b dalam 2x24 jam")

    assert take(order, [shot], followers) == []

    assert order.status == S.PROOF_RECEIVED
    (note,) = order.team_notes
    assert (note.text, note.source) == (
        "Followers masuk bertahap dalam 2x24 jam",
        "followers.png (deskripsi)",
    )
    assert any(h.actor == TEAM and "Followers masuk bertahap" in h.comment for h in order.history)

    history = list(order.history)
    assert take(order, [shot], followers, at=LATER) is None
    assert order.history == history and len(order.team_notes) == 1

    edited = _file("followers.png", description="Sudah 1000 semua")
    assert take(order, [edited], followers, at=LATER) == []
    assert [n.text for n in order.team_notes] == [
        "Followers masuk bertahap dalam 2x24 jam",
        "Sudah 1000 semua",
    ]


def test_the_note_limit_given_is_applied(gmail) -> None:
    order = order_in(S.DISPATCHED)
    note = _file("CATATAN.txt")

    take(order, [note], gmail, notes={note.fingerprint: b"y" * 300}, limit=100)

    assert order.team_notes[0].text == "y" * 100 + CUT_MARKER


# --- delivered_count and the CRM row -------------------------------------------------------------


def test_delivered_count_adds_only_accepted_row_counts(gmail) -> None:
    order = order_in(S.PROOF_RECEIVED)
    assert delivered_count(order, gmail) is None

    order.deliverables = [
        Delivered("akun-1.csv", 8, "m1", False, "Kurang: 8 dari 10 akun / 8 of 10 accounts", "f1"),
    ]
    assert delivered_count(order, gmail) is None

    order.deliverables += [
        Delivered("akun-2.csv", 10, "m2", True, "10 dari 10 akun / 10 of 10 accounts", "f2"),
        Delivered("akun-3.csv", 2, "m3", True, "", "f3"),
        Delivered("akun-4.csv", None, "m4", False, "File tidak bisa dihitung", "f4"),
    ]
    assert delivered_count(order, gmail) == 12
    assert delivered_count(order, None) == 12


def test_the_crm_row_shows_count_md5_and_notes_but_no_contents(gmail, catalogue) -> None:
    order = order_in(S.DISPATCHED)
    short = _file("akun-gmail.csv", content="8 rows")
    full = _file("akun-gmail.csv", content="10 rows")
    note = _file("CATATAN.txt")
    take(order, [short], gmail, counts={short.fingerprint: Counted(8)})
    take(
        order,
        [note, full],
        gmail,
        at=LATER,
        notes={note.fingerprint: b"Password sama untuk semua akun\nRecovery: nomor toko"},
        counts={full.fingerprint: Counted(10)},
    )
    order.move_to(S.RECORDED, actor=SYSTEM, comment="Dicatat", at=LATER)

    fields = crm_fields(order, catalogue)

    assert fields["delivered_count"] == "10"
    assert fields["team_notes"] == "Password sama untuk semua akun\nRecovery: nomor toko"
    # The accepted file only, by its link, count and MD5; the short delivery is not shown.
    assert fields["proofs"] == f"file:///drive/INV-0001/akun-gmail.csv (10, md5 {full.md5})"
    assert short.md5 not in fields["proofs"]


def test_the_crm_row_of_an_order_without_deliverables_has_empty_fields(followers, catalogue) -> None:
    order = order_in(S.DISPATCHED, service_code="IG-FOLLOWERS", quantity=1000)
    take(order, [_file("followers.png")], followers)

    fields = crm_fields(order, catalogue)

    assert (fields["delivered_count"], fields["team_notes"]) == ("", "")
    assert fields["proofs"] == "file:///drive/INV-0001/followers.png"
