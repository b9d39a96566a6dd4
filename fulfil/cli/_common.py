"""What every command shares: settings to services, one-line errors, the order table."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fulfil import bootstrap
from fulfil.core.errors import FulfilError
from fulfil.core.needs_action import NeedsAction
from fulfil.settings import load_settings
from fulfil.usecases.deps import Deps

console = Console()
if not console.is_terminal:
    # Piped or captured output keeps a table on one line per order.
    console = Console(width=160)
err_console = Console(stderr=True)

# Below this many rows a progress bar is only noise.
PROGRESS_FROM = 200


def debugging() -> bool:
    """`fulfil --debug …` (or FULFIL_DEBUG=1): show tracebacks instead of one-line errors."""
    return os.environ.get("FULFIL_DEBUG", "") not in ("", "0")


def _say(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _prefect_refused(exc: Exception) -> str | None:
    """A Prefect server behind a password answered 401: say which setting is missing or wrong."""
    response = getattr(exc, "response", None)
    if not type(exc).__module__.startswith("prefect") or getattr(response, "status_code", None) != 401:
        return None
    url = getattr(response, "url", None)  # host and port only: never a user:password
    where = f" at {url.scheme}://{url.host}" + (f":{url.port}" if url.port else "") if url else ""
    return (
        f"the Prefect API{where} answered 401 Unauthorized: set PREFECT_API_AUTH_STRING to the "
        'server\'s PREFECT_SERVER_API_AUTH_STRING (README: "Production: the Prefect UI behind a password")'
    )


@contextmanager
def fail_cleanly(*, unexpected: bool = False) -> Iterator[None]:
    """A problem a person can fix is one line on stderr and exit code 1, never a traceback.

    With `unexpected` (the outermost one), any other error is one line too, naming its kind."""
    try:
        yield
    except FulfilError as exc:
        if debugging():
            raise
        _say(str(exc))
        sys.exit(1)
    except OSError as exc:
        if debugging():
            raise
        _say(f"{exc.strerror or exc}: {exc.filename or ''}")
        sys.exit(1)
    except Exception as exc:
        if not unexpected or debugging():
            raise
        if refused := _prefect_refused(exc):
            _say(refused)
            sys.exit(1)
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        _say(f"{type(exc).__name__}: {first} (run `fulfil --debug …` for where)")
        sys.exit(1)


@contextmanager
def rich_progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    if total < PROGRESS_FROM or (not err_console.is_terminal and total < 10 * PROGRESS_FROM):
        yield lambda n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        job = bar.add_task(label, total=total)
        yield lambda n: bar.advance(job, n)


def get_services() -> Deps:
    """The services of this command, built once; closed when the command ends."""
    with fail_cleanly():
        settings = load_settings()
        if settings.google_credentials_block or settings.smtp_credentials_block:
            from fulfil.blocks import apply_blocks  # imports Prefect: only when a block is named

            settings = apply_blocks(settings)
        svc = bootstrap.build(settings)
    svc.progress = rich_progress
    command = click.get_current_context(silent=True)
    if command is not None:
        command.call_on_close(svc.close)
    return svc


def order_table(rows: list[dict[str, Any]], title: str = "Orders") -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in ("ID", "service", "status", "overdue", "last history comment"):
        table.add_column(col, overflow="fold")
    colours = {
        "completed": "green",
        "needs_info": "yellow",
        "awaiting_payment": "cyan",
        "cancelled": "dim",
    }
    for r in rows:
        status = r["status"]
        table.add_row(
            r["order_id"],
            r["service_code"] or "-",
            f"[{colours.get(status, 'white')}]{status}[/]",
            "yes" if r["overdue"] else "no",
            # The table shows the Indonesian half; `orders show` has both.
            r["last_comment"].split(" / ")[0],
        )
    return table


def needs_action_table(found: list[NeedsAction]) -> Table:
    """Orders that need a person and why, as `fulfil orders list --needs-action` shows them."""
    table = Table(title=f"needs action: {len(found)}", header_style="bold")
    for column in ("order", "reason", "what to do"):
        table.add_column(column, overflow="fold")
    for n in found:
        table.add_row(n.order_id, str(n.reason), n.detail)
    return table
