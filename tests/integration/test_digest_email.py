"""The ops digest carries the report chart inline: over a real SMTP server (aiosmtpd on loopback), in
the `.eml` outbox, and never as a picture in chat; a resend is the same message, picture and all."""

from __future__ import annotations

import email
import io
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from PIL import Image

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.usecases import digest, intake, report
from fulfil.usecases.deps import Deps
from integrations.notifier.chat import AppriseSender
from integrations.ports import Envelope, InlineImage
from integrations.store import claims
from tests.conftest import EXAMPLES, NOW

DAY_KEY = "digest:2026-11-23"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def over_smtp(home: Path, inbox: tuple[Inbox, int]) -> Iterator[Deps]:
    settings = Settings(
        home=home, notifier="smtp", smtp_host="127.0.0.1", smtp_port=inbox[1], smtp_security="none"
    )
    svc = bootstrap.build(settings)
    svc.clock = lambda: NOW
    intake.ingest(svc, intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    yield svc
    svc.store.engine.dispose()


def _chart_of(message: EmailMessage) -> tuple[str, bytes]:
    """The HTML part's `cid:` reference, checked against the inline image part it names."""
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    (image,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    cid = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in html
    assert image.get_content_disposition() == "inline"
    return cid, image.get_content()


def test_the_digest_arrives_with_the_chart_inline_referenced_from_its_html(
    over_smtp: Deps, inbox: tuple[Inbox, int], home: Path
) -> None:
    box, _ = inbox
    made = report.write_report(over_smtp)  # the 07:00 report ran: the digest reuses its chart

    assert digest.send_digest(over_smtp) is True
    assert digest.send_digest(over_smtp) is False  # once a day

    (message,) = box.messages
    assert message["Message-ID"] == "<digest.digest.2026-11-23@fulfil.invalid>"
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    cid, png = _chart_of(message)
    assert cid == "report-2026-11-23.png@fulfil.invalid"
    assert png == made.chart.read_bytes()
    assert Image.open(io.BytesIO(png)).size == (1200, 480)
    text = plain.get_content()
    assert "Ringkasan pesanan per 23/11/2026" in text and "The report chart" in text
    assert "siti" not in text.lower()  # counts and IDs, no buyer data


def test_a_digest_resent_after_a_crash_is_the_same_message_with_the_same_picture(
    over_smtp: Deps, inbox: tuple[Inbox, int], home: Path
) -> None:
    box, _ = inbox
    digest.send_digest(over_smtp)  # no report today: the chart is drawn for the message, not saved
    assert not (home / "reports").exists()
    # As if the process died after sending, before marking the day sent: its claim is left.
    gone = _dead_pid()
    host = claims.me().split(":")[0]
    over_smtp.store.set_cursor(DAY_KEY, f"claimed {host}:{gone}:dead0000 2999-01-01T00:00:00+00:00")

    assert digest.send_digest(over_smtp) is True

    first, again = box.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert _chart_of(first) == _chart_of(again)


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_the_outbox_folder_writes_the_digest_with_its_chart_inline(svc: Deps, home: Path) -> None:
    svc.clock = lambda: NOW

    digest.send_digest(svc)

    (path,) = (home / "outbox").glob("digest.digest*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    cid, png = _chart_of(message)
    assert cid == "report-2026-11-23.png@fulfil.invalid" and png[:8] == b"\x89PNG\r\n\x1a\n"
    plain = message.get_body(("plain",))
    assert plain is not None and "Ringkasan pesanan" in plain.get_content()


def test_a_chat_gets_the_text_of_a_message_with_pictures_and_no_picture() -> None:
    posts: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    chart = InlineImage("report-2026-11-23.png", "report-2026-11-23.png@fulfil.invalid", b"\x89PNG...")
    envelope = Envelope(
        "digest",
        DAY_KEY,
        "toko@localhost",
        "ops@localhost",
        "Ringkasan",
        "Ringkasan harian\n",
        html='<p>Ringkasan</p><img src="cid:report-2026-11-23.png@fulfil.invalid">',
        inline=(chart,),
    )
    try:
        AppriseSender([f"json://127.0.0.1:{server.server_address[1]}/hook"]).send(envelope)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    (post,) = posts
    assert post["message"].strip() == "Ringkasan harian" and not post.get("attachments")
    assert "cid:" not in json.dumps(post)
