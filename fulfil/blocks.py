"""Secrets kept in Prefect blocks: prefect-gcp's GcpCredentials and prefect-email's
EmailServerCredentials, loaded by name into the settings. Imported only when a *_BLOCK
setting is set, so nothing else pays for Prefect or these packages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from fulfil.core.errors import ConfigError
from fulfil.settings import Settings

_SECURITY = {"SSL": "ssl", "STARTTLS": "starttls", "INSECURE": "none"}


def apply_blocks(settings: Settings) -> Settings:
    updates: dict[str, Any] = {}
    if settings.google_credentials_block:
        updates.update(_google(settings.google_credentials_block))
    if settings.smtp_credentials_block:
        updates.update(_smtp(settings.smtp_credentials_block))
    return settings.model_copy(update=updates) if updates else settings


def _load(block_type: Any, name: str, setting: str) -> Any:
    try:
        return block_type.load(name)
    except ValueError:
        raise ConfigError(f"{setting}: no {block_type.__name__} block named {name!r} in Prefect") from None


def _google(name: str) -> dict[str, Any]:
    try:
        from prefect_gcp import GcpCredentials
    except ImportError:
        raise ConfigError(
            "FULFIL_GOOGLE_CREDENTIALS_BLOCK needs prefect-gcp: pip install -e '.[blocks]'"
        ) from None
    block = _load(GcpCredentials, name, "FULFIL_GOOGLE_CREDENTIALS_BLOCK")
    if block.service_account_info is not None:
        return {
            "google_credentials_json": SecretStr(json.dumps(block.service_account_info.get_secret_value()))
        }
    if block.service_account_file is not None:
        return {"google_credentials_file": Path(block.service_account_file)}
    return {}  # the block says: use Application Default Credentials


def _smtp(name: str) -> dict[str, Any]:
    try:
        from prefect_email import EmailServerCredentials
    except ImportError:
        raise ConfigError(
            "FULFIL_SMTP_CREDENTIALS_BLOCK needs prefect-email: pip install -e '.[blocks]'"
        ) from None
    block = _load(EmailServerCredentials, name, "FULFIL_SMTP_CREDENTIALS_BLOCK")
    security = _SECURITY[block.smtp_type.name]
    return {
        "smtp_host": block.smtp_server,
        "smtp_port": block.smtp_port or block.smtp_type.value,
        "smtp_security": security,
        "smtp_username": block.username or "",
        "smtp_password": block.password,
    }
