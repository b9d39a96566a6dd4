"""Buyer channels besides email: each is one adapter (a Notifier) and one registration in the
wiring (fulfil/bootstrap.py `_buyer_channels`). A buyer message then goes by email and by every
registered channel on which the buyer has an address, each as its own outbox row, sent once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fulfil.core.order import Order
from integrations.ports import Notifier


@dataclass(frozen=True)
class BuyerChannel:
    # Stored with each of its messages and ending their keys (`completed:wa`): keep it short and
    # never change it once messages went out by it.
    code: str
    sender: Notifier
    # The buyer's address on this channel ("" when the buyer gave none).
    address_of: Callable[[Order], str]


def phone_of(order: Order) -> str:
    return order.phone or ""
