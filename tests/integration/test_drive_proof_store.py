"""The Drive proof store over HTTP: the real googleapiclient against the loopback fake Google."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.core.status import OrderStatus as S
from fulfil.testing.fake_google import FOLDER_MIME, FakeGoogle
from fulfil.usecases import pipeline, proofs
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from integrations.gdrive.drive import ORDER_KEY, README, DriveProofFolders
from integrations.google.clients import google_api, load_credentials
from integrations.google.retry import GoogleApiError
from integrations.ports import ProofFolderSpec
from tests.conftest import EXAMPLES, NOW
from tests.google_fixtures import FAST, dispatch_the_example, services_on_drive


def _drive(fake: FakeGoogle, key_json: str, root: str) -> DriveProofFolders:
    creds = load_credentials(key_json=key_json, api_url=fake.base_url)
    return DriveProofFolders(lambda: google_api("drive", "v3", creds, fake.base_url), root, policy=FAST)


@pytest.fixture
def root(fake: FakeGoogle) -> str:
    return fake.add_folder("Bukti Pesanan Toko")


@pytest.fixture
def drive(fake: FakeGoogle, key_json: str, root: str) -> DriveProofFolders:
    return _drive(fake, key_json, root)


def _spec(order_id: str = "INV-0001") -> ProofFolderSpec:
    return ProofFolderSpec(order_id, f"{order_id} · Akun Gmail baru", "Taruh bukti di sini.")


def _order_folders(fake: FakeGoogle, root: str) -> list[dict]:
    return [
        f
        for f in fake.files()
        if f["mimeType"] == FOLDER_MIME and root in f.get("parents", []) and not f.get("trashed")
    ]


def test_a_rerun_finds_the_folder_it_made_and_never_makes_a_second(fake, drive, root) -> None:
    first = drive.ensure_folder(_spec())
    again = drive.ensure_folder(_spec())

    folders = _order_folders(fake, root)
    assert first == again
    assert [f["name"] for f in folders] == ["INV-0001 · Akun Gmail baru"]
    assert folders[0]["appProperties"] == {ORDER_KEY: "INV-0001"}
    readmes = [f for f in fake.files() if f["name"] == README and folders[0]["id"] in f["parents"]]
    assert len(readmes) == 1
    assert fake.file_content(readmes[0]["id"]) == b"Taruh bukti di sini."


def test_a_folder_made_before_a_crash_gets_its_readme_on_the_rerun(fake, key_json, root) -> None:
    made = fake.add_folder("INV-0002 · x", root, app_properties={ORDER_KEY: "INV-0002"})

    _drive(fake, key_json, root).ensure_folder(_spec("INV-0002"))

    assert [f["id"] for f in _order_folders(fake, root)] == [made]
    assert [f["name"] for f in fake.files() if made in f.get("parents", [])] == [README]


def test_the_feed_sees_what_a_drive_trigger_misses(fake, drive, root) -> None:
    drive.ensure_folder(_spec("INV-0001"))
    drive.ensure_folder(_spec("INV-0002"))
    drive.ensure_folder(_spec("INV-0003"))
    start = drive.changes(None)
    assert start.order_ids is None and start.cursor  # first poll: list everything, keep a token

    elsewhere = fake.add_folder("Unggahan tim")
    moved = fake.add_file("bukti.png", b"\x89PNG-1", elsewhere)
    fake.move(moved, drive.folder_id("INV-0001") or "")
    fake.copy(fake.add_file("bukti.pdf", b"%PDF", elsewhere), drive.folder_id("INV-0002") or "")
    old = datetime(2020, 1, 1, tzinfo=UTC)  # the desktop sync client keeps the file's old time
    sub = fake.add_folder("dari HP", drive.folder_id("INV-0003"))
    fake.add_file("foto1.jpg", b"a", sub, created_time=old)
    fake.add_file("foto2.jpg", b"b", sub, created_time=old)
    before = fake.calls("drive")

    feed = drive.changes(start.cursor)

    assert feed.order_ids == {"INV-0001", "INV-0002", "INV-0003"}
    listed = drive.list_files(["INV-0001", "INV-0002", "INV-0003"])
    assert [f.name for f in listed["INV-0001"]] == ["bukti.png"]
    assert [f.name for f in listed["INV-0002"]] == ["Copy of bukti.pdf"]  # as Drive names a copy
    assert sorted(f.name for f in listed["INV-0003"]) == ["dari HP/foto1.jpg", "dari HP/foto2.jpg"]
    # A quiet feed afterwards: one call, nothing touched.
    after = drive.changes(feed.cursor)
    assert after.order_ids == frozenset() and fake.calls("drive") > before


def test_one_feed_call_per_poll_whatever_the_number_of_waiting_orders(fake, drive) -> None:
    for n in range(1, 41):
        drive.ensure_folder(_spec(f"INV-{n:04d}"))
    cursor = drive.changes(None).cursor
    fake.add_file("bukti.png", b"x", drive.folder_id("INV-0007") or "")
    fake.clear_requests()

    feed = drive.changes(cursor)

    feed_calls = [r for r in fake.requests if r.path.endswith("/drive/v3/changes")]
    assert len(feed_calls) == 1
    assert feed.order_ids == {"INV-0007"}


def test_an_expired_token_falls_back_to_a_full_listing(fake, drive) -> None:
    drive.ensure_folder(_spec())
    cursor = drive.changes(None).cursor
    fake.add_file("bukti.png", b"x", drive.folder_id("INV-0001") or "")
    fake.expire_change_tokens()  # e.g. fulfil was off for longer than Drive keeps changes

    feed = drive.changes(cursor)

    assert feed.order_ids is None and feed.cursor and feed.cursor != cursor


def test_hostile_file_names_are_listed_and_read_by_id(fake, drive) -> None:
    drive.ensure_folder(_spec())
    folder = drive.folder_id("INV-0001") or ""
    names = ["../x", "bukti\u202egpj.exe", "a" * 300 + ".png", "nul\x00byte.png"]
    for i, name in enumerate(names):
        fake.add_file(name, f"isi-{i}".encode(), folder)

    found = drive.list_files(["INV-0001"])["INV-0001"]

    assert sorted(f.name for f in found) == sorted(names)
    contents = {drive.fetch("INV-0001", f) for f in found}
    assert contents == {f"isi-{i}".encode() for i in range(len(names))}


def test_a_denied_folder_is_a_clear_error_and_doctor_says_how_to_fix_it(fake, drive, root) -> None:
    fake.deny(root)
    with pytest.raises(GoogleApiError) as caught:
        drive.ensure_folder(_spec())
    assert caught.value.status == 403 and not caught.value.retryable
    assert "share" in str(caught.value)
    assert any("share" in p for p in drive.check())


def test_throttling_and_server_errors_are_retried_to_success(fake, drive) -> None:
    fake.inject("*", status=503, rate=0.2)
    fake.inject("*", status=429, rate=0.1, retry_after=0)
    for n in range(1, 11):
        drive.ensure_folder(_spec(f"INV-{n:04d}"))
    fake.clear_faults()
    assert (
        len(
            [
                f
                for f in fake.files()
                if f["mimeType"] == FOLDER_MIME and ORDER_KEY in (f.get("appProperties") or {})
            ]
        )
        == 10
    )
    assert any(r.fault for r in fake.requests)


# ----- the pipeline's proof steps on Drive (local store, CRM and outbox) -----


@pytest.fixture
def on_drive(fake, key_json, root, home: Path) -> Iterator[Deps]:
    svc = services_on_drive(fake, key_json, root, home)
    svc.proofs.policy = FAST  # type: ignore[attr-defined]
    svc.clock = lambda: NOW
    dispatch_the_example(svc, EXAMPLES / "orders.csv")
    yield svc
    svc.close()


def _watch(svc: Deps) -> list[str]:
    return pipeline.watch(DirectSteps(svc))


def _accounts(n: int) -> bytes:
    return ("email\n" + "".join(f"akun{i}@gmail.com\n" for i in range(n))).encode()


def test_dispatch_links_the_drive_folder_in_the_work_order(on_drive: Deps) -> None:
    msg = next(m for m in on_drive.store.messages("INV-0001") if m.kind == "dispatch")
    assert "https://drive.google.com/drive/folders/" in msg.body


def test_the_page_token_survives_a_restart_between_reading_and_processing(
    on_drive: Deps,
    fake,
    key_json,
    root,
) -> None:
    _watch(on_drive)  # first poll: full listing, token kept
    folder = on_drive.proofs.folder_id("INV-0002")  # type: ignore[attr-defined]
    fake.add_file("screenshot.png", b"\x89PNG" + b"1" * 50, folder)
    proofs.scan_proof_folders(on_drive, proofs.orders_to_watch(on_drive))  # read... then killed

    restarted = bootstrap.build(on_drive.settings)  # a new process: fresh caches, same store
    restarted.proofs.policy = FAST  # type: ignore[attr-defined]
    restarted.clock = lambda: NOW
    _watch(restarted)
    _watch(restarted)

    two = restarted.store.get("INV-0002")
    assert two.status == S.COMPLETED
    assert [p.name for p in two.accepted_proofs] == ["screenshot.png"]
    assert [m.kind for m in restarted.store.messages("INV-0002")].count("completed") == 1


def test_a_proof_trashed_before_recording_sends_the_order_back_to_waiting(on_drive: Deps, fake) -> None:
    _watch(on_drive)
    folder = on_drive.proofs.folder_id("INV-0003")  # type: ignore[attr-defined]
    proof = fake.add_file("serah-terima.pdf", b"%PDF-1.4 ok", folder)
    scan = proofs.scan_proof_folders(on_drive, proofs.orders_to_watch(on_drive))
    proofs.judge_proofs(on_drive, scan.found)
    proofs.save_cursor(on_drive, scan.cursor)
    assert on_drive.store.get("INV-0003").status == S.PROOF_RECEIVED

    fake.trash(proof)  # the team took it back before fulfil wrote the CRM row
    scan = proofs.scan_proof_folders(on_drive, proofs.orders_to_watch(on_drive))
    proofs.judge_proofs(on_drive, scan.found)

    three = on_drive.store.get("INV-0003")
    assert three.status == S.DISPATCHED
    assert "ditarik" in three.history[-1].comment.lower()
    assert three.accepted_proofs == []


def test_a_drive_shortcut_named_like_a_proof_is_refused_unread(on_drive: Deps, fake) -> None:
    # Drive's symlink: a shortcut in the order's folder pointing at another order's accounts.
    other = fake.add_file("akun-gmail.csv", _accounts(10), on_drive.proofs.folder_id("INV-0008") or "")  # type: ignore[attr-defined]
    folder = on_drive.proofs.folder_id("INV-0002")  # type: ignore[attr-defined]
    fake.add_file(
        "bukti.png",
        b"",
        folder or "",
        mime_type="application/vnd.google-apps.shortcut",
        app_properties={"target": other},
    )

    _watch(on_drive)

    order = on_drive.store.get("INV-0002")
    assert order.status == S.DISPATCHED
    assert [(p.name, p.accepted, "Not a regular file" in p.reason) for p in order.proofs] == [
        ("bukti.png", False, True)
    ]
