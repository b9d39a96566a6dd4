"""SmtpSender against a real SMTP server (aiosmtpd on 127.0.0.1): what a receiving mailbox would see."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.notify import send_pending
from integrations.notifier.smtp import SmtpSender
from integrations.ports import AdapterError, Envelope
from tests.conftest import EXAMPLES, NOW

BODY = (
    "Halo Đặng Thu Trang 🚀,\n\n"
    "Pesanan Anda sudah selesai dikerjakan.\n"
    "Nomor pesanan : INV-0003\n\n"
    "Hello Đặng Thu Trang 🚀,\n\n"
    "Your order is done. Terima kasih 🙏\n"
)
PASSWORD = "Rahasia-SMTP-9f3!"

# Short waits keep the retry tests fast; the policy (3 tries, backoff, cap) is what is under test.
FAST = {"wait_initial": 0.01, "wait_max": 0.05, "max_total": 10.0, "timeout": 5.0}


def _envelope(
    body: str = BODY, order_id: str = "INV-0003", kind: str = "completed", to: str = "dang.thutrang@gmail.com"
) -> Envelope:
    return Envelope(
        order_id=order_id,
        kind=kind,
        sender="toko@localhost",
        recipient=to,
        subject=f"Pesanan {order_id} selesai ✅ / Order {order_id} is done",
        body=body,
    )


# ----- the server -----


class Mailbox:
    """An aiosmtpd handler that keeps what it accepted and can be told to refuse or misbehave."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_attempts: list[str] = []
        self.data_attempts = 0
        self.refuse: dict[str, str] = {}  # recipient -> reply
        self.data_replies: list[str] = []  # replies to give to DATA before accepting
        self.drop_once: str | None = None  # "before" or "after" taking the message

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_attempts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        self.data_attempts += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        drop, self.drop_once = self.drop_once, None
        if drop != "before":
            assert isinstance(envelope.content, bytes)
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(parsed)
        if drop is not None:
            # The connection goes before the client reads our reply, as when a relay crashes.
            assert server.transport is not None
            server.transport.close()
        return "250 OK"

    def by_order(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            counts[m["X-Fulfil-Order"]] = counts.get(m["X-Fulfil-Order"], 0) + 1
        return counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start an SMTP server on a free loopback port; stopped after the test."""
    started: list[Controller] = []

    def start(handler: Mailbox, **smtp_options: Any) -> int:
        port = _free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="localhost", **smtp_options
        )
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def _sender(port: int, **options: Any) -> SmtpSender:
    settings: dict[str, Any] = {"security": "none", "local_hostname": "localhost", **FAST, **options}
    return SmtpSender("127.0.0.1", port, **settings)


def _parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


# ----- what arrives -----


def test_a_message_arrives_once_as_text_and_html_with_its_headers(serve: Any) -> None:
    mailbox = Mailbox()
    port = serve(mailbox)

    _sender(port).send(_envelope())

    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == "toko@localhost"
    assert message["To"] == "dang.thutrang@gmail.com"
    assert message["Subject"] == "Pesanan INV-0003 selesai ✅ / Order INV-0003 is done"
    assert message["Message-ID"] == "<INV-0003.completed@fulfil.invalid>"
    assert message["X-Fulfil-Order"] == "INV-0003"
    assert message["X-Fulfil-Kind"] == "completed"
    assert message["Date"].datetime is not None
    parts = _parts(message)
    assert list(parts) == ["text/plain", "text/html"]
    assert parts["text/plain"].replace("\r\n", "\n") == BODY
    html = parts["text/html"]
    assert "Halo Đặng Thu Trang 🚀," in html and "Terima kasih 🙏" in html
    # Paragraphs stay paragraphs, lines stay lines.
    assert html.count("<p>") == 4
    assert "Pesanan Anda sudah selesai dikerjakan.<br>" in html


def test_a_qualified_kind_is_sent_with_its_base_kind_and_a_distinct_message_id(serve: Any) -> None:
    mailbox = Mailbox()
    port = serve(mailbox)

    _sender(port).send(_envelope(kind="proof_rejected:ab12cd"))

    message = mailbox.messages[0]
    assert message["X-Fulfil-Kind"] == "proof_rejected"
    assert message["Message-ID"] == "<INV-0003.proof_rejected.ab12cd@fulfil.invalid>"


def test_what_a_buyer_typed_is_shown_as_text_in_the_html_part(serve: Any) -> None:
    mailbox = Mailbox()
    port = serve(mailbox)
    body = 'Halo <script>alert(1)</script>,\n\nCatatan: =HYPERLINK("x") & <b>tebal</b>\n'

    _sender(port).send(_envelope(body=body))

    parts = _parts(mailbox.messages[0])
    html = parts["text/html"]
    assert "<script>" not in html and "<b>" not in html
    assert "Halo &lt;script&gt;alert(1)&lt;/script&gt;," in html
    assert "=HYPERLINK(&quot;x&quot;) &amp; &lt;b&gt;tebal&lt;/b&gt;" in html
    assert parts["text/plain"].replace("\r\n", "\n") == body


def test_a_from_address_in_the_settings_replaces_the_envelope_sender(serve: Any) -> None:
    mailbox = Mailbox()
    port = serve(mailbox)

    _sender(port, from_address="Toko Digital <noreply@toko.example>").send(_envelope())

    assert mailbox.messages[0]["From"] == "Toko Digital <noreply@toko.example>"


# ----- logging in -----


def _authenticator(password: str, mechanisms: list[str]) -> Any:
    def check(
        server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, data: Any
    ) -> AuthResult:
        mechanisms.append(mechanism)
        ok = isinstance(data, LoginPassword) and data == (b"toko", password.encode())
        # handled=False: aiosmtpd's default (True) means "I replied myself" and sends no 535 at all.
        return AuthResult(success=ok, handled=False)

    return check


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_login_with_username_and_password(serve: Any, mechanism: str) -> None:
    mailbox, used = Mailbox(), []
    other = "PLAIN" if mechanism == "LOGIN" else "LOGIN"
    port = serve(
        mailbox,
        authenticator=_authenticator(PASSWORD, used),
        auth_require_tls=False,
        auth_exclude_mechanism=[other],
    )

    _sender(port, username="toko", password=SecretStr(PASSWORD)).send(_envelope())

    assert used == [mechanism]
    assert len(mailbox.messages) == 1


def test_a_wrong_password_fails_for_good_and_is_never_shown(serve: Any, all_logs: list[str]) -> None:
    mailbox, used = Mailbox(), []
    port = serve(mailbox, authenticator=_authenticator(PASSWORD, used), auth_require_tls=False)
    wrong = "Salah-Sandi-0042"
    sender = _sender(port, username="toko", password=wrong)

    with pytest.raises(AdapterError) as caught:
        sender.send(_envelope())

    err = caught.value
    assert err.retryable is False
    assert err.status == 535
    assert str(err).startswith("SMTP 535 login as toko refused by 127.0.0.1:")
    assert wrong not in str(err) and wrong not in repr(sender)
    assert all_logs and not [line for line in all_logs if wrong in line]
    assert mailbox.messages == []
    assert len(used) <= 2  # smtplib tries each offered mechanism once; no retry on a 5xx


# ----- STARTTLS -----


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _tls_server(serve: Any, tmp_path: Path, mailbox: Mailbox, **options: Any) -> tuple[int, Path]:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    return serve(mailbox, tls_context=server_ctx, require_starttls=True, **options), cert


def test_starttls_with_a_trusted_certificate_then_login(serve: Any, tmp_path: Path) -> None:
    mailbox, used = Mailbox(), []
    # auth_require_tls stays on: AUTH is only offered once the channel is encrypted.
    port, cert = _tls_server(serve, tmp_path, mailbox, authenticator=_authenticator(PASSWORD, used))
    trusting = ssl.create_default_context(cafile=str(cert))

    sender = _sender(port, security="starttls", ssl_context=trusting, username="toko", password=PASSWORD)
    sender.send(_envelope())

    assert len(used) == 1
    assert len(mailbox.messages) == 1


def test_implicit_tls_on_connect(serve: Any, tmp_path: Path) -> None:
    mailbox = Mailbox()
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    port = serve(mailbox, ssl_context=server_ctx)  # TLS from the first byte, as on port 465

    _sender(port, security="ssl", ssl_context=ssl.create_default_context(cafile=str(cert))).send(_envelope())

    assert len(mailbox.messages) == 1


def test_starttls_with_an_untrusted_certificate_fails_for_good(serve: Any, tmp_path: Path) -> None:
    mailbox = Mailbox()
    port, _ = _tls_server(serve, tmp_path, mailbox)

    with pytest.raises(AdapterError) as caught:
        _sender(port, security="starttls", ssl_context=ssl.create_default_context()).send(_envelope())

    assert caught.value.retryable is False
    assert "TLS certificate of SMTP server 127.0.0.1:" in str(caught.value)
    assert mailbox.messages == []


def test_a_server_that_requires_starttls_refuses_plain_sending(serve: Any, tmp_path: Path) -> None:
    mailbox = Mailbox()
    port, _ = _tls_server(serve, tmp_path, mailbox)

    with pytest.raises(AdapterError) as caught:
        _sender(port, security="none").send(_envelope())

    assert caught.value.retryable is False
    assert caught.value.status == 530
    assert mailbox.messages == []


# ----- refusals and temporary trouble -----


def test_a_refused_mailbox_fails_for_good_at_once(serve: Any) -> None:
    mailbox = Mailbox()
    mailbox.refuse["dang.thutrang@gmail.com"] = "550 5.1.1 mailbox unavailable"
    port = serve(mailbox)

    with pytest.raises(AdapterError) as caught:
        _sender(port).send(_envelope())

    assert caught.value.retryable is False
    assert caught.value.status == 550
    assert str(caught.value) == "SMTP 550 for dang.thutrang@gmail.com: mailbox unavailable"
    assert mailbox.rcpt_attempts == ["dang.thutrang@gmail.com"]  # asked once, never again
    assert mailbox.messages == []


def test_try_later_twice_then_accepted_is_delivered_exactly_once(serve: Any) -> None:
    mailbox = Mailbox()
    mailbox.data_replies = ["451 4.3.0 try later", "451 4.3.0 try later"]
    port = serve(mailbox)

    _sender(port).send(_envelope())

    assert mailbox.data_attempts == 3
    assert len(mailbox.messages) == 1


def test_try_later_every_time_gives_up_after_three_attempts_for_the_next_run(serve: Any) -> None:
    mailbox = Mailbox()
    mailbox.data_replies = ["451 4.3.0 try later"] * 5
    port = serve(mailbox)

    with pytest.raises(AdapterError) as caught:
        _sender(port).send(_envelope())

    assert caught.value.retryable is True
    assert caught.value.status == 451
    assert str(caught.value).endswith("try later (after 3 attempts)")
    assert mailbox.data_attempts == 3
    assert mailbox.messages == []


def test_a_connection_dropped_before_the_server_took_the_message_is_retried(serve: Any) -> None:
    mailbox = Mailbox()
    mailbox.drop_once = "before"
    port = serve(mailbox)

    _sender(port).send(_envelope())

    assert mailbox.data_attempts == 2
    assert len(mailbox.messages) == 1


def test_a_connection_dropped_after_the_server_took_it_gives_a_recognisable_duplicate(serve: Any) -> None:
    # The crash window: the server kept the message but its "250" never reached us, so we send
    # again. Both copies carry the same Message-ID; nothing is lost.
    mailbox = Mailbox()
    mailbox.drop_once = "after"
    port = serve(mailbox)

    _sender(port).send(_envelope())

    assert len(mailbox.messages) == 2
    assert {m["Message-ID"] for m in mailbox.messages} == {"<INV-0003.completed@fulfil.invalid>"}


def test_a_closed_port_is_worth_another_try_later() -> None:
    port = _free_port()  # nothing listens there

    with pytest.raises(AdapterError) as caught:
        _sender(port).send(_envelope())

    assert caught.value.retryable is True
    assert str(caught.value) == (
        f"could not connect to SMTP server 127.0.0.1:{port}: connection refused (after 3 attempts)"
    )


def test_a_server_that_never_answers_is_worth_another_try_later(all_logs: list[str]) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        with pytest.raises(AdapterError) as caught:
            _sender(port, timeout=0.2).send(_envelope())

    assert caught.value.retryable is True
    assert str(caught.value) == (
        f"SMTP server 127.0.0.1:{port} did not answer within 0.2 s (after 3 attempts)"
    )
    retries = [line for line in all_logs if line.startswith("integrations.notifier.smtp WARNING")]
    assert len(retries) == 2
    assert "INV-0003/completed" in retries[0]


# ----- through the outbox -----


def test_send_pending_delivers_every_queued_message_once_and_notes_a_refused_one(
    svc: Deps, serve: Any
) -> None:
    svc.clock = lambda: NOW
    ingest(svc, rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    queued = svc.store.pending_messages()
    assert len(queued) > 3
    mailbox = Mailbox()
    mailbox.refuse["budi.santoso@yahoo.co.id"] = "550 5.1.1 mailbox unavailable"
    port = serve(mailbox)
    svc.notifier = _sender(port)

    first = send_pending(svc)
    again = send_pending(svc)

    others = {m.order_id for m in queued} - {"INV-0002"}
    assert first.failed == ["INV-0002/confirmation"]
    # Ops hear of the refused message in the same pass, once.
    alert = "INV-0002/undelivered:confirmation"
    assert sorted(first.sent) == sorted(
        [f"{m.order_id}/{m.kind}" for m in queued if m.order_id in others] + [alert]
    )
    assert first.retry_later == []
    assert mailbox.by_order() == {**dict.fromkeys(others, 1), "INV-0002": 1}
    assert (again.sent, again.failed, again.retry_later) == ([], [], [])
    assert len(mailbox.messages) == len(others) + 1
    [to_ops] = [m for m in mailbox.messages if m["X-Fulfil-Order"] == "INV-0002"]
    assert to_ops["To"] == svc.settings.ops_email and "fulfil outbox retry" in to_ops.get_body().get_content()

    refused, _ = svc.store.messages("INV-0002")
    assert refused.state == "failed"
    history = [entry.comment for entry in svc.store.get("INV-0002").history]
    assert any("SMTP 550 for budi.santoso@yahoo.co.id: mailbox unavailable" in text for text in history)
    assert all(m.state == "sent" for o in others for m in svc.store.messages(o))
