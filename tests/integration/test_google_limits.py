"""Google's limits and Drive's failure modes, through the real clients against the loopback fake.

Quotas are counted on the fake's clock; the retry policy's sleep moves that same clock, so a
minute of Google's backoff passes in no time and what is measured is what Google would see.
The adapters sign in as the shop (an OAuth user), the way a shop without a shared drive runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.oauth2.credentials import Credentials as UserCredentials
from googleapiclient.errors import HttpError

from fulfil.core.status import OrderStatus as S
from fulfil.testing.fake_google import FOLDER_MIME, FakeGoogle
from fulfil.usecases import proofs
from fulfil.usecases.deps import Deps
from integrations.gdrive.drive import ORDER_KEY, README, DriveProofFolders
from integrations.gdrive.drive_reports import DriveReportShelf
from integrations.google.advice import STORAGE_QUOTA_ADVICE
from integrations.google.clients import SIGN_IN_EXPIRED, google_api, gspread_client, load_credentials
from integrations.google.retry import GoogleApiError, RetryPolicy
from integrations.source.gsheet import FormResponsesSource
from tests.conftest import EXAMPLES, NOW
from tests.google_fixtures import FAST, dispatch_the_example, key_json, service_account_key, services_on_drive  # noqa: F401  (fixtures)

SHOP = "toko.sari@gmail.com"


class Clock:
    """The fake's clock, moved on by the retry policy's waits, and by a millisecond each time it
    is read (Drive's times have millisecond resolution; no two events share one here)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 0.001
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeGoogle]:
    with FakeGoogle(clock=clock) as running:
        running.set_browser_user(SHOP)
        yield running


def _shop_credentials(fake: FakeGoogle) -> Any:
    return UserCredentials.from_authorized_user_info(fake.authorized_user_info(SHOP))


def _drive(
    fake: FakeGoogle, root: str, policy: RetryPolicy = FAST, credentials: Any = None
) -> DriveProofFolders:
    creds = credentials or _shop_credentials(fake)
    return DriveProofFolders(lambda: google_api("drive", "v3", creds, fake.base_url), root, policy=policy)


@pytest.fixture
def root(fake: FakeGoogle) -> str:
    return fake.add_folder("Bukti Pesanan Toko")


@pytest.fixture
def drive(fake: FakeGoogle, root: str) -> DriveProofFolders:
    return _drive(fake, root)


def _spec(order_id: str = "INV-0001") -> Any:
    from integrations.ports import ProofFolderSpec

    return ProofFolderSpec(order_id, f"{order_id} · Akun Gmail baru", "Taruh bukti di sini.")


def _folders_of(fake: FakeGoogle, order_id: str) -> list[dict[str, Any]]:
    return [
        f
        for f in fake.files()
        if f["mimeType"] == FOLDER_MIME
        and (f.get("appProperties") or {}).get(ORDER_KEY) == order_id
        and not f.get("trashed")
    ]


def _readmes(fake: FakeGoogle, folder_id: str) -> list[dict[str, Any]]:
    return [f for f in fake.files() if f["name"] == README and folder_id in f.get("parents", [])]


# --- 1. the retry policy --------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_a_403_rate_limit_is_retried_like_a_429(fake, drive, reason) -> None:
    # Drive's usage-limits page: its per-user limits come back as 403 as often as 429.
    fake.inject("GET /drive/v3/files", status=403, reason=reason, times=3)

    drive.ensure_folder(_spec())

    assert len(_folders_of(fake, "INV-0001")) == 1
    assert sum(1 for r in fake.requests if r.fault and r.status == 403) == 3


def test_a_permission_403_is_not_retried_and_names_no_account_blindly(fake, drive, root) -> None:
    fake.deny(root)
    fake.clear_requests()

    with pytest.raises(GoogleApiError) as caught:
        drive.ensure_folder(_spec())

    assert caught.value.status == 403 and not caught.value.retryable
    assert sum(1 for r in fake.requests if r.status == 403) == 1  # not retried
    message = str(caught.value)
    assert "share it as Editor with the account fulfil signs in as" in message
    assert "`fulfil doctor`" in message and "service account" not in message


def test_a_service_account_in_a_personal_drive_gets_the_storage_quota_advice_once(
    fake,
    service_account_key,  # noqa: F811
    root,
) -> None:
    creds = load_credentials(key_json=service_account_key, api_url=fake.base_url)
    robot = _drive(fake, root, credentials=creds)
    fake.clear_requests()

    with pytest.raises(GoogleApiError) as caught:
        robot.ensure_folder(_spec())

    assert str(caught.value) == f"creating the Drive folder of INV-0001: {STORAGE_QUOTA_ADVICE}"
    assert caught.value.status == 403 and not caught.value.retryable
    creates = [r for r in fake.requests if r.method == "POST" and r.path == "/drive/v3/files"]
    assert [r.status for r in creates] == [403]  # not retried
    assert "as Editor" not in str(caught.value)


def test_a_sheets_403_rate_limit_is_retried_and_never_called_a_permission_problem(fake) -> None:
    key = fake.add_spreadsheet("Form", {"Form Responses 1": [["Timestamp"], ["1"]]})
    gc = gspread_client(_shop_credentials(fake), fake.base_url)
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=FAST)
    fake.inject(r"^GET /v4/spreadsheets/", status=403, reason="rateLimitExceeded", times=2)
    [table] = source.read()
    assert table.rows == [{"Timestamp": "1"}]

    fake.inject(r"^GET /v4/spreadsheets/", status=403, reason="userRateLimitExceeded")
    with pytest.raises(GoogleApiError) as caught:
        source.read()
    assert caught.value.retryable and "permission denied" not in str(caught.value)
    assert "rate limit" in str(caught.value)


def test_a_sign_in_google_no_longer_accepts_is_said_in_words_and_not_retried(fake, root) -> None:
    signed_in = _shop_credentials(fake)
    fake.expire_refresh_tokens()  # e.g. an app left in "Testing": 7 days on
    drive = _drive(fake, root, credentials=signed_in)

    with pytest.raises(GoogleApiError) as caught:
        drive.ensure_folder(_spec())

    assert str(caught.value) == f"finding the Drive folder of INV-0001: {SIGN_IN_EXPIRED}"
    assert not caught.value.retryable
    assert [r.path for r in fake.requests if r.path == "/token"] == ["/token"]


def test_the_default_policy_outlasts_a_per_minute_quota(fake, clock) -> None:
    """Sheets allows 60 reads a minute per user; the 61st read of a minute is answered 429 and
    the default policy keeps trying past the minute (today's gave up after ~30 s of waits)."""
    key = fake.add_spreadsheet("Form", {"Form Responses 1": [["Timestamp", "Nama"], ["1", "Sari"]]})
    gc = gspread_client(_shop_credentials(fake), fake.base_url)
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=RetryPolicy(sleep=clock.sleep))

    for _ in range(60):
        source.read()
    assert clock.waits == []
    [table] = source.read()  # the 61st in the same minute

    assert table.rows == [{"Timestamp": "1", "Nama": "Sari"}]
    throttled = [r for r in fake.requests if r.api == "sheets" and r.status == 429]
    assert throttled and not any(r.fault for r in throttled)  # the quota itself, no injected fault
    assert 60 <= sum(clock.waits) <= 100
    assert max(clock.waits) <= 32


def test_a_quota_that_never_clears_gives_up_after_more_than_a_minute_and_under_the_cap(fake, clock) -> None:
    fake.inject(r"^GET /v4/spreadsheets/", status=429)
    key = fake.add_spreadsheet("Form", {"Form Responses 1": [["Timestamp"]]})
    gc = gspread_client(_shop_credentials(fake), fake.base_url)
    source = FormResponsesSource(gc, key, "Form Responses 1", policy=RetryPolicy(sleep=clock.sleep))

    with pytest.raises(GoogleApiError) as caught:
        source.read()

    assert caught.value.retryable and caught.value.status == 429
    assert 60 < sum(clock.waits) <= 100
    assert max(clock.waits) <= 32


def test_retry_after_is_honoured(fake, drive, clock) -> None:
    fake.inject("GET /drive/v3/files", status=429, retry_after=7, times=1)
    waits: list[float] = []
    drive.policy = RetryPolicy(sleep=waits.append)

    drive.ensure_folder(_spec())

    assert waits == [7.0]


# --- 2. creates are idempotent ----------------------------------------------------------------


def test_generate_ids_and_creates_under_them_on_the_fake(fake, root) -> None:
    service = google_api("drive", "v3", _shop_credentials(fake), fake.base_url)
    answer = service.files().generateIds(count=2, space="drive").execute()
    assert answer["kind"] == "drive#generatedIds" and answer["space"] == "drive" and len(answer["ids"]) == 2

    made = service.files().create(body={"id": answer["ids"][0], "name": "a", "parents": [root]}).execute()
    assert made["id"] == answer["ids"][0]
    with pytest.raises(HttpError) as again:
        service.files().create(body={"id": answer["ids"][0], "name": "a", "parents": [root]}).execute()
    assert again.value.resp.status == 409
    with pytest.raises(HttpError) as made_up:
        service.files().create(
            body={"id": "1made-up-by-the-client", "name": "b", "parents": [root]}
        ).execute()
    assert made_up.value.resp.status == 400 and "The provided file ID is not usable." in str(made_up.value)


def test_lose_answer_applies_the_request_then_hangs_up(fake, root) -> None:
    token = fake.issue_token(SHOP)
    fake.inject("POST /drive/v3/files", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{fake.base_url}/drive/v3/files",
            json={"name": "made", "parents": [root]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
    assert [f["name"] for f in fake.files() if root in f.get("parents", [])] == ["made"]
    assert fake.requests[-1].status == 0 and fake.requests[-1].fault


@pytest.mark.parametrize(
    "route", ["POST /drive/v3/files", "POST /upload/drive/v3/files"], ids=["folder", "readme"]
)
def test_a_create_whose_answer_was_lost_makes_no_twin(fake, drive, route) -> None:
    fake.inject(route, lose_answer=True, times=1)

    link = drive.ensure_folder(_spec())

    [folder] = _folders_of(fake, "INV-0001")
    assert folder["id"] in link
    assert len(_readmes(fake, folder["id"])) == 1
    assert any(r.status == 0 for r in fake.requests)  # the answer really was lost


def test_a_report_upload_whose_answer_was_lost_leaves_one_copy(fake, root, tmp_path: Path) -> None:
    creds = _shop_credentials(fake)
    shelf = DriveReportShelf(lambda: google_api("drive", "v3", creds, fake.base_url), root, policy=FAST)
    report = tmp_path / "harian.csv"
    report.write_text("a,b\n1,2\n")
    fake.inject("POST /upload/drive/v3/files", lose_answer=True, times=1)

    shelf.put([report])

    assert [f["name"] for f in fake.files() if f["name"] == "harian.csv"] == ["harian.csv"]


def test_two_processes_dispatching_the_same_order_keep_one_folder(fake, root) -> None:
    first, second = _drive(fake, root), _drive(fake, root)
    for process in (first, second):  # signed in and connected before the race starts
        assert process.folder_id("INV-0000") is None
    # Both look before either's create lands: the race a lock inside one process cannot see.
    fake.inject("POST /drive/v3/files", delay=0.5, times=2)
    links: list[str] = []

    def dispatch_once(folders: DriveProofFolders) -> None:
        links.append(folders.ensure_folder(_spec()))

    threads = [threading.Thread(target=dispatch_once, args=(p,)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    creates = [r for r in fake.requests if r.method == "POST" and r.path == "/drive/v3/files"]
    assert len(creates) == 2  # both did create...
    [kept] = _folders_of(fake, "INV-0001")  # ...and one folder is left
    assert len(links) == 2 and all(kept["id"] in link for link in links)
    assert first.folder_id("INV-0001") == second.folder_id("INV-0001") == kept["id"]
    assert len(_readmes(fake, kept["id"])) == 1


# --- 3. the proof watch never stalls ----------------------------------------------------------


def test_a_change_under_a_denied_folder_is_skipped_and_the_watch_moves_on(fake, drive, root, caplog) -> None:
    drive.ensure_folder(_spec("INV-0001"))
    cursor = drive.changes(None).cursor
    outside = fake.add_folder("Arsip pribadi")  # not fulfil's, and soon not readable
    inner = fake.add_folder("2026", outside)
    fake.add_file("foto.jpg", b"x", inner)
    fake.deny(outside)
    fake.add_file("bukti.png", b"y", drive.folder_id("INV-0001") or "")

    with caplog.at_level(logging.WARNING, logger="integrations.gdrive.drive"):
        feed = drive.changes(cursor)

    assert feed.order_ids == {"INV-0001"} and feed.cursor != cursor
    assert any("skipped" in r.getMessage() for r in caplog.records)
    fake.clear_requests()
    after = drive.changes(feed.cursor)
    assert after.order_ids == frozenset()
    assert [r.path for r in fake.requests if r.api == "drive"] == ["/drive/v3/changes"]


# --- 4. a proof deleted or moved out is withdrawn ---------------------------------------------


@pytest.fixture
def on_drive(fake, key_json, root, home: Path) -> Iterator[Deps]:  # noqa: F811
    svc = services_on_drive(fake, key_json, root, home)
    svc.proofs = _drive(fake, root)  # signed in as the shop
    svc.clock = lambda: NOW
    dispatch_the_example(svc, EXAMPLES / "orders.csv")
    yield svc
    svc.close()


def _scan(svc: Deps) -> None:
    scan = proofs.scan_proof_folders(svc, proofs.orders_to_watch(svc))
    proofs.judge_proofs(svc, scan.found)
    proofs.save_cursor(svc, scan.cursor)


@pytest.mark.parametrize("how", ["trash", "delete", "move"])
def test_a_proof_deleted_or_moved_out_before_recording_is_withdrawn_like_a_trashed_one(
    on_drive: Deps, fake, root, how
) -> None:
    _scan(on_drive)  # first poll: full listing, token kept
    folder = on_drive.proofs.folder_id("INV-0003")  # type: ignore[attr-defined]
    proof = fake.add_file("serah-terima.pdf", b"%PDF-1.4 ok", folder)
    _scan(on_drive)
    assert on_drive.store.get("INV-0003").status == S.PROOF_RECEIVED

    if how == "trash":
        fake.trash(proof)
    elif how == "delete":
        fake.delete(proof)  # gone for good: the change says only "removed" and the file ID
    else:
        fake.move(proof, fake.add_folder("Salah folder", root))  # its new parent is no order's
    _scan(on_drive)

    three = on_drive.store.get("INV-0003")
    assert three.status == S.DISPATCHED
    assert "ditarik" in three.history[-1].comment.lower()
    assert three.accepted_proofs == []


# --- 5. the quotas in the fake ----------------------------------------------------------------


def test_sheets_answers_the_61st_read_of_a_minute_with_googles_429(fake, clock) -> None:
    key = fake.add_spreadsheet("Form", {"Tab": [["a"]]})
    token, other = fake.issue_token(SHOP), fake.issue_token("lain@gmail.com")
    url = f"{fake.base_url}/v4/spreadsheets/{key}/values/Tab"

    def get(tok: str) -> requests.Response:
        return requests.get(url, headers={"Authorization": f"Bearer {tok}"}, timeout=5)

    assert all(get(token).status_code == 200 for _ in range(60))
    refused = get(token)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
    assert "'Read requests per minute per user'" in error["message"]
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"][0]["metadata"]["quota_limit"] == "ReadRequestsPerMinutePerUser"
    assert get(other).status_code == 200  # per user
    # Writes have their own 60 a minute.
    write = requests.put(
        url,
        params={"valueInputOption": "RAW"},
        json={"values": [["b"]]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert write.status_code == 200
    # A new token for the same user shares the user's quota.
    assert get(fake.issue_token(SHOP)).status_code == 429
    clock.now += 60
    assert get(token).status_code == 200


def test_drive_answers_over_its_per_user_limit_with_403_user_rate_limit_exceeded(clock) -> None:
    with FakeGoogle(clock=clock, drive_per_minute=5) as fake:
        token = fake.issue_token(SHOP)
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{fake.base_url}/drive/v3/files"
        assert all(requests.get(url, headers=headers, timeout=5).status_code == 200 for _ in range(5))
        refused = requests.get(url, headers=headers, timeout=5)
        assert refused.status_code == 403
        assert refused.json()["error"]["errors"][0] == {
            "domain": "usageLimits",
            "reason": "userRateLimitExceeded",
            "message": "User Rate Limit Exceeded",
        }
        clock.now += 61
        assert requests.get(url, headers=headers, timeout=5).status_code == 200
    assert FakeGoogle().drive_per_minute == 12000 and FakeGoogle().sheets_per_minute == 60


def test_the_fakes_quota_is_off_when_asked(clock) -> None:
    with FakeGoogle(clock=clock, sheets_per_minute=None) as fake:
        key = fake.add_spreadsheet("Form", {"Tab": [["a"]]})
        token = fake.issue_token(SHOP)
        url = f"{fake.base_url}/v4/spreadsheets/{key}/values/Tab"
        codes = {
            requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code
            for _ in range(70)
        }
        assert codes == {200}
