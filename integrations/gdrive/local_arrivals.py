"""The lookout on local folders: a look at the proof folders and the intake inbox, by metadata.

A look stats the order folders (two levels: an order's folder and what is in it) and the inbox;
it reads no file. Anything added, removed, renamed or rewritten changes a size or a modification
time, and so the fingerprint. Cheap for a shop's few hundred open orders (a few ms a look); the
folders of long-finished orders cost a stat each, so a shop with very many keeps them on Drive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from integrations.ports import Arrival


def _entries(folder: Path, depth: int) -> Iterator[tuple[str, int, int]]:
    """(path, size, mtime_ns) of everything under `folder`, `depth` levels down, links unfollowed."""
    try:
        with os.scandir(folder) as found:
            for entry in found:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                yield entry.path, st.st_size, st.st_mtime_ns
                if depth > 1 and entry.is_dir(follow_symlinks=False):
                    yield from _entries(Path(entry.path), depth - 1)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return


def fingerprint(path: Path, depth: int) -> int:
    """One number that changes when anything under `path` (a folder, or a single file) does."""
    if path.is_file():
        st = path.stat()
        return hash((st.st_size, st.st_mtime_ns))
    return hash(frozenset(_entries(path, depth)))


class LocalArrivals:
    """Proofs in `drive/<order>/`, order exports in the inbox (a folder, or one file)."""

    def __init__(self, proof_root: Path | None, inbox: Path | None) -> None:
        self._watched = {Arrival.PROOFS: (proof_root, 2), Arrival.ORDERS: (inbox, 1)}
        self._last: dict[Arrival, int] = {}

    def arrivals(self) -> frozenset[Arrival]:
        seen: set[Arrival] = set()
        for arrival, (path, depth) in self._watched.items():
            if path is None:
                continue
            now = fingerprint(path, depth)
            if arrival in self._last and self._last[arrival] != now:
                seen.add(arrival)
            self._last[arrival] = now
        return frozenset(seen)
