"""Admin actions as flows: deployments a manager runs from the Prefect UI with a form
(Deployments → action → Run → Custom run). Who acts is picked from the staff list (the form's
dropdown, see flows/serve.py); each run records that person in the order's history, sends what the
action queued, and fails with the reason in one line when the action is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from prefect import flow

from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.usecases import pipeline
from fulfil.usecases.deps import Deps
from tasks import admin
from tasks._runtime import flow_run_deps
from tasks.steps import TaskSteps

ReturnOutcome = Literal["refund", "replace", "refused"]


def _act(action: Callable[[Deps], Order], *, then_dispatch: bool = False) -> str:
    """Run one action (and dispatch the order when it became ready), send what it queued, trace
    the order; say where the order now stands."""
    with flow_run_deps() as deps:
        steps = TaskSteps(deps)
        mark = steps.history_mark()
        order = action(deps)
        if then_dispatch and steps.dispatch([order.order_id]):
            order = deps.store.get(order.order_id)
        sent = steps.send_outbox()
        steps.publish_order_traces(mark)
        steps.check_delivery(sent)
        return f"{order.order_id} is {order.status}"


@flow(name="assign-order", flow_run_name="assign {order_id}")
def assign_order(order_id: str, to: str, by: str) -> str:
    """Give a dispatched order to a member of its division; the division is told.

    Args:
        order_id: The order ID, e.g. INV-0042.
        to: Who does the work: a member (or the lead) of the order's division.
        by: Who assigns it: the division's lead, or ops.
    """
    return _act(lambda deps: admin.assign(deps, order_id.strip().upper(), to, by))


@flow(name="mark-paid", flow_run_name="mark-paid {order_id}")
def mark_paid(order_id: str, by: str) -> str:
    """Mark an order paid (a bank transfer ops checked): the buyer hears the payment arrived and
    the order goes to its division now, when nothing else holds it.

    Args:
        order_id: The order ID, e.g. INV-0042.
        by: Who of ops checked the payment.
    """
    return _act(lambda deps: admin.mark_paid(deps, order_id.strip().upper(), by), then_dispatch=True)


@flow(name="apply-change", flow_run_name="apply-change {order_id}")
def apply_change(order_id: str, by: str) -> str:
    """Apply the answers the buyer edited after the order went to the team (held until now); the
    division is told what changed.

    Args:
        order_id: The order ID, e.g. INV-0042.
        by: Who decides: the division's lead, or ops.
    """
    return _act(lambda deps: admin.apply_change(deps, order_id.strip().upper(), by))


@flow(name="comment-order", flow_run_name="comment {order_id}")
def comment_order(order_id: str, comment: str, by: str, tell_buyer: bool = False) -> str:
    """Add a comment to an order's history, as a shop admin does.

    Args:
        order_id: The order ID, e.g. INV-0042.
        comment: The comment, as it goes into the history (and to the buyer, when ticked).
        by: Who writes it.
        tell_buyer: Send the comment to the buyer too.
    """
    return _act(lambda deps: admin.comment(deps, order_id.strip().upper(), comment, by, tell_buyer))


@flow(name="cancel-order", flow_run_name="cancel {order_id}")
def cancel_order(order_id: str, reason: str, by: str) -> str:
    """Cancel an order that has no accepted proof yet: the buyer is told the reason, and the
    division (and the member on it) are told to stop.

    Args:
        order_id: The order ID, e.g. INV-0042.
        reason: Why; the buyer and the team are told this.
        by: Who cancels: ops, or the division's lead.
    """
    return _act(lambda deps: admin.cancel(deps, order_id.strip().upper(), reason, by))


@flow(name="set-status", flow_run_name="set-status {order_id}")
def set_status(order_id: str, status: OrderStatus, reason: str, by: str) -> str:
    """Override an order's status by hand, outside the usual steps; nobody is messaged.

    Args:
        order_id: The order ID, e.g. INV-0042.
        status: The status to set.
        reason: Why, for the order's history.
        by: Who of ops sets it.
    """
    return _act(lambda deps: admin.set_status(deps, order_id.strip().upper(), status, reason, by))


@flow(name="claim-order", flow_run_name="claim {order_id}")
def claim_order(order_id: str, reason: str, by: str, items: int | None = None, override: str = "") -> str:
    """Open a warranty claim on a completed order: it goes back to the team as rework.

    Args:
        order_id: The completed order's ID.
        reason: What is wrong, as the buyer said it.
        by: Who takes the claim: ops, or the division's lead.
        items: How many items to replace (all when empty).
        override: To accept it outside the warranty window, say why.
    """
    return _act(lambda deps: admin.claim(deps, order_id.strip().upper(), reason, items, by, override))


@flow(name="refund-order", flow_run_name="refund {order_id}")
def refund_order(order_id: str, amount: int, reason: str, by: str, full: bool = False) -> str:
    """Record a refund and tell the buyer; a full refund closes the order.

    Args:
        order_id: The order ID.
        amount: Rupiah, digits only: 150000.
        reason: Why; the buyer is told this.
        by: Who of ops refunds.
        full: A full refund (closes the order); a partial one otherwise.
    """
    return _act(lambda deps: admin.refund(deps, order_id.strip().upper(), amount, reason, full, by))


# ----- an online store's actions (offered when the catalogue has shipped or stocked goods) -----


@flow(name="confirm-delivery", flow_run_name="delivered {order_id}")
def confirm_delivery(order_id: str, by: str, buyer_confirmed: bool = False) -> str:
    """Shipped goods arrived: the order completes and the buyer is thanked.

    Args:
        order_id: The shipped order's ID.
        by: Who confirms: ops, or someone of the division that shipped it.
        buyer_confirmed: The buyer said the parcel arrived (otherwise: the courier's proof).
    """
    return _act(lambda deps: admin.deliver(deps, order_id.strip().upper(), by, buyer_confirmed))


@flow(name="return-order", flow_run_name="return {order_id}")
def return_order(order_id: str, reason: str, by: str, override: str = "") -> str:
    """Accept a return of shipped goods within the service's return window; the buyer is told
    how to send them back.

    Args:
        order_id: The shipped or delivered order's ID.
        reason: What is wrong, as the buyer said it.
        by: Who accepts it: ops, or the division's lead.
        override: To accept it after the return window, say why.
    """
    return _act(lambda deps: admin.request_return(deps, order_id.strip().upper(), reason, by, override))


@flow(name="receive-return", flow_run_name="return received {order_id}")
def receive_return(order_id: str, outcome: ReturnOutcome, by: str) -> str:
    """The returned goods are back: stock goes back on the shelf, then the refund in full or a
    replacement shipped by the team (or the request is turned down).

    Args:
        order_id: The order ID.
        outcome: refund, replace or refused.
        by: Who of ops received it.
    """
    return _act(lambda deps: admin.receive_return(deps, order_id.strip().upper(), outcome, by))


@flow(name="restock", flow_run_name="restock {service} +{units}")
def restock(service: str, units: int, by: str) -> str:
    """Add units that arrived (negative: written off); orders waiting for them go on, oldest first.

    Args:
        service: The service code.
        units: How many units arrived.
        by: Who of ops counted them.
    """
    with flow_run_deps() as deps:
        steps = TaskSteps(deps)
        mark = steps.history_mark()
        left, moved = admin.restock(deps, service, units, by)
        steps.check_delivery(pipeline.move_on(steps, moved, mark))
        return f"{service}: {left} available; went on: {', '.join(moved) or '-'}"
