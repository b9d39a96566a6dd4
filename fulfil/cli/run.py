"""Commands that run the pipeline's flows: intake, watch, sweep, serve, demo, advance."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fulfil.cli import demo as demo_cmd
from fulfil.cli import google
from fulfil.cli._common import console, err_console, fail_cleanly, get_services
from fulfil.cli._prefect import quiet_console_logs, run_flow
from fulfil.core.errors import ConfigError
from fulfil.core.pipeline import held_as_duplicate
from fulfil.core.status import OrderStatus
from fulfil.settings import Settings, load_settings


def register(app: typer.Typer) -> None:
    app.command("intake")(intake)
    app.command("watch")(watch)
    app.command("sweep")(sweep)
    app.command("advance")(advance)
    app.command("digest")(digest)
    app.command("report")(report)
    app.command("serve")(serve)
    app.command("lookout")(lookout)
    app.command("deploy")(deploy)
    app.command("demo")(demo_cmd.demo)
    app.command("doctor")(google.doctor)
    app.add_typer(google.dev, name="dev")
    app.add_typer(google.google_app, name="google")


def intake(
    path: Annotated[Path, typer.Argument(help="a CSV or XLSX form export, or a folder of them")],
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list the order IDs behind each count")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the counts and IDs as JSON")] = False,
) -> None:
    """Ingest a form export: upsert orders by ID, validate, dispatch the valid paid ones.

    Prints counts (a big export's IDs would fill the screen): `--verbose` lists them.
    A folder's bad file is named with why, the others are taken in, and the command exits 1."""
    if not path.exists():
        raise typer.BadParameter(f"file not found: {path}", param_hint="PATH")
    svc = get_services()
    quiet_console_logs()
    from flows.intake import intake as intake_flow
    from fulfil.usecases.intake import FilesNotRead

    try:
        counts = run_flow(svc, intake_flow, source=str(path.resolve()))
    except FilesNotRead as failed:  # fail_cleanly prints which files and why, and exits 1
        _warn(failed.report.warnings if failed.report else [])
        raise
    _warn(counts.get("warnings", []))
    needs = [o.order_id for o in svc.store.list({OrderStatus.NEEDS_INFO})]
    held = [o for o in svc.store.list({OrderStatus.RECEIVED}) if held_as_duplicate(o)]
    gone = counts.get("gone", [])
    if as_json:
        found = {"needs_info": needs, "held": [o.order_id for o in held], "gone": gone}
        typer.echo(json.dumps({**counts, **found}, ensure_ascii=False, indent=2))
        return
    console.print(
        f"rows {counts['rows']}: new {counts['new']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, held for ops {counts['change_ignored']}, "
        f"edited by buyers {counts.get('edited', 0)}; dispatched {counts['dispatched']}",
        highlight=False,
    )
    listed = "" if verbose else " (--verbose lists them)"
    for label, ids in (("needs_info", needs), ("gone from their export, noted in history", gone)):
        if ids or label == "needs_info":
            shown = f": {', '.join(ids)}" if verbose and ids else (listed if ids else "")
            console.print(f"{label} {len(ids)}{shown}", highlight=False)
    for order in held if verbose else held[:3]:
        other = order.problems[0].reason_en.rsplit(" ", 1)[-1]
        console.print(
            f"held {order.order_id}: possibly a second submission of {other} "
            f"(`fulfil orders release {order.order_id}` or `fulfil orders cancel {order.order_id}`)",
            highlight=False,
        )
    if len(held) > 3 and not verbose:
        console.print(
            f"… and {len(held) - 3} more held as possible double submissions{listed}", highlight=False
        )


def _warn(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def _loop(name: str, once: bool, interval: int, step: Callable[[], None]) -> None:
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
        done = run_flow(svc, watch_proofs)
        console.print(f"completed this pass: {len(done)}" + (f" ({', '.join(done)})" if done else ""))

    _loop("watch", once, svc.settings.watch_interval_seconds, step)


def sweep(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="run as if it were this time, in the shop's zone: 2026-11-30T17:00 or "
            "'30/11/2026 17:00' (for testing and catching up; implies --once)",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="print each order's rungs and what would be sent; change nothing"),
    ] = False,
    order: Annotated[
        list[str] | None, typer.Option("--order", help="with --dry-run: only this order (repeatable)")
    ] = None,
) -> None:
    """The deadline ladder: remind divisions, escalate to leads and ops, remind unpaid buyers, ask
    for feedback after completion; each message once per order. Loops unless --once."""
    svc = get_services()
    moment = None
    if at is not None:
        # Imported inside: only this command reads times.
        from fulfil.core.deadlines import UnreadableDate, parse_when

        try:
            moment, _ = parse_when(at, svc.tz)
        except UnreadableDate:
            raise typer.BadParameter(f"cannot read {at!r} as a time", param_hint="--at") from None
    if dry_run:
        # The use case's preview, printed: no Prefect, no store write.
        from fulfil.core.deadlines import show
        from fulfil.usecases.sweep import preview

        now = moment or svc.clock()
        found = preview(svc, now=now, order_ids=order)
        missing = sorted({o.strip().upper() for o in order or []} - {p.order_id for p in found})
        if missing:
            raise typer.BadParameter(f"no such order: {', '.join(missing)}", param_hint="--order")

        def out(text: str) -> None:
            console.print(text, highlight=False, markup=False)

        out(f"dry run at {show(now, svc.tz)}: nothing is written or sent")
        for p in found:
            deadline = show(p.deadline, p.timezone) or "-"
            flag = "  (would be flagged overdue)" if p.flag else ""
            out(f"{p.order_id}  {p.service_code or '-'}  {p.status}  deadline {deadline}{flag}")
            for line in p.lines:
                state = {
                    "send": "WOULD SEND",
                    "skip": f"would skip (overtaken by {line.by})",
                    "waiting": "later",
                }.get(str(line.state), str(line.state))
                when = show(line.at, p.timezone)
                out(f"  {line.key:<18} {when:<21} {state:<38} {line.recipient or '-'}")
        sends = sum(len(p.to_send) for p in found)
        flags = sum(p.flag for p in found)
        out(f"would send {sends} message(s); would flag {flags} order(s) overdue")
        return
    quiet_console_logs()
    from flows.deadline_sweep import deadline_sweep

    def step() -> None:
        done = run_flow(svc, deadline_sweep, at=moment)
        flagged, queued = done["flagged"], done["queued"]
        console.print(
            f"newly overdue: {len(flagged)}" + (f" ({', '.join(flagged)})" if flagged else ""),
            highlight=False,
        )
        console.print(
            f"messages queued: {len(queued)}" + (f" ({', '.join(queued)})" if queued else ""),
            highlight=False,
        )

    _loop("sweep", once or moment is not None, svc.settings.sweep_interval_seconds, step)


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
    run_flow(svc, fulfil_order, tags=tags, order_id=order.order_id)
    order = svc.store.get(order.order_id)
    console.print(f"{order.order_id} is {order.status}", highlight=False)


def _schedule_lines(settings: Settings) -> list[str]:
    """One line per deployment with its schedule, as the UI's Deployments page shows them."""
    from flows.serve import deployments, every

    lines = []
    for p in deployments(settings):
        when = ", ".join(
            every(int(s.interval.total_seconds())) if s.interval else f"cron '{s.cron}' ({s.timezone})"
            for s in p.schedules
        )
        lines.append(f"  {p.name:<15} {when}")
    return lines


def serve() -> None:
    """Serve intake, proof watch, deadline sweep, the daily digest and the daily report as
    scheduled deployments from this process (Ctrl-C stops), with the lookout beside them: new
    proofs and form answers start their run within seconds."""
    svc = get_services()
    from flows.serve import serve_all

    s = svc.settings
    fast = (
        f"the lookout checks every {s.lookout_seconds:g} s for new proofs and form answers and "
        "starts their run at once"
        if s.lookout_seconds
        else "the lookout is off (FULFIL_LOOKOUT_SECONDS=0): runs start on their schedules only"
    )
    console.print(
        "serving, each also startable from the Prefect UI's Run button:\n"
        + "\n".join(_schedule_lines(s))
        + f"\nintake reads {s.inbox}; {fast}.",
        highlight=False,
        markup=False,
    )
    lookout = _start_lookout() if s.lookout_seconds else None
    try:
        serve_all(s)
    finally:
        if lookout is not None and lookout.poll() is None:
            lookout.terminate()
            lookout.wait(timeout=10)


# How long `fulfil serve` waits for the lookout's first look before it starts the runner anyway.
LOOKOUT_START_SECONDS = 60


def _start_lookout() -> subprocess.Popen[bytes]:
    """`fulfil lookout` as a child process: its failure never stops the runner, and the runner's
    schedules still take everything it would have announced. Its end is said in one line.

    The runner starts only once the lookout has had its first look: the schedules' first runs,
    which start with the runner, take what was there before it, and the lookout announces what
    comes after. (Started the other way round, an export dropped while the lookout was still
    starting was in its first look, so never announced, and waited for the next schedule.)"""
    ready_read, ready_write = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-m", "fulfil.cli", "lookout", "--ready-fd", str(ready_write)],
        pass_fds=(ready_write,),
    )
    os.close(ready_write)
    with os.fdopen(ready_read, "rb") as ready:
        # A byte once the first look is done; nothing (at once) if the lookout died first.
        if not select.select([ready], [], [], LOOKOUT_START_SECONDS)[0]:
            err_console.print(
                f"the lookout has not looked after {LOOKOUT_START_SECONDS} s; serving anyway",
                highlight=False,
                markup=False,
            )

    def said_when_it_ends() -> None:
        code = child.wait()
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            err_console.print(
                f"the lookout stopped (exit {code}): new proofs and form answers now wait for the "
                "scheduled runs; restart fulfil serve to start it again",
                highlight=False,
                markup=False,
            )

    threading.Thread(target=said_when_it_ends, name="lookout-watch", daemon=True).start()
    return child


def lookout(
    ready_fd: Annotated[
        int | None,
        typer.Option(
            "--ready-fd", hidden=True, help="`fulfil serve`'s pipe: written once the first look is done"
        ),
    ] = None,
) -> None:
    """Look for new proofs and form answers every FULFIL_LOOKOUT_SECONDS and announce them as
    Prefect events, which start the intake and watch-proofs deployments (`fulfil serve` runs this
    itself; run it alone beside workers of a work pool)."""
    with fail_cleanly():
        settings = load_settings()
        if settings.google_credentials_block:
            from fulfil.blocks import apply_blocks

            settings = apply_blocks(settings)
    if not settings.lookout_seconds:
        raise ConfigError("FULFIL_LOOKOUT_SECONDS is 0: the lookout is switched off")
    from flows.lookout import run_lookout

    run_lookout(settings, ready_fd)


def deploy(
    pool: Annotated[
        str, typer.Option("--pool", help="the Prefect work pool (type process; created if missing)")
    ] = "fulfil",
) -> None:
    """Register the same deployments as `fulfil serve` on a Prefect work pool of type process,
    for `prefect worker start --pool NAME` to run (here or on another machine with fulfil)."""
    svc = get_services()
    quiet_console_logs()
    from prefect.settings import PREFECT_API_URL

    from flows.serve import CODE_ROOT, deploy_all

    if not PREFECT_API_URL.value():
        # Without it Prefect starts a temporary server that vanishes with this command, and the
        # deployments with it.
        raise ConfigError(
            "PREFECT_API_URL is not set: point it at the Prefect server the worker will use, "
            "e.g. export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    deploy_all(svc.settings, pool)
    console.print(
        f"deployed on work pool {pool!r} (code in {CODE_ROOT}):\n"
        + "\n".join(_schedule_lines(svc.settings))
        + f"\nStart a worker with the same FULFIL_* settings: prefect worker start --pool {pool}",
        highlight=False,
        markup=False,
    )


def digest() -> None:
    """Send ops today's digest (orders by status, overdue, failed messages) unless already sent."""
    from fulfil.usecases.digest import send_digest

    sent = send_digest(get_services())
    console.print("digest sent to ops" if sent else "today's digest was already sent")


def report(
    since: Annotated[str, typer.Option("--since", help="how far back, in days: 14d or 14")] = "14d",
    out: Annotated[Path | None, typer.Option("--out", help="folder (default $FULFIL_HOME/reports)")] = None,
) -> None:
    """Write the report (CSV, Markdown summary, PNG chart) from the order store and print the summary."""
    from datetime import timedelta

    from fulfil.usecases.report import write_report

    days = since.strip().lower().removesuffix("d")
    if not days.isdigit():
        raise typer.BadParameter(f"{since!r} is not a number of days, e.g. 14d", param_hint="--since")
    made = write_report(get_services(), since=timedelta(days=int(days)), out=out)
    console.print(made.summary, highlight=False, markup=False)
    console.print(f"written: {made.csv}, {made.markdown}, {made.chart}", highlight=False)
