"""What an outbox message is, as one small value instead of a string that carries three things."""

from __future__ import annotations

from dataclasses import dataclass, replace

# The channel every message can go by; buyer channels (WhatsApp, …) are registered in the wiring.
EMAIL = "email"


@dataclass(frozen=True)
class MessageKey:
    """The kind of message (a MessageKind: `completed`, `reminder`, …); what it is about, for a
    kind sent more than once per order (a rejected file's fingerprint, a ladder rung's percent, the
    key of a message that failed); the channel it goes by.

    Stored as the outbox row's key, `kind[:qualifier]` plus `:channel` for any channel but email,
    so the outbox's unique (order, key) keeps each message once per channel. The channel is stored
    in a column of its own too: only `of` reads a key back, and it never needs the channel."""

    kind: str
    qualifier: str = ""
    channel: str = EMAIL

    def __str__(self) -> str:
        parts = [str(self.kind), self.qualifier, "" if self.channel == EMAIL else self.channel]
        return ":".join(p for p in parts if p)

    def __eq__(self, other: object) -> bool:
        # A bare kind (a MessageKind or its text) is the key with no qualifier, by email.
        if isinstance(other, str):
            return str(self) == other
        if isinstance(other, MessageKey):
            return (self.kind, self.qualifier, self.channel) == (other.kind, other.qualifier, other.channel)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def on(self, channel: str) -> MessageKey:
        """The same message on another channel."""
        return replace(self, channel=channel)

    @classmethod
    def of(cls, key: MessageKey | str) -> MessageKey:
        """A key as the core gives it (`kind` or `kind:qualifier`); kinds hold no colon."""
        if isinstance(key, MessageKey):
            return key
        kind, _, qualifier = str(key).partition(":")
        return cls(kind, qualifier)
