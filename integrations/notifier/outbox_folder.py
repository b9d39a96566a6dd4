"""Messages as RFC 5322 `.eml` files, one per (order, kind), in a folder a person can open."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from integrations.ports import AdapterError, Envelope

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def build_email(envelope: Envelope, *, when: datetime | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = envelope.sender
    msg["To"] = envelope.recipient
    msg["Subject"] = envelope.subject
    msg["Date"] = format_datetime(when or datetime.now(UTC))
    msg["Message-ID"] = envelope.message_id
    msg["X-Fulfil-Order"] = envelope.order_id
    msg["X-Fulfil-Kind"] = envelope.base_kind
    msg.set_content(envelope.body, charset="utf-8")
    return msg


class EmlOutbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, envelope: Envelope) -> Path:
        name = _UNSAFE.sub("_", f"{envelope.order_id}.{envelope.kind}")
        return self.folder / f"{name}.eml"

    def send(self, envelope: Envelope) -> None:
        target = self.path_for(envelope)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                fh.write(build_email(envelope).as_bytes(policy=SMTP))
                fh.flush()
                os.fsync(fh.fileno())  # on disk before the store marks it sent
            # Same (order, kind), same file: a resend after a crash replaces, never adds.
            os.replace(tmp, target)
        except OSError as exc:  # a full disk or a permission: try again next pass
            raise AdapterError(f"cannot write {target.name}: {exc.strerror or exc}", retryable=True) from None
