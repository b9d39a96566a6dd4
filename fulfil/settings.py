"""Settings from FULFIL_* environment variables, checked at start; nothing points outside by default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fulfil.core.errors import ConfigError

PROJECT_CONFIGS = Path(__file__).resolve().parent.parent / "configs"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FULFIL_", extra="ignore")

    home: Path = Field(Path(".fulfil"), description="where the local store, drive, CRM and outbox live")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in FULFIL_HOME")
    timezone: str = "Asia/Jakarta"
    config_dir: Path = PROJECT_CONFIGS
    intake_path: Path | None = Field(None, description="file or folder the scheduled intake reads")

    proof_store: Literal["local", "gdrive"] = "local"
    crm: Literal["csv", "gsheet"] = "csv"
    source: Literal["file", "gsheet"] = "file"
    notifier: Literal["outbox", "smtp"] = "outbox"

    # Google: the shop's own account (`fulfil google login` keeps it in FULFIL_HOME), signed in
    # with the shop's OAuth client (type Desktop app): its client_secret.json, as a file or text.
    google_oauth_client_file: Path | None = None
    google_oauth_client_json: SecretStr | None = None
    # Or a service-account key (file or JSON text; it wins over the stored sign-in), or
    # Application Default Credentials.
    google_credentials_file: Path | None = None
    google_credentials_json: SecretStr | None = None
    # Or the name of a prefect-gcp GcpCredentials block holding the key.
    google_credentials_block: str = ""
    google_subject: str | None = Field(None, description="user to impersonate (domain-wide delegation)")
    # One base URL standing in for Google's hosts (tests, trying fulfil offline); empty: real Google.
    google_api_url: str = ""
    drive_folder_id: str = ""
    crm_spreadsheet_key: str = ""
    crm_worksheet: str = "CRM"
    # How the CRM sheet writes a buyer's WhatsApp number: +6281234567890, or 081234567890.
    crm_phone_format: Literal["international", "local"] = "international"
    form_spreadsheet_key: str = ""
    form_worksheet: str = "Form Responses 1"

    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = ""
    # Or the name of a prefect-email EmailServerCredentials block.
    smtp_credentials_block: str = ""
    # Team chat through apprise URLs (they hold tokens: never printed), comma-separated.
    chat_urls: SecretStr | None = None
    # Buyers who gave a WhatsApp number also get their messages there: an apprise URL with
    # {phone}, e.g. whatsapp://TOKEN@FROM_PHONE_ID/{phone}.
    buyer_chat_url: SecretStr | None = None
    # The key of the goods ledger (no goods delivered twice); made in FULFIL_HOME when unset.
    # Machines sharing one PostgreSQL store must share it.
    goods_key: SecretStr | None = None

    shop_name: str = "Toko Digital Nusantara"
    shop_email: str = "toko@localhost"
    ops_email: str = "ops@localhost"

    note_limit: int = Field(5000, ge=100, description="longest team note kept, in characters")
    late_note_days: int = Field(14, ge=0, description="how long after completion team notes are still read")

    watch_interval_seconds: int = Field(60, ge=5)
    sweep_interval_seconds: int = Field(900, ge=30)
    intake_interval_seconds: int = Field(300, ge=30)
    lookout_seconds: float = Field(
        2.0,
        ge=0,
        description="how often `fulfil serve`'s lookout checks for new proofs and form responses "
        "(one Drive changes call, or a look at the local folders) and starts the run that handles "
        "them; 0 switches it off and leaves the schedules alone",
    )
    order_artifacts_per_run: int = Field(
        50,
        ge=0,
        description="Prefect artifact versions a run writes for changed orders (~8 ms each on the "
        "Prefect server); the rest wait in the store for the next runs, oldest first",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
        return value

    @model_validator(mode="after")
    def _choices_have_what_they_need(self) -> Settings:
        needs = {
            ("proof_store", "gdrive"): ["drive_folder_id"],
            ("crm", "gsheet"): ["crm_spreadsheet_key"],
            ("source", "gsheet"): ["form_spreadsheet_key"],
            ("notifier", "smtp"): [] if self.smtp_credentials_block else ["smtp_host"],
        }
        for (name, value), required in needs.items():
            if getattr(self, name) == value:
                for field in required:
                    if not getattr(self, field):
                        raise ValueError(
                            f"FULFIL_{field.upper()} is required when FULFIL_{name.upper()}={value}"
                        )
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'fulfil.db').resolve()}"

    @property
    def inbox(self) -> Path:
        return self.intake_path or self.home / "inbox"


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line that names the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        if not err["loc"]:  # a rule across settings names its variables itself
            raise ConfigError(f"bad settings: {err['msg'].removeprefix('Value error, ')}") from None
        name = "FULFIL_" + str(err["loc"][0]).upper()
        raise ConfigError(f"bad setting {name}: {err['msg']}") from None
