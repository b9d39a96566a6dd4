"""The lookout on Google Drive: one `changes.list` call a look, whatever the number of orders.

The same feed tells both arrivals apart: a change to a file in an order's folder (a folder right
under the shared folder, or one made inside such a folder later) is a proof; a change to the
form-responses spreadsheet is a new or edited form answer. Nothing else is read: no Sheets call,
no listing of folders but the one at start. A look that finds nothing is one request, about
30 a minute at the default 2 s: well inside Drive's per-user quota (see README).

Drive reports a spreadsheet's edits in the feed, but its users report them coalesced and late
(up to a few minutes) next to file uploads, which show at once: a form answer may wait for that,
or for the scheduled intake, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.gdrive.drive import FOLDER, LIST_ALL, DriveFolder
from integrations.google.retry import RetryPolicy
from integrations.ports import Arrival, ArrivalFeed

_FIELDS = "nextPageToken,newStartPageToken,changes(fileId,removed,file(id,mimeType,parents))"


class DriveArrivals(DriveFolder):
    """Arrivals from the Drive changes feed; `inbox` adds a local export folder's (source: file)."""

    def __init__(
        self,
        service: Callable[[], Any],
        root_folder_id: str,
        *,
        form_file_id: str | None,
        inbox: ArrivalFeed | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(service, root_folder_id, policy=policy)
        self.form_file_id = form_file_id
        self.inbox = inbox
        self._token: str | None = None
        self._folders: set[str] = set()

    def arrivals(self) -> frozenset[Arrival]:
        seen = self._from_drive()
        # After Drive: a look that fails there must not have used up the inbox's news.
        if self.inbox is not None:
            seen |= self.inbox.arrivals()
        return frozenset(seen)

    def _from_drive(self) -> set[Arrival]:
        seen: set[Arrival] = set()
        if self._token is None:
            self._start()
            return seen
        token: str | None = self._token
        while token:
            page = self._call(
                self.drive.changes().list(pageToken=token, fields=_FIELDS, pageSize=1000, **LIST_ALL),
                "reading the Drive changes feed",
            )
            for change in page.get("changes", []):
                seen |= self._arrival_of(change)
            token = page.get("nextPageToken")
            self._token = page.get("newStartPageToken") or self._token
        return seen

    def _start(self) -> None:
        """The feed's mark, then the order folders as they are now (their changes come later)."""
        answer = self._call(
            self.drive.changes().getStartPageToken(supportsAllDrives=True), "starting the Drive changes feed"
        )
        page_token: str | None = None
        while True:
            page = self._call(
                self.drive.files().list(
                    q=f"'{self.root}' in parents and mimeType = '{FOLDER}' and trashed = false",
                    fields="nextPageToken,files(id)",
                    pageSize=1000,
                    pageToken=page_token,
                    **LIST_ALL,
                ),
                "listing the order folders",
            )
            self._folders.update(str(f["id"]) for f in page.get("files", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        self._token = str(answer["startPageToken"])

    def _arrival_of(self, change: dict[str, Any]) -> set[Arrival]:
        file_id = str(change.get("fileId", ""))
        if self.form_file_id and file_id == self.form_file_id:
            return {Arrival.ORDERS}
        meta = change.get("file") or {}
        parents = set(meta.get("parents", []))
        if meta.get("mimeType") == FOLDER and (self.root in parents or parents & self._folders):
            self._folders.add(file_id)  # a new order's folder (or one inside it): watched from now
            return set()
        return {Arrival.PROOFS} if parents & self._folders or change.get("removed") else set()
