"""The one place that turns settings into adapters (local ones by default, real ones by choice)
and hands them out as the use cases' Deps. Nothing here is kept between calls: whoever builds
the Deps passes them on and closes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fulfil.config import (
    load_catalogue,
    load_crm_columns,
    load_source_columns,
)
from fulfil.core.invoice import Invoice
from fulfil.messages import MessageComposer
from fulfil.settings import Settings
from fulfil.usecases.channels import BuyerChannel, phone_of
from fulfil.usecases.deps import Deps
from integrations.crm.local_csv import CsvCrmSheet
from integrations.deliverables import read_rows
from integrations.filetypes import sniff
from integrations.gdrive.local_folder import LocalProofFolders
from integrations.gdrive.local_reports import LocalReportShelf
from integrations.keyfile import GOODS_KEY_FILE, read_or_make_key
from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import (
    ArrivalFeed,
    CrmSheet,
    Notifier,
    OrderSource,
    ProofStore,
    ReportShelf,
    SourceOpener,
    Store,
)
from integrations.source.files import FileOrderSource
from integrations.store import OrderStore, claims


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


def build(settings: Settings, *, store: Store | None = None) -> Deps:
    """Every service from settings; `store` replaces the SQL store (the in-memory one in tests).
    The caller owns what it built: `deps.close()` when done."""
    catalogue = load_catalogue(settings.config_dir)
    crm_columns = load_crm_columns(settings.config_dir)
    uses_google = settings.proof_store == "gdrive" or "gsheet" in (settings.crm, settings.source)
    google = GoogleClients(settings) if uses_google else None
    return Deps(
        settings=settings,
        store=store if store is not None else OrderStore.open(settings.db_url),
        catalogue=catalogue,
        source_columns=load_source_columns(settings.config_dir),
        crm_columns=crm_columns,
        composer=MessageComposer(settings.config_dir / "templates", catalogue, shop_name=settings.shop_name),
        proofs=_proof_store(settings, google),
        crm=_crm_sheet(settings, google, crm_columns.header),
        notifier=_notifier(settings),
        report_shelf=_report_shelf(settings, google),
        render_invoice=_render_invoice,
        invoice_shelf=_invoice_shelf(settings, google),
        open_source=_source_opener(settings, google),
        read_rows=read_rows,
        sniff=sniff,
        goods_key=_goods_key(settings),
        claimant=claims.me,
        google=google,
        buyer_channels=_buyer_channels(settings),
    )


def _goods_key(settings: Settings) -> Callable[[], bytes]:
    """FULFIL_GOODS_KEY, or a key made once in FULFIL_HOME (mode 0600). Processes on several
    machines sharing one PostgreSQL store must share FULFIL_GOODS_KEY."""
    kept: list[bytes] = []

    def key() -> bytes:
        if not kept:
            given = settings.goods_key
            kept.append(
                given.get_secret_value().encode()
                if given
                else read_or_make_key(settings.home / GOODS_KEY_FILE)
            )
        return kept[0]

    return key


def _source_opener(settings: Settings, google: GoogleClients | None) -> SourceOpener:
    def open_source(path: Path | None) -> OrderSource:
        if path is None and settings.source == "gsheet" and google is not None:
            from integrations.source.gsheet import FormResponsesSource

            s = settings
            return FormResponsesSource(google.sheets(), s.form_spreadsheet_key, s.form_worksheet)
        return FileOrderSource(path or settings.inbox)

    return open_source


def arrival_feed(settings: Settings) -> ArrivalFeed:
    """The lookout's feed, built alone: the lookout needs no store, CRM nor notifier."""
    from integrations.gdrive.local_arrivals import LocalArrivals

    on_drive = settings.proof_store == "gdrive"
    inbox = None if settings.source == "gsheet" else settings.inbox
    if not on_drive and settings.source != "gsheet":
        return LocalArrivals(settings.home / "drive", inbox)
    if not on_drive:
        # Form answers in a Sheet but proofs in local folders: no feed tells the sheet's edits
        # apart without a Sheets read, so the scheduled intake takes them.
        return LocalArrivals(settings.home / "drive", None)
    from integrations.gdrive.drive_arrivals import DriveArrivals

    google = GoogleClients(settings)
    return DriveArrivals(
        google.drive,
        settings.drive_folder_id,
        form_file_id=settings.form_spreadsheet_key if settings.source == "gsheet" else None,
        inbox=LocalArrivals(None, inbox) if inbox is not None else None,
    )


def _proof_store(settings: Settings, google: GoogleClients | None) -> ProofStore:
    if settings.proof_store == "gdrive" and google is not None:
        from integrations.gdrive.drive import DriveProofFolders

        return DriveProofFolders(google.drive, settings.drive_folder_id)
    return LocalProofFolders(settings.home / "drive")


def _render_invoice(invoice: Invoice, lang: str) -> bytes:
    from integrations.invoices.pdf import render_invoice  # the PDF library loads on first use

    return render_invoice(invoice, lang=lang)


def _invoice_shelf(settings: Settings, google: GoogleClients | None) -> ReportShelf:
    if settings.proof_store == "gdrive" and google is not None:
        from integrations.gdrive.drive_reports import INVOICES_FOLDER, INVOICES_KEY, DriveReportShelf

        return DriveReportShelf(
            google.drive, settings.drive_folder_id, folder_name=INVOICES_FOLDER, key=INVOICES_KEY
        )
    return LocalReportShelf()


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
    return notifier


def _buyer_channels(settings: Settings) -> dict[str, BuyerChannel]:
    """Every channel to buyers besides email: one adapter and one line each."""
    channels: list[BuyerChannel] = []
    if settings.buyer_chat_url is not None:
        from integrations.notifier.chat import WhatsAppSender

        channels.append(BuyerChannel("wa", WhatsAppSender(settings.buyer_chat_url), address_of=phone_of))
    return {c.code: c for c in channels}
