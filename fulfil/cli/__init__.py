"""The `fulfil` command. Store-only commands never import Prefect, so they answer in well under a second."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from fulfil.cli import goods, orders, outbox, run
from fulfil.cli._common import fail_cleanly

app = typer.Typer(
    name="fulfil",
    help="Order fulfilment on Prefect: intake → validate → dispatch → proof → CRM → buyer told.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(orders.app, name="orders")
app.add_typer(outbox.app, name="outbox")
app.add_typer(goods.stock_app, name="stock")
goods.register(orders.app)
run.register(app)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the full traceback of an error instead of one line")
    ] = False,
) -> None:
    if debug:
        os.environ["FULFIL_DEBUG"] = "1"


def main() -> None:
    with fail_cleanly(unexpected=True):
        app()


if __name__ == "__main__":
    main()
