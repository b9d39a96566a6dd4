"""The report shelf on Google Drive: a `Laporan` folder (or `Faktur`, for invoices) in the shared
folder, one copy of each file.

Found before it is made: by the tag fulfil puts on the folder it creates (so a person may rename
it), else by name (so a folder a person made first is used, not doubled). A file of the same name
is replaced in place (files.update with the new content), so a rerun on the same day leaves one
copy and keeps the file's link. Calls per upload of n files: 1 find + 1 listing + n uploads
(+1 files.generateIds if any file or the folder is new, +1 find by name and +1 create the
first time).
Every create carries an ID reserved first, so a retried create whose first answer was lost
never leaves a second copy (Drive answers 409 for the ID; the file made is used)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from googleapiclient.http import MediaInMemoryUpload

from integrations.gdrive.drive import ALL_DRIVES, FOLDER, LIST_ALL, DriveFolder
from integrations.google.retry import RetryPolicy

REPORTS_FOLDER = "Laporan"
REPORTS_KEY = "fulfil_reports"
INVOICES_FOLDER, INVOICES_KEY = "Faktur", "fulfil_invoices"
_TYPES = {".csv": "text/csv", ".md": "text/markdown", ".png": "image/png"}


class DriveReportShelf(DriveFolder):
    """ReportShelf on Drive v3."""

    def __init__(
        self,
        service: Callable[[], Any],
        root_folder_id: str,
        *,
        folder_name: str = REPORTS_FOLDER,
        key: str = REPORTS_KEY,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(service, root_folder_id, policy=policy)
        self.folder_name = folder_name
        self.key = key  # the tag on the folder and its files: Laporan and Faktur are told apart

    def put(self, files: Sequence[Path]) -> dict[str, str]:
        # Not cached between calls: one lookup a day costs less than a stale ID after someone
        # deletes or moves the folder.
        self.id_batch = len(files) + 1  # if IDs are needed, the folder's and every file's at once
        folder = self.folder_id()
        existing = self._files_in(folder)
        links: dict[str, str] = {}
        for path in files:
            same_name = existing.get(path.name, [])
            media = MediaInMemoryUpload(path.read_bytes(), mimetype=_mime_of(path), resumable=False)
            if same_name:
                done = self._call(
                    self.drive.files().update(
                        fileId=same_name[0], media_body=media, fields="id,webViewLink", **ALL_DRIVES
                    ),
                    f"replacing {path.name} in the Drive folder {self.folder_name}",
                )
                for extra in same_name[1:]:  # copies left by two runs racing: keep the first only
                    self._call(
                        self.drive.files().update(
                            fileId=extra, body={"trashed": True}, fields="id", **ALL_DRIVES
                        ),
                        f"trashing a second {path.name} in the Drive folder {self.folder_name}",
                    )
            else:
                body = {"name": path.name, "parents": [folder], "appProperties": {self.key: "1"}}
                done = self._create(
                    body,
                    f"uploading {path.name} to the Drive folder {self.folder_name}",
                    fields="id,webViewLink",
                    media=media,
                )
            links[path.name] = done.get("webViewLink") or f"https://drive.google.com/file/d/{done['id']}/view"
        return links

    def folder_id(self) -> str:
        """The reports folder in the shared folder, found (by tag, then by name) before it is made."""
        base = f"'{self.root}' in parents and mimeType = '{FOLDER}' and trashed = false"
        for extra in (
            f"appProperties has {{ key='{self.key}' and value='1' }}",
            f"name = '{_quote(self.folder_name)}'",
        ):
            found = self._call(
                self.drive.files().list(q=f"{base} and {extra}", fields="files(id)", pageSize=10, **LIST_ALL),
                f"finding the Drive folder {self.folder_name}",
            )
            if found.get("files"):
                return str(found["files"][0]["id"])
        body = {
            "name": self.folder_name,
            "mimeType": FOLDER,
            "parents": [self.root],
            "appProperties": {self.key: "1"},
        }
        made = self._create(body, f"creating the Drive folder {self.folder_name}", fields="id")
        return str(made["id"])

    def _files_in(self, folder: str) -> dict[str, list[str]]:
        """File IDs by name, oldest first, of everything in the reports folder."""
        by_name: dict[str, list[str]] = {}
        token = None
        while True:
            page = self._call(
                self.drive.files().list(
                    q=f"'{folder}' in parents and trashed = false and mimeType != '{FOLDER}'",
                    fields="nextPageToken,files(id,name)",
                    orderBy="createdTime",
                    pageSize=1000,
                    pageToken=token,
                    **LIST_ALL,
                ),
                f"listing the Drive folder {self.folder_name}",
            )
            for item in page.get("files", []):
                by_name.setdefault(str(item["name"]), []).append(str(item["id"]))
            token = page.get("nextPageToken")
            if not token:
                return by_name


def _mime_of(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
