"""Order statuses and the one table of allowed transitions."""

from enum import StrEnum

from fulfil.core.errors import ForbiddenTransition


class OrderStatus(StrEnum):
    RECEIVED = "received"
    NEEDS_INFO = "needs_info"
    AWAITING_PAYMENT = "awaiting_payment"
    DISPATCHED = "dispatched"
    ASSIGNED = "assigned"
    PROOF_RECEIVED = "proof_received"
    RECORDED = "recorded"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # A warranty claim sent a completed order back to the team (fulfil/core/aftersale.py).
    REWORK = "rework"
    # Refunded in full: closed, and no later claim reopens it.
    REFUNDED = "refunded"
    # A valid order for goods kept in stock when none is left: it waits for a restock.
    AWAITING_STOCK = "awaiting_stock"
    # Physical goods handed to the courier with a tracking number; completed when delivered.
    SHIPPED = "shipped"
    # The buyer asked to send shipped goods back; ops receive them, then refund or replace.
    RETURN_REQUESTED = "return_requested"


S = OrderStatus

# The only place that says which status may follow which. Cancelling is allowed from every
# status before the proof arrives; after that the work is done and only completion remains.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.NEEDS_INFO, S.AWAITING_PAYMENT, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED}),
    S.NEEDS_INFO: frozenset({S.AWAITING_PAYMENT, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.NEEDS_INFO, S.AWAITING_STOCK, S.DISPATCHED, S.CANCELLED}),
    # Restocked: a paid order is back where it was received, an unpaid one awaits its payment.
    S.AWAITING_STOCK: frozenset({S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.ASSIGNED, S.PROOF_RECEIVED, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.PROOF_RECEIVED, S.CANCELLED}),
    # A proof withdrawn before it is recorded sends the order back to waiting.
    S.PROOF_RECEIVED: frozenset({S.RECORDED, S.DISPATCHED, S.ASSIGNED, S.REWORK}),
    # Goods of a shipped service leave with the courier first; everything else is done now.
    S.RECORDED: frozenset({S.COMPLETED, S.SHIPPED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.RETURN_REQUESTED, S.REFUNDED}),
    # After completion: a warranty claim (rework), a return of shipped goods, or a full refund.
    S.COMPLETED: frozenset({S.REWORK, S.RETURN_REQUESTED, S.REFUNDED}),
    # A received return is refunded or replaced (shipped again through rework); a request ops
    # turn down leaves the order completed.
    S.RETURN_REQUESTED: frozenset({S.REFUNDED, S.REWORK, S.COMPLETED}),
    S.REWORK: frozenset({S.PROOF_RECEIVED, S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

WAITING_FOR_PROOF = frozenset({S.DISPATCHED, S.ASSIGNED, S.REWORK})
# Nothing more happens by itself; a completed order may still take a claim or a refund by hand.
FINAL = frozenset({S.COMPLETED, S.CANCELLED, S.REFUNDED})
# Orders that have a CRM row, kept in step with the order from the moment its proof is accepted.
IN_CRM = frozenset(
    {S.PROOF_RECEIVED, S.RECORDED, S.SHIPPED, S.COMPLETED, S.RETURN_REQUESTED, S.REWORK, S.REFUNDED}
)
# Orders whose source row may still be edited by the buyer and re-validated.
EDITABLE = frozenset({S.RECEIVED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.AWAITING_STOCK})


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise ForbiddenTransition unless `current -> target` is in the table."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (final status)"
        raise ForbiddenTransition(
            f"cannot move an order from {current} to {target}; from {current} it may go to: {allowed}"
        )
