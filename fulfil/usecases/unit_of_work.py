"""The unit of work: load an order, let the core decide, save the decision and the messages it
queues in one transaction; on a concurrent change, read and decide again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from fulfil.core.message_key import MessageKey
from fulfil.core.order import Order
from fulfil.usecases.deps import Deps
from fulfil.usecases.outbox import outbox_messages
from integrations.ports import StaleOrder

# A decision changes the order and returns the messages to queue, or None when nothing changed.
# What a decision returns: the messages to queue, or None when nothing changed.
Decided = Sequence[MessageKey | str] | None
Decision = Callable[[Order], Decided]


# On a concurrent change: read the order again and decide again, a few times.
retry_on_stale = retry(
    retry=retry_if_exception_type(StaleOrder),
    stop=stop_after_attempt(5),
    wait=wait_random_exponential(multiplier=0.05, max=1),
    reraise=True,
)


@retry_on_stale
def transact(svc: Deps, order_id: str, decide: Decision, **extra: Any) -> Order | None:
    """Apply `decide` to the freshest copy of the order; on a concurrent change, read and decide again."""
    order = svc.store.get(order_id)
    kinds = decide(order)
    if kinds is None:
        return None
    svc.store.save(order, outbox_messages(svc, order, kinds, **extra))
    return order
