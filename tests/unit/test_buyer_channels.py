"""A new buyer channel is one adapter and one registration: a toy channel added here receives
every buyer message the buyer has an address for, once, and nothing meant for the team."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.core.message_key import EMAIL, MessageKey
from fulfil.core.pipeline import BUYER_KINDS, MessageKind
from fulfil.settings import Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases import pipeline
from fulfil.usecases.channels import BuyerChannel
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from integrations.ports import Envelope
from tests.integration.test_usecases_pipeline import EXAMPLE, NOW, _accounts, _dispatch, _drop, _ingest


class Pigeons:
    """The toy channel's adapter: keeps what it was given to carry."""

    def __init__(self) -> None:
        self.carried: list[Envelope] = []

    def send(self, envelope: Envelope) -> None:
        self.carried.append(envelope)


@pytest.fixture
def shop(home: Path) -> Iterator[tuple[Deps, Pigeons]]:
    deps = bootstrap.build(Settings(home=home), store=MemoryStore())
    deps.clock = lambda: NOW
    pigeons = Pigeons()
    # The one registration: a code, the adapter, where the buyer is reached on it.
    deps.buyer_channels["pigeon"] = BuyerChannel(
        "pigeon", pigeons, address_of=lambda o: f"loft of {o.order_id}"
    )
    yield deps, pigeons
    deps.close()


def test_a_registered_channel_carries_every_buyer_message_once(
    shop: tuple[Deps, Pigeons], home: Path
) -> None:
    deps, pigeons = shop
    _ingest(deps, EXAMPLE)
    _dispatch(deps)
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))
    pipeline.watch(DirectSteps(deps))
    pipeline.watch(DirectSteps(deps))  # a second pass sends nothing again

    to_inv1 = [e for e in pigeons.carried if e.order_id == "INV-0001"]
    assert [MessageKey.of(e.kind).kind for e in to_inv1] == ["confirmation", "completed"]
    assert {e.recipient for e in to_inv1} == {"loft of INV-0001"}
    assert all(e.channel == "pigeon" for e in pigeons.carried)
    # The buyer's email went too, and nothing for the team or ops took the toy channel.
    rows = deps.store.messages("INV-0001")
    assert {
        (MessageKey.of(m.kind).kind, m.channel) for m in rows if MessageKey.of(m.kind).kind in BUYER_KINDS
    } == {
        ("confirmation", EMAIL),
        ("confirmation", "pigeon"),
        ("completed", EMAIL),
        ("completed", "pigeon"),
    }
    assert all(m.state == "sent" for m in rows)
    team = {MessageKind.DISPATCH, MessageKind.PROOF_REJECTED, MessageKind.REMINDER}
    assert not [e for e in pigeons.carried if MessageKey.of(e.kind).kind in team]


def test_a_message_for_a_channel_no_longer_set_up_waits_with_a_reason(
    shop: tuple[Deps, Pigeons], home: Path
) -> None:
    deps, _ = shop
    _ingest(deps, EXAMPLE)
    del deps.buyer_channels["pigeon"]  # the shop took the channel out of its settings
    report = DirectSteps(deps).send_outbox()

    waiting = [m for m in deps.store.messages() if m.channel == "pigeon"]
    assert waiting and all(m.state != "sent" for m in waiting)
    assert all(
        "'pigeon', which is not set up here" in report.errors[f"{m.order_id}/{m.kind}"] for m in waiting
    )
    assert all(m.state == "sent" for m in deps.store.messages() if m.channel == EMAIL)
