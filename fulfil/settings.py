"""Settings from FULFIL_* environment variables, checked at start; nothing points outside by default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
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

    proof_store: Literal["local"] = "local"
    crm: Literal["csv"] = "csv"
    notifier: Literal["outbox"] = "outbox"

    shop_name: str = "Toko Digital Nusantara"
    shop_email: str = "toko@localhost"
    ops_email: str = "ops@localhost"

    note_limit: int = Field(5000, ge=100, description="longest team note kept, in characters")
    late_note_days: int = Field(14, ge=0, description="how long after completion team notes are still read")

    watch_interval_seconds: int = Field(60, ge=5)
    sweep_interval_seconds: int = Field(900, ge=30)
    intake_interval_seconds: int = Field(300, ge=30)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
        return value

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
        name = "FULFIL_" + str(err["loc"][0]).upper() if err["loc"] else "a FULFIL_ setting"
        raise ConfigError(f"bad setting {name}: {err['msg']}") from None
