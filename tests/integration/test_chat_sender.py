"""AppriseSender and CompositeNotifier against a real HTTP receiver on 127.0.0.1 (apprise's json://)."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from integrations.notifier.chat import AppriseSender, CompositeNotifier
from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import AdapterError, Envelope

TOKEN = "S3cretTok"
PATH_TOKEN = "PathTok3n"  # where Telegram, Slack and Discord keep theirs: in the URL path


@dataclass
class Receiver:
    """What the hook got, and the status it answers with (changeable between sends)."""

    port: int = 0
    status: int = 200
    refuse: set[str] = field(default_factory=set)  # paths answered with 500 whatever `status` says
    posts: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str = "hook") -> str:
        return f"json://user:{TOKEN}@127.0.0.1:{self.port}/{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.posts.append(
                {
                    "path": self.path,
                    "auth": self.headers.get("Authorization", ""),
                    "json": json.loads(self.rfile.read(length) or b"{}"),
                }
            )
            self.send_response(500 if self.path in state.refuse else state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def _envelope(kind: str = "dispatch", order_id: str = "INV-0003") -> Envelope:
    return Envelope(
        order_id=order_id,
        kind=kind,
        sender="toko@localhost",
        recipient="web@toko.example",
        subject=f"Pesanan baru {order_id} 🚀 / New order {order_id}",
        body=f"Pesanan {order_id} untuk Đặng Thu Trang.\n\nFolder: https://drive.example/{order_id}\n",
    )


# ----- AppriseSender -----


def test_the_post_carries_title_and_body(receiver: Receiver) -> None:
    AppriseSender([receiver.url()]).send(_envelope())

    [post] = receiver.posts
    assert post["path"] == "/hook"
    assert post["json"]["title"] == "Pesanan baru INV-0003 🚀 / New order INV-0003"
    # apprise trims the trailing newline; the rest arrives as written.
    assert post["json"]["message"] == (
        "Pesanan INV-0003 untuk Đặng Thu Trang.\n\nFolder: https://drive.example/INV-0003"
    )
    # The credentials in the URL are what the service is given.
    assert base64.b64decode(post["auth"].removeprefix("Basic ")) == f"user:{TOKEN}".encode()


def test_a_refusing_service_is_worth_another_try_and_named_by_scheme_only(receiver: Receiver) -> None:
    receiver.status = 500

    with pytest.raises(AdapterError) as caught:
        AppriseSender([receiver.url()]).send(_envelope())

    assert caught.value.retryable is True
    assert str(caught.value) == "apprise json:// failed for INV-0003/dispatch"
    assert len(receiver.posts) == 1  # apprise itself does not retry


def test_no_secret_of_the_url_reaches_any_log(receiver: Receiver, all_logs: list[str]) -> None:
    sender = AppriseSender([receiver.url(f"hook/{PATH_TOKEN}")])
    sender.send(_envelope())
    receiver.status = 500
    with pytest.raises(AdapterError) as caught:
        sender.send(_envelope(order_id="INV-0004"))

    assert receiver.posts[0]["path"] == f"/hook/{PATH_TOKEN}"
    leaks = [line for line in all_logs if TOKEN in line or PATH_TOKEN in line]
    assert leaks == []
    assert TOKEN not in str(caught.value) and TOKEN not in repr(sender)
    # Turning the noise down did not silence apprise: its warning about the refusal is still there.
    assert any(line.startswith("apprise WARNING Failed to send JSON") for line in all_logs)
    # And a developer's DEBUG setting is back once the send is over.
    assert logging.getLogger("apprise").level == logging.DEBUG


def test_a_retry_after_a_partial_failure_posts_only_where_it_failed(receiver: Receiver) -> None:
    sender = AppriseSender([receiver.url("team"), receiver.url("ops")])
    receiver.refuse = {"/ops"}

    with pytest.raises(AdapterError) as caught:
        sender.send(_envelope())
    receiver.refuse = set()
    sender.send(_envelope())  # the next pass

    assert caught.value.retryable is True
    assert [p["path"] for p in receiver.posts] == ["/team", "/ops", "/ops"]


def test_an_invalid_url_is_refused_at_start_without_showing_it() -> None:
    with pytest.raises(ValueError) as caught:
        AppriseSender([f"tgram://{TOKEN}"])

    assert str(caught.value) == "apprise URL #1 (tgram://) is not valid"


# ----- CompositeNotifier -----


def _eml_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.eml")) if folder.exists() else []


def test_team_kinds_go_to_chat_and_email_buyer_kinds_only_to_email(
    receiver: Receiver, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    notifier = CompositeNotifier(EmlOutbox(outbox), AppriseSender([receiver.url()]))

    notifier.send(_envelope("dispatch", "INV-0001"))
    notifier.send(_envelope("proof_rejected:ab12cd", "INV-0002"))
    notifier.send(_envelope("overdue_alert", "INV-0003"))
    notifier.send(_envelope("confirmation", "INV-0004"))
    notifier.send(_envelope("completed", "INV-0005"))

    assert [p["json"]["title"].split()[2] for p in receiver.posts] == ["INV-0001", "INV-0002", "INV-0003"]
    assert _eml_files(outbox) == [
        "INV-0001.dispatch.eml",
        "INV-0002.proof_rejected_ab12cd.eml",
        "INV-0003.overdue_alert.eml",
        "INV-0004.confirmation.eml",
        "INV-0005.completed.eml",
    ]
    message = email.message_from_bytes(
        (outbox / "INV-0001.dispatch.eml").read_bytes(), policy=email.policy.default
    )
    assert message["X-Fulfil-Kind"] == "dispatch"


def test_without_chat_every_kind_goes_by_email(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    CompositeNotifier(EmlOutbox(outbox), None).send(_envelope("dispatch"))

    assert _eml_files(outbox) == ["INV-0003.dispatch.eml"]


def test_a_chat_failure_holds_the_email_back_so_it_is_sent_once(receiver: Receiver, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    notifier = CompositeNotifier(EmlOutbox(outbox), AppriseSender([receiver.url()]))
    receiver.status = 500

    with pytest.raises(AdapterError) as caught:
        notifier.send(_envelope("dispatch"))

    assert caught.value.retryable is True
    assert _eml_files(outbox) == []

    receiver.status = 200
    notifier.send(_envelope("dispatch"))  # the next pass

    assert len(receiver.posts) == 2  # the refused post and the accepted one
    assert _eml_files(outbox) == ["INV-0003.dispatch.eml"]


class _FlakyEmail:
    """An email Notifier (the port, not our code) that is unreachable for its first `down` sends."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.sent: list[Envelope] = []

    def send(self, envelope: Envelope) -> None:
        if self.down:
            self.down -= 1
            raise AdapterError("SMTP server 127.0.0.1:25 closed the connection", retryable=True)
        self.sent.append(envelope)


def test_an_email_failure_after_chat_does_not_post_to_chat_again(receiver: Receiver) -> None:
    mail = _FlakyEmail(down=1)
    notifier = CompositeNotifier(mail, AppriseSender([receiver.url()]))

    with pytest.raises(AdapterError):
        notifier.send(_envelope("dispatch"))
    notifier.send(_envelope("dispatch"))  # the next pass

    assert len(receiver.posts) == 1
    assert [e.kind for e in mail.sent] == ["dispatch"]


def test_buyers_with_a_whatsapp_number_get_their_messages_there_too_once(receiver: Receiver, home) -> None:  # type: ignore[no-untyped-def]
    from fulfil import bootstrap
    from fulfil.settings import Settings
    from fulfil.usecases import intake, notify
    from tests.conftest import EXAMPLES, NOW

    svc = bootstrap.build(Settings(home=home, buyer_chat_url=receiver.url("wa/{phone}")))
    svc.clock = lambda: NOW
    intake.ingest(svc, intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))

    notify.send_pending(svc)
    notify.send_pending(svc)  # nothing left: each channel's row is sent once

    paths = [p["path"] for p in receiver.posts]
    assert "/wa/6281234567890" in paths  # INV-0001 wrote 081234567890
    assert len(paths) == len(set(paths))
    one = next(p for p in receiver.posts if p["path"] == "/wa/6281234567890")
    assert "INV-0001" in one["json"]["title"]
    # Email still goes as before, and a buyer without a usable number gets email only.
    assert (home / "outbox" / "INV-0001.confirmation.eml").exists()
    assert not [p for p in paths if p.endswith("/wa/")]
