"""Can the identity fulfil signs in as make files in the proof folder? `fulfil doctor` asks before
the first order does: a service account outside a shared drive is refused by Google (it has no
storage quota), which a folder that opens fine does not show."""

from __future__ import annotations

from typing import Any

from googleapiclient.http import MediaInMemoryUpload

from integrations.google.advice import STORAGE_QUOTA_ADVICE
from integrations.google.retry import GoogleApiError, RetryPolicy, call

PROBE_NAME = "fulfil-doctor-probe.txt"
ALL_DRIVES = {"supportsAllDrives": True}


def _refused_for_quota(exc: GoogleApiError) -> bool:
    text = str(exc)
    return STORAGE_QUOTA_ADVICE in text or "storageQuotaExceeded" in text


def probe_folder(
    drive: Any, folder_id: str, *, service_account: bool, policy: RetryPolicy | None = None
) -> list[str]:
    """Problems in words ([] when a file could be made and removed again). `service_account`: the
    identity is a service account acting as itself (no domain-wide delegation)."""
    try:
        meta = call(
            drive.files().get(fileId=folder_id, fields="id,driveId", **ALL_DRIVES).execute,
            what="opening the Drive folder",
            policy=policy,
        )
    except GoogleApiError as exc:
        return [str(exc)]
    if service_account and not meta.get("driveId"):
        return [STORAGE_QUOTA_ADVICE]
    media = MediaInMemoryUpload(b"fulfil doctor: this file is removed at once\n", mimetype="text/plain")
    body = {"name": PROBE_NAME, "parents": [folder_id], "mimeType": "text/plain"}
    try:
        made = call(
            drive.files().create(body=body, media_body=media, fields="id", **ALL_DRIVES).execute,
            what="creating a test file in the Drive folder",
            policy=policy,
        )
    except GoogleApiError as exc:
        return [STORAGE_QUOTA_ADVICE] if _refused_for_quota(exc) else [str(exc)]
    try:
        call(
            drive.files().delete(fileId=made["id"], **ALL_DRIVES).execute,
            what=f"removing the test file {PROBE_NAME} from the Drive folder",
            policy=policy,
        )
    except GoogleApiError as exc:
        return [f"{exc}; delete {PROBE_NAME} by hand"]
    return []
