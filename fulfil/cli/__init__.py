"""The `fulfil` command. Store-only commands never import Prefect, so they answer in well under a second."""

from __future__ import annotations

import sys

import typer

from fulfil.cli import orders, run
from fulfil.cli._common import fail_cleanly

app = typer.Typer(
    name="fulfil",
    help="Order fulfilment on Prefect: intake → validate → dispatch → proof → CRM → buyer told.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(orders.app, name="orders")
run.register(app)


def main() -> None:
    with fail_cleanly():
        app()


if __name__ == "__main__":
    sys.exit(main())
