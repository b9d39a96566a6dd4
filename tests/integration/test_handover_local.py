"""The team's hand-back over the local folders, a real SQLite store, the CSV CRM and the .eml outbox."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from fulfil.core.handover import CUT_MARKER, FoundFile
from fulfil.core.status import OrderStatus
from fulfil.usecases import pipeline, proofs
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.summary import detail
from integrations.deliverables import UncountableFile, count_rows
from integrations.gdrive.local_folder import LocalProofFolders
from integrations.ports import AdapterError
from integrations.store import OutboxMessage

S = OrderStatus
PLANTED = "Sup3r-Rahasia-Planted-7781"
SHORT_REASON = "Kurang: 8 dari 10 akun / 8 of 10 accounts"
NOTE = "\ufeffFollowers masuk bertahap dalam 2x24 jam.\r\nJangan ubah akun ke privat dulu ya 🙏\r\n"
NOTE_CLEAN = "Followers masuk bertahap dalam 2x24 jam.\nJangan ubah akun ke privat dulu ya 🙏"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 512


# ----- the pipeline's steps, as the flows run them -----


def _judge_and_record(svc: Deps) -> None:
    steps = DirectSteps(svc)
    steps.judge_proofs(steps.scan_proof_folders(None))
    steps.mark_recorded(steps.sync_crm_rows())


def _run_all(svc: Deps) -> list[str]:
    return pipeline.watch(DirectSteps(svc))


def _accounts(n: int, *, password: str = "") -> bytes:
    """The accounts file as the team exports it: a header, n rows, a trailing blank line."""
    rows = [f"siti.toko{i:02d}@gmail.com,{password or f'Rahasia#{i:02d}'}\n" for i in range(1, n + 1)]
    return ("email,password\n" + "".join(rows) + "\n").encode()


def _drop(home: Path, order_id: str, name: str, content: bytes) -> bytes:
    path = home / "drive" / order_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return content


def _crm_row(svc: Deps, order_id: str) -> dict[str, str]:
    (row,) = [r for r in svc.crm.rows() if r["ID Order"] == order_id]
    return row


def _eml(home: Path, order_id: str, kind: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((home / "outbox").glob(f"{order_id}.{kind}*.eml"))
    ]


def _decoded(path: Path) -> bytes:
    """Everything an .eml says once decoded: every part's content, attachments included."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return b"\n".join(part.get_payload(decode=True) or b"" for part in message.walk())


def _outbox(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / "outbox").glob("*"))}


def _team_comments(svc: Deps, order_id: str) -> list[str]:
    return [h.comment for h in svc.store.get(order_id).history if h.actor == "team"]


def _rejections(svc: Deps, order_id: str) -> list[OutboxMessage]:
    return [m for m in svc.store.messages(order_id) if m.kind.startswith("proof_rejected")]


# ----- counting rows -----


def test_a_csv_counts_its_data_rows_only() -> None:
    content = (
        "\ufeffemail,password\r\n"
        "\r\n"
        "siti.toko01@gmail.com,Rahasia#01\r\n"
        "  ,  \r\n"
        'siti.toko02@gmail.com,"kata, sandi"\r\n'
        ",\r\n"
        'siti.toko03@gmail.com,"baris\r\nkedua"\r\n'
        "\r\n\r\n"
    ).encode()

    assert count_rows("akun-gmail.csv", content) == 3
    assert count_rows("AKUN.CSV", b"email,password\n") == 0
    assert count_rows("akun.csv", b"") == 0


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet.cell(row=len(rows) + 5, column=2, value="   ")  # a stray space far below the table
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_counts_its_data_rows_only() -> None:
    content = _workbook(
        [
            ["email", "password", "recovery"],
            ["siti.toko01@gmail.com", "Rahasia#01", None],
            [None, None, None],
            ["siti.toko02@gmail.com", "Rahasia#02", 6281234567890],
            ["", "  ", None],
            ["siti.toko03@gmail.com", "Rahasia#03", None],
            [None, None, 0],
        ]
    )

    assert count_rows("akun-gmail.xlsx", content) == 4


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("akun.xlsx", b"PK\x03\x04\x14\x00\x00\x00 not really a workbook"),
        ("akun.xlsx", b"email,password\nsiti@gmail.com,Rahasia\n"),
        ("akun.csv", "email,password\nsiti@gmail.com,Kopi-Café\n".encode("latin-1")),
        ("akun.csv", b"email,password\nsiti@gmail.com\x00\x00\x01\n"),
        ("akun.pdf", b"%PDF-1.7\n"),
    ],
    ids=["corrupt-xlsx", "csv-named-xlsx", "latin1-csv", "binary-csv", "pdf"],
)
def test_a_file_that_is_not_the_table_it_claims_cannot_be_counted(name: str, content: bytes) -> None:
    with pytest.raises(UncountableFile):
        count_rows(name, content)


def test_a_csv_with_a_giant_cell_cannot_be_counted() -> None:
    content = b"email,password\nsiti@gmail.com," + b"x" * 200_000 + b"\n"

    with pytest.raises(UncountableFile):
        count_rows("akun.csv", content)


# ----- reading a file from an order's folder -----


def test_fetch_gives_the_bytes_of_a_listed_file(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    content = _accounts(3)
    (tmp_path / "drive" / "INV-0001" / "kiriman").mkdir(parents=True)
    (tmp_path / "drive" / "INV-0001" / "kiriman" / "akun-gmail.csv").write_bytes(content)

    (found,) = folders.list_files(["INV-0001"])["INV-0001"]

    assert found.name == "kiriman/akun-gmail.csv"
    assert found.md5 == hashlib.md5(content).hexdigest()
    assert folders.fetch("INV-0001", found) == content


@pytest.mark.parametrize("name", ["../INV-0002/akun.csv", "{root}/INV-0002/akun.csv", "akun-link.csv"])
def test_fetch_refuses_a_file_outside_the_order_folder(tmp_path: Path, name: str) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    (tmp_path / "drive" / "INV-0001").mkdir(parents=True)
    (tmp_path / "drive" / "INV-0002").mkdir(parents=True)
    other = tmp_path / "drive" / "INV-0002" / "akun.csv"
    other.write_bytes(_accounts(2, password=PLANTED))
    (tmp_path / "drive" / "INV-0001" / "akun-link.csv").symlink_to(other)
    name = name.format(root=tmp_path / "drive")

    with pytest.raises(AdapterError, match="outside the folder of INV-0001"):
        folders.fetch("INV-0001", FoundFile(name, 10, f"{name}:x"))


# ----- notes, end to end -----


def test_a_team_note_reaches_the_history_the_crm_and_the_buyer(dispatched: Deps, home: Path) -> None:
    _drop(home, "INV-0002", "CATATAN.txt", NOTE.encode())
    _drop(home, "INV-0002", "followers.png", PNG)

    assert _run_all(dispatched) == ["INV-0002"]

    assert _team_comments(dispatched, "INV-0002") == [f"Catatan tim (CATATAN.txt): {NOTE_CLEAN}"]
    assert _crm_row(dispatched, "INV-0002")["Catatan Tim"] == NOTE_CLEAN
    (message,) = _eml(home, "INV-0002", "completed")
    body = message.get_body(("plain",)).get_content()
    assert message["To"] == "budi.santoso@yahoo.co.id"
    assert "Catatan dari tim kami:" in body and "Notes from our team:" in body
    assert "Followers masuk bertahap dalam 2x24 jam." in body
    assert "Jangan ubah akun ke privat dulu ya 🙏" in body


def test_a_note_for_a_service_that_keeps_notes_inside_does_not_reach_the_buyer(
    dispatched: Deps, home: Path
) -> None:
    _drop(home, "INV-0001", "CATATAN.txt", NOTE.encode())
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))

    assert _run_all(dispatched) == ["INV-0001"]

    assert _team_comments(dispatched, "INV-0001") == [f"Catatan tim (CATATAN.txt): {NOTE_CLEAN}"]
    assert _crm_row(dispatched, "INV-0001")["Catatan Tim"] == NOTE_CLEAN
    (message,) = _eml(home, "INV-0001", "completed")
    body = message.get_body(("plain",)).get_content()
    assert "akun-gmail.csv" in body
    assert "Followers masuk bertahap" not in body
    assert "Catatan dari tim kami" not in body and "Notes from our team" not in body


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (PNG + b"\x00\x00\x00\rIHDR", "Catatan bukan teks (file biner) / The note is not text (binary file)"),
        (
            "Revisi warna tombol sudah, café buka".encode("cp1252"),
            "Catatan tidak bisa dibaca sebagai UTF-8 / The note cannot be read as UTF-8",
        ),
    ],
    ids=["binary", "cp1252"],
)
def test_an_unreadable_note_is_refused_in_the_history_and_kept_out_of_the_crm(
    dispatched: Deps, home: Path, content: bytes, why: str
) -> None:
    _drop(home, "INV-0003", "notes.txt", content)
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n% toko kue online\n")

    assert _run_all(dispatched) == ["INV-0003"]

    three = dispatched.store.get("INV-0003")
    assert f"Catatan ditolak: notes.txt — {why}" in [h.comment for h in three.history]
    assert three.team_notes == []
    row = _crm_row(dispatched, "INV-0003")
    assert row["Catatan Tim"] == ""
    assert "notes.txt" not in row["Bukti"] and "landing-page.pdf" in row["Bukti"]
    assert "notes.txt" not in (home / "crm.csv").read_text(encoding="utf-8")


def test_a_huge_note_is_cut_at_the_limit(dispatched: Deps, home: Path) -> None:
    huge = ("Langkah pengerjaan: cek akun, login, verifikasi. " * 200)[:6000]
    _drop(home, "INV-0003", "CATATAN.txt", huge.encode())
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n")

    _run_all(dispatched)

    expected = huge[:5000] + CUT_MARKER
    assert _team_comments(dispatched, "INV-0003") == [f"Catatan tim (CATATAN.txt): {expected}"]
    assert _crm_row(dispatched, "INV-0003")["Catatan Tim"] == expected


def test_a_note_after_completion_is_recorded_and_nobody_is_written_to(dispatched: Deps, home: Path) -> None:
    _drop(home, "INV-0002", "followers.png", PNG)
    assert _run_all(dispatched) == ["INV-0002"]
    outbox = _outbox(home)
    messages = len(dispatched.store.messages())
    assert "INV-0002.completed.eml" in outbox

    _drop(home, "INV-0002", "catatan.TXT", b"Ada 20 followers bonus, sudah masuk juga.\n")
    _run_all(dispatched)
    _run_all(dispatched)

    two = dispatched.store.get("INV-0002")
    assert two.status == S.COMPLETED
    assert _team_comments(dispatched, "INV-0002") == [
        "Catatan tim (catatan.TXT): Ada 20 followers bonus, sudah masuk juga."
    ]
    row = _crm_row(dispatched, "INV-0002")
    assert row["Catatan Tim"] == "Ada 20 followers bonus, sudah masuk juga."
    assert row["Status"] == "completed"
    assert _outbox(home) == outbox
    assert len(dispatched.store.messages()) == messages


# ----- counted deliverables, end to end -----


def test_a_short_delivery_waits_tells_the_division_once_then_a_full_one_completes(
    dispatched: Deps, home: Path
) -> None:
    short = _drop(home, "INV-0001", "akun-gmail.csv", _accounts(8))

    _judge_and_record(dispatched)
    _judge_and_record(dispatched)

    one = dispatched.store.get("INV-0001")
    assert one.status == S.DISPATCHED
    assert f"Bukti ditolak: akun-gmail.csv — {SHORT_REASON}" in [h.comment for h in one.history]
    assert detail(one)["deliverables"] == [
        {
            "file": "akun-gmail.csv",
            "count": 8,
            "md5": hashlib.md5(short).hexdigest(),
            "accepted": False,
            "reason": SHORT_REASON,
        }
    ]
    (rejected,) = _rejections(dispatched, "INV-0001")
    assert rejected.recipient == "tim-akun@localhost"
    assert "akun-gmail.csv" in rejected.body and SHORT_REASON in rejected.body
    assert "INV-0001" in proofs.orders_to_watch(dispatched)
    assert [r for r in dispatched.crm.rows() if r["ID Order"] == "INV-0001"] == []

    full = _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))
    assert _run_all(dispatched) == ["INV-0001"]

    assert dispatched.store.get("INV-0001").status == S.COMPLETED
    (sent,) = _eml(home, "INV-0001", "proof_rejected")
    assert sent["To"] == "tim-akun@localhost" and SHORT_REASON in sent.get_content()
    assert len(_rejections(dispatched, "INV-0001")) == 1
    row = _crm_row(dispatched, "INV-0001")
    assert row["Jumlah Terkirim"] == "10"
    assert hashlib.md5(full).hexdigest() in row["Bukti"]
    assert hashlib.md5(short).hexdigest() not in row["Bukti"]
    assert "akun-gmail.csv (10, md5 " in row["Bukti"]


def test_an_over_delivery_completes_with_a_note_that_it_is_more(dispatched: Deps, home: Path) -> None:
    _drop(
        home,
        "INV-0001",
        "akun-gmail.xlsx",
        _workbook([["email", "password"]] + [[f"a{i}", "p"] for i in range(12)]),
    )

    assert _run_all(dispatched) == ["INV-0001"]

    one = dispatched.store.get("INV-0001")
    assert any("Lebih: 12 dari 10 akun / 12 of 10 accounts" in h.comment for h in one.history)
    assert _rejections(dispatched, "INV-0001") == []
    assert _crm_row(dispatched, "INV-0001")["Jumlah Terkirim"] == "12"


def test_an_uncountable_accounts_file_is_refused_and_the_division_told(dispatched: Deps, home: Path) -> None:
    _drop(home, "INV-0001", "akun-gmail.xlsx", b"PK\x03\x04 broken export")

    _run_all(dispatched)

    one = dispatched.store.get("INV-0001")
    assert one.status == S.DISPATCHED
    (rejected,) = _rejections(dispatched, "INV-0001")
    assert "File tidak bisa dihitung" in rejected.body and "cannot be counted" in rejected.body


def test_one_unreadable_accounts_file_does_not_hold_up_other_orders(dispatched: Deps, home: Path) -> None:
    _drop(home, "INV-0001", "akun-gmail.csv", b"email,password\nsiti@gmail.com," + b"x" * 200_000 + b"\n")
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n")

    _run_all(dispatched)

    assert dispatched.store.get("INV-0003").status == S.COMPLETED
    assert dispatched.store.get("INV-0001").status == S.DISPATCHED
    assert len(_rejections(dispatched, "INV-0001")) == 1


def test_delivered_passwords_are_kept_nowhere(dispatched: Deps, home: Path) -> None:
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(8, password=PLANTED))
    _run_all(dispatched)
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10, password=PLANTED))
    _drop(home, "INV-0001", "CATATAN.txt", b"Semua akun pakai password yang sama, lihat file.\n")
    _run_all(dispatched)

    one = dispatched.store.get("INV-0001")
    assert one.status == S.COMPLETED
    assert len(_rejections(dispatched, "INV-0001")) == 1  # the short file went through the rejection too
    planted = PLANTED.encode()
    assert planted in (home / "drive" / "INV-0001" / "akun-gmail.csv").read_bytes()

    assert planted not in (home / "crm.csv").read_bytes()
    outbox = list((home / "outbox").rglob("*"))
    assert len([p for p in outbox if p.suffix == ".eml"]) >= 3
    # The accounts reach the buyer, in the completion email's attachment, and no other message.
    holding = [p.name for p in outbox if p.is_file() and planted in _decoded(p)]
    assert holding == ["INV-0001.completed.eml"]
    (completed,) = _eml(home, "INV-0001", "completed")
    assert completed["To"] == "siti.nurhaliza@gmail.com"
    assert planted not in completed.get_body(("plain",)).get_content().encode()
    databases = sorted(home.glob("fulfil.db*"))
    assert home / "fulfil.db" in databases
    assert [p.name for p in databases if planted in p.read_bytes()] == []
    assert all(PLANTED not in m.body and PLANTED not in m.subject for m in dispatched.store.messages())
    for order in dispatched.store.list():
        assert PLANTED not in json.dumps(detail(order), ensure_ascii=False)
        assert all(PLANTED not in h.comment for h in order.history)


# ----- hostile folders: symlinks, devices, FIFOs are never followed or read -----


def _everything_written(svc: Deps, home: Path) -> str:
    """All a buyer, the team or the CRM could ever see: messages, CRM, histories, proofs."""
    texts = [p.read_text(errors="replace") for p in (home / "outbox").glob("*.eml")]
    if (home / "crm.csv").exists():
        texts.append((home / "crm.csv").read_text(errors="replace"))
    for order in svc.store.list():
        texts += [h.comment for h in order.history] + [f"{p.name} {p.link}" for p in order.proofs]
    return "\n".join(texts)


def test_a_symlinked_proof_a_symlinked_folder_and_a_fifo_are_refused_unread(
    dispatched: Deps, tmp_path: Path
) -> None:
    svc, home = dispatched, dispatched.settings.home
    secret = tmp_path / "outside" / "server-secret.png"
    secret.parent.mkdir()
    secret.write_bytes(PNG + PLANTED.encode())
    (tmp_path / "outside" / "CATATAN.txt").write_text(PLANTED)
    # INV-0002 (Instagram followers: a PNG is its proof): the "proof" and the "note" are links
    # to files outside; INV-0003: a FIFO that would block any reader; INV-0010's whole folder
    # is replaced by a link to a folder outside.
    (home / "drive" / "INV-0002" / "bukti.png").symlink_to(secret)
    (home / "drive" / "INV-0002" / "CATATAN.txt").symlink_to(tmp_path / "outside" / "CATATAN.txt")
    (home / "drive" / "INV-0002" / "kiriman").symlink_to(tmp_path / "outside", target_is_directory=True)
    os.mkfifo(home / "drive" / "INV-0003" / "bukti.pdf")
    for name in os.listdir(home / "drive" / "INV-0010"):
        (home / "drive" / "INV-0010" / name).unlink()
    (home / "drive" / "INV-0010").rmdir()
    (home / "drive" / "INV-0010").symlink_to(tmp_path / "outside", target_is_directory=True)

    _run_all(svc)

    for order_id in ("INV-0002", "INV-0003", "INV-0010"):
        assert svc.store.get(order_id).status == S.DISPATCHED, order_id
    refused = {p.name: p.reason for p in svc.store.get("INV-0002").proofs}
    assert set(refused) == {"bukti.png", "CATATAN.txt", "kiriman"}
    assert all("Not a regular file" in reason for reason in refused.values())
    assert [p.name for p in svc.store.get("INV-0003").proofs] == ["bukti.pdf"]
    assert svc.store.get("INV-0010").proofs == []  # a linked folder is not looked into at all
    written = _everything_written(svc, home)
    assert PLANTED not in written and "file://" + str(secret) not in written
    # The division hears once per refused file, and not again on the next pass.
    rejected = len(_rejections(svc, "INV-0002"))
    _run_all(svc)
    assert len(_rejections(svc, "INV-0002")) == rejected == 3
