"""The lookout's loop on an in-memory feed: it announces what arrived, once a look, and a look
that fails is retried after a pause, never ending the lookout."""

from __future__ import annotations

import threading

from fulfil.usecases.lookout import BACKOFF_POLLS, Lookout
from integrations.ports import Arrival


class ScriptedFeed:
    """Answers the looks in turn: a set of arrivals, or an exception to raise."""

    def __init__(self, *answers: frozenset[Arrival] | Exception) -> None:
        self.answers = list(answers)
        self.looks = 0

    def arrivals(self) -> frozenset[Arrival]:
        self.looks += 1
        answer = self.answers.pop(0) if self.answers else frozenset()
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_each_arrival_is_announced_once_per_look() -> None:
    told: list[Arrival] = []
    feed = ScriptedFeed(frozenset(), frozenset({Arrival.PROOFS, Arrival.ORDERS}), frozenset({Arrival.PROOFS}))
    lookout = Lookout(feed, told.append, poll_seconds=2)
    for _ in range(4):
        lookout.look_once()
    assert told == [Arrival.ORDERS, Arrival.PROOFS, Arrival.PROOFS]
    assert lookout.announced == {Arrival.ORDERS: 1, Arrival.PROOFS: 2}


def test_a_failing_look_is_logged_and_retried_later_and_the_lookout_goes_on(caplog) -> None:  # type: ignore[no-untyped-def]
    told: list[Arrival] = []
    feed = ScriptedFeed(
        OSError("Drive unreachable"), OSError("Drive unreachable"), frozenset({Arrival.PROOFS})
    )
    lookout = Lookout(feed, told.append, poll_seconds=2)
    lookout.look_once_safely()
    assert lookout._pause() == 2 * BACKOFF_POLLS[0]
    lookout.look_once_safely()
    assert lookout._pause() == 2 * BACKOFF_POLLS[1]  # backs off while Drive stays down
    lookout.look_once_safely()
    assert told == [Arrival.PROOFS] and lookout._pause() == 2
    assert [r.getMessage() for r in caplog.records].count(
        "lookout: a look failed (Drive unreachable); the scheduled runs still pick everything up"
    ) == 2


def test_the_lookout_stops_when_told() -> None:
    feed = ScriptedFeed()
    lookout = Lookout(feed, lambda a: None, poll_seconds=0.01)
    stop = threading.Event()
    runner = threading.Thread(target=lookout.run, args=(stop,))
    runner.start()
    while feed.looks < 3:
        pass
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive()


def test_whoever_started_the_lookout_is_told_once_its_first_look_is_done() -> None:
    # `fulfil serve` starts its runner on this: what arrives after it is the lookout's to announce.
    feed = ScriptedFeed()
    lookout = Lookout(feed, lambda a: None, poll_seconds=0.01)
    stop = threading.Event()
    looks_when_told: list[int] = []

    def first_look_done() -> None:
        looks_when_told.append(feed.looks)
        stop.set()

    lookout.run(stop, first_look_done)
    assert looks_when_told == [1]
