"""The interfaces every adapter pair satisfies: a local one by default, a real one by settings."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

# Adapters raise AdapterError through the ports; it lives with the one error hierarchy.
from fulfil.core.errors import AdapterError as AdapterError
from fulfil.core.errors import UnreadableInput
from fulfil.core.handover import FoundFile
from fulfil.core.identity import KnownResponse
from fulfil.core.message_key import EMAIL, MessageKey
from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.core.stock import Held, Reservation, StockLevel

# An outbox message's state. "unsure": its sender died while handing it over, so it may have
# arrived; it is never sent again by itself (ops check and resend), so nobody gets it twice.
PENDING, SENDING, SENT, FAILED, UNSURE = "pending", "sending", "sent", "failed", "unsure"


class StaleOrder(Exception):
    """Someone else changed the order since it was read: an internal signal to read it again and
    decide again (see usecases/unit_of_work.retry_on_stale), never shown to a person."""


class UncountableFile(UnreadableInput):
    """A deliverable file cannot be read as the table it claims to be."""


@dataclass(frozen=True)
class QueuedTrace:
    """An order change whose Prefect artifact version is still to be written."""

    order_id: str
    first_seq: int  # the order's first history entry of that change
    run_name: str  # the run that made it


@dataclass(frozen=True)
class OutboxMessage:
    order_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    id: int = 0
    state: str = PENDING
    attempts: int = 0
    created_at: datetime | None = None
    sent_at: datetime | None = None
    error: str = ""
    # Whether delivering it is what "buyer notified" in the order's history waits for.
    tells_buyer: bool = False
    channel: str = EMAIL
    # Fingerprints of the order's files to attach when it is sent (never their contents).
    attachments: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How a send report names it: `INV-0001/confirmation`."""
        return f"{self.order_id}/{self.kind}"


@dataclass(frozen=True)
class SourceTable:
    """A form export as read: its headers and its rows (header -> text), nothing interpreted."""

    name: str
    headers: builtins.list[str]
    rows: builtins.list[dict[str, str]]
    # Why this file of a folder could not be read (then it has no headers or rows): the folder's
    # other files are taken in all the same, and the intake names this one and fails at its end.
    problem: str = ""


class OrderSource(Protocol):
    def read(self) -> builtins.list[SourceTable]:
        """Every table of the source. One file or the form sheet that cannot be read raises
        AdapterError; a folder gives each file it cannot read as a table with its `problem`."""
        ...

    def revision(self) -> str | None:
        """A cheap mark that changes whenever the source does (None: it cannot tell, read it)."""
        ...


@dataclass(frozen=True)
class ProofFolderSpec:
    order_id: str
    title: str
    readme: str


@dataclass(frozen=True)
class Changes:
    """What a changes feed says since a cursor: the orders whose folders changed (None: it
    cannot tell, list every watched folder) and the cursor to keep once they are processed."""

    order_ids: frozenset[str] | None
    cursor: str | None


class Arrival(StrEnum):
    """What the lookout saw arrive: something in an order's proof folder, or new form answers."""

    PROOFS = "proofs"
    ORDERS = "orders"


class ArrivalFeed(Protocol):
    """A cheap look for anything new since the last look (the first look only sets the mark).
    It may say so for nothing (a run then finds nothing to do), never stay silent for long about
    something: what it misses, the scheduled runs still pick up."""

    def arrivals(self) -> frozenset[Arrival]: ...


@dataclass(frozen=True)
class SharedFile:
    """A deliverable file the buyer was given read access to."""

    name: str
    link: str  # where the buyer opens it
    grant: str  # the adapter's handle to withdraw it ("FILE_ID/PERMISSION_ID" on Drive; "" locally)


class ShareRefused(AdapterError):
    """The outside system will not share with this address (e.g. no Google account behind it)."""


class ProofStore(Protocol):
    def ensure_folder(self, spec: ProofFolderSpec) -> str:
        """Find or create the order's folder (never a second one); return a link to it."""
        ...

    def ensure_folders(self, specs: Sequence[ProofFolderSpec]) -> Callable[[], dict[str, str]]:
        """Start finding or creating these orders' folders; the call returned waits until they
        exist and gives order ID → link (AdapterError as `ensure_folder`). Where the store can,
        the folders are made while the caller goes on (a local disk); else before returning."""
        ...

    def list_files(self, order_ids: Sequence[str]) -> dict[str, list[FoundFile]]:
        """The files now in each order's folder, the README fulfil wrote left out."""
        ...

    def changes(self, cursor: str | None) -> Changes:
        """One call to the store's changes feed, whatever the number of waiting orders."""
        ...

    def fetch(self, order_id: str, found: FoundFile) -> bytes:
        """The contents of one listed file (a note to read, a deliverable to count)."""
        ...

    def share(
        self, order_id: str, files: Sequence[FoundFile], email: str | None
    ) -> builtins.list[SharedFile]:
        """Give `email` read access to each of these files (never the folder); with None, anyone
        who has the link (a public link, only where the service says so). Safe to repeat: a grant
        that exists already is returned again, not made twice."""
        ...

    def unshare(self, order_id: str, grants: Sequence[str]) -> None:
        """Withdraw these grants; one already gone is no error."""
        ...

    def close(self) -> None:
        """Let go of what the store holds (a local store's folder writer process)."""
        ...


class CrmSheet(Protocol):
    def upsert(self, rows: Iterable[Mapping[str, str]]) -> None:
        """Write rows keyed by the first column: update the row with that ID, or append one."""
        ...

    def rows(self) -> builtins.list[dict[str, str]]: ...


@dataclass(frozen=True)
class InlineImage:
    """A picture shown inside a message's HTML, which refers to it as `cid:<content_id>`.

    The content ID is chosen by the sender, not generated, so a resent message is byte-for-byte
    the same message as the first attempt."""

    filename: str
    content_id: str
    data: bytes = field(repr=False)
    subtype: str = "png"  # image/<subtype>


@dataclass(frozen=True)
class Attachment:
    """A file attached to one email: fetched from the proof store when the message is sent."""

    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


@dataclass(frozen=True)
class Envelope:
    order_id: str
    kind: str
    sender: str
    recipient: str
    subject: str
    body: str
    # Optional: an HTML version of `body` (empty: email notifiers derive one from `body`) and the
    # pictures it shows inline. Chat notifiers send `body` alone.
    html: str = ""
    inline: tuple[InlineImage, ...] = ()
    channel: str = EMAIL
    attachments: tuple[Attachment, ...] = ()

    @property
    def message_id(self) -> str:
        # The same (order, kind) always carries the same Message-ID, so a resend after a crash
        # is recognisable as the same message.
        key = self.kind.replace(":", ".")
        return f"<{self.order_id}.{key}@fulfil.invalid>"

    @property
    def base_kind(self) -> str:
        """The message kind without its qualifier or channel (`proof_rejected:…` is a proof_rejected)."""
        return MessageKey.of(self.kind).kind


class Notifier(Protocol):
    def send(self, envelope: Envelope) -> None: ...


class ReportShelf(Protocol):
    def put(self, files: Sequence[Path]) -> dict[str, str]:
        """Keep the report files where managers look, replacing any of the same name (a rerun on the
        same day leaves one copy of each); return a link per file name."""
        ...


# ----- the order store: the SQL store (integrations/store) and the in-memory one
# (fulfil/testing/memory_store.py) both keep this contract (tests/integration/test_store_contract.py)


class FormResponses(Protocol):
    """Form responses fulfil has named (see fulfil/core/identity.py)."""

    def by_keys(self, keys: Iterable[str]) -> dict[str, KnownResponse]: ...
    def at_rows(self, rows: Iterable[int]) -> builtins.list[KnownResponse]: ...
    def with_answers(self, answers: Iterable[str]) -> builtins.list[KnownResponse]: ...
    def remember(self, known: Sequence[KnownResponse]) -> None: ...


class RowOrigins(Protocol):
    """Which source table each order's row was last read in (a file's name, the form sheet's
    tab), so an intake can tell a row that is gone from it. IDs only: cheap for 50,000 orders."""

    def ids_from(self, origin: str) -> builtins.set[str]: ...
    def remember(self, origin: str, order_ids: Iterable[str]) -> None:
        """These orders' rows were read in `origin` (wherever they were read before)."""

    def forget(self, order_ids: Iterable[str]) -> None:
        """These orders' rows are in no source fulfil knows of any more."""


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    order_id: str
    issued_at: datetime
    voided_at: datetime | None = None
    void_reason: str = ""


class InvoiceBook(Protocol):
    """Invoice numbers (see fulfil/core/invoice.py): one per order, never reused, no gap."""

    def of(self, order_id: str) -> IssuedInvoice | None: ...
    def issue(self, order_id: str, prefix: str, at: datetime) -> IssuedInvoice: ...
    def void(self, order_id: str, at: datetime, reason: str) -> IssuedInvoice | None: ...
    def all(self) -> builtins.list[IssuedInvoice]: ...


class StockBook(Protocol):
    """Stock counts and what each order holds (see fulfil/core/stock.py): a unit is never held by
    two orders, whatever number of processes reserve at once; each call is safe to repeat."""

    def reserve(
        self, order_id: str, service_code: str, units: int, *, start: int, low_at: int, at: datetime
    ) -> Reservation: ...
    def release(self, order_id: str, at: datetime) -> bool: ...
    def consume(self, order_id: str, at: datetime) -> bool: ...
    def take_back(self, order_id: str, at: datetime) -> bool: ...
    def add(self, service_code: str, units: int, *, start: int, at: datetime) -> int: ...
    def held_by(self, order_id: str) -> tuple[Held, int] | None: ...
    def settle(self, at: datetime) -> builtins.list[str]: ...
    def levels(self, start: Mapping[str, int]) -> builtins.list[StockLevel]: ...


class OrderRepository(Protocol):
    def find(self, order_id: str) -> Order | None: ...
    def get(self, order_id: str) -> Order: ...
    def list(self, statuses: Iterable[OrderStatus] | None = None) -> builtins.list[Order]: ...
    def get_many(self, order_ids: Iterable[str]) -> builtins.list[Order]: ...
    def watched_ids(
        self,
        always: Iterable[OrderStatus],
        recent: Iterable[OrderStatus],
        since: datetime,
        *,
        among: Iterable[str] | None = None,
    ) -> builtins.list[str]: ...
    def save(self, order: Order, messages: Iterable[OutboxMessage] = ()) -> None:
        """The order, its new history and its new messages in one go; StaleOrder if it changed,
        or if another order already holds goods this one now holds (Order.goods_held)."""

    def save_many(self, changes: Sequence[tuple[Order, Iterable[OutboxMessage]]]) -> None:
        """Several saves in one transaction (a bulk import's batch): all or none."""

    def goods_owners(self, digests: Iterable[str]) -> dict[str, str]:
        """Which order holds each of these goods digests (those no order holds are left out)."""
        ...


class Outbox(Protocol):
    def claim_messages(
        self, owner: str, limit: int = 500, after_id: int = 0
    ) -> builtins.list[OutboxMessage]: ...
    def start_attempt(
        self, message_id: int, owner: str, sent: tuple[int, datetime] | None = None
    ) -> bool: ...
    def set_aside_interrupted(self) -> builtins.list[OutboxMessage]: ...
    def mark_sent(self, message_id: int, at: datetime, owner: str | None = None) -> None: ...
    def mark_failed(
        self, message_id: int, error: str, *, permanent: bool, owner: str | None = None
    ) -> None: ...
    def messages(self, order_id: str | None = None) -> builtins.list[OutboxMessage]: ...
    def unsent_count(self) -> int: ...
    def failed_messages(self) -> builtins.list[OutboxMessage]: ...
    def retry_failed(self, message_ids: Iterable[int] | None = None) -> builtins.list[OutboxMessage]: ...
    def sent_times(self, order_ids: Iterable[str], kind: str) -> dict[str, datetime]: ...
    def sent_at(self, order_id: str, kind: str) -> datetime | None: ...


class CrmSync(Protocol):
    def crm_stale(self, limit: int = 5000) -> builtins.list[Order]: ...
    def in_crm_unrecorded(self) -> builtins.list[str]: ...
    def crm_synced(self, versions: dict[str, int]) -> None: ...


class TraceBacklog(Protocol):
    def history_mark(self) -> int: ...
    def changed_since(self, mark: int, upto: int | None = None) -> dict[str, int]: ...
    def queue_traces(self, changes: dict[str, int], run_name: str) -> None: ...
    def claim_traces(self, limit: int) -> builtins.list[QueuedTrace]: ...
    def trace_backlog_size(self) -> int: ...


class Cursors(Protocol):
    def get_cursor(self, name: str) -> str | None: ...
    def set_cursor(self, name: str, value: str) -> None: ...
    def claim_cursor(self, name: str, owner: str) -> bool: ...
    def release_cursor(self, name: str, owner: str) -> None: ...


@runtime_checkable
class Store(OrderRepository, Outbox, CrmSync, TraceBacklog, Cursors, Protocol):
    """Everything the use cases keep: one object, one port per concern."""

    @property
    def responses(self) -> FormResponses: ...
    @property
    def invoices(self) -> InvoiceBook: ...
    @property
    def stock(self) -> StockBook: ...
    @property
    def origins(self) -> RowOrigins: ...
    def close(self) -> None:
        """Let go of open connections (a process that built its services closes them)."""


@runtime_checkable
class SelfChecking(Protocol):
    """A real adapter that can say, before the first order, what is wrong with its setup."""

    def check(self) -> list[str]:
        """One line per problem found (none when the outside system is usable as configured)."""
        ...


class GoogleSession(Protocol):
    """The shop's Google sign-in and its API clients, made on first use (see bootstrap)."""

    def credentials(self) -> Any: ...
    def drive(self) -> Any: ...
    def sheets(self) -> Any: ...


# The data rows of a deliverable file (name, content); UncountableFile when it is no table.
RowReader = Callable[[str, bytes], list[tuple[str, ...]]]
# What a file's content is, from its first bytes: "png", "pdf", …, or "text" / "binary".
FileSniffer = Callable[[bytes], str]
# The order source at a file or folder, or the configured one for None.
SourceOpener = Callable[[Path | None], OrderSource]
