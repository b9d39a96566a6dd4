"""The CRM sheet as a local CSV: header first, order ID in column one, one row per order."""

from __future__ import annotations

import csv
import fcntl
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from fulfil.core.cells import guard_formula
from integrations.crm.header import header_mismatch, only_grows
from integrations.ports import AdapterError


class CrmFileError(AdapterError):
    """The local CRM file cannot be used as it is (its header differs from the configured one)."""


class CsvCrmSheet:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = Path(path)
        self.header = header

    def rows(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        # utf-8-sig: a sheet saved back by Excel as "CSV UTF-8" starts with a byte-order mark.
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            found = next(reader, None)
            if found is None:
                return []
            if found != self.header and not only_grows(found, self.header):
                raise CrmFileError(header_mismatch(str(self.path), found, self.header))
            # A file with fewer columns (before an upgrade) is read by its own header; the next
            # write puts the full header back.
            return [dict(zip(found, r, strict=False)) for r in reader]

    def upsert(self, rows: Iterable[Mapping[str, str]]) -> None:
        # Read, change and write under a lock: two processes syncing at once would each write
        # the sheet they read, and the slower one would drop the other's rows.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._upsert(rows)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _upsert(self, rows: Iterable[Mapping[str, str]]) -> None:
        existing = self.rows()
        key = self.header[0]
        index = {r[key]: i for i, r in enumerate(existing)}
        for row in rows:
            safe = {h: guard_formula(str(row.get(h, ""))) for h in self.header}
            if safe[key] in index:
                existing[index[safe[key]]] = safe
            else:
                index[safe[key]] = len(existing)
                existing.append(safe)
        # Write beside and rename, so a crash mid-write never leaves half a sheet.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.header)
            writer.writerows([r.get(h, "") for h in self.header] for r in existing)
            # On disk before the rename: after a power cut the store may already say "synced".
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
