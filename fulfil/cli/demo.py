"""`fulfil demo`: a realistic batch through every stage, offline, safe to run again."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from fulfil.cli._common import console, get_services, order_table
from fulfil.cli._prefect import quiet_console_logs, run_flow
from fulfil.usecases.summary import order_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders.csv"
# The day the example file was written; the demo moves its dates so they stay in the future.
EXAMPLE_DAY = date(2026, 11, 23)
DATE_COLUMNS = ("Timestamp", "Deadline")

# What the technical team drops in each order's folder during the demo.
TEAM_DROPS: dict[str, tuple[str, bytes]] = {
    "INV-0001": (
        "akun-gmail.csv",
        b"email,catatan\n"
        + b"".join(f"demo.akun{i:02d}@gmail.com,siap pakai\n".encode() for i in range(1, 11)),
    ),
    "INV-0002": ("screenshot-followers.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "INV-0003": ("serah-terima-website.pdf", b"%PDF-1.4\n% demo\n%%EOF\n"),
    "INV-0008": (
        "akun-gmail.csv",
        b"email\ndemo.x1@gmail.com\ndemo.x2@gmail.com\ndemo.x3@gmail.com\n",
    ),
    "INV-0009": ("bukti.png", b""),  # an empty upload: rejected, the order keeps waiting
    "INV-0012": ("akun-gmail.xlsx", b"PK\x03\x04" + b"\0" * 128),
}


def demo(
    fresh: Annotated[bool, typer.Option("--fresh", help="delete FULFIL_HOME first")] = False,
) -> None:
    """Run a realistic batch of orders through every stage on the local defaults.

    Ingests examples/orders.csv, dispatches, acts as the technical team dropping proofs,
    watches the proof folders, writes the CRM sheet, tells buyers, and prints every order.
    Running it again in the same FULFIL_HOME changes nothing and sends nothing new.
    """
    svc = get_services()
    home = svc.settings.home
    if fresh and home.exists():
        shutil.rmtree(home)
        svc = get_services()
    source = _demo_source(home)
    quiet_console_logs()
    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    console.print(f"[bold]1/4 intake[/] of {source}")
    counts = run_flow(intake, source=str(source))
    console.print(f"     {counts}", highlight=False)
    console.print("[bold]2/4 technical team[/] drops proofs in the order folders")
    for order_id, (name, content) in TEAM_DROPS.items():
        folder = home / "drive" / order_id
        if folder.is_dir() and not (folder / name).exists():
            (folder / name).write_bytes(content)
            console.print(f"     {order_id}/{name} ({len(content)} bytes)", highlight=False)
    console.print("[bold]3/4 proof watch[/]: accept proofs, write the CRM sheet, tell buyers")
    run_flow(watch_proofs)
    console.print("[bold]4/4 deadline sweep[/]")
    run_flow(deadline_sweep)

    console.print(order_table(order_rows(svc), title="fulfil demo: every order"))
    crm_rows = len(svc.crm.rows())
    eml = len(list((home / "outbox").glob("*.eml")))
    console.print(
        f"CRM sheet: {home / 'crm.csv'} ({crm_rows} rows)\n"
        f"Outbox:    {home / 'outbox'} ({eml} .eml files)\n"
        f"Drive:     {home / 'drive'} (one folder per dispatched order)\n"
        "Details:   fulfil orders show INV-0004   ·   Prefect UI: prefect server start, "
        "then http://127.0.0.1:4200",
        highlight=False,
    )


def _demo_source(home: Path) -> Path:
    """A copy of the example with its dates moved to today, written once per home."""
    target = home / "demo" / "orders.csv"
    if target.exists():
        return target
    shift = date.today() - EXAMPLE_DAY
    target.parent.mkdir(parents=True, exist_ok=True)
    with EXAMPLE.open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        rows = [{k: (_shift(v, shift) if k in DATE_COLUMNS else v) for k, v in r.items()} for r in reader]
        fields = reader.fieldnames or []
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


_DAY_FIRST = re.compile(r"^(\d{2})/(\d{2})/(\d{4})")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _shift(value: str, by: timedelta) -> str:
    if m := _DAY_FIRST.match(value):
        d = datetime(int(m[3]), int(m[2]), int(m[1])) + by
        return d.strftime("%d/%m/%Y") + value[m.end() :]
    if m := _ISO.match(value):
        d = datetime(int(m[1]), int(m[2]), int(m[3])) + by
        return d.strftime("%Y-%m-%d") + value[m.end() :]
    return value
