"""The fast path: look for new proofs and form answers every few seconds, and announce them so
the run that handles them starts now rather than at its next scheduled time.

The lookout only looks and announces; it changes no order. What it announces starts the same
deployments the schedules start (through Prefect's event triggers), so every order still goes
through the one pipeline, once. When it is down, or a look fails, nothing is lost: the scheduled
runs pick everything up, only later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.ports import Arrival, ArrivalFeed

log = logging.getLogger("fulfil.lookout")

# After a failed look, wait this many polls before the next (Drive down, the network gone).
BACKOFF_POLLS = (1, 2, 5, 15)


@dataclass
class Lookout:
    feed: ArrivalFeed
    announce: Callable[[Arrival], None]
    poll_seconds: float
    looks: int = 0
    announced: dict[Arrival, int] = field(default_factory=dict)
    failures: int = 0

    def look_once(self) -> frozenset[Arrival]:
        """One look; each arrival seen is announced once (several drops in one poll: one run)."""
        self.looks += 1
        seen = self.feed.arrivals()
        for arrival in sorted(seen):
            self.announce(arrival)
            self.announced[arrival] = self.announced.get(arrival, 0) + 1
        return seen

    def run(self, stop: threading.Event, first_look_done: Callable[[], None] | None = None) -> None:
        """Look every `poll_seconds` until `stop` is set; a failed look is logged in one line and
        retried after a growing pause, never ends the lookout.

        The first look only notes what is there (what arrived before it is the scheduled runs'),
        so `first_look_done` tells whoever started the lookout that from now on nothing that
        arrives goes unannounced."""
        self.look_once_safely()
        if first_look_done is not None:
            first_look_done()
        while not stop.wait(self._pause()):
            self.look_once_safely()

    def look_once_safely(self) -> None:
        try:
            self.look_once()
        except Exception as exc:  # the lookout is a shortcut: the schedules stay the way
            self.failures += 1
            log.warning("lookout: a look failed (%s); the scheduled runs still pick everything up", exc)
        else:
            self.failures = 0

    def _pause(self) -> float:
        if not self.failures:
            return self.poll_seconds
        return self.poll_seconds * BACKOFF_POLLS[min(self.failures, len(BACKOFF_POLLS)) - 1]
