"""`fulfil orders …`: read and edit the order store. No Prefect import here, on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fulfil.cli._common import console, err_console, get_services, needs_action_table, order_table
from fulfil.core.needs_action import NeedsAction
from fulfil.core.order import Order
from fulfil.core.staff import first_ops, who
from fulfil.core.status import OrderStatus
from fulfil.usecases import admin, aftersale, attention, intake, notify
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.summary import brief, detail

app = typer.Typer(
    help="List, inspect and act on orders: assign, mark paid, apply a held change, comment, cancel.",
    no_args_is_help=True,
)

BY_HELP = "who acts, from the staff list in configs/services.yaml (default: the first of ops)"


def _by(svc: Deps, by: str) -> str:
    return by.strip() or first_ops(svc.catalogue)


def _actor(svc: Deps, by: str) -> str:
    """How the history names who acted (`ops:Sari Wulandari`), checked against the staff list."""
    return who(svc.catalogue, _by(svc, by)).actor


@app.command("list")
def list_orders(
    status: Annotated[
        OrderStatus | None, typer.Option("--status", "-s", help="only orders in this status")
    ] = None,
    needs: Annotated[
        bool, typer.Option("--needs-action", help="only orders that need a person, and why")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array instead of a table")] = False,
) -> None:
    """List orders with their status, deadline and whether they are overdue."""
    svc = get_services()
    if needs:
        _list_needing_action(attention.needing_action(svc), as_json=as_json)
        return
    orders = svc.store.list({status} if status else None)
    rows = [brief(o) for o in orders]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console.print(order_table(rows, title=f"{len(rows)} orders"))


def _list_needing_action(found: list[NeedsAction], *, as_json: bool) -> None:
    if as_json:
        rows = [{"order": n.order_id, "reason": str(n.reason), "detail": n.detail} for n in found]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console.print(needs_action_table(found))


@app.command("show")
def show_order(
    order_id: Annotated[str, typer.Argument(help="the order ID, e.g. INV-0042")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show one order: its details, problems, proofs and full history."""
    svc = get_services()
    data = detail(svc.store.get(order_id.strip().upper()))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console.print(
        f"[bold]{data['order_id']}[/]  {data['service_code']}  [bold]{data['status']}[/]"
        + ("  [red]OVERDUE[/]" if data["overdue"] else ""),
        highlight=False,
    )
    console.print(
        f"deadline {data['deadline']}  quantity {data['quantity']}  paid {data['paid']}"
        + ("  (cash on delivery)" if data["cod"] else ""),
        highlight=False,
    )
    for p in data.get("problems", []):
        console.print(f"  [yellow]problem[/] {p['field']}: {p['reason']}", highlight=False)
    for p in data["proofs"]:
        verdict = "[green]accepted[/]" if p["accepted"] else f"[red]rejected[/] {p['reason']}"
        console.print(f"  proof {p['file']} ({p['size']} bytes) {verdict}", highlight=False)
    for d in data["deliverables"]:
        verdict = "[green]accepted[/]" if d["accepted"] else "[red]rejected[/]"
        console.print(f"  delivered {d['file']}: {d['count']} ({d['reason']}) {verdict}", highlight=False)
    for h in data["handed_over"]:
        gone = f", access withdrawn {h['withdrawn_at']}" if h["withdrawn_at"] else ""
        console.print(
            f"  handed over {h['file']} (md5 {h['md5']}) to {h['to']} by {h['how']}{gone}", highlight=False
        )
    for c in data["claims"]:
        state = f"done {c['done_at']}" if c["done_at"] else f"rework due {c['deadline']}"
        console.print(
            f"  claim #{c['number']} ({c['items'] or 'all'} items): {c['reason']} — {state}", highlight=False
        )
    if data["address"]:
        console.print(f"  ship to: {data['address']}", highlight=False)
    for x in data["shipments"]:
        arrived = f", delivered {x['delivered_at']}" if x["delivered_at"] else ", on its way"
        console.print(f"  shipped {x['courier']} {x['number']} at {x['at']}{arrived}", highlight=False)
    for r in data["returns"]:
        sent = f", sent back {r['tracking']}" if r["tracking"] else ""
        console.print(f"  return #{r['number']}: {r['reason']}{sent} — {r['outcome']}", highlight=False)
    for r in data["refunds"]:
        kind = "full" if r["full"] else "partial"
        console.print(
            f"  refund #{r['number']} Rp{r['amount']:,} ({kind}): {r['reason']}".replace(",", "."),
            highlight=False,
        )
    for n in data["notes"]:
        console.print(f"  team note ({n['source']}, {n['at']}): {n['text']}", highlight=False)
    console.print("history:")
    for h in data["history"]:
        told = " (buyer notified)" if h["notified"] else ""
        console.print(
            f"  {h['at']}  {h['status']:<16} {h['actor']:<14} {h['comment']}{told}", highlight=False
        )


@app.command("assign")
def assign_order(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    to: Annotated[str, typer.Option("--to", help="who in the division does the work (the staff list)")],
    by: Annotated[str, typer.Option("--by", help="the division's lead, or ops, assigning it")],
) -> None:
    """Record which team member works on a dispatched order (its division lead's or ops' decision)."""
    svc = get_services()
    order = admin.assign(svc, order_id.strip().upper(), to=to, by=by)
    sent = notify.send_pending(svc)  # the division hears it now, not at the next watch
    console.print(
        f"{order.order_id} is {order.status}, assigned to {order.assignee}; messages sent: {len(sent.sent)}",
        highlight=False,
    )


@app.command("cancel")
def cancel_order(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    reason: Annotated[str, typer.Option("--reason", help="why; the buyer is told this")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Cancel an order that has no accepted proof yet; the buyer gets a message with the reason."""
    svc = get_services()
    order = admin.cancel_order(svc, order_id.strip().upper(), reason=reason, by=_by(svc, by))
    sent = notify.send_pending(svc)
    console.print(
        f"{order.order_id} is {order.status}; messages sent: {len(sent.sent)}"
        + (f", failed: {', '.join(sent.failed)}" if sent.failed else ""),
        highlight=False,
    )


@app.command("release")
def release_order(
    order_id: Annotated[str, typer.Argument(help="the order ID held as a possible double submission")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Take in an order held as a possible double submission: ops checked it is a real order."""
    svc = get_services()
    order = intake.release_duplicate(svc, order_id.strip().upper(), actor=_actor(svc, by))
    sent = notify.send_pending(svc)
    console.print(f"{order.order_id} is {order.status}; messages sent: {len(sent.sent)}", highlight=False)


@app.command("claim")
def claim_order(
    order_id: Annotated[str, typer.Argument(help="the completed order ID")],
    reason: Annotated[str, typer.Option("--reason", help="what is wrong, as the buyer said it")],
    items: Annotated[
        int | None, typer.Option("--items", min=1, help="how many items to replace (all when left out)")
    ] = None,
    override: Annotated[
        str, typer.Option("--override", help="accept it outside the warranty window: say why")
    ] = "",
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Open a warranty claim: the order goes back to the team as rework with its own deadline; the
    buyer hears it was received, the division gets a rework order naming the reason and items."""
    svc = get_services()
    order = aftersale.open_claim(
        svc, order_id.strip().upper(), reason=reason, items=items, actor=_actor(svc, by), override=override
    )
    sent = notify.send_pending(svc)
    claim = order.claims[-1]
    console.print(
        f"{order.order_id} is {order.status}: claim #{claim.number}, rework due "
        f"{claim.deadline:%d/%m/%Y %H:%M} UTC; messages sent: {len(sent.sent)}",
        highlight=False,
    )


@app.command("claims")
def import_claims(
    path: Annotated[Path, typer.Argument(help="the claim form's export (CSV or XLSX), or a folder of them")],
) -> None:
    """Open the claims buyers sent through the shop's claim form (order ID, email, complaint,
    optionally how many items): each only on the buyer's own order, within its warranty, once.
    A row that cannot be taken is one line; the command then exits 1 (nothing else is lost)."""
    svc = get_services()
    report = aftersale.import_claims(svc, svc.source(path).read())
    sent = notify.send_pending(svc)
    for line in report.refused:
        err_console.print(f"[yellow]not taken[/] {line}", highlight=False)
    opened = f" ({', '.join(report.opened)})" if report.opened else ""
    console.print(
        f"claims opened: {len(report.opened)}{opened}; already open: {len(report.unchanged)}; "
        f"not taken: {len(report.refused)}; messages sent: {len(sent.sent)}",
        highlight=False,
    )
    if report.refused:
        raise typer.Exit(1)


@app.command("refund")
def refund_order(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    amount: Annotated[int, typer.Option("--amount", min=1, help="rupiah, digits only: 150000")],
    reason: Annotated[str, typer.Option("--reason", help="why; the buyer is told this")],
    full: Annotated[
        bool, typer.Option("--full/--partial", help="a full refund closes the order (default: partial)")
    ] = False,
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Record a refund (who, when, how much) and tell the buyer; a full refund closes the order and
    no later claim reopens it."""
    svc = get_services()
    order = aftersale.refund(
        svc, order_id.strip().upper(), amount=amount, reason=reason, full=full, actor=_actor(svc, by)
    )
    _done(svc, order)


@app.command("unshare")
def unshare_order(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Withdraw the buyer's access to the files shared with them on Google Drive."""
    svc = get_services()
    order, withdrawn = aftersale.withdraw_access(svc, order_id.strip().upper(), actor=_actor(svc, by))
    console.print(f"{order.order_id}: access withdrawn from {withdrawn} shared file(s)", highlight=False)


def _done(svc: Deps, order: Order) -> None:
    sent = notify.send_pending(svc)
    console.print(f"{order.order_id} is {order.status}; messages sent: {len(sent.sent)}", highlight=False)


@app.command("paid")
def mark_paid(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Mark an order paid (a bank transfer ops checked): the buyer is told, and the order goes to
    its division now when nothing else holds it."""
    svc = get_services()
    order = admin.mark_paid(svc, order_id.strip().upper(), by=_by(svc, by))
    steps = DirectSteps(svc)
    steps.dispatch([order.order_id])
    _done(svc, svc.store.get(order.order_id))


@app.command("apply-change")
def apply_change(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Apply the answers the buyer edited after dispatch (held until now); the team is told."""
    svc = get_services()
    _done(svc, admin.apply_held_change(svc, order_id.strip().upper(), by=_by(svc, by)))


@app.command("comment")
def comment(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    text: Annotated[str, typer.Argument(help="the comment, as it goes into the order's history")],
    tell_buyer: Annotated[bool, typer.Option("--tell-buyer", help="send it to the buyer too")] = False,
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Add a comment to an order's history, as a shop admin does; the buyer gets it if asked."""
    svc = get_services()
    _done(
        svc,
        admin.add_comment(svc, order_id.strip().upper(), text=text, by=_by(svc, by), tell_buyer=tell_buyer),
    )


@app.command("set-status")
def set_status(
    order_id: Annotated[str, typer.Argument(help="the order ID")],
    status: Annotated[OrderStatus, typer.Argument(help="the status to set")],
    reason: Annotated[str, typer.Option("--reason", help="why, for the order's history")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Override an order's status by hand (ops only), with the reason in its history."""
    svc = get_services()
    _done(
        svc,
        admin.override_status(svc, order_id.strip().upper(), status=status, reason=reason, by=_by(svc, by)),
    )
