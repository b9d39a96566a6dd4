"""The shared Google Drive folder as the proof store: one subfolder per order, watched by the
changes feed (one call per poll, whatever the number of waiting orders)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from fulfil.core.handover import FoundFile
from integrations.google.retry import GoogleApiError, RetryPolicy, call, reasons_of
from integrations.ports import AdapterError, Changes, ProofFolderSpec, SharedFile, ShareRefused

FOLDER = "application/vnd.google-apps.folder"
GOOGLE_NATIVE = "application/vnd.google-apps."
SHORTCUT = "application/vnd.google-apps.shortcut"
README = "BACA-SAYA.txt"
ORDER_KEY = "fulfil_order"
README_KEY = "fulfil_readme"
ALL_DRIVES = {"supportsAllDrives": True}
LIST_ALL = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}
# Drive's reason for a share it will not make silently: the address has no Google account, and only
# an invitation e-mail (which fulfil never has Google send) could reach it.
INVALID_SHARING = "invalidsharingrequest"
log = logging.getLogger(__name__)
FILE_FIELDS = (
    "id,name,mimeType,size,md5Checksum,modifiedTime,description,webViewLink,appProperties,parents,trashed"
)


class DriveFolder:
    """A folder of the shared Drive, reached through the Drive v3 resource `service` builds on
    first use, so commands that never touch Drive never pay for it; every call bounded-retried."""

    def __init__(
        self, service: Callable[[], Any], root_folder_id: str, *, policy: RetryPolicy | None
    ) -> None:
        self._service_factory = service
        self._service: Any = None
        self.root = root_folder_id
        self.policy = policy or RetryPolicy()
        # IDs reserved by files.generateIds and not used yet: one call serves many creates.
        self._spare_ids: list[str] = []
        self._ids_lock = threading.Lock()
        self.id_batch = 1  # how many IDs one generateIds call reserves at least

    @property
    def drive(self) -> Any:
        if self._service is None:
            self._service = self._service_factory()
        return self._service

    def _call(self, request: Any, what: str) -> Any:
        return call(request.execute, what=what, policy=self.policy)

    def _new_ids(self, what: str, count: int = 1) -> list[str]:
        """File IDs reserved with Drive before the creates that use them (files.generateIds), a
        batch at a time (`id_batch`); an ID reserved and never used costs nothing."""
        with self._ids_lock:
            if len(self._spare_ids) < count:
                want = min(1000, max(count - len(self._spare_ids), self.id_batch))
                answer = self._call(
                    self.drive.files().generateIds(count=want, space="drive", type="files"),
                    f"reserving an ID for {what}",
                )
                self._spare_ids.extend(str(i) for i in answer["ids"])
            taken, self._spare_ids = self._spare_ids[:count], self._spare_ids[count:]
        return taken

    def _create(
        self,
        body: dict[str, Any],
        what: str,
        *,
        fields: str,
        media: Any = None,
        file_id: str | None = None,
    ) -> dict[str, Any]:
        """files.create under an ID reserved first, so a retry can never make a second file: a 409
        on the reserved ID means an earlier attempt landed and only its answer was lost."""
        file_id = file_id or self._new_ids(what)[0]
        try:
            made: dict[str, Any] = self._call(
                self.drive.files().create(
                    body={**body, "id": file_id}, media_body=media, fields=fields, **ALL_DRIVES
                ),
                what,
            )
        except GoogleApiError as exc:
            if exc.status != 409:
                raise
            made = self._call(self.drive.files().get(fileId=file_id, fields=fields, **ALL_DRIVES), what)
        return made


class DriveProofFolders(DriveFolder):
    """ProofStore on Drive v3: one subfolder per order in the shared folder."""

    def __init__(
        self,
        service: Callable[[], Any],
        root_folder_id: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(service, root_folder_id, policy=policy)
        self.id_batch = 100  # a folder and its README take two: one call per 50 new orders
        self._folders: dict[str, str] = {}  # order ID -> folder ID
        self._owners: dict[str, str | None] = {}  # folder ID -> order ID (None: not an order's)
        # File ID -> order ID of every file listed in an order's folder: a deleted file's change
        # carries no parents, and a moved one's new parents are elsewhere; the ID still says whose.
        self._file_orders: dict[str, str] = {}
        self._lock = threading.Lock()

    # ----- folders -----

    def _order_folders(self, order_id: str) -> list[dict[str, Any]]:
        """Every folder tagged with the order, the one everybody keeps first: the oldest, then the
        smallest ID (a deterministic choice, so two processes agree without talking)."""
        q = (
            f"'{self.root}' in parents and mimeType = '{FOLDER}' and trashed = false and "
            f"appProperties has {{ key='{ORDER_KEY}' and value='{_quote(order_id)}' }}"
        )
        found = self._call(
            self.drive.files().list(
                q=q, fields="files(id,webViewLink,createdTime)", pageSize=100, **LIST_ALL
            ),
            f"finding the Drive folder of {order_id}",
        )
        return sorted(found.get("files", []), key=lambda f: (str(f.get("createdTime", "")), str(f["id"])))

    def _find_folder(self, order_id: str) -> dict[str, Any] | None:
        folders = self._order_folders(order_id)
        return folders[0] if folders else None

    def folder_id(self, order_id: str) -> str | None:
        if order_id not in self._folders:
            folder = self._find_folder(order_id)
            if folder is None:
                return None
            self._remember(order_id, folder["id"])
        return self._folders[order_id]

    def _remember(self, order_id: str, folder_id: str) -> None:
        with self._lock:
            self._folders[order_id] = folder_id
            self._owners[folder_id] = order_id

    def ensure_folder(self, spec: ProofFolderSpec) -> str:
        """Find the order's folder by its appProperties before creating one: a rerun never makes two.
        The create carries an ID reserved first (a lost answer never makes a twin), and a race
        with another process is settled after it (see `_settle`)."""
        folder = self._find_folder(spec.order_id)
        if folder is not None:
            self._remember(spec.order_id, folder["id"])
            self._ensure_readme(folder["id"], spec, new_folder=False)
            return _folder_link(folder)
        what = f"creating the Drive folder of {spec.order_id}"
        folder_id, readme_id = self._new_ids(what, count=2)  # one call reserves both
        body = {
            "name": spec.title,
            "mimeType": FOLDER,
            "parents": [self.root],
            "appProperties": {ORDER_KEY: spec.order_id},
        }
        mine = self._create(body, what, fields="id,webViewLink", file_id=folder_id)
        folder = self._settle(spec.order_id, mine)
        self._remember(spec.order_id, folder["id"])
        if folder["id"] == mine["id"]:
            # A folder kept over this process's own is the other process's: it writes the README.
            self._ensure_readme(folder["id"], spec, new_folder=True, file_id=readme_id)
        return _folder_link(folder)

    def ensure_folders(self, specs: Sequence[ProofFolderSpec]) -> Callable[[], dict[str, str]]:
        """One folder after the other, before returning: each is a few requests against Drive's
        per-user rate, which more at once would only spend faster."""
        links = {spec.order_id: self.ensure_folder(spec) for spec in specs}
        return lambda: links

    def _settle(self, order_id: str, mine: dict[str, Any]) -> dict[str, Any]:
        """Two processes dispatching the same order at once both find nothing and both create.
        Each lists again after its own create, so the later of the two sees both folders; both pick
        the same one (oldest, then smallest ID) and the process whose folder lost trashes it, which
        it may do safely because it made it a moment ago and nobody has been sent its link (it is
        checked empty all the same). Only a process's own folder is trashed: another process's
        twin may already be linked in a message it is sending. A twin left by a crash between the
        create and this listing is never picked by anyone (everyone keeps the oldest), only not
        tidied up."""
        folders = self._order_folders(order_id)
        if not folders or folders[0]["id"] == mine["id"]:
            return mine
        keep = folders[0]
        if any(f["id"] == mine["id"] for f in folders) and not self._children(mine["id"]):
            self._call(
                self.drive.files().update(
                    fileId=mine["id"], body={"trashed": True}, fields="id", **ALL_DRIVES
                ),
                f"trashing a second Drive folder of {order_id}",
            )
        return keep

    def _ensure_readme(
        self, folder_id: str, spec: ProofFolderSpec, *, new_folder: bool, file_id: str | None = None
    ) -> None:
        if not new_folder:  # a folder made before a crash may lack its README
            q = f"'{folder_id}' in parents and name = '{README}' and trashed = false"
            found = self._call(
                self.drive.files().list(q=q, fields="files(id)", pageSize=1, **LIST_ALL),
                f"looking for {README} of {spec.order_id}",
            )
            if found.get("files"):
                return
        media = MediaInMemoryUpload(spec.readme.encode("utf-8"), mimetype="text/plain", resumable=False)
        body = {"name": README, "parents": [folder_id], "appProperties": {README_KEY: "1"}}
        self._create(body, f"writing {README} of {spec.order_id}", fields="id", media=media, file_id=file_id)

    # ----- listing and reading -----

    def _children(self, folder_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._call(
                self.drive.files().list(
                    q=f"'{folder_id}' in parents and trashed = false",
                    fields=f"nextPageToken,files({FILE_FIELDS})",
                    pageSize=200,
                    pageToken=token,
                    **LIST_ALL,
                ),
                "listing a proof folder",
            )
            out.extend(page.get("files", []))
            token = page.get("nextPageToken")
            if not token:
                return out

    def list_files(self, order_ids: Sequence[str]) -> dict[str, list[FoundFile]]:
        found: dict[str, list[FoundFile]] = {}
        for order_id in order_ids:
            folder = self.folder_id(order_id)
            if folder is None:
                found[order_id] = []
                continue
            files: list[FoundFile] = []
            for item in self._children(folder):
                self._file_orders[item["id"]] = order_id
                if item.get("mimeType") == FOLDER:
                    # Folders one level down count (a team member's own subfolder).
                    self._owners[item["id"]] = order_id
                    for child in self._children(item["id"]):
                        self._file_orders[child["id"]] = order_id
                        if child.get("mimeType") != FOLDER:
                            files.append(_found(child, prefix=item["name"] + "/"))
                elif (item.get("appProperties") or {}).get(README_KEY) != "1":
                    files.append(_found(item))
            found[order_id] = files
        return found

    def fetch(self, order_id: str, found: FoundFile) -> bytes:
        file_id = found.fingerprint.split(":", 1)[0]
        return self._call(
            self.drive.files().get_media(fileId=file_id, **ALL_DRIVES),
            f"downloading {found.name} of {order_id}",
        )

    # ----- handing deliverables over -----

    def share(self, order_id: str, files: Sequence[FoundFile], email: str | None) -> list[SharedFile]:
        """Each file (never its folder: the team's notes beside it stay private) gets `email` as a
        reader, silently: fulfil writes to the buyer itself, Google sends no invitation. Drive keeps
        one permission per account and file, so a repeat (or a retry after a lost answer) returns
        the same grant. An address with no Google account is refused by Drive (ShareRefused,
        before anything is granted); a failure part-way leaves the grants already made, which a
        repeat returns again."""
        shared: list[SharedFile] = []
        for found in files:
            file_id = found.fingerprint.split(":", 1)[0]
            what = f"sharing {found.name} of {order_id} with {email or 'anyone with the link'}"
            meta = self._call(
                self.drive.files().get(fileId=file_id, fields="webViewLink,mimeType", **ALL_DRIVES), what
            )
            if meta.get("mimeType") == FOLDER:
                raise AdapterError(f"{what}: refused, it is a folder (only files are handed over)")
            # A public link: anyone who has it may read, nobody finds it by searching. Google sends
            # no notification for "anyone" and refuses to be asked to.
            who: dict[str, Any] = (
                {
                    "body": {"type": "user", "role": "reader", "emailAddress": email},
                    "sendNotificationEmail": False,
                }
                if email
                else {"body": {"type": "anyone", "role": "reader", "allowFileDiscovery": False}}
            )
            grant = _Refusable(
                self.drive.permissions().create(fileId=file_id, fields="id", **who, **ALL_DRIVES)
            )
            made = self._call(grant, what)
            if grant.refused:
                raise ShareRefused(
                    f"{email} has no Google account, so Google Drive will not share the files of "
                    f"{order_id} with it: fulfil sends them as attachments instead",
                    retryable=False,
                    status=400,
                )
            link = str(meta.get("webViewLink") or f"https://drive.google.com/file/d/{file_id}/view")
            shared.append(SharedFile(found.name, link, f"{file_id}/{made['id']}"))
        return shared

    def unshare(self, order_id: str, grants: Sequence[str]) -> None:
        """Delete each grant's permission; one already gone (or its file gone) is no error. An
        empty grant (the local store's) has nothing to withdraw."""
        for grant in grants:
            if not grant:
                continue
            file_id, _, permission_id = grant.partition("/")
            if not file_id or not permission_id:
                raise AdapterError(f"withdrawing access to a file of {order_id}: {grant!r} is no Drive grant")
            try:
                self._call(
                    self.drive.permissions().delete(fileId=file_id, permissionId=permission_id, **ALL_DRIVES),
                    f"withdrawing access to a file of {order_id}",
                )
            except GoogleApiError as exc:
                if exc.status != 404:
                    raise

    def close(self) -> None:
        """Nothing held open: each call is a request of its own."""

    # ----- the changes feed -----

    def changes(self, cursor: str | None) -> Changes:
        if cursor is None:
            return Changes(None, self._start_token())
        touched: set[str] = set()
        token: str | None = cursor
        new_start: str | None = None
        while token:
            try:
                page = self._call(
                    self.drive.changes().list(
                        pageToken=token,
                        fields="nextPageToken,newStartPageToken,changes(fileId,removed,file(id,parents))",
                        pageSize=1000,
                        includeRemoved=True,
                        **LIST_ALL,
                    ),
                    "reading the Drive changes feed",
                )
            except GoogleApiError as exc:
                if exc.status in (400, 404, 410):
                    # An invalid or expired token: list every watched folder once, then resume.
                    return Changes(None, self._start_token())
                raise
            for change in page.get("changes", []):
                touched.update(self._orders_of(change))
            token = page.get("nextPageToken")
            new_start = page.get("newStartPageToken") or new_start
        return Changes(frozenset(touched), new_start or cursor)

    def _start_token(self) -> str:
        answer = self._call(
            self.drive.changes().getStartPageToken(**ALL_DRIVES), "starting the Drive changes feed"
        )
        return str(answer["startPageToken"])

    def _orders_of(self, change: dict[str, Any]) -> set[str]:
        """The orders a change touches: whose folder the file is in now, and whose folder it was
        listed in before (a file deleted, or moved out, is a proof withdrawn from that order)."""
        orders: set[str] = set()
        known = self._file_orders.get(str(change.get("fileId", "")))
        if known:
            orders.add(known)
        for parent in (change.get("file") or {}).get("parents", []):
            try:
                owner = self._owner_of(parent)
            except GoogleApiError as exc:
                if exc.retryable:
                    raise  # still failing after the retries: the poll fails, the cursor stays
                # A folder fulfil may not read (403) or that is gone (404) holds no order's proof
                # fulfil could list anyway: skip the change, or the watch would stall on it.
                log.warning(
                    "Drive change of file %s skipped: its folder cannot be read (HTTP %s)",
                    change.get("fileId"),
                    exc.status,
                )
                continue
            if owner:
                orders.add(owner)
        return orders

    def _owner_of(self, folder_id: str) -> str | None:
        """The order a folder belongs to: the folder itself, or its parent one level up."""
        if folder_id in self._owners:
            return self._owners[folder_id]
        owner: str | None = None
        try:
            meta = self._call(
                self.drive.files().get(fileId=folder_id, fields="id,parents,appProperties", **ALL_DRIVES),
                "reading a changed file's folder",
            )
        except GoogleApiError as exc:
            if exc.status not in (403, 404):
                raise
            meta = {}
        owner = (meta.get("appProperties") or {}).get(ORDER_KEY)
        if owner is None and self.root not in meta.get("parents", [self.root]):
            for parent in meta.get("parents", []):
                parent_meta = self._call(
                    self.drive.files().get(fileId=parent, fields="appProperties", **ALL_DRIVES),
                    "reading a changed file's folder",
                )
                owner = (parent_meta.get("appProperties") or {}).get(ORDER_KEY) or owner
        with self._lock:
            self._owners[folder_id] = owner
            if owner and (meta.get("appProperties") or {}).get(ORDER_KEY) == owner:
                self._folders.setdefault(owner, folder_id)
        return owner

    # ----- for `fulfil doctor` -----

    def check(self) -> list[str]:
        try:
            meta = self._call(
                self.drive.files().get(
                    fileId=self.root, fields="id,name,mimeType,capabilities", **ALL_DRIVES
                ),
                "opening the shared Drive folder",
            )
        except GoogleApiError as exc:
            return [str(exc)]
        problems = []
        if meta.get("mimeType") != FOLDER:
            problems.append(f"FULFIL_DRIVE_FOLDER_ID {self.root} is not a folder")
        if (meta.get("capabilities") or {}).get("canAddChildren") is False:
            problems.append(f"folder {meta.get('name')!r}: read-only; share it as Editor")
        return problems


class _Refusable:
    """A permissions.create whose invalidSharingRequest answer is kept as `refused`, not raised:
    a refusal, so neither retried nor reworded as a failure by `call`."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.refused = False

    def execute(self) -> Any:
        try:
            return self.request.execute()
        except HttpError as exc:
            if exc.resp.status == 400 and INVALID_SHARING in reasons_of(exc):
                self.refused = True
                return None
            raise


def _folder_link(folder: dict[str, Any]) -> str:
    return str(folder.get("webViewLink") or f"https://drive.google.com/drive/folders/{folder['id']}")


def _found(item: dict[str, Any], prefix: str = "") -> FoundFile:
    native = str(item.get("mimeType", "")).startswith(GOOGLE_NATIVE)
    version = item.get("md5Checksum") or item.get("modifiedTime", "")
    if item.get("mimeType") == SHORTCUT:
        # Drive's symlink: it may point at any file the account can see (another order's
        # accounts, a private file). Refused by name, never followed or read.
        return FoundFile(
            name=prefix + str(item.get("name", "")),
            size=0,
            fingerprint=f"{item['id']}:{version}",
            regular=False,
        )
    return FoundFile(
        name=prefix + str(item.get("name", "")),
        # A Google Doc has no size; it is not empty either.
        size=int(item.get("size") or (1 if native else 0)),
        fingerprint=f"{item['id']}:{version}",
        link=item.get("webViewLink", ""),
        md5=item.get("md5Checksum", ""),
        description=item.get("description", "") or "",
    )


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
