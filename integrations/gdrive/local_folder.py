"""A local folder standing in for the shared Drive folder: `<root>/<order-id>/`, one per order."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from fulfil.core.handover import FoundFile
from integrations.gdrive.folder_writer import README, make_folder
from integrations.gdrive.writer_process import FolderWriter
from integrations.ports import AdapterError, Changes, ProofFolderSpec, SharedFile

# Left by editors and sync clients while a file is still being written.
_PARTIAL = (".part", ".tmp", ".crdownload", ".~lock")


class LocalProofFolders:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Links are made from the root resolved once: resolving each folder cost a stat per part
        # of its path, for every order of an import.
        self._resolved_root = self.root.resolve()
        self._writer: FolderWriter | None = None

    def folder(self, order_id: str) -> Path:
        if not order_id or "/" in order_id or "\\" in order_id or order_id in (".", ".."):
            raise AdapterError(f"refusing a folder for order ID {order_id!r}")
        return self.root / order_id

    def ensure_folder(self, spec: ProofFolderSpec) -> str:
        self.folder(spec.order_id)  # refused before anything is made
        make_folder(self.root, spec.order_id, spec.readme)
        return self._link(spec.order_id)

    def ensure_folders(self, specs: Sequence[ProofFolderSpec]) -> Callable[[], dict[str, str]]:
        """The folders are made by a writer process while the caller goes on (see
        folder_writer.py); the call returned waits for them."""
        for spec in specs:
            self.folder(spec.order_id)  # refused before anything is made
        if not specs:
            return lambda: {}
        if self._writer is None or not self._writer.alive():
            self._writer = FolderWriter(self.root)
        answer = self._writer.send([(spec.order_id, spec.readme) for spec in specs])

        def links() -> dict[str, str]:
            failed = [f"{s.order_id}: {why}" for s, why in zip(specs, answer(), strict=True) if why]
            if failed:
                raise AdapterError(f"proof folders not made: {'; '.join(failed[:5])}", retryable=True)
            return {spec.order_id: self._link(spec.order_id) for spec in specs}

        return links

    def _link(self, order_id: str) -> str:
        return (self._resolved_root / order_id).as_uri()

    def list_files(self, order_ids: Sequence[str]) -> dict[str, list[FoundFile]]:
        found: dict[str, list[FoundFile]] = {}
        for order_id in order_ids:
            folder = self.folder(order_id)
            # The order's own folder must be a real folder: a symlinked one would have fulfil
            # read (and mail) whatever it points at.
            if folder.is_symlink() or not folder.is_dir():
                found[order_id] = []
                continue
            found[order_id] = [_found(folder, path) for path in _proof_candidates(folder)]
        return found

    def changes(self, cursor: str | None) -> Changes:
        # A local folder has no feed: listing the watched folders is cheap.
        return Changes(None, None)

    def _own_file(self, order_id: str, found: FoundFile, doing: str) -> Path:
        """The listed file, refused when it lies outside the order's folder or is no regular file."""
        folder = self.folder(order_id)
        path = folder / found.name
        if folder.is_symlink() or folder.resolve() not in path.resolve().parents:
            raise AdapterError(f"refusing to {doing} {found.name!r} outside the folder of {order_id}")
        if not _regular(path):
            raise AdapterError(f"refusing to {doing} {found.name!r}: not a regular file")
        return path

    def fetch(self, order_id: str, found: FoundFile) -> bytes:
        path = self._own_file(order_id, found, "read")
        # O_NOFOLLOW: a file swapped for a symlink since it was listed is still not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    def share(self, order_id: str, files: Sequence[FoundFile], email: str | None) -> list[SharedFile]:
        """A local folder has no access control and no one to grant it to: each file is "shared" as
        its file:// link, readable by whoever can read this disk, and there is nothing to withdraw
        (the grant is ""). The address is not used."""
        return [
            SharedFile(found.name, self._own_file(order_id, found, "share").resolve().as_uri(), "")
            for found in files
        ]

    def unshare(self, order_id: str, grants: Sequence[str]) -> None:
        """Nothing was granted (see `share`): nothing to withdraw."""

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _proof_candidates(folder: Path) -> list[Path]:
    """Entries at the top of the folder and one level down, oldest name first. Subfolders are
    entered only when they are real folders; symlinks and devices are listed (to be refused),
    never followed."""
    out: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and not entry.name.startswith("."):
            out.extend(sorted(p for p in entry.iterdir() if _is_candidate(p)))
        elif _is_candidate(entry) and entry.name != README:
            out.append(entry)
    return out


def _regular(path: Path) -> bool:
    return stat.S_ISREG(path.lstat().st_mode)


def _is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith(".") or name.lower().endswith(_PARTIAL):
        return False
    return not (path.is_dir() and not path.is_symlink())  # a real subfolder is entered, not judged


def _found(folder: Path, path: Path) -> FoundFile:
    relative = path.relative_to(folder).as_posix()
    if not _regular(path):
        # Judged by its name and kind only: never opened, never followed.
        # Named by its path and kind: the fingerprint must still end unique to the file.
        kind = hashlib.sha256(f"{relative}:{stat.S_IFMT(path.lstat().st_mode)}".encode()).hexdigest()
        return FoundFile(name=relative, size=0, fingerprint=f"{relative}:{kind[:32]}", regular=False)
    digest = hashlib.md5(usedforsecurity=False)
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return FoundFile(
        name=relative,
        size=path.lstat().st_size,
        fingerprint=f"{relative}:{digest.hexdigest()}",
        link=path.resolve().as_uri(),
        md5=digest.hexdigest(),
    )
