"""The one place that turns settings into adapters: local ones by default, real ones by choice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import CrmSheet, Notifier, OrderSource, ProofStore
from integrations.source.files import FileOrderSource
from integrations.store import OrderStore


def utc_now() -> datetime:
    return datetime.now(UTC)


# progress(total, label) gives a function to call with how many items were just done.
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class Services:
    settings: Settings
    store: OrderStore
    catalogue: Catalogue
    source_columns: SourceColumns
    crm_columns: CrmColumns
    composer: MessageComposer
    proofs: ProofStore
    crm: CrmSheet
    notifier: Notifier
    clock: Callable[[], datetime] = field(default=utc_now)
    progress: ProgressFactory = field(default=no_progress)

    def source(self, path: Path | None = None) -> OrderSource:
        return FileOrderSource(path or self.settings.inbox)

    @property
    def tz(self) -> str:
        return self.settings.timezone


def build(settings: Settings) -> Services:
    home = settings.home
    catalogue = load_catalogue(settings.config_dir)
    crm_columns = load_crm_columns(settings.config_dir)
    return Services(
        settings=settings,
        store=OrderStore.open(settings.db_url),
        catalogue=catalogue,
        source_columns=load_source_columns(settings.config_dir),
        crm_columns=crm_columns,
        composer=MessageComposer(settings.config_dir / "templates", catalogue, shop_name=settings.shop_name),
        proofs=LocalProofFolders(home / "drive"),
        crm=CsvCrmSheet(home / "crm.csv", crm_columns.header),
        notifier=EmlOutbox(home / "outbox"),
    )


_current: Services | None = None


def services() -> Services:
    """The process's services, built from the environment on first use."""
    global _current
    if _current is None:
        _current = build(load_settings())
    return _current


def use(svc: Services | None) -> None:
    """Swap the process's services (tests, or the CLI after it read its options)."""
    global _current
    _current = svc
