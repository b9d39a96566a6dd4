"""What every use case is given: the ports, the configuration, the clock. Built once per process
(the CLI) or per flow run (the tasks) by fulfil/bootstrap.py and passed in; the use cases never
build or look up an adapter themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fulfil.config import CrmColumns, SourceColumns
from fulfil.core.catalogue import Catalogue
from fulfil.core.errors import AdapterError
from fulfil.core.invoice import Invoice
from fulfil.core.message_key import EMAIL
from fulfil.messages import MessageComposer
from fulfil.settings import Settings
from fulfil.usecases.channels import BuyerChannel
from integrations.ports import (
    CrmSheet,
    FileSniffer,
    GoogleSession,
    Notifier,
    OrderSource,
    ProofStore,
    ReportShelf,
    RowReader,
    SourceOpener,
    Store,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


# progress(total, label) gives a function to call with how many items were just done.
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class Deps:
    settings: Settings
    store: Store
    catalogue: Catalogue
    source_columns: SourceColumns
    crm_columns: CrmColumns
    composer: MessageComposer
    proofs: ProofStore
    crm: CrmSheet
    notifier: Notifier
    # Where report files go besides the local folder they are written to (Drive's `Laporan`).
    report_shelf: ReportShelf
    open_source: SourceOpener
    read_rows: RowReader
    sniff: FileSniffer
    # The key of the goods ledger's digests (fulfil/core/goods.py), read or made on first use.
    goods_key: Callable[[], bytes]
    # This process as the owner of a claim (see integrations/store/claims.py).
    claimant: Callable[[], str]
    # An invoice printed as PDF bytes, in the buyer's language (integrations/invoices).
    render_invoice: Callable[[Invoice, str], bytes]
    # Where invoice files go besides $FULFIL_HOME/invoices (Drive's `Faktur` folder).
    invoice_shelf: ReportShelf
    clock: Callable[[], datetime] = field(default=utc_now)
    progress: ProgressFactory = field(default=no_progress)
    google: GoogleSession | None = None
    # Channels to buyers besides email, by code (see fulfil/usecases/channels.py).
    buyer_channels: dict[str, BuyerChannel] = field(default_factory=dict)

    def sender_for(self, channel: str) -> Notifier:
        """Who sends a message of this channel: the email notifier, or a registered channel's."""
        if channel == EMAIL:
            return self.notifier
        registered = self.buyer_channels.get(channel)
        if registered is None:
            raise AdapterError(
                f"a message waits for channel {channel!r}, which is not set up here "
                "(FULFIL_BUYER_CHAT_URL for WhatsApp); `fulfil outbox retry` once it is"
            )
        return registered.sender

    def source(self, path: Path | None = None) -> OrderSource:
        """A file or folder when given one; otherwise the configured source."""
        return self.open_source(path)

    @property
    def tz(self) -> str:
        return self.settings.timezone

    def close(self) -> None:
        """Let go of what the services hold open (the store's connections, the folder writer)."""
        self.store.close()
        self.proofs.close()
