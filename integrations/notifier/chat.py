"""Team chat through apprise (Telegram, Slack, Discord, …), and a notifier that adds chat to email.

Apprise URLs carry their service's secret (a bot token, a webhook key, a password), so no URL ever
reaches a log line or an error message here: only its scheme does ("apprise tgram:// failed").

Why apprise's logs are turned down while we send: at WARNING and above apprise only names the
service or host, and masks secrets in the URLs it prints; at DEBUG it prints the full request URL
("Telegram POST URL: https://api.telegram.org/bot<token>/…", Discord's webhook token, the requests
exception text with the path), and urllib3 logs the request line with the same path. So during a
send both loggers are held at WARNING at least, then put back, so a process-wide DEBUG (a developer
chasing another bug) cannot copy a token into our logs. The cost: urllib3's debug lines of other
threads are quiet for those moments too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import apprise
from pydantic import SecretStr

from fulfil.core.pipeline import BUYER_KINDS, MessageKind
from integrations.ports import AdapterError, Envelope, Notifier

# The messages meant for the team rather than a buyer: worth a ping in the team's channel.
TEAM_KINDS: frozenset[str] = frozenset(str(k) for k in MessageKind if k not in BUYER_KINDS)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_NOISY_LOGGERS = ("apprise", "urllib3")
_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_levels: dict[str, int] = {}


@contextmanager
def _quiet_transport_logs() -> Iterator[None]:
    """Hold apprise's and urllib3's loggers at WARNING or above; nested and threaded uses share it."""
    global _quiet_depth
    with _quiet_lock:
        if _quiet_depth == 0:
            for name in _NOISY_LOGGERS:
                logger = logging.getLogger(name)
                _saved_levels[name] = logger.level
                if logger.getEffectiveLevel() < logging.WARNING:
                    logger.setLevel(logging.WARNING)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                for name, level in _saved_levels.items():
                    logging.getLogger(name).setLevel(level)
                _saved_levels.clear()


def scheme_of(url: str) -> str:
    """`tgram` of `tgram://123:ABC/…`: the only part of an apprise URL safe to show."""
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep and _SCHEME.fullmatch(scheme) else "?"


class AppriseSender:
    """A Notifier posting each message (title = subject, body = body) to every apprise URL.

    Each URL has its own apprise object, so a failure names the service that failed and a retry
    within this process skips the services that already took the message. apprise hides the status
    code (notify() only says False), so every failure is retryable. An envelope's HTML and inline
    pictures are for mail and are left out: a chat gets the text."""

    def __init__(self, urls: Sequence[str | SecretStr], *, asset: apprise.AppriseAsset | None = None) -> None:
        if not urls:
            raise ValueError("no apprise URLs given")
        # secure_logging is apprise's default; set here so it stays on whatever the default becomes.
        self._asset = asset or apprise.AppriseAsset(secure_logging=True)
        self._targets: list[tuple[str, apprise.Apprise]] = []
        with _quiet_transport_logs():
            for n, url in enumerate(urls, start=1):
                secret = url.get_secret_value() if isinstance(url, SecretStr) else url
                target = apprise.Apprise(asset=self._asset)
                if not target.add(secret):
                    raise ValueError(f"apprise URL #{n} ({scheme_of(secret)}://) is not valid")
                self._targets.append((scheme_of(secret), target))
        # (message_id, target index) of posts made for a message that is not yet fully sent.
        self._posted: set[tuple[str, int]] = set()

    def __repr__(self) -> str:
        return f"AppriseSender({', '.join(f'{s}://…' for s, _ in self._targets)})"

    def send(self, envelope: Envelope) -> None:
        failed: list[str] = []
        with _quiet_transport_logs():
            for index, (scheme, target) in enumerate(self._targets):
                key = (envelope.message_id, index)
                if key in self._posted:
                    continue
                ok = target.notify(
                    body=envelope.body, title=envelope.subject, body_format=apprise.NotifyFormat.TEXT
                )
                if ok:
                    self._posted.add(key)
                else:  # False: the service refused or could not be reached; None: nothing was sent
                    failed.append(f"{scheme}://")
        if failed:
            raise AdapterError(
                f"apprise {', '.join(failed)} failed for {envelope.order_id}/{envelope.kind}", retryable=True
            )
        self._posted -= {(envelope.message_id, i) for i in range(len(self._targets))}


class CompositeNotifier:
    """Email for every message; for team kinds (base_kind in `chat_kinds`) a chat post as well.

    Order, for a team kind: chat first, then email. If chat fails, nothing has gone out by email yet,
    so the retryable error simply leaves the message pending and the next pass does both: the email
    is never sent twice because of chat. If chat worked and the email then fails, the chat post is
    remembered (in this process) and the next pass sends only the email. After a process restart in
    that gap the team may see the chat post twice: a duplicate in the team's channel, never in a
    mailbox. A chat error that is not retryable propagates too, so the message is marked failed with
    that reason in the order's history, and the email is not sent."""

    def __init__(
        self, email: Notifier, chat: Notifier | None = None, chat_kinds: frozenset[str] = TEAM_KINDS
    ) -> None:
        self.email = email
        self.chat = chat
        self.chat_kinds = chat_kinds
        self._chat_done: set[str] = set()  # message ids posted to chat whose email is still to go

    def send(self, envelope: Envelope) -> None:
        key = envelope.message_id
        if self.chat is not None and envelope.base_kind in self.chat_kinds and key not in self._chat_done:
            self.chat.send(envelope)
            self._chat_done.add(key)
        try:
            self.email.send(envelope)
        except AdapterError as exc:
            if not exc.retryable:
                self._chat_done.discard(key)  # no next pass will come for this message
            raise
        self._chat_done.discard(key)


# Rows queued before the outbox had a channel column were addressed `whatsapp:+62…`.
_OLD_PREFIX = "whatsapp:"


class WhatsAppSender:
    """The buyer's WhatsApp channel: sends each message to the buyer's number (the envelope's
    recipient, +62…) through one apprise URL template holding `{phone}` (e.g. apprise's WhatsApp
    Cloud API plugin: whatsapp://TOKEN@FROM_PHONE_ID/{phone})."""

    def __init__(self, url_template: str | SecretStr) -> None:
        self._template = url_template if isinstance(url_template, SecretStr) else SecretStr(url_template)

    def send(self, envelope: Envelope) -> None:
        digits = envelope.recipient.removeprefix(_OLD_PREFIX).lstrip("+")
        url = self._template.get_secret_value().replace("{phone}", digits)
        AppriseSender([SecretStr(url)]).send(envelope)
