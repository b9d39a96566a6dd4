"""Commands that run the pipeline's flows: intake, watch, sweep, serve, demo, advance."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fulfil.cli import demo as demo_cmd
from fulfil.cli import google
from fulfil.cli._common import console, err_console, get_services
from fulfil.cli._prefect import quiet_console_logs, run_flow


def register(app: typer.Typer) -> None:
    app.command("intake")(intake)
    app.command("watch")(watch)
    app.command("sweep")(sweep)
    app.command("advance")(advance)
    app.command("serve")(serve)
    app.command("demo")(demo_cmd.demo)
    app.command("doctor")(google.doctor)
    app.add_typer(google.dev, name="dev")


def intake(
    path: Annotated[Path, typer.Argument(help="a CSV or XLSX form export, or a folder of them")],
) -> None:
    """Ingest a form export: upsert orders by ID, validate, dispatch the valid paid ones."""
    if not path.exists():
        raise typer.BadParameter(f"file not found: {path}", param_hint="PATH")
    get_services()
    quiet_console_logs()
    from flows.intake import intake as intake_flow

    counts = run_flow(intake_flow, source=str(path.resolve()))
    console.print(
        f"rows {counts['rows']}: new {counts['new']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, held for ops {counts['change_ignored']}; "
        f"dispatched {counts['dispatched']}",
        highlight=False,
    )
    svc = get_services()
    needs = [o.order_id for o in svc.store.list() if str(o.status) == "needs_info"]
    console.print(f"needs_info {len(needs)}" + (f": {', '.join(needs)}" if needs else ""), highlight=False)


def _loop(name: str, once: bool, interval: int, step) -> None:  # type: ignore[no-untyped-def]
    while True:
        step()
        if once:
            return
        err_console.print(f"{name}: next pass in {interval}s (Ctrl-C stops)")
        time.sleep(interval)


def watch(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
) -> None:
    """Watch the proof folders: accept proofs, write CRM rows, tell buyers. Loops unless --once."""
    svc = get_services()
    quiet_console_logs()
    from flows.watch_proofs import watch_proofs

    def step() -> None:
        done = run_flow(watch_proofs)
        console.print(f"completed this pass: {len(done)}" + (f" ({', '.join(done)})" if done else ""))

    _loop("watch", once, svc.settings.watch_interval_seconds, step)


def sweep(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
) -> None:
    """Flag orders past their deadline and alert the division lead once each. Loops unless --once."""
    svc = get_services()
    quiet_console_logs()
    from flows.deadline_sweep import deadline_sweep

    def step() -> None:
        flagged = run_flow(deadline_sweep)
        console.print(f"newly overdue: {len(flagged)}" + (f" ({', '.join(flagged)})" if flagged else ""))

    _loop("sweep", once, svc.settings.sweep_interval_seconds, step)


def advance(order_id: Annotated[str, typer.Argument(help="the order ID")]) -> None:
    """Move one order as far as it can go now (a run named order-<ID> in the Prefect UI)."""
    svc = get_services()
    order = svc.store.get(order_id.strip().upper())
    quiet_console_logs()
    from flows.fulfil_order import fulfil_order

    service = svc.catalogue.get(order.service_code)
    tags = [f"order:{order.order_id}", f"service:{order.service_code or 'unknown'}"]
    if service:
        tags.append(f"division:{service.division}")
    run_flow(fulfil_order, tags=tags, order_id=order.order_id)
    order = svc.store.get(order.order_id)
    console.print(f"{order.order_id} is {order.status}", highlight=False)


def serve() -> None:
    """Serve intake, proof watch and deadline sweep as Prefect deployments with schedules."""
    svc = get_services()
    from flows.serve import serve_all

    s = svc.settings
    console.print(
        f"serving: intake every {s.intake_interval_seconds}s from {s.inbox}, watch-proofs every "
        f"{s.watch_interval_seconds}s, deadline-sweep every {s.sweep_interval_seconds}s. "
        "Open the Prefect UI to see and start them."
    )
    serve_all(s.intake_interval_seconds, s.watch_interval_seconds, s.sweep_interval_seconds)
