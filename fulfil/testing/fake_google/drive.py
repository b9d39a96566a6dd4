"""Drive v3 routes: files, changes, permissions, about and generateIds, with their `fields` schemas."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from fulfil.testing.fake_google.drive_state import (
    GOOGLE_APPS_PREFIX,
    DriveStateMixin,
    _File,
    user_permission_id,
)
from fulfil.testing.fake_google.search import _parse_q
from fulfil.testing.fake_google.wire import (
    GoogleError,
    _apply_fields,
    _check_fields,
    _invalid,
    _json_reply,
    _parse_fields,
    _parse_time,
    _Reply,
    _Request,
    _rfc3339,
    _Schema,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Field names of Drive's File resource (from the v3 discovery document): a `fields` mask naming
# anything else is answered 400 like Google does. Fields the fake does not model are just absent.
_DRIVE_FILE_FIELDS = _words(
    """
    appProperties capabilities clientEncryptionDetails contentHints contentRestrictions
    copyRequiresWriterPermission createdTime description downloadRestrictions driveId
    explicitlyTrashed exportLinks fileExtension folderColorRgb fullFileExtension
    hasAugmentedPermissions hasThumbnail headRevisionId iconLink id imageMediaMetadata
    inheritedPermissionsDisabled isAppAuthorized kind labelInfo lastModifyingUser linkShareMetadata
    md5Checksum mimeType modifiedByMe modifiedByMeTime modifiedTime name originalFilename ownedByMe
    owners parents permissionIds permissions properties quotaBytesUsed resourceKey sha1Checksum
    sha256Checksum shared sharedWithMeTime sharingUser shortcutDetails size spaces starred
    teamDriveId thumbnailLink thumbnailVersion trashed trashedTime trashingUser version
    videoMediaMetadata viewedByMe viewedByMeTime viewersCanCopyContent webContentLink webViewLink
    writersCanShare
    """
)
_PERMISSION_FIELDS = _words(
    """
    allowFileDiscovery deleted displayName domain emailAddress expirationTime id
    inheritedPermissionsDisabled kind pendingOwner permissionDetails photoLink role
    teamDrivePermissionDetails type view
    """
)
_FILE_SCHEMA: _Schema = dict.fromkeys(_DRIVE_FILE_FIELDS)
_FILE_LIST_SCHEMA: _Schema = {
    "kind": None,
    "nextPageToken": None,
    "incompleteSearch": None,
    "files": _FILE_SCHEMA,
}
_CHANGE_SCHEMA: _Schema = {
    **dict.fromkeys(["kind", "removed", "fileId", "time", "driveId", "type", "teamDriveId", "changeType"]),
    **dict.fromkeys(["drive", "teamDrive"]),
    "file": _FILE_SCHEMA,
}
_CHANGE_LIST_SCHEMA: _Schema = {
    "kind": None,
    "nextPageToken": None,
    "newStartPageToken": None,
    "changes": _CHANGE_SCHEMA,
}
_PERMISSION_SCHEMA: _Schema = dict.fromkeys(_PERMISSION_FIELDS)
_PERMISSION_LIST_SCHEMA: _Schema = {"kind": None, "nextPageToken": None, "permissions": _PERMISSION_SCHEMA}

# What Drive answers when the request names no `fields`.
_DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
_DEFAULT_LIST_FIELDS = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"
_DEFAULT_CHANGES_FIELDS = (
    "kind,nextPageToken,newStartPageToken,"
    "changes(kind,type,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType))"
)
_DEFAULT_PERMISSION_FIELDS = "kind,id,type,role"

_CREATE_WRITABLE = _words(
    """
    name mimeType parents description appProperties properties createdTime modifiedTime starred
    originalFilename id contentHints folderColorRgb writersCanShare copyRequiresWriterPermission
    viewersCanCopyContent kind
    """
)
_UPDATE_WRITABLE = _words(
    """
    name mimeType description appProperties properties trashed starred modifiedTime originalFilename
    contentHints folderColorRgb writersCanShare copyRequiresWriterPermission viewersCanCopyContent
    kind
    """
)
_PERMISSION_ROLES = frozenset({"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"})
_PERMISSION_TYPES = frozenset({"user", "group", "domain", "anyone"})
# How much each role may do; a role on a folder reaches everything inside it.
_ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}
# Drive's words for a caller who may see a file but not change who else may (permissions.*).
INSUFFICIENT_FILE_PERMISSIONS = "The user does not have sufficient permissions for this file."
# Drive's answer to a silent share (sendNotificationEmail=false) with an address that is no Google
# account: only an invitation e-mail could reach it, the "Notify people" box of the share dialog.
NO_GOOGLE_ACCOUNT = (
    'Bad Request. User message: "You are trying to invite {email}. Since there is no Google account '
    'associated with this email address, you must check the "Notify people" box to invite this '
    'recipient."'
)


class DriveMixin(DriveStateMixin):
    """FakeGoogle's Drive v3 API, answered from the Drive state."""

    _generated: set[str]

    # --- Drive: routes ---

    def _about(self, req: _Request) -> _Reply:
        if req.arg("fields") is None:
            raise GoogleError(400, "The 'fields' parameter is required for this method.", reason="required")
        who = self._me()
        user = {
            "kind": "drive#user",
            "displayName": who.split("@")[0],
            "me": True,
            "permissionId": user_permission_id(who),
            "emailAddress": who,
        }
        tree = _parse_fields(req.arg("fields") or "")
        return _json_reply(200, _apply_fields({"kind": "drive#about", "user": user}, tree))

    def _drive(self, req: _Request) -> _Reply:
        parts = [unquote(p) for p in req.path.split("/")[3:]]
        method = req.method
        if parts == ["files"] and method == "GET":
            return self._files_list(req)
        if parts == ["files", "generateIds"] and method in ("GET", "POST"):
            return self._generate_ids(req)
        if parts[:1] == ["files"] and "permissions" not in parts:
            self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)  # a bad mask fails before any change
        if parts == ["files"] and method == "POST":
            meta = req.json()
            f = self._create_checked(req, meta, None, None)
            return self._file_reply(req, f)
        if parts == ["changes", "startPageToken"] and method == "GET":
            return _json_reply(
                200, {"kind": "drive#startPageToken", "startPageToken": str(len(self._changes) + 1)}
            )
        if parts == ["changes"] and method == "GET":
            return self._changes_list(req)
        if len(parts) >= 2 and parts[0] == "files":
            f = self._get_file(req, parts[1])
            rest = parts[2:]
            if f.id == self.root_id and not (method == "GET" and not rest):
                raise GoogleError(403, "The root folder cannot be changed.", reason="forbidden")
            if not rest and method == "GET":
                if req.arg("alt") == "media":
                    return self._download(req, f)
                return self._file_reply(req, f)
            if not rest and method == "PATCH":
                self._update(req, f, req.json(), None, None)
                return self._file_reply(req, f)
            if not rest and method == "DELETE":
                self._delete(f)
                return _Reply(204)
            if rest == ["copy"] and method == "POST":
                meta = req.json()
                self._check_writable(meta, _CREATE_WRITABLE)
                return self._file_reply(req, self._copy(f, meta, req))
            if rest == ["permissions"] and method == "POST":
                return self._permission_create(req, f)
            if rest == ["permissions"] and method == "GET":
                self._check_role(f, "writer")  # a viewer may not see who else has access
                tree = self._fields(
                    req,
                    _PERMISSION_LIST_SCHEMA,
                    "kind,nextPageToken,permissions(" + _DEFAULT_PERMISSION_FIELDS + ")",
                )
                body = {"kind": "drive#permissionList", "permissions": [dict(p) for p in f.permissions]}
                return _json_reply(200, _apply_fields(body, tree))
            if len(rest) == 2 and rest[0] == "permissions":
                if method == "DELETE":
                    self._check_can_share(f)
                else:
                    self._check_role(f, "writer")
                perm = next((p for p in f.permissions if p["id"] == rest[1]), None)
                if perm is None:
                    raise GoogleError(
                        404, f"Permission not found: {rest[1]}.", reason="notFound", location="permissionId"
                    )
                if method == "DELETE":
                    f.permissions.remove(perm)
                    self._touch(f, modified=False)
                    self._record_change(f)
                    return _Reply(204)
                if method == "GET":
                    tree = self._fields(req, _PERMISSION_SCHEMA, _DEFAULT_PERMISSION_FIELDS)
                    return _json_reply(200, _apply_fields(dict(perm), tree))
            if rest == ["export"] and method == "GET":
                raise GoogleError(400, "Export is not supported by the fake.", reason="badRequest")
        raise GoogleError(404, f"Not Found: {method} {req.path}", reason="notFound")

    def _fields(self, req: _Request, schema: _Schema, default: str) -> dict[str, Any] | None:
        spec = req.arg("fields")
        tree = _parse_fields(default if spec is None else spec)
        _check_fields(tree, schema, spec or default)
        return tree

    def _file_reply(self, req: _Request, f: _File, status: int = 200) -> _Reply:
        tree = self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)
        return _json_reply(status, _apply_fields(self._metadata(f), tree))

    @staticmethod
    def _check_writable(meta: Mapping[str, Any], writable: frozenset[str]) -> None:
        if "parents" in meta and "parents" not in writable:
            raise GoogleError(
                403,
                "The parents field is not directly writable in update requests. "
                "Use the addParents and removeParents parameters instead.",
                reason="fieldNotWritable",
            )
        bad = sorted(k for k in meta if k not in writable)
        if bad:
            raise GoogleError(
                403,
                f"The resource body includes fields which are not directly writable: {', '.join(bad)}.",
                reason="fieldNotWritable",
            )

    def _generate_ids(self, req: _Request) -> _Reply:
        count = _bounded_int(req, "count", default=10)
        space = req.arg("space") or "drive"
        if space not in ("drive", "appDataFolder"):
            raise _invalid("space")
        ids = []
        for _ in range(count):
            candidate = self._new_id()
            while candidate in self._generated:
                candidate = self._new_id()
            self._generated.add(candidate)
            ids.append(candidate)
        return _json_reply(200, {"kind": "drive#generatedIds", "space": space, "ids": ids})

    def _create_checked(
        self, req: _Request, meta: dict[str, Any], content: bytes | None, media_mime: str | None
    ) -> _File:
        self._check_writable(meta, _CREATE_WRITABLE)
        wanted = str(meta.get("id") or "")
        if wanted and wanted not in self._files and wanted not in self._generated:
            # Like Drive: a create may only carry an ID that files.generateIds handed out.
            raise GoogleError(
                400,
                "The provided file ID is not usable.",
                reason="fileIdNotUsable",
                location="file.id",
                location_type="other",
            )
        parents = meta.get("parents") or ["root"]
        if not isinstance(parents, list):
            raise _invalid("parents", "Invalid Value: parents must be a list")
        body = dict(meta)
        if not body.get("mimeType") and media_mime:
            body["mimeType"] = media_mime
        return self._new_file(body, parents, content, req)

    def _update(
        self,
        req: _Request,
        f: _File,
        meta: Mapping[str, Any],
        content: bytes | None,
        media_mime: str | None,
    ) -> None:
        self._check_writable(meta, _UPDATE_WRITABLE)
        add = [p for p in (req.arg("addParents") or "").split(",") if p]
        remove = [p for p in (req.arg("removeParents") or "").split(",") if p]
        if add or remove:  # first: a refused move must leave the file untouched
            self._reparent(f, add, remove, req)
        modified = False
        if "name" in meta and meta["name"] != f.name:
            f.name, modified = str(meta["name"]), True
            if f.id in self._books:
                self._books[f.id].title = f.name
        if "description" in meta:
            f.description, modified = str(meta["description"] or ""), True
        if "starred" in meta:
            f.starred = bool(meta["starred"])
        if meta.get("mimeType"):
            f.mime_type = str(meta["mimeType"])
        if "writersCanShare" in meta:
            f.writers_can_share = bool(meta["writersCanShare"])
        for key, attr in (("appProperties", "app_properties"), ("properties", "properties")):
            if key in meta:
                target: dict[str, str] = getattr(f, attr)
                for k, v in (meta[key] or {}).items():
                    if v is None:
                        target.pop(k, None)
                    else:
                        target[k] = str(v)
                modified = True
        if content is not None:
            if f.mime_type.startswith(GOOGLE_APPS_PREFIX):
                raise GoogleError(400, "The fake cannot convert uploads into Google Docs formats.")
            f.content, modified = content, True
            if media_mime and "mimeType" not in meta:
                f.mime_type = media_mime
        if meta.get("modifiedTime"):
            f.modified = _parse_time(meta["modifiedTime"])
            modified = False
        if modified:
            self._touch(f)
        elif not (add or remove):
            self._touch(f, modified=False)
        if "trashed" in meta and bool(meta["trashed"]) != f.trashed:
            self._set_trashed(f, bool(meta["trashed"]))
        else:
            self._record_change(f)

    def _files_list(self, req: _Request) -> _Reply:
        tree = self._fields(req, _FILE_LIST_SCHEMA, _DEFAULT_LIST_FIELDS)
        q = req.arg("q") or ""
        preds = _parse_q(q, self._alias) if q.strip() else []
        page_size = _page_size(req)
        order_by = req.arg("orderBy") or ""
        found = [f for f in self._files.values() if self._visible(f, req) and all(p(f) for p in preds)]
        found.sort(key=lambda f: f.seq)
        for part in reversed([p.strip() for p in order_by.split(",") if p.strip()]):
            key, _, direction = part.partition(" ")
            keys: dict[str, Callable[[_File], Any]] = {
                "name": lambda f: f.name,
                "name_natural": lambda f: f.name.lower(),
                "createdTime": lambda f: f.created,
                "modifiedTime": lambda f: f.modified,
                "folder": lambda f: not f.is_folder,
                "starred": lambda f: not f.starred,
            }
            if key not in keys:
                raise _invalid("orderBy", f"Invalid Value: the fake cannot order by {key!r}")
            found.sort(key=keys[key], reverse=direction.strip().lower() == "desc")
        fingerprint = hashlib.sha1(f"{q}\n{order_by}".encode()).hexdigest()[:10]
        offset = 0
        token = req.arg("pageToken")
        if token:
            offset = self._decode_page_token(token, fingerprint)
        page = found[offset : offset + page_size]
        body: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [self._metadata(f) for f in page],
        }
        if offset + page_size < len(found):
            raw = json.dumps({"o": offset + page_size, "k": fingerprint}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return _json_reply(200, _apply_fields(body, tree))

    @staticmethod
    def _decode_page_token(token: str, fingerprint: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            if data["k"] != fingerprint:
                raise ValueError("page token belongs to another query")
            return int(data["o"])
        except (ValueError, KeyError, TypeError) as exc:
            raise _invalid("pageToken", "Invalid Value") from exc

    def _changes_list(self, req: _Request) -> _Reply:
        tree = self._fields(req, _CHANGE_LIST_SCHEMA, _DEFAULT_CHANGES_FIELDS)
        token = req.arg("pageToken")
        if token is None:
            raise GoogleError(400, "Required parameter: pageToken", reason="required", location="pageToken")
        next_number = len(self._changes) + 1
        if not token.isdigit() or not self._change_floor <= int(token) <= next_number:
            raise _invalid("pageToken", "Invalid Value")
        page_size = _page_size(req)
        include_removed = (req.arg("includeRemoved") or "true").lower() != "false"
        restrict = req.flag("restrictToMyDrive")
        out: list[dict[str, Any]] = []
        number = int(token)
        while number < next_number and len(out) < page_size:
            change = self._changes[number - 1]
            number += 1
            f = self._files.get(change.file_id)
            removed = change.removed or f is None or f.id in self._denied
            if self.strict_all_drives and change.drive_id and not req.flag("includeItemsFromAllDrives"):
                continue
            if restrict and change.drive_id:
                continue
            if removed and not include_removed:
                continue
            item: dict[str, Any] = {
                "kind": "drive#change",
                "type": "file",
                "changeType": "file",
                "time": _rfc3339(change.time),
                "removed": removed,
                "fileId": change.file_id,
            }
            if change.drive_id:
                item["driveId"] = change.drive_id
                item["teamDriveId"] = change.drive_id
            if not removed and f is not None:
                item["file"] = self._metadata(f)
            out.append(item)
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": out}
        if number < next_number:
            body["nextPageToken"] = str(number)
        else:
            body["newStartPageToken"] = str(next_number)
        return _json_reply(200, _apply_fields(body, tree))

    def _download(self, req: _Request, f: _File) -> _Reply:
        if f.content is None:
            raise GoogleError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                reason="fileNotDownloadable",
                location="alt",
            )
        data = f.content
        content_type = f.mime_type
        range_header = req.header("Range")
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
        if range_header and match and (match.group(1) or match.group(2)):
            total = len(data)
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), total - 1) if match.group(2) else total - 1
            else:
                start, end = max(total - int(match.group(2)), 0), total - 1
            if start >= total or start > end:
                return _Reply(416, b"", None, {"Content-Range": f"bytes */{total}"})
            return _Reply(
                206, data[start : end + 1], content_type, {"Content-Range": f"bytes {start}-{end}/{total}"}
            )
        return _Reply(200, data, content_type)

    # --- Drive: who may do what to a file's permissions ---

    def _role_of(self, f: _File, email: str) -> str | None:
        """The caller's best role on the file: its owner; a permission on it or on a folder above it
        (an owner of a folder above may edit what others put in it); None when it has none."""
        if f.drive_id is not None:
            return "organizer"  # the fake keeps no shared-drive membership: every caller manages it
        who = email.lower()
        domain = who.rpartition("@")[2]
        best: str | None = None

        def consider(role: str) -> None:
            nonlocal best
            if best is None or _ROLE_RANK.get(role, 0) > _ROLE_RANK.get(best, 0):
                best = role

        item: _File | None = f
        seen: set[str] = set()
        while item is not None and item.id not in seen:
            seen.add(item.id)
            inherited = item is not f
            if item.owner is not None and item.owner.lower() == who:
                consider("writer" if inherited else "owner")
            for p in item.permissions:
                applies = (
                    p["type"] == "anyone"
                    or (p["type"] == "user" and str(p.get("emailAddress", "")).lower() == who)
                    or (p["type"] == "domain" and str(p.get("domain", "")).lower() == domain)
                )
                if applies:
                    consider("writer" if inherited and p["role"] == "owner" else str(p["role"]))
            item = self._files.get(item.parents[0]) if item.parents else None
        return best

    def _check_role(self, f: _File, at_least: str) -> str:
        role = self._role_of(f, self._me())
        if role is None or _ROLE_RANK[role] < _ROLE_RANK[at_least]:
            raise GoogleError(403, INSUFFICIENT_FILE_PERMISSIONS, reason="insufficientFilePermissions")
        return role

    def _check_can_share(self, f: _File) -> None:
        """Who may change a file's sharing: its owner, a shared drive's managers, and its editors
        unless the owner turned off "Editors can change permissions and share" (writersCanShare)."""
        role = self._check_role(f, "writer")
        if role == "writer" and not f.writers_can_share:
            raise GoogleError(403, INSUFFICIENT_FILE_PERMISSIONS, reason="insufficientFilePermissions")

    def _permission_create(self, req: _Request, f: _File) -> _Reply:
        body = req.json()
        role, kind = body.get("role"), body.get("type")
        if role not in _PERMISSION_ROLES:
            raise GoogleError(
                400, f"Invalid permission role: {role}.", reason="invalid", location="permission.role"
            )
        if kind not in _PERMISSION_TYPES:
            raise GoogleError(
                400, f"Invalid permission type: {kind}.", reason="invalid", location="permission.type"
            )
        perm: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
        if kind in ("user", "group"):
            email = str(body.get("emailAddress") or "").strip()
            if not email:
                raise GoogleError(
                    400,
                    "The permission emailAddress field is required for the specified permission type.",
                    reason="required",
                    location="permission.emailAddress",
                )
            self._check_can_share(f)
            # sendNotificationEmail defaults to true for users and groups: Google mails an invitation,
            # which reaches an address with no Google account too. Turned off, only accounts will do.
            notify = (req.arg("sendNotificationEmail") or "true").lower() not in ("false", "0")
            if kind == "user" and not notify and not self._has_google_account(email):
                raise GoogleError(400, NO_GOOGLE_ACCOUNT.format(email=email), reason="invalidSharingRequest")
            perm["emailAddress"] = email.lower()
            perm["id"] = user_permission_id(email)  # one ID per account, the same on every file
        elif kind == "domain":
            if not body.get("domain"):
                raise GoogleError(
                    400, "The domain field is required.", reason="required", location="permission.domain"
                )
            self._check_can_share(f)
            perm["domain"] = body["domain"]
            perm["id"] = "".join(self._ids.choice(string.digits) for _ in range(20)) + "k"
        else:
            self._check_can_share(f)
            perm["id"] = "anyoneWithLink"
            perm["allowFileDiscovery"] = bool(body.get("allowFileDiscovery", False))
        tree = self._fields(req, _PERMISSION_SCHEMA, _DEFAULT_PERMISSION_FIELDS)
        at = next((i for i, p in enumerate(f.permissions) if p["id"] == perm["id"]), None)
        if at is None:
            f.permissions.append(perm)
        elif f.permissions[at] != perm:
            f.permissions[at] = perm  # the same account again: its one permission, role updated
        else:
            return _json_reply(200, _apply_fields(perm, tree))  # already so: nothing changes
        self._touch(f, modified=False)
        self._record_change(f)
        return _json_reply(200, _apply_fields(perm, tree))


def _page_size(req: _Request) -> int:
    """`pageSize` as Drive reads it: 100 when absent."""
    return _bounded_int(req, "pageSize", default=100)


def _bounded_int(req: _Request, name: str, *, default: int) -> int:
    """A count argument as Drive reads it: `default` when absent, 1 to 1000, or a 400."""
    try:
        value = int(req.arg(name) or default)
    except ValueError as exc:
        raise _invalid(name) from exc
    if not 1 <= value <= 1000:
        raise _invalid(name, f"Invalid value '{value}'. Values must be within the range: [1, 1000]")
    return value
