"""LocalProofFolders on a real folder tree: one folder per order, only finished proof files listed."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import pytest

from integrations.gdrive.local_folder import LocalProofFolders
from integrations.ports import AdapterError, ProofFolderSpec

README_TEXT = "FOLDER BUKTI — ORDER INV-0001\nTaruh bukti selesai (csv, xlsx, pdf) di sini. ✅\n"


def _spec(order_id: str = "INV-0001", readme: str = README_TEXT) -> ProofFolderSpec:
    return ProofFolderSpec(order_id, f"{order_id} · Akun Gmail baru (siap pakai)", readme)


def _names(folders: LocalProofFolders, order_id: str = "INV-0001") -> list[str]:
    return [f.name for f in folders.list_files([order_id])[order_id]]


def test_a_folder_is_made_once_with_its_readme(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")

    link = folders.ensure_folder(_spec())
    folder = tmp_path / "drive" / "INV-0001"
    readme = folder / "README.txt"
    written_at = readme.stat().st_mtime_ns
    again = folders.ensure_folder(_spec(readme="a different README the second time"))

    assert link == again == folder.resolve().as_uri()
    assert readme.read_text(encoding="utf-8") == README_TEXT
    assert readme.stat().st_mtime_ns == written_at
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt"]
    assert sorted(p.name for p in (tmp_path / "drive").iterdir()) == ["INV-0001"]


def test_a_readme_the_team_edited_is_left_alone(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec())
    readme = tmp_path / "drive" / "INV-0001" / "README.txt"
    readme.write_text(README_TEXT + "Catatan Rina: akun dikirim via CSV\n", encoding="utf-8")

    folders.ensure_folder(_spec())

    assert readme.read_text(encoding="utf-8").endswith("Catatan Rina: akun dikirim via CSV\n")


def test_only_finished_proof_files_are_listed(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec())
    folder = tmp_path / "drive" / "INV-0001"
    (folder / "akun-gmail.csv").write_bytes(b"email,password\nsiti.toko01@gmail.com,rahasia\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "rekap.xlsx.crdownload").write_bytes(b"PK\x03\x04")
    (folder / "video-bukti.mp4.part").write_bytes(b"\x00" * 64)
    (folder / "~catatan.TMP").write_bytes(b"draft")
    (folder / "screenshot").mkdir()
    (folder / "screenshot" / "login berhasil.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (folder / "screenshot" / ".hidden.png").write_bytes(b"\x89PNG")
    (folder / ".sync").mkdir()
    (folder / ".sync" / "state.png").write_bytes(b"\x89PNG")
    (folder / "screenshot" / "lebih-dalam").mkdir()
    (folder / "screenshot" / "lebih-dalam" / "terlalu-dalam.png").write_bytes(b"\x89PNG")

    found = folders.list_files(["INV-0001"])["INV-0001"]

    assert [f.name for f in found] == ["akun-gmail.csv", "screenshot/login berhasil.png"]
    csv_file, png_file = found
    assert csv_file.size == len(b"email,password\nsiti.toko01@gmail.com,rahasia\n")
    assert png_file.size == 108
    md5 = hashlib.md5(b"email,password\nsiti.toko01@gmail.com,rahasia\n", usedforsecurity=False).hexdigest()
    assert md5 in csv_file.fingerprint
    assert png_file.link == (folder / "screenshot" / "login berhasil.png").resolve().as_uri()


def test_the_fingerprint_follows_the_content(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec())
    proof = tmp_path / "drive" / "INV-0001" / "akun-gmail.csv"
    proof.write_bytes(b"email\nsiti.toko01@gmail.com\n")
    first = folders.list_files(["INV-0001"])["INV-0001"][0].fingerprint
    same = folders.list_files(["INV-0001"])["INV-0001"][0].fingerprint
    # Same size, one letter different: a replaced file is a new proof.
    proof.write_bytes(b"email\nsiti.toko02@gmail.com\n")
    os.utime(proof, (0, 0))
    changed = folders.list_files(["INV-0001"])["INV-0001"][0].fingerprint

    assert first == same
    assert changed != first


def test_an_order_without_a_folder_has_no_files(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    assert folders.list_files(["INV-0404"]) == {"INV-0404": []}


def test_hostile_file_names_are_still_listed(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec())
    folder = tmp_path / "drive" / "INV-0001"
    names = [
        "bukti\u202egnp.exe",  # shows as "buktiexe.png" in a file manager
        "a" * 246 + ".png",
        "Bukti Pengerjaan — Đặng Thu Trang ✅.pdf",
    ]
    for name in names:
        (folder / name).write_bytes(b"%PDF-1.7 bukti")

    assert sorted(_names(folders)) == sorted(names)


@pytest.mark.parametrize("order_id", ["../x", "..", ".", "INV-0001/../../etc", "INV\\0001", ""])
def test_an_order_id_that_would_leave_the_drive_folder_is_refused(tmp_path: Path, order_id: str) -> None:
    folders = LocalProofFolders(tmp_path / "drive")

    with pytest.raises(AdapterError, match="refusing a folder"):
        folders.ensure_folder(_spec(order_id))
    with pytest.raises(AdapterError, match="refusing a folder"):
        folders.list_files([order_id])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_readme_left_missing_or_empty_by_a_crash_is_written_on_the_rerun(tmp_path: Path) -> None:
    # A death between the folder's creation and the README's, or between the README's creation
    # and its one write: the rerun finds the folder and writes the README whole.
    folders = LocalProofFolders(tmp_path / "drive")
    (tmp_path / "drive" / "INV-0001").mkdir(parents=True)
    folders.ensure_folder(_spec())
    (tmp_path / "drive" / "INV-0002").mkdir()
    (tmp_path / "drive" / "INV-0002" / "README.txt").touch()
    folders.ensure_folder(_spec("INV-0002"))

    for order_id in ("INV-0001", "INV-0002"):
        folder = tmp_path / "drive" / order_id
        assert (folder / "README.txt").read_text(encoding="utf-8") == README_TEXT
        assert sorted(p.name for p in folder.iterdir()) == ["README.txt"]


def test_a_batch_of_folders_is_made_by_a_writer_process_while_the_caller_goes_on(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec("INV-0002"))
    (tmp_path / "drive" / "INV-0002" / "README.txt").write_text("Catatan tim\n", encoding="utf-8")

    first = folders.ensure_folders([_spec(f"INV-{n:04d}") for n in range(1, 101)])
    second = folders.ensure_folders([_spec("INV-0101"), _spec("INV-0001", readme="another README")])
    later, earlier = second(), first()  # waited for in any order

    assert earlier == {f"INV-{n:04d}": folders.ensure_folder(_spec(f"INV-{n:04d}")) for n in range(1, 101)}
    assert later == {"INV-0101": folders.ensure_folder(_spec("INV-0101")), "INV-0001": earlier["INV-0001"]}
    drive = tmp_path / "drive"
    assert len(list(drive.iterdir())) == 101
    assert (drive / "INV-0001" / "README.txt").read_text(encoding="utf-8") == README_TEXT
    assert (drive / "INV-0002" / "README.txt").read_text(encoding="utf-8") == "Catatan tim\n"
    assert all(sorted(p.name for p in f.iterdir()) == ["README.txt"] for f in drive.iterdir())


def test_a_folder_the_writer_cannot_make_fails_its_batch_with_the_order_named(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    (tmp_path / "drive").mkdir()
    (tmp_path / "drive" / "INV-0002").write_text("a file where the folder goes", encoding="utf-8")
    with pytest.raises(AdapterError, match="/etc"):
        folders.ensure_folders([_spec("/etc")])  # refused before anything is made
    waiting = folders.ensure_folders([_spec("INV-0001"), _spec("INV-0002")])

    with pytest.raises(AdapterError, match=r"proof folders not made: INV-0002: NotADirectoryError") as failed:
        waiting()
    assert failed.value.retryable
    assert (tmp_path / "drive" / "INV-0001" / "README.txt").read_text(encoding="utf-8") == README_TEXT


def test_a_writer_killed_with_a_batch_under_way_is_an_error_to_retry_and_the_next_starts_anew(
    tmp_path: Path,
) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folders([_spec("INV-0001")])()
    writer = folders._writer
    assert writer is not None
    os.kill(writer._proc.pid, signal.SIGSTOP)  # it cannot answer the batch sent now
    waiting = folders.ensure_folders([_spec("INV-0002")])
    os.kill(writer._proc.pid, signal.SIGKILL)

    with pytest.raises(AdapterError, match="folder writer stopped") as stopped:
        waiting()
    assert stopped.value.retryable
    assert folders.ensure_folders([_spec("INV-0002")])() == {
        "INV-0002": folders.ensure_folder(_spec("INV-0002"))
    }
    assert folders._writer is not writer


def test_the_writer_process_ends_when_its_folders_are_closed_or_dropped(tmp_path: Path) -> None:
    closed = LocalProofFolders(tmp_path / "drive")
    closed.ensure_folders([_spec("INV-0001")])  # not waited for
    assert closed._writer is not None
    proc = closed._writer._proc
    closed.close()  # the batch it has is finished first
    assert proc.poll() == 0
    assert (tmp_path / "drive" / "INV-0001" / "README.txt").read_text(encoding="utf-8") == README_TEXT

    dropped = LocalProofFolders(tmp_path / "drive")
    dropped.ensure_folders([_spec("INV-0002")])()
    assert dropped._writer is not None
    proc = dropped._writer._proc
    del dropped
    assert proc.wait(timeout=10) == 0
