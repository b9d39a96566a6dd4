"""Messages over SMTP (stdlib smtplib): one connection per message, bounded retries on temporary failures.

Delivery is at-least-once. If the connection drops after the server took the message but before its
"250" reached us, the retry sends it again; both copies carry the same Message-ID (deterministic per
order and kind), so the receiver and a person can tell them apart as one message.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import smtplib
import ssl
from contextlib import suppress
from email.message import EmailMessage
from typing import Literal

from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from integrations.notifier.outbox_folder import build_email
from integrations.ports import AdapterError, Envelope

Security = Literal["starttls", "ssl", "none"]
_DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
# "5.1.1 mailbox unavailable" -> "mailbox unavailable": the basic code already leads our message.
_ENHANCED_CODE = re.compile(r"^\d\.\d{1,3}\.\d{1,3}\s+")

_log = logging.getLogger(__name__)


def build_multipart(envelope: Envelope) -> EmailMessage:
    """The outbox's message (same headers), always with an HTML alternative for mail apps that prefer
    it, and the envelope's pictures inline in that HTML."""
    return build_email(envelope, with_html=True)


def _temporary(exc: BaseException) -> bool:
    """Whether trying again in a moment may help: a dropped or refused connection, or a 4xx reply."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # socket.timeout is TimeoutError since Python 3.10.
    return isinstance(exc, ConnectionError | TimeoutError)


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return _ENHANCED_CODE.sub("", " ".join(text.split()))


class SmtpSender:
    """A Notifier that hands each message to an SMTP server (a relay or the provider's submission port).

    `password` may be a pydantic SecretStr or a str; it is kept as a SecretStr and never appears in a
    log line, an exception message or this object's repr. The waits between attempts grow
    exponentially with full jitter (`wait_initial` * 2**n, at most `wait_max`); retries stop after
    `attempts` tries or once `max_total` seconds have passed, whichever comes first (one attempt can
    itself last up to `timeout`)."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: SecretStr | str | None = None,
        from_address: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        attempts: int = 3,
        wait_initial: float = 1.0,
        wait_max: float = 10.0,
        max_total: float = 60.0,
    ) -> None:
        if security not in _DEFAULT_PORTS:
            raise ValueError(f"SMTP security must be starttls, ssl or none, not {security!r}")
        if attempts < 1:
            raise ValueError("SMTP attempts must be at least 1")
        self.host = host
        self.port = port if port is not None else _DEFAULT_PORTS[security]
        self.security: Security = security
        self.username = username or None
        self._password = (
            password if isinstance(password, SecretStr) or password is None else SecretStr(password)
        )
        self.from_address = from_address
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self.attempts = attempts
        self.wait_initial = wait_initial
        self.wait_max = wait_max
        self.max_total = max_total

    def __repr__(self) -> str:
        return (
            f"SmtpSender(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r})"
        )

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, envelope: Envelope) -> None:
        if self.from_address:
            envelope = dataclasses.replace(envelope, sender=self.from_address)
        msg = build_multipart(envelope)
        retrying = Retrying(
            retry=retry_if_exception(_temporary),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_total),
            wait=wait_random_exponential(multiplier=self.wait_initial, max=self.wait_max),
            before_sleep=lambda state: self._log_retry(envelope, state),
            reraise=True,
        )
        try:
            retrying(self._deliver, msg)
        except (OSError, ValueError) as exc:  # smtplib.SMTPException and ssl.SSLError are OSErrors
            tries = retrying.statistics.get("attempt_number", 1)
            # from None: the one line says what a person needs; smtplib's chain adds only noise.
            raise self._adapter_error(exc, envelope, tries) from None

    def _deliver(self, msg: EmailMessage) -> None:
        smtp = self._connect()
        try:
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                secret = self._password.get_secret_value() if self._password else ""
                smtp.login(self.username, secret)
            smtp.send_message(msg)
        finally:
            # The message is either handed over or not by now; a failing QUIT changes neither.
            with suppress(OSError):
                smtp.quit()
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _log_retry(self, envelope: Envelope, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = self._describe(exc, envelope) if isinstance(exc, OSError | ValueError) else "failed"
        _log.warning(
            "SMTP send of %s/%s: %s; retrying (attempt %d of %d)",
            envelope.order_id,
            envelope.kind,
            reason,
            state.attempt_number + 1,
            self.attempts,
        )

    def _adapter_error(self, exc: OSError | ValueError, envelope: Envelope, tries: int) -> AdapterError:
        retryable = _temporary(exc) or self._other_network_trouble(exc)
        text = self._describe(exc, envelope)
        if retryable and tries > 1:
            text += f" (after {tries} attempts)"
        status = self._status_of(exc)
        return AdapterError(text, retryable=retryable, status=status)

    @staticmethod
    def _other_network_trouble(exc: BaseException) -> bool:
        # A DNS failure or an unreachable network is not worth a quick retry but may pass by the
        # next run; an SMTP answer, a TLS failure, or a message we cannot encode will not.
        return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException | ssl.SSLError)

    @staticmethod
    def _status_of(exc: BaseException) -> int | None:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return next(iter(exc.recipients.values()))[0] if exc.recipients else None
        if isinstance(exc, smtplib.SMTPResponseException):
            return exc.smtp_code
        return None

    def _describe(self, exc: BaseException, envelope: Envelope) -> str:
        """One line a person understands; the password never in it, even if a server echoed it."""
        where = self._where
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            parts = [
                f"SMTP {code} for {addr}: {_reply_text(reply)}"
                for addr, (code, reply) in exc.recipients.items()
            ]
            text = "; ".join(parts) or f"SMTP server {where} refused every recipient"
        elif isinstance(exc, smtplib.SMTPSenderRefused):
            text = f"SMTP {exc.smtp_code} for sender {exc.sender}: {_reply_text(exc.smtp_error)}"
        elif isinstance(exc, smtplib.SMTPAuthenticationError):
            text = (
                f"SMTP {exc.smtp_code} login as {self.username} refused by {where}: "
                f"{_reply_text(exc.smtp_error)}"
            )
        elif isinstance(exc, smtplib.SMTPResponseException):
            text = (
                f"SMTP {exc.smtp_code} from {where} for {envelope.recipient}: {_reply_text(exc.smtp_error)}"
            )
        elif isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" not in str(exc):
            text = f"SMTP server {where} closed the connection"
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            text = f"SMTP server {where} cannot do what the settings ask: {exc}"
        elif isinstance(exc, ssl.SSLCertVerificationError):
            text = f"TLS certificate of SMTP server {where} not trusted: {exc.verify_message}"
        elif isinstance(exc, ssl.SSLError):
            text = f"TLS with SMTP server {where} failed: {exc.reason or exc}"
        elif isinstance(exc, ConnectionRefusedError):
            text = f"could not connect to SMTP server {where}: connection refused"
        elif isinstance(exc, TimeoutError | smtplib.SMTPServerDisconnected):
            # smtplib reports a reply that never came as a disconnection "...: timed out".
            text = f"SMTP server {where} did not answer within {self.timeout:g} s"
        elif isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
            text = f"could not reach SMTP server {where}: {exc.strerror or exc}"
        elif isinstance(exc, ValueError):
            text = f"message for {envelope.recipient} could not be encoded for SMTP: {exc}"
        else:
            text = f"SMTP with {where} failed: {exc}"
        return self._scrub(" ".join(text.split()))

    def _scrub(self, text: str) -> str:
        secret = self._password.get_secret_value() if self._password else ""
        return text.replace(secret, "***") if secret else text
