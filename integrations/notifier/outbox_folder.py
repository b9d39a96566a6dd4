"""Messages as RFC 5322 `.eml` files, one per (order, kind), in a folder a person can open.

A message with pictures is written with them inline, as a mail program would receive it."""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime
from pathlib import Path

from integrations.ports import AdapterError, Envelope, InlineImage

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def html_of(text: str, images: Sequence[InlineImage] = ()) -> str:
    """The plain text as a small HTML page: blank lines make paragraphs, newlines make <br>; the
    inline images below it, by `cid:`.

    Everything is escaped, so a buyer's name such as `<script>` shows as text and never runs."""
    text = text.replace("\r\n", "\n").strip("\n")
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )
    pictures = "".join(
        f'\n<p><img src="cid:{html.escape(i.content_id)}" alt="{html.escape(i.filename)}"></p>'
        for i in images
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{body}{pictures}\n</body></html>\n"


class _HeaderClasses(HeaderRegistry):
    """The standard registry makes a new header class each time a header is set (a fifth of a
    message's cost in a 100,000-message import); this one makes one per header name."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name.lower())
        if made is None:
            made = self._made[name.lower()] = super().__getitem__(name)
        return made


# email.policy.default and SMTP but for that registry: the same messages, byte for byte.
_POLICY = default.clone(header_factory=_HeaderClasses())
WIRE = SMTP.clone(header_factory=_POLICY.header_factory)


@functools.lru_cache(maxsize=256)
def _header(name: str, value: str) -> BaseHeader:
    """A header whose value repeats from message to message (the shop's address, the second it
    was sent, the kind), parsed once: a parsed header is immutable, and a message takes it as is."""
    made: BaseHeader = _POLICY.header_factory(name, value)
    return made


def build_email(envelope: Envelope, *, when: datetime | None = None, with_html: bool = False) -> EmailMessage:
    """The message as text, plus an HTML alternative when asked or when the envelope has HTML or
    pictures: multipart/alternative(text/plain, multipart/related(text/html, image/*…))."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _header("From", envelope.sender)
    msg["To"] = envelope.recipient
    msg["Subject"] = envelope.subject
    msg["Date"] = _header("Date", format_datetime(when or datetime.now(UTC)))
    msg["Message-ID"] = envelope.message_id
    msg["X-Fulfil-Order"] = envelope.order_id
    msg["X-Fulfil-Kind"] = _header("X-Fulfil-Kind", envelope.base_kind)
    msg.set_content(envelope.body, charset="utf-8")
    if with_html or envelope.html or envelope.inline:
        html_text = envelope.html or html_of(envelope.body, envelope.inline)
        msg.add_alternative(html_text, subtype="html", charset="utf-8")
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for image in envelope.inline:
            html_part.add_related(
                image.data,
                maintype="image",
                subtype=image.subtype,
                cid=f"<{image.content_id}>",
                filename=image.filename,
                disposition="inline",
            )
    for a in envelope.attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


class EmlOutbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, envelope: Envelope) -> Path:
        name = _UNSAFE.sub("_", f"{envelope.order_id}.{envelope.kind}")
        return self.folder / f"{name}.eml"

    def send(self, envelope: Envelope) -> None:
        target = self.path_for(envelope)
        # One temporary name per process: two senders never write into each other's file.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                fh.write(build_email(envelope).as_bytes(policy=WIRE))
                fh.flush()
                os.fsync(fh.fileno())  # on disk before the store marks it sent
            # Same (order, kind), same file: a resend after a crash replaces, never adds.
            os.replace(tmp, target)
        except OSError as exc:  # a full disk or a permission: try again next pass
            raise AdapterError(f"cannot write {target.name}: {exc.strerror or exc}", retryable=True) from None
