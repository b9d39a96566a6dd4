"""Drive's in-memory state: files and their changes, kept as a person in the browser would leave them."""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fulfil.testing.fake_google.auth import _ID_ALPHABET, AuthMixin
from fulfil.testing.fake_google.cells import _Sheet, _Spreadsheet
from fulfil.testing.fake_google.wire import GoogleError, _parse_time, _Request, _rfc3339

FOLDER_MIME = "application/vnd.google-apps.folder"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."


@dataclass
class _File:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: float
    modified: float
    seq: int
    content: bytes | None = None
    description: str = ""
    app_properties: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    trashed: bool = False
    explicitly_trashed: bool = False
    trashed_time: float | None = None
    drive_id: str | None = None
    version: int = 1
    starred: bool = False
    original_filename: str | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None  # an email; None in a shared drive (the drive owns its files)
    writers_can_share: bool = True  # "Editors can change permissions and share" (Drive's default)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME


def user_permission_id(email: str) -> str:
    """A user's (or group's) permission ID: Drive gives each account one ID, the same on every
    file it is shared on, in `about.user.permissionId` and in `owners[].permissionId`."""
    digest = hashlib.sha1(email.strip().lower().encode()).hexdigest()
    return f"{int(digest, 16) % 10**20:020d}"


@dataclass
class _Change:
    number: int
    file_id: str
    time: float
    removed: bool
    drive_id: str | None


class DriveStateMixin(AuthMixin):
    """FakeGoogle's Drive: the files, shared drives, denials and the change log behind the API."""

    root_id: str
    strict_all_drives: bool
    _ids: random.Random
    _files: dict[str, _File]
    _seq: int
    _drives: set[str]
    _denied: set[str]
    _changes: list[_Change]
    _change_floor: int
    _books: dict[str, _Spreadsheet]

    # --- Drive helpers (a person in the browser) ---

    def add_folder(
        self,
        name: str,
        parent: str | None = None,
        *,
        app_properties: Mapping[str, str] | None = None,
        drive_id: str | None = None,
    ) -> str:
        with self._lock:
            if drive_id:
                self._drives.add(drive_id)
            parent_id = parent or drive_id or self.root_id
            f = self._new_file(
                {"name": name, "mimeType": FOLDER_MIME, "appProperties": dict(app_properties or {})},
                [parent_id],
                None,
            )
            return f.id

    def add_file(
        self,
        name: str,
        content: bytes,
        parent: str,
        *,
        mime_type: str = "application/octet-stream",
        description: str = "",
        created_time: datetime | str | float | None = None,
        app_properties: Mapping[str, str] | None = None,
    ) -> str:
        with self._lock:
            meta: dict[str, Any] = {
                "name": name,
                "mimeType": mime_type,
                "description": description,
                "appProperties": dict(app_properties or {}),
            }
            if created_time is not None:
                meta["createdTime"] = created_time
            return self._new_file(meta, [parent], bytes(content)).id

    def trash(self, file_id: str) -> None:
        with self._lock:
            self._set_trashed(self._file(file_id), True)

    def untrash(self, file_id: str) -> None:
        with self._lock:
            self._set_trashed(self._file(file_id), False)

    def move(self, file_id: str, new_parent: str) -> None:
        with self._lock:
            f = self._file(file_id)
            self._reparent(f, [new_parent], list(f.parents))
            self._record_change(f)

    def copy(self, file_id: str, new_parent: str) -> str:
        with self._lock:
            return self._copy(self._file(file_id), {"parents": [new_parent]}).id

    def delete(self, file_id: str) -> None:
        with self._lock:
            self._delete(self._file(file_id))

    def deny(self, file_or_spreadsheet_id: str) -> None:
        """The account loses access: later calls on it answer 403, lists and changes drop it."""
        with self._lock:
            self._denied.add(file_or_spreadsheet_id)
            f = self._files.get(file_or_spreadsheet_id)
            if f is not None:
                self._record_change(f, removed=True)

    def allow(self, file_or_spreadsheet_id: str) -> None:
        with self._lock:
            self._denied.discard(file_or_spreadsheet_id)
            f = self._files.get(file_or_spreadsheet_id)
            if f is not None:
                self._record_change(f)

    def expire_change_tokens(self) -> None:
        """Every changes page token handed out so far becomes invalid (answered 400)."""
        with self._lock:
            self._change_floor = len(self._changes) + 1

    def file_content(self, file_id: str) -> bytes:
        with self._lock:
            return bytes(self._file(file_id).content or b"")

    def file(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            return self._metadata(self._file(file_id))

    def permissions(self, file_id: str) -> list[dict[str, Any]]:
        """The permissions set on the file itself (none inherited from its folders), oldest first."""
        with self._lock:
            return [dict(p) for p in self._file(file_id).permissions]

    def files(self) -> list[dict[str, Any]]:
        """Full metadata of every file and folder (trashed ones too), oldest first."""
        with self._lock:
            ordered = sorted(self._files.values(), key=lambda f: f.seq)
            return [self._metadata(f) for f in ordered if f.id != self.root_id]

    # --- Drive: state ---

    def _random_id(self, length: int) -> str:
        return "".join(self._ids.choice(_ID_ALPHABET) for _ in range(length))

    def _new_id(self, length: int = 33) -> str:
        while True:
            candidate = "1" + self._random_id(length - 1)
            if candidate not in self._files:
                return candidate

    def _file(self, file_id: str) -> _File:
        fid = self.root_id if file_id == "root" else file_id
        f = self._files.get(fid)
        if f is None:
            raise KeyError(file_id)
        return f

    def _visible(self, f: _File, req: _Request | None) -> bool:
        if f.id in self._denied or f.id == self.root_id:
            return False
        if req is not None and self.strict_all_drives and f.drive_id:
            return req.flag("supportsAllDrives") and req.flag("includeItemsFromAllDrives")
        return True

    def _get_file(self, req: _Request, file_id: str, *, location: str = "fileId") -> _File:
        fid = self.root_id if file_id == "root" else file_id
        f = self._files.get(fid)
        hidden = f is None or (
            self.strict_all_drives and f.drive_id is not None and not req.flag("supportsAllDrives")
        )
        if hidden:
            raise GoogleError(404, f"File not found: {file_id}.", reason="notFound", location=location)
        assert f is not None
        if f.id in self._denied:
            raise GoogleError(
                403,
                f"The user does not have sufficient permissions for file {file_id}.",
                reason="insufficientFilePermissions",
            )
        return f

    def _resolve_parent(self, parent_id: str, req: _Request | None) -> tuple[str, str | None]:
        """(parent id, the shared drive it is in)."""
        if parent_id == "root":
            return self.root_id, None
        if parent_id in self._drives and parent_id not in self._files:
            return parent_id, parent_id
        parent = self._file(parent_id) if req is None else self._get_file(req, parent_id, location="parents")
        if not parent.is_folder:
            raise GoogleError(403, "The specified parent is not a folder.", reason="parentNotAFolder")
        return parent.id, parent.drive_id

    def _new_file(
        self,
        meta: Mapping[str, Any],
        parents: Sequence[str],
        content: bytes | None,
        req: _Request | None = None,
    ) -> _File:
        if len(parents) > 1:
            raise GoogleError(
                403, "Increasing the number of parents is not allowed.", reason="cannotAddParent"
            )
        parent_id, drive_id = self._resolve_parent(parents[0] if parents else "root", req)
        owner = self._owner_of_new_file(drive_id)
        now = self._clock()
        file_id = str(meta.get("id") or "")
        if file_id and file_id in self._files:
            raise GoogleError(409, "A file already exists with the provided ID.", reason="duplicate")
        mime = str(meta.get("mimeType") or "application/octet-stream")
        is_sheet = mime == SPREADSHEET_MIME
        self._seq += 1
        created = _parse_time(meta["createdTime"]) if meta.get("createdTime") else now
        f = _File(
            id=file_id or self._new_id(44 if is_sheet else 33),
            name=str(meta.get("name") or "Untitled"),
            mime_type=mime,
            parents=[parent_id],
            created=created,
            modified=_parse_time(meta["modifiedTime"]) if meta.get("modifiedTime") else max(now, created),
            seq=self._seq,
            content=None if mime.startswith(GOOGLE_APPS_PREFIX) else (content or b""),
            description=str(meta.get("description") or ""),
            app_properties={k: str(v) for k, v in (meta.get("appProperties") or {}).items() if v is not None},
            properties={k: str(v) for k, v in (meta.get("properties") or {}).items() if v is not None},
            drive_id=drive_id,
            owner=owner,
            writers_can_share=bool(meta.get("writersCanShare", True)),
            starred=bool(meta.get("starred")),
            original_filename=meta.get("originalFilename")
            or (meta.get("name") if content is not None else None),
        )
        self._files[f.id] = f
        if is_sheet:
            book = _Spreadsheet(f.id, f.name, [])
            book.sheets.append(_Sheet(0, "Sheet1", 0))
            self._books[f.id] = book
        self._record_change(f)
        return f

    def _metadata(self, f: _File) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "starred": f.starred,
            "trashed": f.trashed,
            "explicitlyTrashed": f.explicitly_trashed,
            "parents": list(f.parents),
            "spaces": ["drive"],
            "version": str(f.version),
            "webViewLink": self._web_link(f),
            "createdTime": _rfc3339(f.created),
            "modifiedTime": _rfc3339(f.modified),
            "ownedByMe": f.owner is not None and f.owner == self._me(),
            "permissionIds": [p["id"] for p in f.permissions],
        }
        if f.description:
            meta["description"] = f.description
        if f.drive_id is None:  # shared drives decide who may share for the whole drive
            meta["writersCanShare"] = f.writers_can_share
        if f.owner is not None:
            meta["owners"] = [
                {
                    "kind": "drive#user",
                    "displayName": f.owner.split("@")[0],
                    "me": f.owner == self._me(),
                    "permissionId": user_permission_id(f.owner),
                    "emailAddress": f.owner,
                }
            ]
        if f.app_properties:
            meta["appProperties"] = dict(f.app_properties)
        if f.properties:
            meta["properties"] = dict(f.properties)
        if f.drive_id:
            meta["driveId"] = f.drive_id
            meta["teamDriveId"] = f.drive_id
        if f.trashed and f.trashed_time is not None:
            meta["trashedTime"] = _rfc3339(f.trashed_time)
        if f.content is not None:
            data = f.content
            meta["size"] = str(len(data))
            meta["quotaBytesUsed"] = str(len(data))
            meta["md5Checksum"] = hashlib.md5(data).hexdigest()
            meta["sha1Checksum"] = hashlib.sha1(data).hexdigest()
            meta["sha256Checksum"] = hashlib.sha256(data).hexdigest()
            meta["headRevisionId"] = f"0B{f.id[1:12]}{f.version}"
            meta["webContentLink"] = f"https://drive.google.com/uc?id={f.id}&export=download"
            if f.original_filename:
                meta["originalFilename"] = f.original_filename
            if "." in f.name.strip("."):
                meta["fileExtension"] = f.name.rsplit(".", 1)[1]
                meta["fullFileExtension"] = f.name.split(".", 1)[1]
        else:
            meta["quotaBytesUsed"] = "0"
        if f.permissions:
            meta["permissions"] = [dict(p) for p in f.permissions]
        return meta

    @staticmethod
    def _web_link(f: _File) -> str:
        if f.is_folder:
            return f"https://drive.google.com/drive/folders/{f.id}"
        if f.mime_type == SPREADSHEET_MIME:
            return f"https://docs.google.com/spreadsheets/d/{f.id}/edit?usp=drivesdk"
        return f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"

    def _record_change(self, f: _File, *, removed: bool = False) -> None:
        self._changes.append(_Change(len(self._changes) + 1, f.id, self._clock(), removed, f.drive_id))

    def _touch(self, f: _File, *, modified: bool = True) -> None:
        f.version += 1
        if modified:
            f.modified = max(self._clock(), f.modified)

    def _descendants(self, f: _File) -> list[_File]:
        out: list[_File] = []
        stack = [f.id]
        while stack:
            pid = stack.pop()
            for child in self._files.values():
                if pid in child.parents:
                    out.append(child)
                    stack.append(child.id)
        return out

    def _set_trashed(self, f: _File, trashed: bool) -> None:
        now = self._clock()
        if trashed:
            if not f.trashed or not f.explicitly_trashed:
                f.trashed, f.explicitly_trashed, f.trashed_time = True, True, now
                self._touch(f, modified=False)
                self._record_change(f)
            for child in self._descendants(f):
                if not child.trashed:
                    child.trashed, child.trashed_time = True, now
                    self._touch(child, modified=False)
                    self._record_change(child)
        else:
            if f.trashed:
                f.trashed, f.explicitly_trashed, f.trashed_time = False, False, None
                self._touch(f, modified=False)
                self._record_change(f)
            for child in self._descendants(f):
                if child.trashed and not child.explicitly_trashed:
                    child.trashed, child.trashed_time = False, None
                    self._touch(child, modified=False)
                    self._record_change(child)

    def _reparent(
        self, f: _File, add: Sequence[str], remove: Sequence[str], req: _Request | None = None
    ) -> None:
        parents = [p for p in f.parents if p not in {self._alias(r) for r in remove}]
        drive_id = f.drive_id
        for pid in add:
            resolved, drive_id = self._resolve_parent(pid, req)
            if resolved == f.id or any(d.id == resolved for d in self._descendants(f)):
                raise GoogleError(403, "A folder cannot be moved into itself.", reason="cannotMoveIntoSelf")
            if resolved not in parents:
                parents.append(resolved)
        if len(parents) > 1:
            raise GoogleError(
                403, "Increasing the number of parents is not allowed.", reason="cannotAddParent"
            )
        if not parents:
            parents = [self.root_id]
            drive_id = None
        f.parents = parents
        if drive_id != f.drive_id:
            for item in [f, *self._descendants(f)]:
                item.drive_id = drive_id
        self._touch(f, modified=False)

    def _alias(self, file_id: str) -> str:
        return self.root_id if file_id == "root" else file_id

    def _copy(self, f: _File, meta: Mapping[str, Any], req: _Request | None = None) -> _File:
        if f.is_folder:
            raise GoogleError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
        body = {
            "name": f"Copy of {f.name}",
            "mimeType": f.mime_type,
            "description": f.description,
            "appProperties": dict(f.app_properties),
            "properties": dict(f.properties),
        }
        body.update({k: v for k, v in meta.items() if k != "parents"})
        parents = meta.get("parents") or list(f.parents)
        new = self._new_file(body, parents, f.content, req)
        if f.mime_type == SPREADSHEET_MIME and f.id in self._books:
            source = copy.deepcopy(self._books[f.id])
            source.id, source.title = new.id, new.name
            self._books[new.id] = source
        return new

    def _delete(self, f: _File) -> None:
        for item in [*self._descendants(f), f]:
            self._files.pop(item.id, None)
            self._books.pop(item.id, None)
            self._record_change(item, removed=True)
