"""`fulfil demo`: a realistic batch through every stage, offline, safe to run again."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fulfil.cli._common import console, get_services, needs_action_table, order_table
from fulfil.cli._prefect import quiet_console_logs, run_flow
from fulfil.core.staff import first_ops, who
from fulfil.settings import Settings, load_settings
from fulfil.usecases import attention
from fulfil.usecases.deps import Deps
from fulfil.usecases.summary import order_rows

if TYPE_CHECKING:
    from fulfil.testing.fake_google import FakeGoogle

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders.csv"
# The day the example file was written; the demo moves its dates so they stay in the future.
EXAMPLE_DAY = date(2026, 11, 23)
DATE_COLUMNS = ("Timestamp", "Deadline")


def _accounts_csv(n: int, start: int = 1) -> bytes:
    # Demo credentials: fulfil counts these rows and hands them to the buyer, and to nobody else.
    lines = ["email,password"] + [
        f"demo.akun{i:02d}@gmail.com,Demo-Rahasia-{i:02d}!" for i in range(start, start + n)
    ]
    return ("\n".join(lines) + "\n\n").encode()


def _accounts_xlsx(n: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["email", "password"])
    for i in range(1, n + 1):
        sheet.append([f"demo.tim{i:02d}@gmail.com", f"Demo-Rahasia-{i:02d}!"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# What the technical team drops in the order folders, round by round.
TEAM_ROUNDS: list[dict[str, list[tuple[str, bytes]]]] = [
    {
        "INV-0001": [("akun-gmail.csv", _accounts_csv(8))],  # 8 of 10: rejected, keeps waiting
        "INV-0002": [
            ("screenshot-followers.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
            ("CATATAN.txt", b"Followers masuk bertahap dalam 24 jam; mohon akun jangan diprivate.\n"),
        ],
        "INV-0003": [("serah-terima-website.pdf", b"%PDF-1.4\n% demo\n%%EOF\n")],
        "INV-0008": [("akun-gmail.csv", _accounts_csv(3, start=41))],
        "INV-0009": [("bukti.png", b"")],  # an empty upload: rejected, the order keeps waiting
        "INV-0012": [("akun-gmail.xlsx", b"")],  # filled in below: a real workbook of 20 rows
    },
    {
        "INV-0001": [
            ("akun-gmail-lengkap.csv", _accounts_csv(10, start=1)),
            (
                "catatan.txt",
                b"Semua akun sudah diverifikasi nomor HP. Ganti password setelah login.\n",
            ),
        ],
    },
]


class Shop(StrEnum):
    SERVICES = "services"
    GOODS = "goods"


def demo(
    fresh: Annotated[bool, typer.Option("--fresh", help="delete FULFIL_HOME first")] = False,
    shop: Annotated[
        Shop,
        typer.Option(
            "--shop",
            help="services: the Gmail-accounts shop (examples/orders.csv); goods: an online store "
            "with stock, couriers, cash on delivery and returns (examples/goods/), in FULFIL_HOME/goods-shop",
        ),
    ] = Shop.SERVICES,
    with_fake_google: Annotated[
        bool,
        typer.Option(
            "--with-fake-google",
            help="run on Google Drive and Sheets adapters against an in-process fake Google, "
            "signed in as the shop's Gmail account the way `fulfil google login` does",
        ),
    ] = False,
    as_service_account: Annotated[
        bool,
        typer.Option(
            "--as-service-account",
            help="with --with-fake-google: use a service account on the shop's My Drive folder "
            "instead, and see Google refuse it at the first dispatch",
        ),
    ] = False,
) -> None:
    """Run a realistic batch of orders through every stage on the local defaults.

    Ingests examples/orders.csv, dispatches, acts as the technical team dropping proofs,
    watches the proof folders, writes the CRM sheet, tells buyers, and prints every order.
    Running it again in the same FULFIL_HOME changes nothing and sends nothing new.
    """
    if shop == Shop.GOODS:
        from fulfil.cli.demo_goods import goods_demo

        if with_fake_google:
            raise typer.BadParameter(
                "the goods shop runs on the local adapters", param_hint="--with-fake-google"
            )
        quiet_console_logs()
        goods_demo(load_settings().home, fresh=fresh)
        return
    svc = get_services()
    home = svc.settings.home
    if fresh and home.exists():
        shutil.rmtree(home)
        svc = get_services()
    source = _demo_source(home)
    quiet_console_logs()
    if as_service_account and not with_fake_google:
        raise typer.BadParameter("only with --with-fake-google", param_hint="--as-service-account")
    if with_fake_google:
        _on_fake_google(svc.settings, source, as_service_account=as_service_account)
        return

    def put(order_id: str, name: str, content: bytes) -> bool:
        folder = home / "drive" / order_id
        if not folder.is_dir() or (folder / name).exists():
            return False
        (folder / name).write_bytes(content)
        return True

    _run_stages(svc, str(source), put)

    console.print(order_table(order_rows(svc), title="fulfil demo: every order"))
    console.print(needs_action_table(attention.needing_action(svc)))
    _where_to_look(svc, home)


# put(order_id, file name, content): the technical team drops a file; False if it could not.
Drop = Callable[[str, str, bytes], bool]


def _run_stages(svc: Deps, source: str | None, put: Drop) -> None:
    from flows.deadline_sweep import deadline_sweep
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs

    console.print(f"[bold]1/4 intake[/] of {source or 'the form responses sheet'}")
    counts = run_flow(svc, intake, source=source)
    console.print(f"     {counts}", highlight=False)
    for number, drops in enumerate(TEAM_ROUNDS, start=1):
        console.print(f"[bold]2/4 technical team, round {number}[/]: drops proofs and notes")
        _drop(drops, put)
        console.print("[bold]3/4 proof watch[/]: check deliveries, write the CRM sheet, tell buyers")
        done = run_flow(svc, watch_proofs)
        console.print(f"     completed: {', '.join(done) or '-'}", highlight=False)
    console.print("[bold]4/4 deadline sweep[/]")
    run_flow(svc, deadline_sweep)
    _after_sale(svc, put)


def _after_sale(svc: Deps, put: Drop) -> None:
    """What ops do after delivery, as `fulfil orders claim/refund` do it: a warranty claim on
    INV-0001 ends with the replacement account delivered; INV-0003 gets a partial refund."""
    from flows.watch_proofs import watch_proofs
    from fulfil.usecases import aftersale, notify

    reason = "Akun no. 3 tidak bisa login / account 3 cannot log in"
    if svc.store.get("INV-0001").claims:
        console.print("[bold]after sale[/]: done in an earlier run (a claim is never opened twice)")
        return
    console.print(f"[bold]after sale[/]: INV-0001 claims one account ({reason})")
    ops = who(svc.catalogue, first_ops(svc.catalogue)).actor
    order = aftersale.open_claim(svc, "INV-0001", reason=reason, items=1, actor=ops)
    notify.send_pending(svc)
    console.print(f"     INV-0001 is {order.status}; the team drops a replacement", highlight=False)
    put("INV-0001", "akun-pengganti.csv", _accounts_csv(1, start=11))
    done = run_flow(svc, watch_proofs)
    console.print(f"     completed again: {', '.join(done) or '-'}", highlight=False)
    order = aftersale.refund(
        svc, "INV-0003", amount=250_000, reason="Domain telat aktif 2 hari", full=False, actor=ops
    )
    notify.send_pending(svc)
    console.print(f"     INV-0003 refunded Rp250.000 (partial); it stays {order.status}", highlight=False)


def _on_fake_google(settings: Settings, source: Path, *, as_service_account: bool = False) -> None:
    """The same demo with Drive, the CRM sheet and the form sheet on an in-process fake Google,
    signed in as the shop's own account (or, to show why not, as a service account)."""
    from fulfil import bootstrap
    from fulfil.cli._common import rich_progress
    from fulfil.testing.fake_google import FakeGoogle
    from fulfil.testing.world import build_world, service_account_json
    from integrations.gdrive.drive import DriveProofFolders

    home = settings.home / "with-fake-google"
    if home.exists():
        shutil.rmtree(home)  # the fake lives in memory: each run starts from an empty Google
    with FakeGoogle() as fake:
        world = build_world(fake, source)
        env = world.environment()
        # No key from the shell may win over the identity the demo chose.
        identity: dict[str, object] = {
            "google_credentials_json": None,
            "google_credentials_file": None,
            "google_credentials_block": "",
            "google_subject": None,
        }
        if as_service_account:
            env["FULFIL_GOOGLE_CREDENTIALS_JSON"] = service_account_json()
            console.print("signed in as a service account; the proof folder is in the shop's My Drive")
        else:
            del env["FULFIL_GOOGLE_CREDENTIALS_JSON"]
            who = _sign_in(fake, home)
            console.print(f"signed in as {who} (the consent screen, as `fulfil google login` does)")
        fields = {k.removeprefix("FULFIL_").lower(): v for k, v in env.items()}
        chosen = Settings.model_validate(fields).model_dump(include=set(fields))
        svc = bootstrap.build(settings.model_copy(update={"home": home, **identity, **chosen}))
        svc.progress = rich_progress
        console.print(f"fake Google at {fake.base_url}; orders are read from its form responses sheet")

        def put(order_id: str, name: str, content: bytes) -> bool:
            assert isinstance(svc.proofs, DriveProofFolders), "the demo on fake Google keeps proofs on Drive"
            folder = svc.proofs.folder_id(order_id)
            if folder is None:
                return False
            fake.add_file(name, content, folder)
            return True

        _run_stages(svc, None, put)
        rows = order_rows(svc)
        console.print(order_table(rows, title="fulfil demo on fake Google: every order"))
        console.print(needs_action_table(attention.needing_action(svc)))
        by_api: dict[str, int] = {}
        for r in fake.requests:
            by_api[r.api] = by_api.get(r.api, 0) + 1
        total = sum(by_api.values())
        console.print(
            "Google API calls: "
            + ", ".join(f"{api} {n}" for api, n in sorted(by_api.items()))
            + f"; total {total}, {total / max(len(rows), 1):.2f} per order"
            + f" (Sheets {by_api.get('sheets', 0) / max(len(rows), 1):.2f} per order)",
            highlight=False,
        )
        console.print(f"CRM rows in the fake sheet: {len(svc.crm.rows())}; store and outbox in {home}")
        svc.close()


def _sign_in(fake: FakeGoogle, home: Path) -> str:
    """`fulfil google login`'s own code against the fake: open the consent address (the fake's
    browser user consents at once), hand back where the browser ended, keep the sign-in."""
    import requests

    from integrations.google.clients import TOKEN_FILE_NAME
    from integrations.google.signin import Login, account_of, save_token

    login = Login(fake.oauth_client_config(), api_url=fake.base_url)
    consent = requests.get(login.authorization_url(), allow_redirects=False, timeout=10)
    credentials = login.finish(consent.headers.get("Location", ""))
    account = account_of(credentials, fake.base_url)
    save_token(home / TOKEN_FILE_NAME, credentials, account)
    return account


def _where_to_look(svc: Deps, home: Path) -> None:
    crm_rows = len(svc.crm.rows())
    eml = len(list((home / "outbox").glob("*.eml")))
    console.print(
        f"CRM sheet: {home / 'crm.csv'} ({crm_rows} rows)\n"
        f"Outbox:    {home / 'outbox'} ({eml} .eml files)\n"
        f"Drive:     {home / 'drive'} (one folder per dispatched order)\n"
        "Details:   fulfil orders show INV-0001 (a short delivery, a complete one, a claim)\n"
        "Runs:      prefect server start, then http://127.0.0.1:4200",
        highlight=False,
    )


def _drop(drops: dict[str, list[tuple[str, bytes]]], put: Drop) -> None:
    """Act as the team: put files in order folders that exist and do not have them yet."""
    for order_id, files in drops.items():
        for name, content in files:
            data = _accounts_xlsx(20) if name.endswith(".xlsx") else content
            if put(order_id, name, data):
                console.print(f"     {order_id}/{name} ({len(data)} bytes)", highlight=False)


def _demo_source(home: Path) -> Path:
    """A copy of the example with its dates moved to today, written once per home."""
    target = home / "demo" / "orders.csv"
    if not target.exists():
        shift_dates(EXAMPLE, target, since=EXAMPLE_DAY)
    return target


def shift_dates(example: Path, target: Path, *, since: date) -> None:
    """Copy an example form export with its dates moved by the days from `since` to today."""
    shift = date.today() - since
    target.parent.mkdir(parents=True, exist_ok=True)
    with example.open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        rows = [{k: (_shift(v, shift) if k in DATE_COLUMNS else v) for k, v in r.items()} for r in reader]
        fields = reader.fieldnames or []
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


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
