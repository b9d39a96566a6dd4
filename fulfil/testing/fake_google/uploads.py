"""Drive v3 media uploads: multipart, simple media and resumable sessions."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from fulfil.testing.fake_google.drive import (
    _CREATE_WRITABLE,
    _DEFAULT_FILE_FIELDS,
    _FILE_SCHEMA,
    _UPDATE_WRITABLE,
    DriveMixin,
)
from fulfil.testing.fake_google.wire import GoogleError, _Reply, _Request


@dataclass
class _Upload:
    id: str
    file_id: str | None  # None: the upload creates a file
    metadata: dict[str, Any]
    mime_type: str | None
    total: int | None
    query: dict[str, list[str]]
    data: bytearray = field(default_factory=bytearray)


class UploadMixin(DriveMixin):
    """FakeGoogle's upload endpoint (/upload/drive/v3/files), creating or updating through Drive."""

    _uploads: dict[str, _Upload]

    def _drive_upload(self, req: _Request) -> _Reply:
        parts = [unquote(p) for p in req.path.split("/")[4:]]
        if not parts or parts[0] != "files" or len(parts) > 2:
            raise GoogleError(404, f"Not Found: {req.method} {req.path}", reason="notFound")
        target = self._get_file(req, parts[1]) if len(parts) == 2 else None
        self._fields(req, _FILE_SCHEMA, _DEFAULT_FILE_FIELDS)
        upload_id = req.arg("upload_id")
        if upload_id:
            return self._upload_chunk(req, upload_id)
        expected = "PATCH" if target is not None else "POST"
        if req.method != expected:
            raise GoogleError(404, f"Not Found: {req.method} {req.path}", reason="notFound")
        kind = req.arg("uploadType")
        content_type = req.header("Content-Type") or ""
        if kind == "multipart":
            meta, content, media_mime = self._parse_multipart(req.body, content_type)
        elif kind == "media":
            meta, content, media_mime = {}, req.body, content_type.split(";")[0].strip() or None
        elif kind == "resumable":
            meta = req.json()
            total = req.header("X-Upload-Content-Length")
            session = _Upload(
                id=self._random_id(24),
                file_id=target.id if target else None,
                metadata=meta,
                mime_type=req.header("X-Upload-Content-Type"),
                total=int(total) if total and total.isdigit() else None,
                query={k: v for k, v in req.query.items() if k != "uploadType"},
            )
            self._check_writable(meta, _UPDATE_WRITABLE if target else _CREATE_WRITABLE)
            self._uploads[session.id] = session
            path = req.path
            location = f"{req.origin}{path}?uploadType=resumable&upload_id={session.id}"
            return _Reply(200, b"", None, {"Location": location, "X-GUploader-UploadID": session.id})
        else:
            raise GoogleError(
                400,
                "Upload requests must include an uploadType URL parameter and a URL path "
                "beginning with /upload/",
                reason="badRequest",
                location="uploadType",
            )
        if target is None:
            f = self._create_checked(req, meta, content, media_mime)
        else:
            f = target
            self._update(req, f, meta, content, media_mime)
        return self._file_reply(req, f)

    def _upload_chunk(self, req: _Request, upload_id: str) -> _Reply:
        session = self._uploads.get(upload_id)
        if session is None or req.method not in ("PUT", "POST"):
            raise GoogleError(404, "No upload session with that id.", reason="notFound", location="upload_id")
        header = (req.header("Content-Range") or "").strip()
        received = len(session.data)
        if header:
            query = re.fullmatch(r"bytes \*/(\d+|\*)", header)
            chunk = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", header)
            if query:
                if query.group(1) != "*":
                    session.total = int(query.group(1))
            elif chunk:
                start = int(chunk.group(1))
                if start > received:
                    raise GoogleError(
                        400,
                        f"Invalid request. According to the Content-Range header, the upload offset is "
                        f"{start} byte(s), which exceeds already uploaded size of {received} byte(s).",
                    )
                del session.data[start:]
                session.data.extend(req.body)
                if chunk.group(3) != "*":
                    session.total = int(chunk.group(3))
            else:
                raise GoogleError(400, f"Invalid Content-Range header: {header}")
        else:
            session.data.extend(req.body)
            if session.total is None:
                session.total = len(session.data)
        if session.total is None or len(session.data) < session.total:
            headers = {"X-GUploader-UploadID": session.id}
            if session.data:
                headers["Range"] = f"bytes=0-{len(session.data) - 1}"
            return _Reply(308, b"", None, headers)
        del self._uploads[upload_id]
        saved = _Request(req.method, req.path, session.query, req.headers, b"", req.origin)
        content = bytes(session.data[: session.total])
        if session.file_id is None:
            f = self._create_checked(saved, dict(session.metadata), content, session.mime_type)
        else:
            f = self._get_file(saved, session.file_id)
            self._update(saved, f, session.metadata, content, session.mime_type)
        return self._file_reply(saved, f)

    @staticmethod
    def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], bytes, str | None]:
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not content_type.lower().startswith("multipart/") or not match:
            raise GoogleError(400, "Multipart uploads need a multipart/related body with a boundary.")
        delimiter = b"--" + match.group(1).encode()
        chunks = body.split(delimiter)
        parts: list[tuple[dict[str, str], bytes]] = []
        for chunk in chunks[1:]:
            if chunk.startswith(b"--"):
                break
            chunk = (
                chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
            )
            chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1] if chunk.endswith(b"\n") else chunk
            crlf, lf = chunk.find(b"\r\n\r\n"), chunk.find(b"\n\n")
            if crlf != -1 and (lf == -1 or crlf < lf):
                head, payload = chunk[:crlf], chunk[crlf + 4 :]
            elif lf != -1:
                head, payload = chunk[:lf], chunk[lf + 2 :]
            else:
                head, payload = b"", chunk
            headers: dict[str, str] = {}
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.strip():
                    headers[name.strip().lower()] = value.strip()
            parts.append((headers, payload))
        if len(parts) != 2:
            raise GoogleError(
                400, f"A multipart upload has 2 parts (metadata, media); this one has {len(parts)}."
            )
        (_, meta_raw), (media_headers, media) = parts
        try:
            meta = json.loads(meta_raw or b"{}")
        except ValueError as exc:
            raise GoogleError(400, f"Invalid JSON payload received. {exc}", reason="parseError") from exc
        if media_headers.get("content-transfer-encoding", "").lower() == "base64":
            media = base64.b64decode(media)
        media_mime = media_headers.get("content-type", "").split(";")[0].strip() or None
        return meta, media, media_mime
