"""The one place that turns settings into adapters: local ones by default, real ones by choice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fulfil.config import (
    CrmColumns,
    SourceColumns,
    load_catalogue,
    load_crm_columns,
    load_source_columns,
)
from fulfil.core.catalogue import Catalogue
from fulfil.messages import MessageComposer
from fulfil.settings import Settings, load_settings
from integrations.crm.local_csv import CsvCrmSheet
from integrations.gdrive.local_folder import LocalProofFolders
from integrations.gdrive.local_reports import LocalReportShelf
from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import CrmSheet, Notifier, OrderSource, ProofStore, ReportShelf, Store
from integrations.source.files import FileOrderSource
from integrations.store import OrderStore


def utc_now() -> datetime:
    return datetime.now(UTC)


# progress(total, label) gives a function to call with how many items were just done.
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


class GoogleClients:
    """Google credentials and clients, made on first use: a command that never calls Google
    never imports its libraries nor reads the key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._credentials: Any = None
        self._sheets: Any = None

    def credentials(self) -> Any:
        if self._credentials is None:
            from integrations.google.clients import TOKEN_FILE_NAME, load_credentials

            s = self.settings
            secret = s.google_credentials_json
            self._credentials = load_credentials(
                key_file=s.google_credentials_file,
                key_json=secret.get_secret_value() if secret else None,
                subject=s.google_subject,
                api_url=s.google_api_url,
                token_file=s.home / TOKEN_FILE_NAME,
            )
        return self._credentials

    def drive(self) -> Any:
        from integrations.google.clients import google_api

        return google_api("drive", "v3", self.credentials(), self.settings.google_api_url)

    def sheets(self) -> Any:
        if self._sheets is None:
            from integrations.google.clients import gspread_client

            self._sheets = gspread_client(self.credentials(), self.settings.google_api_url)
        return self._sheets


@dataclass
class Services:
    settings: Settings
    store: Store
    catalogue: Catalogue
    source_columns: SourceColumns
    crm_columns: CrmColumns
    composer: MessageComposer
    proofs: ProofStore
    crm: CrmSheet
    notifier: Notifier
    clock: Callable[[], datetime] = field(default=utc_now)
    progress: ProgressFactory = field(default=no_progress)

    google: GoogleClients | None = None
    # Where report files go besides the local folder they are written to (Drive's `Laporan`).
    report_shelf: ReportShelf = field(default_factory=LocalReportShelf)

    def source(self, path: Path | None = None) -> OrderSource:
        """A file or folder when given one; otherwise the configured source."""
        if path is None and self.settings.source == "gsheet" and self.google is not None:
            from integrations.source.gsheet import FormResponsesSource

            s = self.settings
            return FormResponsesSource(self.google.sheets(), s.form_spreadsheet_key, s.form_worksheet)
        return FileOrderSource(path or self.settings.inbox)

    @property
    def tz(self) -> str:
        return self.settings.timezone


def build(settings: Settings, *, store: Store | None = None) -> Services:
    """Every service from settings; `store` replaces the SQL store (the in-memory one in tests)."""
    catalogue = load_catalogue(settings.config_dir)
    crm_columns = load_crm_columns(settings.config_dir)
    uses_google = settings.proof_store == "gdrive" or "gsheet" in (settings.crm, settings.source)
    google = GoogleClients(settings) if uses_google else None
    return Services(
        settings=settings,
        store=store if store is not None else OrderStore.open(settings.db_url),
        catalogue=catalogue,
        source_columns=load_source_columns(settings.config_dir),
        crm_columns=crm_columns,
        composer=MessageComposer(settings.config_dir / "templates", catalogue, shop_name=settings.shop_name),
        proofs=_proof_store(settings, google),
        crm=_crm_sheet(settings, google, crm_columns.header),
        notifier=_notifier(settings),
        google=google,
        report_shelf=_report_shelf(settings, google),
    )


def _proof_store(settings: Settings, google: GoogleClients | None) -> ProofStore:
    if settings.proof_store == "gdrive" and google is not None:
        from integrations.gdrive.drive import DriveProofFolders

        return DriveProofFolders(google.drive, settings.drive_folder_id)
    return LocalProofFolders(settings.home / "drive")


def _report_shelf(settings: Settings, google: GoogleClients | None) -> ReportShelf:
    if settings.proof_store == "gdrive" and google is not None:
        from integrations.gdrive.drive_reports import DriveReportShelf

        return DriveReportShelf(google.drive, settings.drive_folder_id)
    return LocalReportShelf()


def _crm_sheet(settings: Settings, google: GoogleClients | None, header: list[str]) -> CrmSheet:
    if settings.crm == "gsheet" and google is not None:
        from integrations.crm.gsheet import GoogleCrmSheet

        return GoogleCrmSheet(google.sheets(), settings.crm_spreadsheet_key, settings.crm_worksheet, header)
    return CsvCrmSheet(settings.home / "crm.csv", header)


def _notifier(settings: Settings) -> Notifier:
    email: Notifier = EmlOutbox(settings.home / "outbox")
    if settings.notifier == "smtp":
        from integrations.notifier.smtp import SmtpSender

        email = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username or None,
            password=settings.smtp_password,
            from_address=settings.smtp_from or None,
        )
    notifier = email
    if settings.chat_urls is not None:
        from integrations.notifier.chat import AppriseSender, CompositeNotifier

        urls = [u.strip() for u in settings.chat_urls.get_secret_value().split(",") if u.strip()]
        notifier = CompositeNotifier(email, AppriseSender(urls))
    if settings.buyer_chat_url is not None:
        from integrations.notifier.chat import BuyerChat

        notifier = BuyerChat(settings.buyer_chat_url, notifier)
    return notifier


_current: Services | None = None


def services() -> Services:
    """The process's services, built from the environment on first use."""
    global _current
    if _current is None:
        _current = build(load_settings())
    return _current


def current() -> Services | None:
    return _current


def use(svc: Services | None) -> None:
    """Swap the process's services (tests, or the CLI after it read its options)."""
    global _current
    _current = svc
