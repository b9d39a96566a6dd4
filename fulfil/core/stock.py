"""Stock: how many units an order holds, and when what is left is low.

The count itself lives in the store (integrations/store/stock.py), which reserves atomically so
that two processes never hand out the same unit. A reservation is keyed by the order: taking it
again (a rerun, a retry) finds the one already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fulfil.core.catalogue import Service
from fulfil.core.order import Order
from fulfil.core.status import FINAL, OrderStatus


class Held(StrEnum):
    """Where an order's reserved units stand."""

    RESERVED = "reserved"  # set aside at intake, still on the shelf
    CONSUMED = "consumed"  # shipped or handed over
    RELEASED = "released"  # back on the shelf: the order was cancelled, refunded or changed
    RETURNED = "returned"  # came back from the buyer, on the shelf again


@dataclass(frozen=True)
class Reservation:
    """What reserving gave: whether the order holds its units, what is left, and whether this
    reservation is the one that took the service under its low-stock threshold."""

    held: bool
    units: int
    available: int
    crossed_low: bool = False


@dataclass(frozen=True)
class StockLevel:
    service_code: str
    available: int
    reserved: int
    consumed: int
    low_at: int = 0

    @property
    def low(self) -> bool:
        return self.low_at > 0 and self.available < self.low_at


def units_to_hold(order: Order, service: Service | None) -> int:
    """How many units the order must hold now: its quantity while it is valid and alive, none
    when the service keeps no stock, the order has problems, or it is over."""
    if service is None or service.stock is None or order.problems or order.status in FINAL:
        return 0
    return order.quantity or 0


def crosses_low(before: int, after: int, low_at: int) -> bool:
    """Whether taking stock from `before` to `after` is the step that fell under the threshold:
    exactly one reservation is, so the alert goes out once per fall."""
    return low_at > 0 and before >= low_at > after


# What happens to the units an order holds when it reaches these statuses.
SETTLED_BY_STATUS: dict[OrderStatus, Held] = {
    OrderStatus.SHIPPED: Held.CONSUMED,
    OrderStatus.COMPLETED: Held.CONSUMED,
    OrderStatus.CANCELLED: Held.RELEASED,
    OrderStatus.REFUNDED: Held.RELEASED,
    # A valid order's edit made it incomplete: the units go back until it is fixed (then it
    # reserves again). Also what a crash between a reservation and the order's save leaves.
    OrderStatus.NEEDS_INFO: Held.RELEASED,
}
