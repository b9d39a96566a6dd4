"""`fulfil stock …` and the order commands of an online store: delivered, return, return-sent,
return-received. No Prefect import here, on purpose."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fulfil.cli._common import console, get_services
from fulfil.cli.orders import BY_HELP, _actor, _by, _done
from fulfil.core import returns
from fulfil.usecases import admin, pipeline, shipping
from fulfil.usecases import stock as stock_uc
from fulfil.usecases.pipeline import DirectSteps

stock_app = typer.Typer(
    help="Stock of the goods the shop counts: what is left, restocks.", no_args_is_help=True
)


@stock_app.command("list")
def list_stock(
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array instead of a table")] = False,
) -> None:
    """Each stock-keeping service: units on the shelf, held by open orders, gone out; low ones marked."""
    levels = stock_uc.levels(get_services())
    if as_json:
        print(json.dumps([{**vars(x), "low": x.low} for x in levels], indent=2))
        return
    table = Table("service", "available", "reserved", "gone out", "low at")
    for x in levels:
        mark = " [bold red](low)[/]" if x.low else ""
        table.add_row(
            x.service_code, f"{x.available}{mark}", str(x.reserved), str(x.consumed), str(x.low_at or "-")
        )
    console.print(table)


@stock_app.command("add")
def add_stock(
    service: Annotated[str, typer.Argument(help="the service code, e.g. KAOS-POLOS")],
    units: Annotated[int, typer.Argument(help="units that arrived (negative: written off)")],
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
) -> None:
    """Add units to a service's stock; orders waiting for it go on, oldest first."""
    svc = get_services()
    admin.deciding(svc, _by(svc, by))  # ops only
    steps = DirectSteps(svc)
    mark = steps.history_mark()
    left, moved = stock_uc.restock(svc, service.strip().upper(), units)
    sent = pipeline.move_on(steps, moved, mark).sent
    went_on = f": {', '.join(moved)}" if moved else ""
    console.print(
        f"{service.strip().upper()}: {left} available; {len(moved)} waiting order(s) went on"
        f"{went_on}; messages sent: {len(sent)}",
        highlight=False,
    )


def register(orders: typer.Typer) -> None:
    """The online store's order commands, beside the others under `fulfil orders`."""

    @orders.command("delivered")
    def delivered(
        order_id: Annotated[str, typer.Argument(help="the shipped order's ID")],
        by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
        buyer: Annotated[bool, typer.Option("--buyer", help="the buyer said it arrived")] = False,
    ) -> None:
        """Shipped goods arrived: the order completes and the buyer is thanked (with the invoice
        when the shop invoices on completion)."""
        svc = get_services()
        how = "pembeli mengonfirmasi / the buyer confirmed" if buyer else "dikonfirmasi / confirmed"
        _done(svc, shipping.confirm_delivery(svc, order_id.strip().upper(), actor=_actor(svc, by), how=how))

    @orders.command("return")
    def request_return(
        order_id: Annotated[str, typer.Argument(help="the shipped or delivered order's ID")],
        reason: Annotated[str, typer.Option("--reason", help="what is wrong, in the buyer's words")],
        by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
        override: Annotated[
            str, typer.Option("--override", help="accept it after the return window: why")
        ] = "",
    ) -> None:
        """A return within the service's return window: the buyer is told how to send the goods back."""
        svc = get_services()
        order = shipping.request_return(
            svc, order_id.strip().upper(), reason=reason, actor=_actor(svc, by), override=override
        )
        _done(svc, order)

    @orders.command("return-sent")
    def return_sent(
        order_id: Annotated[str, typer.Argument(help="the order ID")],
        tracking: Annotated[str, typer.Argument(help='the courier and tracking number: "JNE 1234567890123"')],
        by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
    ) -> None:
        """The buyer sent the goods back: record the return's courier and tracking number."""
        svc = get_services()
        _done(svc, shipping.return_sent(svc, order_id.strip().upper(), note=tracking, actor=_actor(svc, by)))

    @orders.command("return-received")
    def return_received(
        order_id: Annotated[str, typer.Argument(help="the order ID")],
        outcome: Annotated[
            str, typer.Option("--outcome", help="refund (in full), replace (ship again) or refused")
        ] = returns.REFUND,
        by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "",
    ) -> None:
        """The returned goods are back: stock goes back on the shelf, then the refund or the replacement."""
        svc = get_services()
        order = shipping.receive_return(
            svc, order_id.strip().upper(), outcome=outcome.strip().lower(), actor=_actor(svc, by)
        )
        _done(svc, order)
