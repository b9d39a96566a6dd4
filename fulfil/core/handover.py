"""What the technical team hands back: proof files, notes, and deliverables counted against the order."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fnmatch import fnmatch
from pathlib import PurePath

from fulfil.core.catalogue import Deliverable, ProofRules, Service
from fulfil.core.cells import safe_display_name
from fulfil.core.errors import UnreadableInput
from fulfil.core.goods import content_mismatch, file_digest, taken_elsewhere
from fulfil.core.message_key import MessageKey
from fulfil.core.order import SYSTEM, TEAM, Delivered, Order, ProofFile, Shipment, TeamNote
from fulfil.core.pipeline import MessageKind
from fulfil.core.shipping import Tracking, find_tracking
from fulfil.core.status import OrderStatus

NOTE_FILE_NAMES = ("catatan.txt", "notes.txt")
NOTE_LIMIT = 5000
CUT_MARKER = " … [dipotong / cut]"


@dataclass(frozen=True)
class FoundFile:
    """A file seen in an order's proof folder, before it is judged."""

    name: str
    size: int
    fingerprint: str
    link: str = ""
    md5: str = ""
    # Drive lets the team type a description on any file: it counts as a note.
    description: str = ""
    # False for a symlink, a device, a socket or a FIFO: judged by its name only, never read.
    regular: bool = True


NOT_REGULAR = (
    "Bukan file biasa (tautan/symlink atau perangkat), tidak dibaca: unggah filenya sendiri / "
    "Not a regular file (a symlink or a device), not read: upload the file itself"
)


class UnreadableNote(UnreadableInput):
    pass


def rejection_key(fingerprint: str) -> MessageKey:
    """One message to the division per rejected file: the outbox key carries the file."""
    return MessageKey(MessageKind.PROOF_REJECTED, fingerprint[-12:])


def is_note_file(name: str) -> bool:
    return PurePath(name).name.casefold() in NOTE_FILE_NAMES


def is_deliverable(name: str, deliverable: Deliverable | None) -> bool:
    if deliverable is None:
        return False
    base = PurePath(name).name.casefold()
    return any(fnmatch(base, pattern.casefold()) for pattern in deliverable.patterns)


def contents_needed(order: Order, files: list[FoundFile], service: Service) -> list[FoundFile]:
    """The new files whose contents must be read: notes, and while the order waits every proof
    (what it is, by its first bytes; a deliverable's rows to count)."""
    seen = _seen(order)
    waiting = order.is_waiting_for_proof
    return [
        f
        for f in files
        if f.fingerprint not in seen and f.regular and (is_note_file(f.name) or (waiting and f.size > 0))
    ]


def counts_rows(name: str, service: Service) -> bool:
    rule = service.deliverable
    return rule is not None and rule.count == "rows" and is_deliverable(name, rule)


def clean_note(raw: bytes, limit: int = NOTE_LIMIT) -> str:
    """Plain text from a note file: UTF-8, no control characters, at most `limit` characters."""
    if b"\x00" in raw:
        raise UnreadableNote("Catatan bukan teks (file biner) / The note is not text (binary file)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableNote(
            "Catatan tidak bisa dibaca sebagai UTF-8 / The note cannot be read as UTF-8"
        ) from None
    return clean_text(text, limit)


def clean_text(text: str, limit: int = NOTE_LIMIT) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    text = text.strip()
    if len(text) > limit:
        text = text[:limit] + CUT_MARKER
    return text


def check_delivery(counted: int, ordered: int, deliverable: Deliverable) -> tuple[bool, str]:
    """Whether a counted delivery completes the order, and what a person should read about it."""
    unit = deliverable.unit
    said = f"{counted} dari {ordered} {unit.id} / {counted} of {ordered} {unit.en}"
    if deliverable.check == "none":
        return True, said
    if counted < ordered:
        return False, f"Kurang: {said}"
    if counted > ordered and deliverable.check == "equal":
        return True, f"Lebih: {said}"
    return True, said


@dataclass(frozen=True)
class Counted:
    """What counting a deliverable gave: a number of distinct items (and their digests, and how
    many repeated rows were counted once), or why it could not be counted."""

    count: int | None = None
    error: str = ""
    items: frozenset[str] = frozenset()
    repeated: int = 0


def take_handover(
    order: Order,
    files: list[FoundFile],
    service: Service,
    *,
    at: datetime,
    note_bytes: Mapping[str, bytes],
    counts: Mapping[str, Counted],
    note_limit: int = NOTE_LIMIT,
    sniffed: Mapping[str, str] | None = None,
    owners: Mapping[str, str] | None = None,
) -> list[MessageKey | str] | None:
    """Judge every new file the team dropped; move the order on once its proof is complete.

    `sniffed` says what each file's content is (by fingerprint; see goods.content_mismatch) and
    `owners` which order already holds which goods (see Order.goods_held): goods held by another
    order are refused, naming it.

    Returns the outbox keys to queue (a rejected proof tells the division), or None when
    nothing new was seen. Proofs count only while the order waits; notes count any time.
    """
    changed = _withdrawn(order, files, at=at)
    seen = _seen(order)
    waiting = order.is_waiting_for_proof
    notices: list[MessageKey | str] = []
    for found in files:
        if not found.regular:
            if found.fingerprint not in seen:
                _refuse(order, found, at=at)
                notices.append(rejection_key(found.fingerprint))
                changed = True
        elif is_note_file(found.name):
            if found.fingerprint not in seen and found.fingerprint in note_bytes:
                _take_note_file(order, found, note_bytes[found.fingerprint], at=at, limit=note_limit)
                changed = True
        elif waiting and found.fingerprint not in seen:
            judged = _Judged(
                counts.get(found.fingerprint), (sniffed or {}).get(found.fingerprint), owners or {}
            )
            notice = _take_proof(order, found, service, judged, at=at)
            notices.extend(notice)
            changed = True
        if found.description:
            changed |= _take_description(order, found, at=at, limit=note_limit)
    if waiting and service.shipping is not None:
        notices.extend(_take_tracking(order, service, seen, at=at))
    if waiting and _proof_complete(order, service):
        names = ", ".join(p.name for p in order.accepted_proofs)
        order.move_to(
            OrderStatus.PROOF_RECEIVED,
            actor=SYSTEM,
            comment=f"Bukti diterima: {names} / Proof received",
            at=at,
        )
        changed = True
    return notices if changed else None


def _refuse(order: Order, found: FoundFile, *, at: datetime) -> None:
    shown = safe_display_name(found.name)
    order.proofs.append(ProofFile(shown, found.size, found.fingerprint, False, NOT_REGULAR, ""))
    order.comment(f"Ditolak: {shown} — {NOT_REGULAR}", actor=SYSTEM, at=at)


def _withdrawn(order: Order, files: list[FoundFile], *, at: datetime) -> bool:
    """An accepted proof trashed or removed before the order is recorded: back to waiting."""
    if order.status != OrderStatus.PROOF_RECEIVED:
        return False
    present = {f.fingerprint for f in files}
    gone = [p for p in order.proofs if p.accepted and p.fingerprint not in present]
    if not gone:
        return False
    gone_ids = {p.fingerprint for p in gone}
    reason = "Ditarik dari folder / Withdrawn from the folder"
    order.proofs = [
        replace(p, accepted=False, reason=reason) if p.fingerprint in gone_ids else p for p in order.proofs
    ]
    order.deliverables = [
        replace(d, accepted=False, reason=reason) if d.fingerprint in gone_ids else d
        for d in order.deliverables
    ]
    if order.open_claim is not None:
        back = OrderStatus.REWORK
    else:
        back = OrderStatus.ASSIGNED if order.assignee else OrderStatus.DISPATCHED
    names = ", ".join(p.name for p in gone)
    order.move_to(
        back,
        actor=SYSTEM,
        comment=f"Bukti ditarik: {names} — menunggu bukti lagi / Proof withdrawn, waiting again",
        at=at,
    )
    return True


def judge_file(found: FoundFile, rules: ProofRules) -> str:
    """Why a proof file is rejected, in both languages; empty when it is acceptable."""
    ext = PurePath(found.name).suffix.lower().lstrip(".")
    allowed = ", ".join(rules.allowed_types)
    if found.size == 0:
        return "File kosong / Empty file"
    if ext not in {t.lower() for t in rules.allowed_types}:
        shown = ext or "tanpa ekstensi"
        return f"Jenis file '{shown}' tidak diterima (boleh: {allowed}) / File type not accepted ({allowed})"
    if found.size > rules.max_bytes:
        mb = found.size / 1024 / 1024
        return (
            f"File terlalu besar ({mb:.1f} MB, maks {rules.max_size_mb:g} MB) / "
            f"File too large ({mb:.1f} MB, max {rules.max_size_mb:g} MB)"
        )
    return ""


def _seen(order: Order) -> set[str]:
    return (
        {p.fingerprint for p in order.proofs}
        | {n.fingerprint for n in order.team_notes}
        | {d.fingerprint for d in order.deliverables}
    )


def _take_note_file(order: Order, found: FoundFile, raw: bytes, *, at: datetime, limit: int) -> None:
    shown = safe_display_name(found.name)
    try:
        text = clean_note(raw, limit)
    except UnreadableNote as exc:
        order.proofs.append(ProofFile(shown, found.size, found.fingerprint, False, str(exc), found.link))
        order.comment(f"Catatan ditolak: {shown} — {exc}", actor=SYSTEM, at=at)
        return
    _add_note(order, text, shown, found.fingerprint, at=at)


def _take_description(order: Order, found: FoundFile, *, at: datetime, limit: int) -> bool:
    text = clean_text(found.description, limit)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    # Keyed by the file's name, not its contents: a replaced file with the same description
    # is not a new note.
    fingerprint = f"{found.name}#description:{digest}"
    if not text or fingerprint in _seen(order):
        return False
    _add_note(order, text, f"{safe_display_name(found.name)} (deskripsi)", fingerprint, at=at)
    return True


def _add_note(order: Order, text: str, source: str, fingerprint: str, *, at: datetime) -> None:
    # An empty note is remembered too (so it is not read again), but shown nowhere.
    order.team_notes.append(TeamNote(text, source, at, fingerprint))
    if text:
        order.comment(f"Catatan tim ({source}): {text}", actor=TEAM, at=at)


@dataclass(frozen=True)
class _Judged:
    """What was learnt about one file besides its name: its count, its content, who holds what."""

    counted: Counted | None
    sniffed: str | None
    owners: Mapping[str, str]


def _take_proof(
    order: Order, found: FoundFile, service: Service, judged: _Judged, *, at: datetime
) -> list[MessageKey | str]:
    shown = safe_display_name(found.name)
    reason = judge_file(found, service.proof) or content_mismatch(found.name, judged.sniffed)
    deliverable = service.deliverable
    if not reason and is_deliverable(found.name, deliverable) and deliverable is not None:
        return _take_deliverable(order, found, shown, deliverable, judged, at=at)
    order.proofs.append(ProofFile(shown, found.size, found.fingerprint, not reason, reason, found.link))
    if not reason:
        return []
    order.comment(f"Bukti ditolak: {shown} — {reason}", actor=SYSTEM, at=at)
    return [rejection_key(found.fingerprint)]


def _take_deliverable(
    order: Order,
    found: FoundFile,
    shown: str,
    deliverable: Deliverable,
    judged: _Judged,
    *,
    at: datetime,
) -> list[MessageKey | str]:
    counted = judged.counted
    items: tuple[str, ...] = ()
    elsewhere = _held_elsewhere(order, found, counted, deliverable, judged.owners)
    if deliverable.count == "files" and not elsewhere:
        return _count_files(order, found, shown, deliverable, at=at)
    if elsewhere:
        accepted, count, reason = False, counted.count if counted else None, elsewhere
    elif counted is None or counted.count is None:
        why = counted.error if counted else "tidak terbaca"
        accepted, count = False, None
        reason = f"File tidak bisa dihitung ({why}) / The file cannot be counted ({why})"
    else:
        count = counted.count
        accepted, reason = check_delivery(count, order.expected_count(), deliverable)
        if counted.repeated:
            n = counted.repeated
            reason += f" ({n} baris berulang dihitung sekali / {n} repeated rows counted once)"
        items = tuple(sorted(counted.items)) if accepted else ()
    order.deliverables.append(Delivered(shown, count, found.md5, accepted, reason, found.fingerprint, items))
    order.proofs.append(ProofFile(shown, found.size, found.fingerprint, accepted, reason, found.link))
    if accepted:
        order.comment(f"Terkirim: {shown} — {reason}", actor=SYSTEM, at=at)
        return []
    order.comment(f"Bukti ditolak: {shown} — {reason}", actor=SYSTEM, at=at)
    return [rejection_key(found.fingerprint)]


def _held_elsewhere(
    order: Order,
    found: FoundFile,
    counted: Counted | None,
    deliverable: Deliverable,
    owners: Mapping[str, str],
) -> str:
    """Why these goods cannot go to this order: the same file, or some of its items, already
    went to another order (named). Empty when they are this order's to take."""
    other = owners.get(file_digest(found.md5)) if found.md5 else None
    if other and other != order.order_id:
        return (
            f"File yang sama sudah diserahkan untuk pesanan {other} / "
            f"The same file was already delivered for order {other}"
        )
    taken = taken_elsewhere(order.order_id, counted.items if counted else (), owners)
    if not taken:
        return ""
    unit = deliverable.unit
    first, n = max(taken.items(), key=lambda kv: (kv[1], kv[0]))
    more_id = f" dan {len(taken) - 1} pesanan lain" if len(taken) > 1 else ""
    more_en = f" and {len(taken) - 1} other orders" if len(taken) > 1 else ""
    return (
        f"{n} {unit.id} sudah diserahkan untuk pesanan {first}{more_id} / "
        f"{n} {unit.en} already went to order {first}{more_en}"
    )


def _count_files(
    order: Order, found: FoundFile, shown: str, deliverable: Deliverable, *, at: datetime
) -> list[MessageKey | str]:
    """Each matching file is one unit; the delivery is judged on all of them together."""
    order.proofs.append(ProofFile(shown, found.size, found.fingerprint, True, "", found.link))
    count = sum(1 for p in _current_proofs(order) if p.accepted and is_deliverable(p.name, deliverable))
    accepted, reason = check_delivery(count, order.expected_count(), deliverable)
    order.deliverables.append(Delivered(shown, count, found.md5, accepted, reason, found.fingerprint))
    order.comment(f"Terkirim: {shown} — {reason}", actor=SYSTEM, at=at)
    return []


def _current_proofs(order: Order) -> list[ProofFile]:
    """The proofs that count now: all of them, or during rework those since the claim."""
    claim = order.open_claim
    return order.proofs[claim.proofs_before :] if claim is not None else order.proofs


def _take_tracking(order: Order, service: Service, seen: set[str], *, at: datetime) -> list[MessageKey | str]:
    """Shipped goods are proved by the courier's tracking number (no. resi) in a team note: the
    first new note naming a courier gives the shipment, or tells the division what is wrong."""
    if order.shipment is not None or service.shipping is None:
        return []
    notices: list[MessageKey | str] = []
    for note in order.team_notes:
        if note.fingerprint in seen or not note.text:
            continue
        found = find_tracking(note.text, service.shipping.couriers)
        if isinstance(found, Tracking):
            order.shipments.append(Shipment(found.courier, found.number, at, note.source))
            order.comment(
                f"No. resi {found.courier_name} {found.number} ({note.source}) / Tracking number",
                actor=SYSTEM,
                at=at,
            )
            return []
        if found is not None:
            order.comment(f"No. resi ditolak ({note.source}): {found}", actor=SYSTEM, at=at)
            notices.append(rejection_key(note.fingerprint))
    return notices


def _proof_complete(order: Order, service: Service) -> bool:
    if sum(1 for p in _current_proofs(order) if p.accepted) < service.proof.min_files:
        return False
    if service.shipping is not None and order.shipment is None:
        return False  # packed, but not shown to be with the courier
    deliverable = service.deliverable
    if deliverable is None or deliverable.check == "none":
        return True
    claim = order.open_claim
    current = order.deliverables[claim.deliverables_before :] if claim is not None else order.deliverables
    return any(d.accepted for d in current)


def delivered_count(order: Order, service: Service | None) -> int | None:
    """What the CRM shows as delivered, from the accepted deliverables only."""
    accepted = [d.count for d in order.deliverables if d.accepted and d.count is not None]
    if not accepted:
        return None
    rule = service.deliverable if service else None
    by_files = rule is not None and rule.count == "files"
    # A file-counted record carries the running total; a row-counted one its own rows.
    return max(accepted) if by_files else sum(accepted)
