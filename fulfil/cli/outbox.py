"""`fulfil outbox …`: the messages fulfil queued, and resending those that failed. No Prefect."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fulfil.cli._common import console, err_console, get_services
from fulfil.usecases import notify

app = typer.Typer(help="See queued, sent and failed messages; resend failed ones.", no_args_is_help=True)


@app.command("list")
def list_messages(
    failed: Annotated[
        bool, typer.Option("--failed", help="only messages given up on, or set aside as unsure")
    ] = False,
    order: Annotated[str | None, typer.Option("--order", help="only this order's messages")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array instead of a table")] = False,
) -> None:
    """Messages with their state (pending, sending, sent, failed, unsure: may have arrived), tries and
    last error."""
    store = get_services().store
    messages = store.messages(order.strip().upper() if order else None)
    if failed:
        messages = [m for m in messages if m.state in ("failed", "unsure")]
    rows = [
        {
            "id": m.id,
            "order": m.order_id,
            "kind": m.kind,
            "state": m.state,
            "attempts": m.attempts,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "error": m.error,
        }
        for m in messages
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(rows)} messages", header_style="bold")
    for column in ("id", "order", "kind", "state", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(*(str(r[c] or "") for c in ("id", "order", "kind", "state", "attempts", "error")))
    console.print(table)


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="IDs from `fulfil outbox list --failed`")] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="every failed message")] = False,
) -> None:
    """Send failed (or unsure) messages again, once each, after their cause was fixed."""
    if not ids and not all_failed:
        raise typer.BadParameter("name message IDs, or --all", param_hint="IDS")
    svc = get_services()
    requeued = svc.store.retry_failed(None if all_failed else ids)
    if ids and len(requeued) < len(set(ids)):
        missing = sorted(set(ids) - {m.id for m in requeued})
        left = ", ".join(map(str, missing))
        err_console.print(f"not failed or unsure (sent, pending or unknown), left alone: {left}")
    report = notify.send_pending(svc)
    console.print(
        f"requeued {len(requeued)}; sent {len(report.sent)}, failed {len(report.failed)}, "
        f"to retry {len(report.retry_later)}",
        highlight=False,
    )
    notify.check_delivered(report)
