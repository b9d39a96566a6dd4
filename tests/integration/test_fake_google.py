"""The loopback Google fake, driven over HTTP by the real clients: google-auth, googleapiclient, gspread.

Nothing is mocked: the fixtures only point the real clients at the fake's base URL, through the
project's own routing (integrations.google.clients), which these tests thereby exercise too.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gspread
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload, MediaIoBaseDownload

from fulfil.testing.fake_google import FOLDER_MIME, SHOP_USER, FakeGoogle, Formula
from integrations.google.clients import google_api, gspread_client, user_credentials

SCOPES = ["https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/spreadsheets"]
CLIENT_EMAIL = "fulfil@test-project.iam.gserviceaccount.com"
HYPERLINK = '=HYPERLINK("https://drive.google.com/drive/folders/abc","proofs")'


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as running:
        yield running


@pytest.fixture
def sa_credentials(fake: FakeGoogle, private_key_pem: str) -> service_account.Credentials:
    info = {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "fake-key-1",
        "private_key": private_key_pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "token_uri": fake.base_url + "/token",
    }
    return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)


@pytest.fixture
def credentials(fake: FakeGoogle) -> Credentials:
    """The shop's own sign-in (a refresh token the fake issued): files it makes are the shop's."""
    return user_credentials(fake.authorized_user_info(SHOP_USER), fake.base_url)


@pytest.fixture
def drive(fake: FakeGoogle, credentials: Credentials) -> Resource:
    return google_api("drive", "v3", credentials, fake.base_url)


@pytest.fixture
def sheets_api(fake: FakeGoogle, credentials: Credentials) -> Resource:
    return google_api("sheets", "v4", credentials, fake.base_url)


@pytest.fixture
def gc(fake: FakeGoogle, credentials: Credentials) -> gspread.Client:
    return gspread_client(credentials, fake.base_url)


def _error(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def _bearer(fake: FakeGoogle) -> dict[str, str]:
    """A raw request's header with an access token the fake issued (it refuses any other)."""
    return {"Authorization": "Bearer " + fake.issue_token()}


# --- auth -------------------------------------------------------------------------------------


def test_token_endpoint_and_missing_credentials(fake: FakeGoogle, sa_credentials: Any) -> None:
    drive = google_api("drive", "v3", sa_credentials, fake.base_url)
    refused = requests.post(
        fake.base_url + "/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"},
        timeout=5,
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"

    anonymous = requests.get(fake.base_url + "/drive/v3/files", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")

    # The real service-account flow: a signed JWT assertion posted to token_uri, then Bearer calls.
    drive.files().list(pageSize=1).execute()
    assert fake.grants[-1]["iss"] == CLIENT_EMAIL
    assert set(fake.grants[-1]["scope"].split()) == set(SCOPES)
    token_calls = [r for r in fake.requests if r.path == "/token"]
    assert [r.status for r in token_calls] == [400, 200]


def test_a_revoked_token_is_refreshed_by_both_clients(
    fake: FakeGoogle, drive: Resource, gc: gspread.Client
) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [["Order ID"]]})
    drive.files().list(pageSize=1).execute()
    gc.open_by_key(sheet_id)

    fake.revoke_tokens()  # the two clients share one credentials object here: revoke before each
    drive.files().list(pageSize=1).execute()
    fake.revoke_tokens()
    gc.open_by_key(sheet_id)

    statuses = [(r.api, r.status) for r in fake.requests if r.api != "oauth"]
    assert statuses[-4:] == [("drive", 401), ("drive", 200), ("sheets", 401), ("sheets", 200)]


# --- Drive ------------------------------------------------------------------------------------


def test_folder_with_app_properties_is_found_again(fake: FakeGoogle, drive: Resource) -> None:
    created = (
        drive.files()
        .create(
            body={
                "name": "INV-0001 Sari's order",
                "mimeType": FOLDER_MIME,
                "parents": ["root"],
                "appProperties": {"order_id": "INV-0001"},
            },
            fields="id,name,appProperties,webViewLink,parents",
            supportsAllDrives=True,
        )
        .execute()
    )
    fake.add_folder("INV-0002 Budi", app_properties={"order_id": "INV-0002"})
    assert created["appProperties"] == {"order_id": "INV-0001"}
    assert created["webViewLink"].endswith(created["id"])
    assert created["parents"] == [fake.root_id]

    found = (
        drive.files()
        .list(
            q="appProperties has { key='order_id' and value='INV-0001' } "
            f"and mimeType = '{FOLDER_MIME}' and trashed = false",
            fields="files(id,name,appProperties)",
            supportsAllDrives=True,
            includeItemsFromAllDrives=True,
            corpora="allDrives",
        )
        .execute()
    )
    assert found["files"] == [
        {"id": created["id"], "name": "INV-0001 Sari's order", "appProperties": {"order_id": "INV-0001"}}
    ]
    by_name = drive.files().list(q="name = 'INV-0001 Sari\\'s order'", fields="files(id)").execute()
    assert by_name["files"] == [{"id": created["id"]}]


def test_responses_hold_only_the_fields_asked_for(fake: FakeGoogle, drive: Resource) -> None:
    file_id = fake.add_file("a.pdf", b"%PDF", fake.root_id, mime_type="application/pdf")
    assert drive.files().get(fileId=file_id).execute() == {
        "kind": "drive#file",
        "id": file_id,
        "name": "a.pdf",
        "mimeType": "application/pdf",
    }
    with pytest.raises(HttpError) as bad:
        drive.files().get(fileId=file_id, fields="id,nmae").execute()
    assert bad.value.status_code == 400
    assert "nmae" in _error(bad.value)["message"]


def test_multipart_upload_downloads_the_same_bytes(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0003")
    data = bytes(range(256)) * 40 + b"\r\n--boundary-look-alike\r\n\n"
    media = MediaInMemoryUpload(data, mimetype="image/png", resumable=False)
    made = (
        drive.files()
        .create(
            body={"name": "proof.png", "parents": [folder], "description": "first proof"},
            media_body=media,
            fields="id,name,size,md5Checksum,mimeType,parents,description",
            supportsAllDrives=True,
        )
        .execute()
    )
    assert made["size"] == str(len(data))
    assert made["md5Checksum"] == hashlib.md5(data).hexdigest()
    assert made["mimeType"] == "image/png"
    assert made["parents"] == [folder]
    assert drive.files().get_media(fileId=made["id"]).execute() == data
    assert fake.file_content(made["id"]) == data
    assert any(r.query.get("uploadType") == ["multipart"] for r in fake.requests)


def test_resumable_upload_in_chunks_then_ranged_download(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0004")
    data = random.Random(4).randbytes(600_000)
    media = MediaInMemoryUpload(data, mimetype="application/pdf", chunksize=256 * 1024, resumable=True)
    request = drive.files().create(
        body={"name": "artwork.pdf", "parents": [folder]}, media_body=media, fields="id,size,md5Checksum"
    )
    response = None
    while response is None:
        _, response = request.next_chunk()
    assert response["md5Checksum"] == hashlib.md5(data).hexdigest()
    assert response["size"] == "600000"
    puts = [r for r in fake.requests if r.method == "PUT" and r.path == "/upload/drive/v3/files"]
    assert [r.status for r in puts] == [308, 308, 200]

    out = io.BytesIO()
    download = MediaIoBaseDownload(out, drive.files().get_media(fileId=response["id"]), chunksize=256 * 1024)
    done = False
    while not done:
        _, done = download.next_chunk()
    assert out.getvalue() == data


def test_list_by_parent_pages_through_every_child(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0005")
    names = [f"proof-{n}.jpg" for n in range(5)]
    for name in names:
        fake.add_file(name, name.encode(), folder, mime_type="image/jpeg")
    fake.trash(fake.add_file("old.jpg", b"old", folder))
    fake.add_file("elsewhere.jpg", b"x", fake.add_folder("INV-0006"))

    seen: list[str] = []
    pages = 0
    request = drive.files().list(
        q=f"'{folder}' in parents and trashed = false",
        pageSize=2,
        fields="nextPageToken, files(id, name, size)",
        orderBy="name",
    )
    while request is not None:
        page = request.execute()
        pages += 1
        seen += [f["name"] for f in page["files"]]
        request = drive.files().list_next(request, page)
    assert seen == names
    assert pages == 3


def test_move_with_add_and_remove_parents_is_a_change(fake: FakeGoogle, drive: Resource) -> None:
    inbox, done = fake.add_folder("Inbox"), fake.add_folder("Done")
    file_id = fake.add_file("proof.jpg", b"jpg", inbox)
    start = drive.changes().getStartPageToken().execute()["startPageToken"]

    moved = (
        drive.files()
        .update(fileId=file_id, addParents=done, removeParents=inbox, fields="id,parents", body={})
        .execute()
    )
    assert moved["parents"] == [done]

    changes = (
        drive.changes()
        .list(
            pageToken=start,
            fields="newStartPageToken,nextPageToken,changes(fileId,removed,changeType,time,file(id,parents))",
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
        )
        .execute()
    )
    assert [(c["fileId"], c["removed"], c["changeType"]) for c in changes["changes"]] == [
        (file_id, False, "file")
    ]
    assert changes["changes"][0]["file"]["parents"] == [done]
    assert "newStartPageToken" in changes and "nextPageToken" not in changes


def test_drive_refuses_what_it_refuses(fake: FakeGoogle, drive: Resource) -> None:
    a, b = fake.add_folder("A"), fake.add_folder("B")
    file_id = fake.add_file("f.txt", b"f", a)
    with pytest.raises(HttpError) as by_body:
        drive.files().update(fileId=file_id, body={"parents": [b]}).execute()
    assert _error(by_body.value)["errors"][0]["reason"] == "fieldNotWritable"
    with pytest.raises(HttpError) as second_parent:
        drive.files().update(fileId=file_id, addParents=b, body={}).execute()
    assert _error(second_parent.value)["errors"][0]["reason"] == "cannotAddParent"
    with pytest.raises(HttpError) as bad_q:
        drive.files().list(q=f"'{a}' in parents or '{b}' in parents").execute()
    assert bad_q.value.status_code == 400
    assert "'or' is not supported" in _error(bad_q.value)["message"]
    with pytest.raises(HttpError) as missing:
        drive.files().get(fileId="no-such-file").execute()
    assert missing.value.status_code == 404


def test_trash_copy_and_delete_show_up_as_changes(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0007")
    kept, binned = fake.add_file("kept.pdf", b"k", folder), fake.add_file("binned.pdf", b"b", folder)
    start = drive.changes().getStartPageToken().execute()["startPageToken"]

    fake.trash(binned)  # a person, in the browser
    drive.files().update(fileId=kept, body={"trashed": True}).execute()
    copy_id = drive.files().copy(fileId=binned, body={"parents": [folder]}, fields="id,name").execute()["id"]
    drive.files().delete(fileId=copy_id).execute()

    listed = drive.changes().list(pageToken=start, fields="*").execute()["changes"]
    summary = [(c["fileId"], c["removed"], c.get("file", {}).get("trashed")) for c in listed]
    assert summary == [
        (binned, False, True),
        (kept, False, True),
        (copy_id, True, None),  # the file is gone now, so its creation reads as removed too
        (copy_id, True, None),
    ]
    assert fake.file(binned)["trashed"] is True


def test_changes_after_a_start_token_only_with_paging(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0008")
    fake.add_file("before.jpg", b"1", folder)
    start = drive.changes().getStartPageToken().execute()["startPageToken"]
    after = [fake.add_file(f"after-{n}.jpg", b"2", folder) for n in range(3)]

    first = drive.changes().list(pageToken=start, pageSize=2).execute()
    assert [c["fileId"] for c in first["changes"]] == after[:2]
    assert first["changes"][0]["file"] == {
        "kind": "drive#file",
        "id": after[0],
        "name": "after-0.jpg",
        "mimeType": "application/octet-stream",
    }
    second = drive.changes().list(pageToken=first["nextPageToken"], pageSize=2).execute()
    assert [c["fileId"] for c in second["changes"]] == after[2:]
    assert "nextPageToken" not in second
    quiet = drive.changes().list(pageToken=second["newStartPageToken"]).execute()
    assert quiet["changes"] == []
    assert quiet["newStartPageToken"] == second["newStartPageToken"]


def test_invalid_and_expired_page_tokens_are_errors(fake: FakeGoogle, drive: Resource) -> None:
    with pytest.raises(HttpError) as bogus:
        drive.changes().list(pageToken="not-a-token").execute()
    assert bogus.value.status_code == 400
    assert _error(bogus.value)["errors"][0]["location"] == "pageToken"

    token = drive.changes().getStartPageToken().execute()["startPageToken"]
    fake.add_folder("new")
    fake.expire_change_tokens()
    with pytest.raises(HttpError) as expired:
        drive.changes().list(pageToken=token).execute()
    assert expired.value.status_code == 400

    with pytest.raises(HttpError) as files_token:
        drive.files().list(pageToken="garbage").execute()
    assert files_token.value.status_code == 400


def test_permissions_create(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0009")
    # Without a notification Google shares only with an address that has a Google account.
    fake.add_google_account("designer@example.com")
    made = (
        drive.permissions()
        .create(
            fileId=folder,
            body={"type": "user", "role": "writer", "emailAddress": "designer@example.com"},
            sendNotificationEmail=False,
            supportsAllDrives=True,
        )
        .execute()
    )
    assert made["kind"] == "drive#permission"
    assert (made["type"], made["role"]) == ("user", "writer")
    link = drive.permissions().create(fileId=folder, body={"type": "anyone", "role": "reader"}).execute()
    assert link["id"] == "anyoneWithLink"
    assert [p["id"] for p in fake.file(folder)["permissions"]] == [made["id"], "anyoneWithLink"]
    with pytest.raises(HttpError) as bad_role:
        drive.permissions().create(fileId=folder, body={"type": "anyone", "role": "boss"}).execute()
    assert bad_role.value.status_code == 400


def test_shared_drive_items_need_all_drives_flags_when_strict(private_key_pem: str) -> None:
    with FakeGoogle(strict_all_drives=True) as strict:
        folder = strict.add_folder("Proofs", drive_id="0AsharedDriveId")
        headers = _bearer(strict)
        plain = requests.get(f"{strict.base_url}/drive/v3/files/{folder}", headers=headers, timeout=5)
        assert plain.status_code == 404
        flagged = requests.get(
            f"{strict.base_url}/drive/v3/files/{folder}",
            params={"supportsAllDrives": "true", "fields": "id,driveId"},
            headers=headers,
            timeout=5,
        )
        assert flagged.json() == {"id": folder, "driveId": "0AsharedDriveId"}


# --- Sheets -----------------------------------------------------------------------------------

HEADER = ["Order ID", "Phone", "Proofs"]


def test_gspread_raw_append_keeps_text_as_text(fake: FakeGoogle, gc: gspread.Client) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER], "Notes": []})
    ws = gc.open_by_key(sheet_id).worksheet("Orders")
    reply = ws.append_rows([["INV-0001", "081234567890", HYPERLINK]], value_input_option="RAW")

    assert reply["updates"]["updatedRange"] == "Orders!A2:C2"
    row = fake.sheet_values(sheet_id, "Orders")[1]
    assert row == ["INV-0001", "081234567890", HYPERLINK]
    assert all(isinstance(cell, str) for cell in row)
    assert ws.get_all_values() == [HEADER, ["INV-0001", "081234567890", HYPERLINK]]


def test_gspread_user_entered_makes_numbers_and_formulas(fake: FakeGoogle, gc: gspread.Client) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    ws = gc.open_by_key(sheet_id).worksheet("Orders")
    ws.append_rows(
        [["INV-0002", "081234567890", HYPERLINK], ["INV-0003", "+628123456789", "'0812 kept as text"]],
        value_input_option="USER_ENTERED",
    )

    rows = fake.sheet_values(sheet_id, "Orders")
    assert rows[1] == ["INV-0002", 81234567890, Formula(HYPERLINK)]  # the leading zero is gone
    assert rows[2] == ["INV-0003", 628123456789, "0812 kept as text"]
    assert ws.get_all_values()[1] == ["INV-0002", "81234567890", "proofs"]
    assert ws.get_all_values(value_render_option="FORMULA")[1] == ["INV-0002", 81234567890, HYPERLINK]


def test_gspread_batch_update_round_trips(fake: FakeGoogle, gc: gspread.Client) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    ws = gc.open_by_key(sheet_id).worksheet("Orders")
    ws.batch_update(
        [
            {"range": "A2:C2", "values": [["INV-0004", "0811", "link"]]},
            {"range": "A3", "values": [["INV-0005", "0812"], ["INV-0006"]]},
        ],
        value_input_option="RAW",
    )
    expected = [HEADER, ["INV-0004", "0811", "link"], ["INV-0005", "0812"], ["INV-0006"]]
    assert fake.sheet_values(sheet_id, "Orders") == expected
    assert ws.get_all_values() == [
        HEADER,
        ["INV-0004", "0811", "link"],
        ["INV-0005", "0812", ""],
        ["INV-0006", "", ""],
    ]

    ws.update([["INV-0004 (paid)"]], "A2", value_input_option="RAW")
    assert ws.acell("A2").value == "INV-0004 (paid)"


def test_gspread_add_worksheet_and_create(fake: FakeGoogle, gc: gspread.Client) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    book = gc.open_by_key(sheet_id)
    archive = book.add_worksheet("Archive 2026", rows=10, cols=5)
    assert archive.id != 0
    assert [ws.title for ws in book.worksheets()] == ["Orders", "Archive 2026"]
    assert fake.sheet_properties(sheet_id, "Archive 2026")["gridProperties"] == {
        "rowCount": 10,
        "columnCount": 5,
    }
    archive.append_row(["INV-0001", "done"])
    assert fake.sheet_values(sheet_id, "Archive 2026") == [["INV-0001", "done"]]
    with pytest.raises(gspread.exceptions.APIError) as twice:
        book.add_worksheet("Orders", rows=10, cols=5)
    assert twice.value.code == 400

    scratch = gc.create("Scratch")  # gspread creates spreadsheets through Drive files.create
    scratch.sheet1.update([["hello"]], "A1")
    assert fake.sheet_values(scratch.id, "Sheet1") == [["hello"]]


def test_sheets_through_googleapiclient(fake: FakeGoogle, sheets_api: Resource) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders 2026": [HEADER, ["INV-0001", "0812", "x"]]}, raw=True)
    values = sheets_api.spreadsheets().values()
    got = values.get(spreadsheetId=sheet_id, range="'Orders 2026'!A1:Q").execute()
    assert got["range"] == "'Orders 2026'!A1:Q1000"
    assert got["values"] == [HEADER, ["INV-0001", "0812", "x"]]
    column = values.get(spreadsheetId=sheet_id, range="'Orders 2026'!A:A").execute()
    assert column["values"] == [["Order ID"], ["INV-0001"]]

    values.update(
        spreadsheetId=sheet_id, range="'Orders 2026'!B2", valueInputOption="RAW", body={"values": [["0899"]]}
    ).execute()
    batch = values.batchGet(
        spreadsheetId=sheet_id, ranges=["'Orders 2026'!B2", "'Orders 2026'!C1:C2"]
    ).execute()
    assert [r.get("values") for r in batch["valueRanges"]] == [[["0899"]], [["Proofs"], ["x"]]]

    values.clear(spreadsheetId=sheet_id, range="'Orders 2026'!C2").execute()
    assert fake.sheet_values(sheet_id, "Orders 2026")[1] == ["INV-0001", "0899"]

    with pytest.raises(HttpError) as beyond:
        values.update(
            spreadsheetId=sheet_id,
            range="'Orders 2026'!A1001",
            valueInputOption="RAW",
            body={"values": [["x"]]},
        ).execute()
    assert "exceeds grid limits" in _error(beyond.value)["message"]
    with pytest.raises(HttpError) as no_option:
        values.update(spreadsheetId=sheet_id, range="'Orders 2026'!A2", body={"values": [["x"]]}).execute()
    assert no_option.value.status_code == 400


def test_concurrent_appends_all_land(fake: FakeGoogle) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    url = f"{fake.base_url}/v4/spreadsheets/{sheet_id}/values/Orders!A1:C:append"
    headers = _bearer(fake)

    def worker(n: int) -> None:
        with requests.Session() as session:
            for k in range(5):
                session.post(
                    url,
                    params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                    json={"values": [[f"INV-{n}-{k}", "0812"]]},
                    headers=headers,
                    timeout=5,
                ).raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))
    rows = fake.sheet_values(sheet_id, "Orders")[1:]
    assert sorted(row[0] for row in rows) == sorted(f"INV-{n}-{k}" for n in range(8) for k in range(5))
    assert fake.sheet_properties(sheet_id, "Orders")["gridProperties"]["rowCount"] == 1000 + 40


# --- faults -----------------------------------------------------------------------------------


def test_429_with_retry_after_once_then_success(fake: FakeGoogle, drive: Resource) -> None:
    fake.inject("GET /drive/v3/files", status=429, retry_after=7, times=1)
    request = drive.files().list(pageSize=1)
    slept: list[float] = []
    request._sleep = slept.append  # googleapiclient's own backoff hook: no real waiting in tests
    assert request.execute(num_retries=2)["files"] == []
    assert len(slept) == 1  # it backed off once (on its own clock: it does not read Retry-After)
    listed = [r for r in fake.requests if r.path == "/drive/v3/files"]
    assert [(r.status, r.fault) for r in listed] == [(429, True), (200, False)]

    fake.inject("GET /drive/v3/files", status=429, retry_after=7, times=1)
    raw = requests.get(fake.base_url + "/drive/v3/files", headers=_bearer(fake), timeout=5)
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "7"
    assert raw.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert raw.json()["error"]["errors"][0]["domain"] == "usageLimits"


def test_503_by_count(fake: FakeGoogle, drive: Resource) -> None:
    folder = fake.add_folder("INV-0010")
    fake.inject(f"GET /drive/v3/files/{folder}", status=503, times=2)
    request = drive.files().get(fileId=folder, fields="id")
    request._sleep = lambda seconds: None
    assert request.execute(num_retries=3) == {"id": folder}
    assert [r.status for r in fake.requests if r.path.endswith(folder)] == [503, 503, 200]

    fake.inject(f"GET /drive/v3/files/{folder}", status=503, times=1)
    with pytest.raises(HttpError) as unavailable:
        drive.files().get(fileId=folder).execute()
    assert unavailable.value.status_code == 503
    assert _error(unavailable.value)["status"] == "UNAVAILABLE"


def test_drop_is_a_connection_error_in_both_clients(
    fake: FakeGoogle, drive: Resource, gc: gspread.Client
) -> None:
    folder = fake.add_folder("INV-0011")
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    fake.inject("GET /drive/v3/files/", drop=True)
    fake.inject(r"^GET /v4/spreadsheets/", drop=True)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        drive.files().get(fileId=folder).execute()
    with pytest.raises(requests.exceptions.ConnectionError):
        gc.open_by_key(sheet_id)
    assert {r.status for r in fake.requests if r.fault} == {0}

    fake.clear_faults()
    assert drive.files().get(fileId=folder, fields="id").execute() == {"id": folder}
    assert gc.open_by_key(sheet_id).title == "CRM"


def test_deny_answers_403_in_googles_shape(fake: FakeGoogle, drive: Resource, gc: gspread.Client) -> None:
    folder = fake.add_folder("INV-0012")
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    start = drive.changes().getStartPageToken().execute()["startPageToken"]
    fake.deny(folder)
    fake.deny(sheet_id)

    request = drive.files().get(fileId=folder)
    request._sleep = lambda seconds: None
    with pytest.raises(HttpError) as denied:
        request.execute(num_retries=3)  # a permission 403 is not retried
    error = _error(denied.value)
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    assert error["errors"][0]["reason"] == "insufficientFilePermissions"
    assert len([r for r in fake.requests if r.path.endswith(folder)]) == 1
    assert drive.files().list(q="name = 'INV-0012'").execute()["files"] == []
    gone = drive.changes().list(pageToken=start).execute()["changes"]
    assert [(c["fileId"], c["removed"]) for c in gone] == [(folder, True), (sheet_id, True)]

    with pytest.raises(PermissionError) as sheet_denied:  # gspread turns a 403 into PermissionError
        gc.open_by_key(sheet_id)
    cause = sheet_denied.value.__cause__
    assert isinstance(cause, gspread.exceptions.APIError)
    assert cause.error["status"] == "PERMISSION_DENIED"


def test_request_log_counts_calls_per_api(fake: FakeGoogle, drive: Resource, gc: gspread.Client) -> None:
    sheet_id = fake.add_spreadsheet("CRM", {"Orders": [HEADER]})
    drive.files().list(pageSize=1).execute()
    drive.changes().getStartPageToken().execute()
    ws = gc.open_by_key(sheet_id).worksheet("Orders")
    assert ws.get_all_values(major_dimension="COLUMNS") == [["Order ID"], ["Phone"], ["Proofs"]]

    assert fake.calls("drive") == 2
    assert fake.calls("sheets") == 3  # open_by_key and worksheet() both fetch metadata, then values
    # Both clients share one credentials object: one token serves both (google-auth < 2.63 also
    # made a Regional Access Boundary lookup after it, counted as "oauth" too but not a token).
    assert [r.path for r in fake.requests if r.api == "oauth"][:1] == ["/token"]
    assert sum(1 for r in fake.requests if r.path == "/token") == 1
    assert fake.calls() == len(fake.requests)
    last = fake.requests[-1]
    assert (last.method, last.api, last.status) == ("GET", "sheets", 200)
    assert last.path == f"/v4/spreadsheets/{sheet_id}/values/'Orders'"
    assert last.query == {"majorDimension": ["COLUMNS"]}


def test_random_faults_repeat_with_the_same_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with FakeGoogle(seed=seed) as fake:
            fake.inject("*", status=500, rate=0.5)
            url = fake.base_url + "/drive/v3/changes/startPageToken"
            headers = _bearer(fake)
            return [requests.get(url, headers=headers, timeout=5).status_code for _ in range(16)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) == {200, 500}


def test_delay_makes_a_slow_answer(fake: FakeGoogle) -> None:
    fake.inject("startPageToken", delay=0.5, times=1)
    url = fake.base_url + "/drive/v3/changes/startPageToken"
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, headers=_bearer(fake), timeout=0.1)
    assert requests.get(url, headers=_bearer(fake), timeout=5).status_code == 200


def test_module_runs_in_the_foreground() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fulfil.testing.fake_google", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        answer = requests.post(base_url + "/token", data={"grant_type": "nope"}, timeout=5)
        assert answer.status_code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=5)
