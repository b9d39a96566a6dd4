"""The `fulfil` command as a person runs it: a subprocess against the harness's Prefect API."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import FULFIL

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([FULFIL, *args], env=env, capture_output=True, text=True, timeout=240, check=False)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> tuple[Path, dict]:
    """One demo run shared by the read-only checks below (the demo takes a few seconds)."""
    import os

    home = tmp_path_factory.mktemp("demo") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}
    env.update(FULFIL_HOME=str(home), PREFECT_API_URL=prefect_api, COLUMNS="200")
    first = run(env, "demo")
    return home, {"env": env, "first": first}


def _counts(home: Path) -> tuple[int, int]:
    with (home / "crm.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    return len(rows), len(list((home / "outbox").glob("*.eml")))


def test_demo_shows_every_stage_and_a_rerun_changes_nothing(demo_home) -> None:  # type: ignore[no-untyped-def]
    home, ctx = demo_home
    out = ctx["first"].stdout
    for status in ("completed", "needs_info", "awaiting_payment", "dispatched"):
        assert status in out
    before = _counts(home)
    assert before[0] >= 4 and before[1] >= 10

    # It ends with what needs a person: the TikTok order, whose service has no written procedure.
    needs = out[out.index("needs action:") :]
    tiktok = next(line for line in needs.splitlines() if "no_procedure" in line)
    assert "ORD-" in tiktok and "TIKTOK-VIEWS" in needs
    listed = json.loads(run(ctx["env"], "orders", "list", "--needs-action", "--json").stdout)
    assert {n["reason"] for n in listed} >= {"no_procedure"}
    # Ops were alerted to it once, at the sweep: the demo's rerun below adds no second alert.
    alerts = sorted(p.name for p in (home / "outbox").glob("*needs_action*.eml"))
    assert any(name.startswith(tiktok.split()[1]) for name in alerts), alerts

    again = run(ctx["env"], "demo")

    assert _counts(home) == before
    assert "new': 0" in again.stdout or "'new': 0" in again.stdout


def test_crm_sheet_has_no_formula_cell_and_shows_phone_numbers_as_text(demo_home) -> None:  # type: ignore[no-untyped-def]
    home, _ = demo_home
    with (home / "crm.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "ID Order"
    phone = rows[0].index("No. WhatsApp")
    # The WhatsApp numbers alone start with "+": the normalised +62… form, digits no sheet runs.
    cells = [c for r in rows for i, c in enumerate(r) if i != phone]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert all(
        re.fullmatch(r"\+62\d{9,12}", r[phone]) for r in rows[1:] if r[phone][:1] in ("=", "+", "-", "@")
    )
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id["INV-0001"]["No. WhatsApp"] == "+6281234567890"  # written 081234567890
    assert by_id["INV-0008"]["Nama Pembeli"].startswith("'=HYPERLINK")
    assert by_id["INV-0003"]["Nama Pembeli"] == "Đặng Thu Trang"


def test_demo_crm_sheet_is_the_record_an_admin_would_write(demo_home) -> None:  # type: ignore[no-untyped-def]
    home, ctx = demo_home
    with (home / "crm.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header[0] == "ID Order"
    for column in ("Jumlah", "Deadline", "Divisi", "Bukti", "Jumlah Terkirim", "Catatan Tim", "Terlambat"):
        assert column in header
    by_id = {r["ID Order"]: r for r in rows}
    # Ten accounts, then one more for the claim on account 3 (the demo's after-sale stage).
    assert by_id["INV-0001"]["Jumlah Terkirim"] == "11"
    assert by_id["INV-0001"]["Klaim"].startswith("#1 1 item: Akun no. 3 tidak bisa login")
    assert "akun-pengganti.csv" in by_id["INV-0001"]["Diserahkan"]
    assert by_id["INV-0003"]["Refund"] == "#1 Rp250.000 sebagian: Domain telat aktif 2 hari"
    assert "md5" in by_id["INV-0001"]["Bukti"]
    assert "Demo-Rahasia" not in (home / "crm.csv").read_text(encoding="utf-8")
    assert "24 jam" in by_id["INV-0002"]["Catatan Tim"]
    shown = json.loads(run(ctx["env"], "orders", "show", "INV-0001", "--json").stdout)
    short = [d for d in shown["deliverables"] if not d["accepted"]]
    assert short and "8 dari 10 akun" in short[0]["reason"] and "8 of 10 accounts" in short[0]["reason"]
    assert [d["count"] for d in shown["deliverables"] if d["accepted"]] == [10, 1]
    assert shown["notes"] and shown["notes"][0]["source"] == "catatan.txt"


def test_orders_list_json_and_show_json(demo_home) -> None:  # type: ignore[no-untyped-def]
    _, ctx = demo_home
    listed = json.loads(run(ctx["env"], "orders", "list", "--json").stdout)
    one = next(o for o in listed if o["order_id"] == "INV-0001")
    assert {"order_id", "status", "service_code", "deadline", "overdue"} <= one.keys()
    assert one["deadline"].endswith("+07:00")

    needs = json.loads(run(ctx["env"], "orders", "list", "--status", "needs_info", "--json").stdout)
    assert {o["status"] for o in needs} == {"needs_info"}

    shown = json.loads(run(ctx["env"], "orders", "show", "INV-0004", "--json").stdout)
    assert shown["problems"][0]["field"] == "quantity"
    entry = shown["history"][0]
    assert {"status", "comment", "notified", "actor", "at"} <= entry.keys()


def test_assign_then_cancel_with_reason_tells_the_buyer_and_the_team(demo_home) -> None:  # type: ignore[no-untyped-def]
    home, ctx = demo_home
    # Only the web division's lead (or ops) assigns its orders, and only to its members.
    refused = run(
        ctx["env"], "orders", "assign", "INV-0010", "--to", "Made Wirawan", "--by", "Rina Wijaya", ok=False
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Rina Wijaya is not the lead of Divisi Website nor ops" in refused.stderr
    refused = run(
        ctx["env"], "orders", "assign", "INV-0010", "--to", "Somebody", "--by", "Dewi Lestari", ok=False
    )
    assert "'Somebody' is not on the staff list" in refused.stderr
    shown = json.loads(run(ctx["env"], "orders", "show", "INV-0010", "--json").stdout)
    assert shown["status"] == "dispatched"  # the refusals changed nothing

    out = run(
        ctx["env"], "orders", "assign", "INV-0010", "--to", "Made Wirawan", "--by", "Dewi Lestari"
    ).stdout
    assert "assigned" in out
    run(ctx["env"], "orders", "cancel", "INV-0010", "--reason", "Pembeli minta batal")
    shown = json.loads(run(ctx["env"], "orders", "show", "INV-0010", "--json").stdout)
    assert shown["status"] == "cancelled"
    assert [h["actor"] for h in shown["history"]][-2:] == ["lead:Dewi Lestari", "ops:Sari Wulandari"]
    eml = (home / "outbox" / "INV-0010.cancelled.eml").read_text(encoding="utf-8")
    assert "X-Fulfil-Kind: cancelled" in eml
    # The division doing the work, and the member on it, are told to stop.
    team = email.message_from_bytes(
        (home / "outbox" / "INV-0010.cancelled_team.eml").read_bytes(), policy=email.policy.default
    )
    assert team["To"] == "tim-web@localhost, made@localhost"
    assert "Pembeli minta batal" in team.get_body().get_content()


@pytest.mark.parametrize(
    ("args", "extra_env", "says"),
    [
        (["intake", "/no/such/orders.csv"], {}, "not found"),
        (["orders", "show", "INV-9999"], {}, "no order with ID"),
        (["orders", "cancel", "INV-0001", "--reason", "x"], {}, "cannot move an order from completed"),
        (["orders", "list"], {"FULFIL_TIMEZONE": "Mars/Olympus"}, "FULFIL_TIMEZONE"),
        (["orders", "list"], {"FULFIL_CRM": "excel"}, "FULFIL_CRM"),
    ],
)
def test_errors_are_one_clear_line_without_traceback(demo_home, args, extra_env, says) -> None:  # type: ignore[no-untyped-def]
    _, ctx = demo_home
    done = run({**ctx["env"], **extra_env}, *args, ok=False)
    assert done.returncode != 0
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_unreadable_spreadsheet_is_refused_clearly(cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "orders.xlsx"
    broken.write_bytes(b"this is not a spreadsheet")
    done = run(cli_env, "intake", str(broken), ok=False)
    assert done.returncode == 1
    assert "orders.xlsx" in done.stderr and "Traceback" not in done.stderr


def test_a_file_missing_required_columns_is_refused_naming_them(cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "orders.csv"
    path.write_text("Timestamp,Nama,Email\n23/11/2026 10:00:00,Siti,siti@gmail.com\n", encoding="utf-8")
    done = run(cli_env, "intake", str(path), ok=False)
    assert "Kode Layanan" in done.stderr and "Jumlah" in done.stderr


def test_a_folder_with_a_broken_file_takes_in_the_others_and_exits_non_zero(cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-formulir.csv").write_bytes((EXAMPLES / "orders.csv").read_bytes())
    (inbox / "b-rusak.xlsx").write_bytes(b"this is not a spreadsheet")

    done = run(cli_env, "intake", str(inbox), ok=False)

    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "1 file(s) not taken in" in done.stderr
    assert "b-rusak.xlsx: cannot be read as a form export" in done.stderr
    listed = {o["order_id"]: o["status"] for o in json.loads(run(cli_env, "orders", "list", "--json").stdout)}
    # The good file's orders went the whole way first: taken in, the valid paid ones dispatched.
    assert len(listed) == 13 and "dispatched" in listed.values()


def test_intake_prints_counts_and_lists_ids_only_when_asked(cli_env) -> None:  # type: ignore[no-untyped-def]
    out = run(cli_env, "intake", str(EXAMPLES / "orders.csv")).stdout
    assert "rows 13" in out
    # Counts only: a 50,000-row export's IDs would fill the screen.
    assert "needs_info 6 (--verbose lists them)" in out and "INV-0004" not in out
    verbose = run(cli_env, "intake", "--verbose", str(EXAMPLES / "orders.csv")).stdout
    assert "new 0" in verbose and "dispatched 0" in verbose
    assert "needs_info 6: " in verbose and "INV-0004" in verbose
    listed = json.loads(run(cli_env, "intake", "--json", str(EXAMPLES / "orders.csv")).stdout)
    assert listed["rows"] == 13 and "INV-0004" in listed["needs_info"] and listed["gone"] == []


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["demo"],
        ["intake"],
        ["watch"],
        ["sweep"],
        ["serve"],
        ["deploy"],
        ["advance"],
        ["orders"],
        ["orders", "list"],
        ["orders", "show"],
        ["orders", "assign"],
        ["orders", "cancel"],
    ],
)
def test_every_command_explains_itself(cli_env, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    out = run(cli_env, *command, "--help").stdout
    assert "Usage:" in out and len(out.splitlines()) > 4


def test_store_commands_do_not_load_prefect(cli_env) -> None:  # type: ignore[no-untyped-def]
    """`orders list` must stay fast enough to call once per order from a script."""
    code = (
        "import sys\n"
        "from fulfil.cli import app\n"
        "try:\n    app(['orders', 'list', '--json'])\n"
        "except SystemExit:\n    pass\n"
        "print('prefect' in sys.modules)\n"
    )
    from tests.e2e.conftest import sys as _sys

    done = subprocess.run(
        [_sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"
