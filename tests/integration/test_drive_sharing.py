"""Handing deliverables over: each file shared with the buyer's Google account as reader, and
withdrawn later. The real googleapiclient against the loopback fake Google, which answers sharing
as strictly as Drive does (no silent share with an address that has no Google account, only those
who may share may share); the local twin hands out file:// links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from googleapiclient.errors import HttpError

from fulfil.core.handover import FoundFile
from fulfil.testing.fake_google import SHOP_USER, FakeGoogle
from integrations.gdrive.drive import DriveProofFolders
from integrations.gdrive.local_folder import LocalProofFolders
from integrations.google.clients import google_api, load_credentials
from integrations.google.retry import GoogleApiError
from integrations.ports import AdapterError, ShareRefused
from tests.integration import test_drive_proof_store as proof_store

# The proof-store tests' fixtures and helpers: the shop's shared folder, the adapter signed in as
# the shop, an order's folder spec.
root = proof_store.root
drive = proof_store.drive
_drive = proof_store._drive
_spec = proof_store._spec

BUYER = "budi.santoso@gmail.com"
TEAM = "tim.teknis@gmail.com"  # uploads the deliverables in the browser: the files are the team's
HELPER = "kasir.toko@gmail.com"
COLLEAGUE = "rekan.tim@gmail.com"
ORDER = "INV-0001"
NO_ACCOUNT = (
    'Bad Request. User message: "You are trying to invite budi@yahoo.co.id. Since there is no Google '
    'account associated with this email address, you must check the "Notify people" box to invite '
    'this recipient."'
)


def _file_id(found: FoundFile) -> str:
    return found.fingerprint.split(":", 1)[0]


@pytest.fixture
def order(fake: FakeGoogle, drive: DriveProofFolders) -> dict[str, Any]:
    """INV-0001's folder (the shop's) holding two deliverables and the team's own notes."""
    drive.ensure_folder(_spec(ORDER))
    folder = drive.folder_id(ORDER) or ""
    fake.set_browser_user(TEAM)
    fake.add_file("akun-gmail.csv", b"email\nakun1@gmail.com\n", folder, mime_type="text/csv")
    fake.add_file("panduan.pdf", b"%PDF-1.4 panduan", folder, mime_type="application/pdf")
    fake.add_file("catatan.txt", b"sandi pemulihan: rahasia", folder, mime_type="text/plain")
    fake.set_browser_user(SHOP_USER)
    found = {f.name: f for f in drive.list_files([ORDER])[ORDER]}
    return {"folder": folder, "files": found, "deliverables": [found["akun-gmail.csv"], found["panduan.pdf"]]}


def _readers(fake: FakeGoogle, file_id: str) -> list[tuple[str, str, str]]:
    return [(p["type"], p["role"], p.get("emailAddress", "")) for p in fake.permissions(file_id)]


def _shop_api(fake: FakeGoogle, key_json: str) -> Any:
    """The shop's own Drive, as a person using it would (here: its sharing dialog)."""
    return google_api(
        "drive", "v3", load_credentials(key_json=key_json, api_url=fake.base_url), fake.base_url
    )


def _permission_posts(fake: FakeGoogle) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/permissions")]


# ----- the Drive adapter -----


def test_each_deliverable_is_shared_with_the_buyer_and_nothing_else(fake, drive, order) -> None:
    fake.clear_requests()

    shared = drive.share(ORDER, order["deliverables"], BUYER)

    ids = [_file_id(f) for f in order["deliverables"]]
    assert [s.name for s in shared] == ["akun-gmail.csv", "panduan.pdf"]
    assert [s.link for s in shared] == [f"https://drive.google.com/file/d/{i}/view?usp=drivesdk" for i in ids]
    for file_id, item in zip(ids, shared, strict=True):
        assert _readers(fake, file_id) == [("user", "reader", BUYER)]
        assert item.grant == f"{file_id}/{fake.permissions(file_id)[0]['id']}"
    # The folder is not shared, so the team's notes beside the deliverables stay private.
    assert fake.permissions(order["folder"]) == []
    assert fake.permissions(_file_id(order["files"]["catatan.txt"])) == []
    # fulfil writes to the buyer itself: Google is never asked to send its own invitation.
    assert [r.query.get("sendNotificationEmail") for r in _permission_posts(fake)] == [["false"], ["false"]]


def test_sharing_again_returns_the_same_grants_and_makes_no_second_permission(fake, drive, order) -> None:
    first = drive.share(ORDER, order["deliverables"], BUYER)

    again = drive.share(ORDER, order["deliverables"], BUYER)

    assert again == first
    for found in order["deliverables"]:
        assert _readers(fake, _file_id(found)) == [("user", "reader", BUYER)]


def test_an_address_without_a_google_account_is_refused_in_one_line_and_nothing_is_shared(
    fake, drive, order
) -> None:
    fake.clear_requests()

    with pytest.raises(ShareRefused) as caught:
        drive.share(ORDER, order["deliverables"], "budi@yahoo.co.id")

    assert str(caught.value) == (
        "budi@yahoo.co.id has no Google account, so Google Drive will not share the files of "
        "INV-0001 with it: fulfil sends them as attachments instead"
    )
    assert caught.value.status == 400 and not caught.value.retryable
    assert all(fake.permissions(_file_id(f)) == [] for f in order["files"].values())
    assert [r.status for r in _permission_posts(fake)] == [400]  # a refusal: not retried


def test_a_workspace_address_with_a_google_account_is_shared(fake, drive, order) -> None:
    fake.add_google_account("budi@tokobudi.co.id")  # the buyer's company runs Google Workspace

    shared = drive.share(ORDER, order["deliverables"][:1], "budi@tokobudi.co.id")

    assert _readers(fake, _file_id(order["deliverables"][0])) == [("user", "reader", "budi@tokobudi.co.id")]
    assert shared[0].name == "akun-gmail.csv"


def test_a_public_link_lets_anyone_with_it_read_and_is_withdrawn_like_a_share(fake, drive, order) -> None:
    (published,) = drive.share(ORDER, order["deliverables"][:1], None)
    file_id = _file_id(order["deliverables"][0])
    (permission,) = [p for p in fake.permissions(file_id) if p["type"] == "anyone"]
    assert (permission["role"], permission["allowFileDiscovery"]) == ("reader", False)  # not searchable
    assert published.link == f"https://drive.google.com/file/d/{file_id}/view?usp=drivesdk"
    assert drive.share(ORDER, order["deliverables"][:1], None)[0].grant == published.grant  # once
    drive.unshare(ORDER, [published.grant])
    assert [p for p in fake.permissions(file_id) if p["type"] == "anyone"] == []


def test_unshare_withdraws_access_and_a_second_unshare_is_no_error(fake, drive, order) -> None:
    shared = drive.share(ORDER, order["deliverables"], BUYER)
    grants = [s.grant for s in shared]

    drive.unshare(ORDER, grants)

    assert all(fake.permissions(_file_id(f)) == [] for f in order["deliverables"])
    drive.unshare(ORDER, grants)  # already gone: nothing to do, no error
    drive.unshare(ORDER, [""])  # a grant made by the local store
    with pytest.raises(AdapterError, match="no Drive grant"):
        drive.unshare(ORDER, ["not-a-grant"])


def test_unshare_leaves_other_peoples_access_alone(fake, drive, order, key_json) -> None:
    deliverable = _file_id(order["deliverables"][0])
    _shop_api(fake, key_json).permissions().create(
        fileId=deliverable,
        body={"type": "user", "role": "writer", "emailAddress": COLLEAGUE},
        sendNotificationEmail=False,
    ).execute()
    shared = drive.share(ORDER, order["deliverables"][:1], BUYER)

    drive.unshare(ORDER, [s.grant for s in shared])

    assert _readers(fake, deliverable) == [("user", "writer", COLLEAGUE)]


@pytest.mark.parametrize(("role", "can_share"), [("reader", False), ("writer", True)])
def test_only_an_account_allowed_to_share_may_hand_files_over(
    fake, key_json, root, order, role: str, can_share: bool
) -> None:
    # The shop let another account into the shared folder: as Viewer, or as Editor.
    _shop_api(fake, key_json).permissions().create(
        fileId=root,
        body={"type": "user", "role": role, "emailAddress": HELPER},
        sendNotificationEmail=False,
    ).execute()
    helper = _drive(fake, json.dumps(fake.authorized_user_info(HELPER)), root)
    fake.clear_requests()

    if can_share:
        helper.share(ORDER, order["deliverables"], BUYER)
        assert all(_readers(fake, _file_id(f)) == [("user", "reader", BUYER)] for f in order["deliverables"])
        return
    with pytest.raises(GoogleApiError) as caught:
        helper.share(ORDER, order["deliverables"], BUYER)
    assert caught.value.status == 403 and not caught.value.retryable
    assert "permission denied" in str(caught.value)
    assert "The user does not have sufficient permissions for this file." in str(caught.value)
    assert all(fake.permissions(_file_id(f)) == [] for f in order["deliverables"])
    assert [r.status for r in _permission_posts(fake)] == [403]  # not retried


# ----- the fake answers sharing as Drive does -----


def _error(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def test_the_fake_refuses_a_silent_share_with_no_google_account_like_drive(fake, key_json, order) -> None:
    api = _shop_api(fake, key_json)
    file_id = _file_id(order["deliverables"][0])
    body = {"type": "user", "role": "reader", "emailAddress": "budi@yahoo.co.id"}

    with pytest.raises(HttpError) as silent:
        api.permissions().create(fileId=file_id, body=body, sendNotificationEmail=False).execute()
    error = _error(silent.value)
    assert (error["code"], error["message"]) == (400, NO_ACCOUNT)
    assert error["errors"][0]["reason"] == "invalidSharingRequest"
    assert fake.permissions(file_id) == []

    # sendNotificationEmail defaults to true: Google mails an invitation, and the share is made.
    made = api.permissions().create(fileId=file_id, body=body, fields="id,emailAddress").execute()
    assert made["emailAddress"] == "budi@yahoo.co.id"
    assert [p["id"] for p in fake.permissions(file_id)] == [made["id"]]


def test_the_fake_gives_a_user_one_permission_id_on_every_file(fake, key_json, order) -> None:
    api = _shop_api(fake, key_json)
    ids = []
    for found in order["deliverables"]:
        for _ in range(2):
            ids.append(
                api.permissions()
                .create(
                    fileId=_file_id(found),
                    body={"type": "user", "role": "reader", "emailAddress": BUYER},
                    sendNotificationEmail=False,
                )
                .execute()["id"]
            )

    buyer_api = google_api(
        "drive",
        "v3",
        load_credentials(key_json=json.dumps(fake.authorized_user_info(BUYER)), api_url=fake.base_url),
        fake.base_url,
    )
    about = buyer_api.about().get(fields="user(permissionId)").execute()
    assert set(ids) == {about["user"]["permissionId"]}
    assert all(len(fake.permissions(_file_id(f))) == 1 for f in order["deliverables"])


def test_the_fake_keeps_sharing_to_the_owner_when_editors_may_not_share(fake, key_json, root, order) -> None:
    file_id = _file_id(order["deliverables"][0])
    team = google_api(
        "drive",
        "v3",
        load_credentials(key_json=json.dumps(fake.authorized_user_info(TEAM)), api_url=fake.base_url),
        fake.base_url,
    )
    # The team owns the file and unticks "Editors can change permissions and share".
    team.files().update(fileId=file_id, body={"writersCanShare": False}).execute()

    with pytest.raises(HttpError) as refused:
        _shop_api(fake, key_json).permissions().create(
            fileId=file_id,
            body={"type": "user", "role": "reader", "emailAddress": BUYER},
            sendNotificationEmail=False,
        ).execute()
    error = _error(refused.value)
    assert (error["code"], error["message"]) == (
        403,
        "The user does not have sufficient permissions for this file.",
    )
    assert error["errors"][0]["reason"] == "insufficientFilePermissions"

    team.permissions().create(
        fileId=file_id,
        body={"type": "user", "role": "reader", "emailAddress": BUYER},
        sendNotificationEmail=False,
    ).execute()
    assert _readers(fake, file_id) == [("user", "reader", BUYER)]


# ----- the local twin -----


def test_the_local_folder_hands_files_over_as_file_links(tmp_path: Path) -> None:
    folders = LocalProofFolders(tmp_path / "drive")
    folders.ensure_folder(_spec(ORDER))
    folder = tmp_path / "drive" / ORDER
    (folder / "akun-gmail.csv").write_bytes(b"email\nakun1@gmail.com\n")
    (folder / "dari HP").mkdir()
    (folder / "dari HP" / "foto.jpg").write_bytes(b"\xff\xd8jpeg")
    found = folders.list_files([ORDER])[ORDER]

    shared = folders.share(ORDER, found, BUYER)

    assert [(s.name, s.grant) for s in shared] == [("akun-gmail.csv", ""), ("dari HP/foto.jpg", "")]
    assert [s.link for s in shared] == [
        (folder / "akun-gmail.csv").resolve().as_uri(),
        (folder / "dari HP" / "foto.jpg").resolve().as_uri(),
    ]
    opened = [Path(unquote(urlsplit(s.link).path)).read_bytes() for s in shared]
    assert opened == [b"email\nakun1@gmail.com\n", b"\xff\xd8jpeg"]
    folders.unshare(ORDER, [s.grant for s in shared])  # nothing to withdraw
    with pytest.raises(AdapterError, match="outside the folder"):
        folders.share(ORDER, [FoundFile(name="../../rahasia.txt", size=1, fingerprint="x:y")], BUYER)
