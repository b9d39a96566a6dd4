"""The interfaces every adapter pair satisfies: a local one by default, a real one by settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fulfil.core.handover import FoundFile


class AdapterError(Exception):
    """An outside system refused or failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class SourceTable:
    """A form export as read: its headers and its rows (header -> text), nothing interpreted."""

    name: str
    headers: list[str]
    rows: list[dict[str, str]]


class OrderSource(Protocol):
    def read(self) -> list[SourceTable]: ...


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


class ProofStore(Protocol):
    def ensure_folder(self, spec: ProofFolderSpec) -> str:
        """Find or create the order's folder (never a second one); return a link to it."""
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


class CrmSheet(Protocol):
    def upsert(self, rows: Iterable[Mapping[str, str]]) -> None:
        """Write rows keyed by the first column: update the row with that ID, or append one."""
        ...

    def rows(self) -> list[dict[str, str]]: ...


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

    @property
    def message_id(self) -> str:
        # The same (order, kind) always carries the same Message-ID, so a resend after a crash
        # is recognisable as the same message.
        key = self.kind.replace(":", ".")
        return f"<{self.order_id}.{key}@fulfil.invalid>"

    @property
    def base_kind(self) -> str:
        """The message kind without its qualifier (`proof_rejected:…` is a proof_rejected)."""
        return self.kind.partition(":")[0]


class Notifier(Protocol):
    def send(self, envelope: Envelope) -> None: ...


class ReportShelf(Protocol):
    def put(self, files: Sequence[Path]) -> dict[str, str]:
        """Keep the report files where managers look, replacing any of the same name (a rerun on the
        same day leaves one copy of each); return a link per file name."""
        ...
