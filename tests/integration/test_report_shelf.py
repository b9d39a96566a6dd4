"""The report on Drive: the real googleapiclient against the loopback fake Google. Reruns leave one
`Laporan` folder and one copy of each file, holding the newest contents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fulfil.testing.fake_google import FOLDER_MIME, FakeGoogle
from fulfil.usecases import intake
from fulfil.usecases.deps import Deps
from fulfil.usecases.report import write_report
from integrations.gdrive.drive_reports import REPORTS_KEY, DriveReportShelf
from tests.conftest import EXAMPLES, NOW
from tests.google_fixtures import FAST, services_on_drive

NAMES = ["report-2026-11-23.csv", "report-2026-11-23.md", "report-2026-11-23.png"]


@pytest.fixture
def root(fake: FakeGoogle) -> str:
    return fake.add_folder("Bukti Pesanan Toko")


@pytest.fixture
def on_drive(fake: FakeGoogle, key_json: str, root: str, home: Path) -> Iterator[Deps]:
    svc = services_on_drive(fake, key_json, root, home)
    _shelf(svc).policy = FAST
    svc.clock = lambda: NOW
    yield svc
    svc.store.engine.dispose()


def _shelf(svc: Deps) -> DriveReportShelf:
    assert isinstance(svc.report_shelf, DriveReportShelf)  # Google configured: the Drive shelf
    return svc.report_shelf


def _live(fake: FakeGoogle, parent: str) -> list[dict]:
    return [f for f in fake.files() if parent in f.get("parents", []) and not f.get("trashed")]


def _report_folders(fake: FakeGoogle, root: str) -> list[dict]:
    return [f for f in _live(fake, root) if f["mimeType"] == FOLDER_MIME and f["name"] == "Laporan"]


def test_two_runs_leave_one_folder_and_one_copy_of_each_file_with_the_newest_contents(
    on_drive: Deps, fake: FakeGoogle, root: str
) -> None:
    first = write_report(on_drive)
    first_calls = fake.calls("drive")
    intake.ingest(on_drive, intake.rows_of(on_drive, on_drive.source(EXAMPLES / "orders.csv").read()))
    fake.clear_requests()
    second = write_report(on_drive, since=timedelta(days=14))  # same day, new numbers
    drive_calls = [r for r in fake.requests if r.api == "drive"]

    (folder,) = _report_folders(fake, root)
    assert folder["appProperties"] == {REPORTS_KEY: "1"}
    files = _live(fake, folder["id"])
    assert sorted(f["name"] for f in files) == NAMES
    for f in files:
        local = second.markdown.parent / f["name"]
        assert fake.file_content(f["id"]) == local.read_bytes()
    by_name = {f["name"]: f for f in files}
    assert by_name[NAMES[2]]["mimeType"] == "image/png"
    assert by_name[NAMES[1]]["mimeType"] == "text/markdown"
    assert b"INV-0001" in fake.file_content(by_name[NAMES[0]]["id"])  # the second run's, not the first's
    assert second.links == first.links  # replaced in place: the links people saved still work
    assert second.links[NAMES[2]] == by_name[NAMES[2]]["webViewLink"]
    # The first run: look for the folder by tag and by name, reserve four IDs in one call (each
    # create carries its own, so a retried create never doubles a file), make the folder, list
    # it, upload three files.
    assert first_calls == 8
    # The rerun: find the folder, list it, replace three files (PATCH to /upload/, media only).
    assert len(drive_calls) == 5
    assert [r.method for r in drive_calls[2:]] == ["PATCH"] * 3
    assert all(r.path.startswith("/upload/drive/v3/files/") for r in drive_calls[2:])


def test_a_laporan_folder_a_person_made_is_used_and_duplicates_in_it_are_trashed(
    on_drive: Deps, fake: FakeGoogle, root: str
) -> None:
    theirs = fake.add_folder("Laporan", root)
    fake.add_file(NAMES[0], b"old,csv\n", theirs, mime_type="text/csv")
    fake.add_file(NAMES[0], b"older,csv\n", theirs, mime_type="text/csv")  # uploaded twice by hand
    fake.add_file("catatan-manajer.txt", b"keep me", theirs, mime_type="text/plain")

    made = write_report(on_drive)

    assert [f["id"] for f in _report_folders(fake, root)] == [theirs]
    files = _live(fake, theirs)
    assert sorted(f["name"] for f in files) == sorted([*NAMES, "catatan-manajer.txt"])
    (csv,) = [f for f in files if f["name"] == NAMES[0]]
    assert fake.file_content(csv["id"]) == made.csv.read_bytes()


def test_the_folder_fulfil_made_is_found_again_after_a_person_renames_it(
    on_drive: Deps, fake: FakeGoogle, root: str
) -> None:
    write_report(on_drive)
    (folder,) = _report_folders(fake, root)
    # The fake has no rename helper: rename it over the API, as a person's Drive app would.
    _shelf(on_drive).drive.files().update(fileId=folder["id"], body={"name": "Laporan 2026"}).execute()

    write_report(on_drive)

    folders = [f for f in _live(fake, root) if f["mimeType"] == FOLDER_MIME]
    assert [f["name"] for f in folders] == ["Laporan 2026"]
    assert sorted(f["name"] for f in _live(fake, folder["id"])) == NAMES
