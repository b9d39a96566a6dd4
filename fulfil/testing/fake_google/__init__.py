"""A loopback fake of Google's OAuth token, Drive v3 and Sheets v4 REST APIs.

It speaks the wire shapes the real clients send (google-api-python-client, gspread, google-auth),
so the project's Google adapters run unchanged against it. State lives in memory behind one lock;
tests arrange it through helpers that act like a person using Drive and Sheets in a browser, and
provoke failures with `inject`. Stdlib only.

Identity is as strict as Google's: only access tokens the fake issued are accepted (401 otherwise),
each acts as a principal (a service account from the JWT grant, or a user: the refresh-token and
authorization-code grants, the consent screen at /o/oauth2/auth answered by `browser_user`, or a
service account with `sub`) within its scopes (403 insufficientPermissions otherwise). Files get
an owner, and a service account may own none outside a shared drive (403 storageQuotaExceeded).
Raw-HTTP tests take a token from `issue_token()`; `authorized_user_info()` is a stored sign-in.

    with FakeGoogle() as fake:
        folder = fake.add_folder("Proofs")
        ...  # point a client's rootUrl / transport at fake.base_url

Run it in the foreground with `python -m fulfil.testing.fake_google --port 8765`.
"""

from fulfil.testing.fake_google.auth import (
    AUTH_PATH,
    DRIVE_SCOPE,
    JWT_GRANT,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    SHEETS_SCOPE,
    SHOP_USER,
    STORAGE_QUOTA_MESSAGE,
    TESTING_REFRESH_TOKEN_LIFETIME,
    Principal,
)
from fulfil.testing.fake_google.cells import UNEVALUATED, Formula
from fulfil.testing.fake_google.drive_state import FOLDER_MIME, GOOGLE_APPS_PREFIX, SPREADSHEET_MIME
from fulfil.testing.fake_google.server import FakeGoogle, RequestRecord, main
from fulfil.testing.fake_google.wire import GoogleError

__all__ = [
    "AUTH_PATH",
    "DRIVE_SCOPE",
    "FOLDER_MIME",
    "GOOGLE_APPS_PREFIX",
    "JWT_GRANT",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
    "SHEETS_SCOPE",
    "SHOP_USER",
    "SPREADSHEET_MIME",
    "STORAGE_QUOTA_MESSAGE",
    "TESTING_REFRESH_TOKEN_LIFETIME",
    "UNEVALUATED",
    "FakeGoogle",
    "Formula",
    "GoogleError",
    "Principal",
    "RequestRecord",
    "main",
]
