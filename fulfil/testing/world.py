"""A shop's Google world inside the loopback fake: a proof folder in the shop's My Drive, a CRM
sheet, a form responses sheet, the shop's own sign-in (what `fulfil google login` stores), and a
throwaway service-account key (which Google lets own files only in a shared drive). For tests,
`fulfil dev fake-google` and `fulfil demo --with-fake-google`; never used against the real Google."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from fulfil.testing.fake_google import SHOP_USER, FakeGoogle

SERVICE_ACCOUNT = "fulfil@toko-test.iam.gserviceaccount.com"
FORM_WORKSHEET = "Form Responses 1"
CRM_WORKSHEET = "CRM"


def service_account_json(token_uri: str = "https://oauth2.googleapis.com/token") -> str:
    """A freshly generated service-account key: nothing real is ever in the repository."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "toko-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": SERVICE_ACCOUNT,
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


@dataclass(frozen=True)
class ShopWorld:
    base_url: str
    drive_folder_id: str
    crm_spreadsheet_key: str
    form_spreadsheet_key: str
    # The shop's sign-in (authorized-user JSON with a refresh token the fake issued).
    user_json: str = ""
    shop_user: str = SHOP_USER

    def environment(self, key_json: str | None = None) -> dict[str, str]:
        """The FULFIL_* settings that point fulfil at this world: signed in as the shop's user,
        or with `key_json` (e.g. a service-account key) instead."""
        return {
            "FULFIL_PROOF_STORE": "gdrive",
            "FULFIL_CRM": "gsheet",
            "FULFIL_SOURCE": "gsheet",
            "FULFIL_GOOGLE_API_URL": self.base_url,
            "FULFIL_GOOGLE_CREDENTIALS_JSON": key_json or self.user_json,
            "FULFIL_DRIVE_FOLDER_ID": self.drive_folder_id,
            "FULFIL_CRM_SPREADSHEET_KEY": self.crm_spreadsheet_key,
            "FULFIL_CRM_WORKSHEET": CRM_WORKSHEET,
            "FULFIL_FORM_SPREADSHEET_KEY": self.form_spreadsheet_key,
            "FULFIL_FORM_WORKSHEET": FORM_WORKSHEET,
        }


def build_world(
    fake: FakeGoogle, responses_csv: Path | None = None, *, shared_drive: str | None = None
) -> ShopWorld:
    """What a shop admin makes by hand: a folder and two sheets (form answers as text). The folder
    is in the shop's My Drive, or in the shared drive `shared_drive` (a Workspace shop's way to
    let a service account own files)."""
    root = fake.add_folder("Toko — Bukti Pesanan", drive_id=shared_drive)
    rows: list[list[str]] = []
    if responses_csv is not None:
        with responses_csv.open(newline="", encoding="utf-8") as fh:
            rows = [list(r) for r in csv.reader(fh)]
    form = fake.add_spreadsheet("Respons Formulir Pesanan", {FORM_WORKSHEET: rows}, raw=True)
    crm = fake.add_spreadsheet("CRM Toko", {CRM_WORKSHEET: []})
    user = json.dumps(fake.authorized_user_info(fake.browser_user))
    return ShopWorld(fake.base_url, root, crm, form, user, fake.browser_user)
