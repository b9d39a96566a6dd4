"""Who fulfil is at Google, against the loopback fake as strict as Google: tokens it never issued
are refused, scopes are checked, files get owners, a service account may own none in a personal
My Drive (403 storageQuotaExceeded), and the shop's own sign-in (OAuth: consent, code with PKCE,
refresh token, revocation, the 7-day expiry of apps left in "Testing") works end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import google.auth.exceptions
import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from fulfil.testing.fake_google import (
    DRIVE_SCOPE,
    SHEETS_SCOPE,
    SHOP_USER,
    STORAGE_QUOTA_MESSAGE,
    FakeGoogle,
)
from fulfil.testing.world import SERVICE_ACCOUNT
from integrations.gdrive.drive import DriveProofFolders
from integrations.gdrive.probe import PROBE_NAME, probe_folder
from integrations.google.advice import STORAGE_QUOTA_ADVICE
from integrations.google.clients import (
    SIGN_IN_EXPIRED,
    check_credentials,
    explain_refresh_error,
    google_api,
    load_credentials,
    signed_in_as,
)
from integrations.google.retry import GoogleApiError
from integrations.google.signin import Login, account_of, save_token
from integrations.ports import ProofFolderSpec
from tests.google_fixtures import FAST

SHARED_DRIVE = "0AtokoSharedDrive"


def _error(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def _get(fake: FakeGoogle, path: str, token: str) -> requests.Response:
    return requests.get(fake.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def _sa_drive(fake: FakeGoogle, key: str, subject: str | None = None) -> Any:
    return google_api(
        "drive", "v3", load_credentials(key_json=key, subject=subject, api_url=fake.base_url), fake.base_url
    )


# --- tokens and scopes --------------------------------------------------------------------------


def test_a_token_the_fake_never_issued_is_refused_with_401(fake: FakeGoogle) -> None:
    book = fake.add_spreadsheet("CRM", {"CRM": [["ID Order"]]})
    for path in ("/drive/v3/files", f"/v4/spreadsheets/{book}"):
        made_up = _get(fake, path, "ya29.never-issued")
        assert made_up.status_code == 401, path
        assert made_up.json()["error"]["status"] == "UNAUTHENTICATED"
        assert made_up.headers["WWW-Authenticate"].startswith("Bearer")
    assert _get(fake, "/drive/v3/files", fake.issue_token()).status_code == 200


def test_a_call_outside_the_tokens_scopes_is_403_insufficient_permissions(fake: FakeGoogle) -> None:
    book = fake.add_spreadsheet("CRM", {"CRM": [["ID Order"]]})
    sheets_only = fake.issue_token(scopes=[SHEETS_SCOPE])
    refused = _get(fake, "/drive/v3/files", sheets_only)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["message"] == "Request had insufficient authentication scopes."
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert "insufficient_scope" in refused.headers["WWW-Authenticate"]
    assert _get(fake, f"/v4/spreadsheets/{book}", sheets_only).status_code == 200

    read_only = fake.issue_token(scopes=[DRIVE_SCOPE + ".readonly"])
    assert _get(fake, "/drive/v3/files", read_only).status_code == 200
    write = requests.post(
        fake.base_url + "/drive/v3/files",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {read_only}"},
        timeout=5,
    )
    assert (
        write.status_code == 403 and write.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    )
    # The Drive scope covers Sheets too, as at Google.
    assert _get(fake, f"/v4/spreadsheets/{book}", fake.issue_token(scopes=[DRIVE_SCOPE])).status_code == 200


# --- ownership ----------------------------------------------------------------------------------


def test_a_service_account_may_not_create_in_my_drive_through_the_real_client(
    fake: FakeGoogle, service_account_key: str
) -> None:
    folder = fake.add_folder("Bukti Pesanan")  # in the shop's My Drive
    drive = _sa_drive(fake, service_account_key)
    with pytest.raises(HttpError) as folder_refused:
        drive.files().create(
            body={"name": "INV-0001", "mimeType": "application/vnd.google-apps.folder", "parents": [folder]},
            fields="id",
            supportsAllDrives=True,
        ).execute()
    error = _error(folder_refused.value)
    assert folder_refused.value.resp.status == 403
    assert error["message"] == STORAGE_QUOTA_MESSAGE
    assert error["errors"][0]["reason"] == "storageQuotaExceeded"
    assert error["errors"][0]["domain"] == "usageLimits"
    with pytest.raises(HttpError) as upload_refused:
        drive.files().create(
            body={"name": "a.txt", "parents": [folder]},
            media_body=MediaInMemoryUpload(b"hello", mimetype="text/plain"),
            fields="id",
        ).execute()
    assert _error(upload_refused.value)["errors"][0]["reason"] == "storageQuotaExceeded"
    assert [f["name"] for f in fake.files() if f["name"] != "Bukti Pesanan"] == []
    assert fake.grants[-1]["iss"] == SERVICE_ACCOUNT


def test_a_service_account_creates_in_a_shared_drive_and_by_delegation_as_the_user(
    fake: FakeGoogle, service_account_key: str
) -> None:
    shared = fake.add_folder("Bukti Pesanan", drive_id=SHARED_DRIVE)
    made = (
        _sa_drive(fake, service_account_key)
        .files()
        .create(
            body={"name": "a.txt", "parents": [shared]}, fields="id,driveId,owners", supportsAllDrives=True
        )
        .execute()
    )
    assert made["driveId"] == SHARED_DRIVE and "owners" not in made  # the shared drive owns it

    mine = fake.add_folder("Bukti Pesanan")
    delegated = _sa_drive(fake, service_account_key, subject="admin@toko.example")
    made = delegated.files().create(body={"name": "b.txt", "parents": [mine]}, fields="id,owners").execute()
    assert [o["emailAddress"] for o in made["owners"]] == ["admin@toko.example"]
    assert fake.grants[-1]["sub"] == "admin@toko.example"


def test_the_signed_in_user_owns_what_it_creates_and_the_browser_user_what_it_adds(
    fake: FakeGoogle, key_json: str
) -> None:
    folder = fake.add_folder("Bukti Pesanan")
    assert [o["emailAddress"] for o in fake.file(folder)["owners"]] == [SHOP_USER]
    drive = google_api(
        "drive", "v3", load_credentials(key_json=key_json, api_url=fake.base_url), fake.base_url
    )
    made = (
        drive.files()
        .create(body={"name": "a.txt", "parents": [folder]}, fields="id,owners,ownedByMe")
        .execute()
    )
    assert made["ownedByMe"] is True
    assert made["owners"][0]["emailAddress"] == SHOP_USER and made["owners"][0]["me"] is True
    about = drive.about().get(fields="user(emailAddress)").execute()
    assert about == {"user": {"emailAddress": SHOP_USER}}


def test_the_drive_adapter_as_a_service_account_on_my_drive_fails_with_the_advice(
    fake: FakeGoogle, service_account_key: str
) -> None:
    root = fake.add_folder("Bukti Pesanan")
    drive = _sa_drive(fake, service_account_key)
    proofs = DriveProofFolders(lambda: drive, root, policy=FAST)
    with pytest.raises(GoogleApiError) as refused:
        proofs.ensure_folder(ProofFolderSpec("INV-0001", "INV-0001 · Akun Gmail", "baca saya"))
    assert STORAGE_QUOTA_ADVICE in str(refused.value)
    assert refused.value.retryable is False
    assert "\n" not in str(refused.value)


# --- the doctor's probe -------------------------------------------------------------------------


def test_the_probe_tells_a_service_account_on_my_drive_and_leaves_nothing_behind(
    fake: FakeGoogle, service_account_key: str, key_json: str
) -> None:
    mine = fake.add_folder("Bukti Pesanan")
    shared = fake.add_folder("Bukti Pesanan", drive_id=SHARED_DRIVE)
    sa = _sa_drive(fake, service_account_key)
    assert probe_folder(sa, mine, service_account=True, policy=FAST) == [STORAGE_QUOTA_ADVICE]
    # Not known to be one: the create itself is refused, and said the same way.
    assert probe_folder(sa, mine, service_account=False, policy=FAST) == [STORAGE_QUOTA_ADVICE]
    assert probe_folder(sa, shared, service_account=True, policy=FAST) == []
    user = google_api(
        "drive", "v3", load_credentials(key_json=key_json, api_url=fake.base_url), fake.base_url
    )
    assert probe_folder(user, mine, service_account=False, policy=FAST) == []
    creates = [r for r in fake.requests if r.method == "POST" and "files" in r.path]
    assert len(creates) >= 3
    assert not [f for f in fake.files() if f["name"] == PROBE_NAME and not f["trashed"]]


# --- the shop's sign-in -------------------------------------------------------------------------


def test_sign_in_with_consent_code_and_pkce_then_refresh_and_revoke(fake: FakeGoogle, tmp_path: Path) -> None:
    login = Login(fake.oauth_client_config(), api_url=fake.base_url)
    url = login.authorization_url()
    assert url.startswith(fake.base_url + "/o/oauth2/auth?") and "code_challenge=" in url
    consent = requests.get(url, allow_redirects=False, timeout=5)
    assert consent.status_code == 302
    where = consent.headers["Location"]
    assert where.startswith("http://127.0.0.1:8085/?") and "code=" in where

    credentials = login.finish(where)
    assert account_of(credentials, fake.base_url) == SHOP_USER
    path = tmp_path / "google-token.json"
    save_token(path, credentials, SHOP_USER)
    assert path.stat().st_mode & 0o777 == 0o600
    stored = load_credentials(token_file=path, api_url=fake.base_url)
    assert check_credentials(stored, fake.base_url) == ""
    assert signed_in_as(stored).startswith(SHOP_USER)
    assert fake.principal(stored.token).email == SHOP_USER  # type: ignore[union-attr]

    # A code is good once.
    with pytest.raises(Exception, match="invalid_grant"):
        login.flow.fetch_token(code=where.split("code=")[1].split("&")[0].replace("%2F", "/"))

    refresh = json.loads(path.read_text())["refresh_token"]
    revoked = requests.post(fake.base_url + "/revoke", data={"token": refresh}, timeout=5)
    assert revoked.status_code == 200
    assert (
        check_credentials(load_credentials(token_file=path, api_url=fake.base_url), fake.base_url)
        == SIGN_IN_EXPIRED
    )
    assert _get(fake, "/drive/v3/files", stored.token).status_code == 401  # its access tokens too


def test_the_code_needs_its_verifier_and_redirect_uri(fake: FakeGoogle) -> None:
    def code_for(login: Login) -> str:
        where = requests.get(login.authorization_url(), allow_redirects=False, timeout=5).headers["Location"]
        return requests.utils.unquote(where.split("code=")[1].split("&")[0])

    client = fake.oauth_client_config()["installed"]
    login = Login(fake.oauth_client_config(), api_url=fake.base_url)
    code = code_for(login)
    token = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "redirect_uri": "http://127.0.0.1:8085/",
    }
    no_verifier = requests.post(fake.base_url + "/token", data=token, timeout=5)
    assert no_verifier.status_code == 400 and no_verifier.json()["error"] == "invalid_grant"

    code = code_for(login)
    wrong = requests.post(
        fake.base_url + "/token", data={**token, "code": code, "code_verifier": "x" * 43}, timeout=5
    )
    assert wrong.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}

    code = code_for(login)
    elsewhere = requests.post(
        fake.base_url + "/token",
        data={
            **token,
            "code": code,
            "code_verifier": login.flow.code_verifier,
            "redirect_uri": "http://localhost/",
        },
        timeout=5,
    )
    assert elsewhere.json()["error"] == "redirect_uri_mismatch"

    unknown_client = requests.get(
        fake.base_url + "/o/oauth2/auth",
        params={
            "client_id": "nobody",
            "redirect_uri": "http://127.0.0.1:1/",
            "response_type": "code",
            "scope": DRIVE_SCOPE,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert unknown_client.status_code == 401


def test_refresh_tokens_of_a_testing_app_expire_after_seven_days(service_account_key: str) -> None:
    now = [1_800_000_000.0]
    with FakeGoogle(clock=lambda: now[0]) as fake:
        info = fake.authorized_user_info()
        stored = load_credentials(key_json=json.dumps(info), api_url=fake.base_url)
        assert check_credentials(stored, fake.base_url) == ""
        made_up = load_credentials(
            key_json=json.dumps({**info, "refresh_token": "1//not-issued"}), api_url=fake.base_url
        )
        assert check_credentials(made_up, fake.base_url) == SIGN_IN_EXPIRED

        now[0] += 8 * 24 * 3600
        answer = requests.post(
            fake.base_url + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": info["refresh_token"],
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
            timeout=5,
        )
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        }
        with pytest.raises(google.auth.exceptions.RefreshError) as refused:
            stored.refresh(google.auth.transport.requests.Request())
        assert explain_refresh_error(refused.value) == SIGN_IN_EXPIRED

        fake.publishing_status = "production"  # a published app's tokens do not expire
        fresh = load_credentials(key_json=json.dumps(fake.authorized_user_info()), api_url=fake.base_url)
        now[0] += 30 * 24 * 3600
        assert check_credentials(fresh, fake.base_url) == ""


def test_a_service_account_key_wins_over_the_stored_sign_in(
    fake: FakeGoogle, service_account_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "google-token.json"
    path.write_text(json.dumps(fake.authorized_user_info()))
    assert signed_in_as(load_credentials(token_file=path, api_url=fake.base_url)).startswith(SHOP_USER)
    both = load_credentials(key_json=service_account_key, token_file=path, api_url=fake.base_url)
    assert signed_in_as(both) == f"service account {SERVICE_ACCOUNT}"


def test_the_browser_way_catches_the_answer_on_a_loopback_server(
    fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import webbrowser

    opened: list[int] = []
    tabs: list[threading.Thread] = []

    class Browser:
        """Follows the consent page's redirect to fulfil's own loopback server, as a browser does."""

        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            tabs.append(
                threading.Thread(target=lambda: opened.append(requests.get(url, timeout=10).status_code))
            )
            tabs[-1].start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: Browser())
    credentials = Login(fake.oauth_client_config(), api_url=fake.base_url).run_local_server(open_browser=True)
    assert account_of(credentials, fake.base_url) == SHOP_USER
    assert credentials.refresh_token
    tabs[0].join(timeout=10)
    assert opened == [200]
