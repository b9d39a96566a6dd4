"""The deadline ladder through the real use cases on the local adapters, over a simulated week.

The clock is the services' `clock` (or the CLI's `--at`): nothing sleeps.
"""

from __future__ import annotations

import csv
import email
import email.policy
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fulfil.core.deadlines import show
from fulfil.core.ladder import recorded
from fulfil.core.status import OrderStatus
from fulfil.usecases import admin, dispatch, notify, pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.pipeline import DirectSteps
from fulfil.usecases.sweep import sweep_orders
from tests.conftest import EXAMPLES, NOW

S = OrderStatus
TZ = "Asia/Jakarta"
LADDER_KINDS = ("reminder", "escalation", "payment_reminder", "follow_up")


def _export(tmp_path: Path) -> Path:
    """The example export, with the website order INV-0010 due on Friday 27/11/2026 instead of
    20/12, so that one working-hours ladder runs its course within the week."""
    with (EXAMPLES / "orders.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["ID Pesanan"] == "INV-0010":
            row["Deadline"] = "27/11/2026"
    path = tmp_path / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _accounts(n: int) -> bytes:
    rows = "".join(f"siti.toko{i:02d}@gmail.com,Rahasia#{i:02d}\n" for i in range(1, n + 1))
    return ("email,password\n" + rows).encode()


def _complete(svc: Deps, home: Path, order_id: str) -> None:
    """The team drops the accounts file; proof watch, CRM and completion run as the flows run them."""
    (home / "drive" / order_id / "akun-gmail.csv").write_bytes(_accounts(10))
    assert pipeline.watch(DirectSteps(svc)) == [order_id]


def _keys(svc: Deps) -> set[tuple[str, str]]:
    return {(m.order_id, m.kind) for m in svc.store.messages()}


def _state(svc: Deps) -> tuple:  # type: ignore[type-arg]
    """Everything a sweep could change: each order's version, flag and history, and the outbox."""
    orders = {o.order_id: (o.version, o.overdue, o.history) for o in svc.store.list()}
    return orders, sorted(_keys(svc))


@pytest.fixture
def dispatched(svc: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deps:
    """Monday 23/11/2026 10:00 WIB: the week's orders taken in and the ready ones dispatched."""
    # The CLI builds its own services from the environment: point it at this store.
    monkeypatch.setenv("FULFIL_HOME", str(svc.settings.home))
    svc.clock = lambda: NOW
    ingest(svc, rows_of(svc, svc.source(_export(tmp_path)).read()))
    ready = dispatch.ready_to_dispatch(svc)
    done = dispatch.dispatch_ready(svc, ready)
    assert sorted(done) == [f"INV-00{n:02d}" for n in (1, 2, 3, 8, 9, 10, 12)]
    return svc


def test_a_simulated_week_of_hourly_sweeps_sends_each_rung_once_at_its_time(dispatched, home) -> None:  # type: ignore[no-untyped-def]
    svc = dispatched
    before = _keys(svc)
    assert {kind for _, kind in before} == {"confirmation", "needs_info", "dispatch"}
    first_seen: dict[tuple[str, str], str] = {}
    flagged_at: dict[str, str] = {}

    for hour in range(0, 7 * 24 + 1):
        now = NOW + timedelta(hours=hour)
        svc.clock = lambda now=now: now
        if hour == 72:  # Thursday 26/11 10:00: the buyer of INV-0008 cancels
            admin.cancel_order(svc, "INV-0008", reason="Pembeli membatalkan", by="Sari Wulandari")
        if hour == 96:  # Friday 27/11 10:00: the accounts for INV-0001 arrive
            _complete(svc, home, "INV-0001")

        report = sweep_orders(svc)
        for order_id in report.flagged:
            flagged_at[order_id] = show(now, TZ)
        assert report.skipped == []  # hourly sweeps never fall behind a rung

        # The same sweep again at the same moment adds nothing and changes nothing.
        state = _state(svc)
        again = sweep_orders(svc)
        assert (again.flagged, again.queued, again.skipped) == ([], [], [])
        assert _state(svc) == state

        notify.send_pending(svc)
        for key in sorted(_keys(svc) - before - set(first_seen)):
            first_seen[key] = show(now, TZ)

    assert first_seen == {
        # A day after it came in (23/11 10:05), INV-0007 is still unpaid.
        ("INV-0007", "payment_reminder"): "24/11/2026 11:00 WIB",
        # GMAIL-BARU without a deadline: 48 hours from dispatch, shop-wide ladder, wall-clock.
        ("INV-0012", "reminder:50"): "24/11/2026 10:00 WIB",
        ("INV-0012", "reminder:80"): "25/11/2026 01:00 WIB",  # due 00:24
        ("INV-0012", "reminder:2h"): "25/11/2026 08:00 WIB",
        ("INV-0012", "escalation:breach"): "25/11/2026 11:00 WIB",  # breached after 10:00
        ("INV-0012", "escalation:24h"): "26/11/2026 10:00 WIB",
        # WEB-UMKM counts working time (09–17 Mon–Sat): 39 working hours from Monday 10:00 to the
        # end of Friday; its breach waits for Saturday morning, its +8 h skips Sunday.
        ("INV-0010", "reminder:50"): "25/11/2026 14:00 WIB",  # due Wed 13:30
        ("INV-0010", "reminder:80"): "27/11/2026 10:00 WIB",  # due Fri 09:12
        ("INV-0010", "reminder:2h"): "27/11/2026 15:00 WIB",
        ("INV-0010", "escalation:breach"): "28/11/2026 09:00 WIB",
        ("INV-0010", "escalation:8h"): "30/11/2026 09:00 WIB",
        # IG-FOLLOWERS due 28/11 23:59: a window of 134 hours less a second.
        ("INV-0002", "reminder:50"): "26/11/2026 05:00 WIB",  # due 04:59:59
        ("INV-0002", "reminder:80"): "27/11/2026 22:00 WIB",  # due 21:11:59
        ("INV-0002", "reminder:2h"): "28/11/2026 22:00 WIB",  # due 21:59:59
        ("INV-0002", "escalation:breach"): "29/11/2026 00:00 WIB",
        ("INV-0002", "escalation:24h"): "30/11/2026 00:00 WIB",
        # GMAIL-BARU due 30/11 23:59: half its time gone early on Friday, done that morning, asked
        # for feedback three days later; its 80 % reminder never goes.
        ("INV-0001", "reminder:50"): "27/11/2026 05:00 WIB",
        ("INV-0001", "completed"): "27/11/2026 10:00 WIB",
        ("INV-0001", "follow_up"): "30/11/2026 10:00 WIB",
        # IG-FOLLOWERS due 05/12: only its half-way reminder falls in this week.
        ("INV-0009", "reminder:50"): "29/11/2026 17:00 WIB",
        # Cancelled before its first rung: the ladder stops, only the buyer hears.
        ("INV-0008", "cancelled"): "26/11/2026 10:00 WIB",
        ("INV-0008", "cancelled_team"): "26/11/2026 10:00 WIB",  # the division stops work on it
    }
    # The overdue flag is set when the deadline passes, working hours or not.
    assert flagged_at == {
        "INV-0012": "25/11/2026 11:00 WIB",
        "INV-0010": "28/11/2026 00:00 WIB",
        "INV-0002": "29/11/2026 00:00 WIB",
    }
    assert _keys(svc) == before | set(first_seen)

    # Each rung is in its order's history once, as sent.
    for order_id, key in first_seen:
        if key.split(":")[0] in LADDER_KINDS:
            comments = [h.comment for h in svc.store.get(order_id).history]
            assert sum(c.startswith(f"{key} · ") for c in comments) == 1, (order_id, key)
            assert recorded(svc.store.get(order_id))[key] == "sent"

    # Reminders go to the division; escalations to the lead and ops together; buyers' to the buyer.
    to = {(m.order_id, m.kind): m.recipient for m in svc.store.messages()}
    assert to["INV-0012", "reminder:50"] == "tim-akun@localhost"
    assert to["INV-0010", "escalation:breach"] == "dewi@localhost, ops@localhost"
    assert to["INV-0002", "escalation:24h"] == "bagus@localhost, ops@localhost"
    assert to["INV-0007", "payment_reminder"] == "dewi.kartika@gmail.com"
    assert to["INV-0001", "follow_up"] == "siti.nurhaliza@gmail.com"
    assert all(m.state == "sent" for m in svc.store.messages())


def _eml(home: Path, order_id: str, key: str) -> email.message.EmailMessage:
    name = f"{order_id}.{key.replace(':', '_')}.eml"
    return email.message_from_bytes((home / "outbox" / name).read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def _sweep_at(svc: Deps, at: datetime) -> list[str]:
    svc.clock = lambda: at
    queued = sweep_orders(svc).queued
    notify.send_pending(svc)
    return queued


def test_messages_read_well_in_both_languages_and_keep_buyer_data_from_the_team(dispatched, home) -> None:  # type: ignore[no-untyped-def]
    svc = dispatched
    _sweep_at(svc, NOW + timedelta(hours=24))
    _sweep_at(svc, NOW + timedelta(hours=25))
    _sweep_at(svc, NOW + timedelta(hours=49))

    reminder = _eml(home, "INV-0012", "reminder:50")
    assert reminder["To"] == "tim-akun@localhost"
    assert reminder["Subject"].strip() == (
        "[PENGINGAT] Order INV-0012: 50% waktu sudah lewat, deadline 25/11/2026 10:00 WIB / "
        "[REMINDER] Order INV-0012: 50% of the time gone, deadline 25/11/2026 10:00 WIB"
    )
    body = reminder.get_content()
    assert "50% waktu untuk order ini sudah lewat." in body
    assert "50% of the time for it has gone." in body

    escalation = _eml(home, "INV-0012", "escalation:breach")
    assert escalation["To"].addresses[0].addr_spec == "rina@localhost"
    assert escalation["To"].addresses[1].addr_spec == "ops@localhost"
    body = escalation.get_content()
    assert "Halo Rina Wijaya dan tim ops," in body
    assert "sudah melewati deadline 25/11/2026 10:00 WIB dan belum selesai" in body
    assert "passed its deadline 25/11/2026 10:00 WIB and is not done" in body

    # Team messages (they reach the team chat too) carry the order, never the buyer.
    buyer = svc.store.get("INV-0012")
    for message in (reminder, escalation):
        text = message.as_string()
        for private in (buyer.buyer_name, buyer.buyer_email, buyer.phone_raw, buyer.phone):
            assert private not in text

    # The buyer's own message names that buyer and that order only.
    pay = _eml(home, "INV-0007", "payment_reminder")
    assert pay["To"] == "dewi.kartika@gmail.com"
    subject = pay["Subject"].strip()
    assert subject == "Menunggu pembayaran pesanan INV-0007 / Awaiting payment for order INV-0007"
    text = pay.get_content()
    assert "Halo Dewi Kartika," in text and "Deadline      : 02/12/2026 23:59 WIB" in text
    others = [o for o in svc.store.list() if o.order_id != "INV-0007"]
    for other in others:
        for private in (other.buyer_name, other.buyer_email, other.order_id):
            assert not private or private not in text


def test_dry_run_shows_every_rung_with_its_time_and_changes_nothing(dispatched, capsys) -> None:  # type: ignore[no-untyped-def]
    from fulfil.cli.run import sweep

    svc = dispatched
    state = _state(svc)
    files = sorted(p.name for p in (svc.settings.home / "outbox").glob("*"))

    # Nothing ran since Monday's dispatch: what would Wednesday 09:00 do for INV-0012?
    sweep(at="25/11/2026 09:00", dry_run=True, order=["inv-0012"])
    out = capsys.readouterr().out.splitlines()

    assert out[0] == "dry run at 25/11/2026 09:00 WIB: nothing is written or sent"
    assert out[1] == "INV-0012  GMAIL-BARU  dispatched  deadline 25/11/2026 10:00 WIB"
    rows = [line.split(maxsplit=4) for line in out[2:7]]
    assert [(r[0], f"{r[1]} {r[2]} {r[3]}") for r in rows] == [
        ("reminder:50", "24/11/2026 10:00 WIB"),
        ("reminder:80", "25/11/2026 00:24 WIB"),
        ("reminder:2h", "25/11/2026 08:00 WIB"),
        ("escalation:breach", "25/11/2026 10:00 WIB"),
        ("escalation:24h", "26/11/2026 10:00 WIB"),
    ]
    states = [r[4] for r in rows]
    assert states[0].startswith("would skip (overtaken by reminder:2h)")
    assert states[1].startswith("would skip (overtaken by reminder:2h)")
    assert states[2].split() == ["WOULD", "SEND", "tim-akun@localhost"]
    assert states[3].split() == ["later", "rina@localhost,", "ops@localhost"]
    assert out[-1] == "would send 1 message(s); would flag 0 order(s) overdue"

    # An ISO time works too, and after the deadline the flag shows.
    sweep(at="2026-11-25T10:30", dry_run=True, order=["INV-0012"])
    out = capsys.readouterr().out
    assert "(would be flagged overdue)" in out
    assert "escalation:breach  25/11/2026 10:00 WIB" in out

    assert _state(svc) == state
    assert sorted(p.name for p in (svc.settings.home / "outbox").glob("*")) == files
    assert not svc.store.get("INV-0012").overdue


def test_a_real_sweep_at_a_given_time_then_a_dry_run_shows_what_went(dispatched, capsys) -> None:  # type: ignore[no-untyped-def]
    from fulfil.cli.run import sweep

    svc = dispatched
    queued = _sweep_at(svc, NOW + timedelta(hours=24))  # Tuesday 10:00
    assert queued == ["INV-0012/reminder:50"]

    sweep(at="24/11/2026 12:00", dry_run=True, order=["INV-0012", "INV-0007"])
    out = capsys.readouterr().out
    assert "reminder:50        24/11/2026 10:00 WIB  sent" in out
    assert "payment_reminder   24/11/2026 10:05 WIB  WOULD SEND" in out
    assert "dewi.kartika@gmail.com" in out


def test_an_unknown_order_or_an_unreadable_time_is_a_usage_error(dispatched) -> None:  # type: ignore[no-untyped-def]
    import typer

    from fulfil.cli.run import sweep

    with pytest.raises(typer.BadParameter, match="no such order: INV-9999"):
        sweep(dry_run=True, order=["INV-9999"])
    with pytest.raises(typer.BadParameter, match="cannot read 'besok pagi' as a time"):
        sweep(at="besok pagi", dry_run=True)


@pytest.mark.slow
def test_the_dry_run_does_not_load_prefect(dispatched) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "from fulfil.cli import app\n"
        "try:\n    app(['sweep', '--dry-run', '--at', '25/11/2026 09:00'])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('prefect' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "False"
    assert "INV-0012  GMAIL-BARU  dispatched" in done.stdout


def test_every_message_kind_has_a_template_in_both_languages_with_a_subject_first() -> None:
    from fulfil.core.pipeline import MessageKind
    from fulfil.settings import PROJECT_CONFIGS

    for kind in MessageKind:
        for lang in ("id", "en"):
            path = PROJECT_CONFIGS / "templates" / lang / f"{kind}.txt.j2"
            assert path.read_text(encoding="utf-8").startswith("Subject: "), path


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_rung_renders_with_strict_variables_for_either_language_first(svc: Deps, lang: str) -> None:
    """Each rung shape (percent, hours before, breach, hours after; wall-clock or working time) and
    the buyer messages render without an undefined variable, whichever language leads."""
    from fulfil.core.catalogue import Ladder, WorkingHours
    from fulfil.core.ladder import schedule
    from fulfil.core.order import SYSTEM, HistoryEntry
    from tests.unit.builders import order_in

    history = [HistoryEntry(S.DISPATCHED, "Dikirim ke Divisi Akun", SYSTEM, NOW)]
    order = order_in(S.ASSIGNED, history=history, lang=lang, assignee="Agus Salim", received_at=NOW)
    rungs = [
        r for ladder in (Ladder(), Ladder(working_hours=WorkingHours())) for r in schedule(order, ladder)
    ]
    unpaid = order_in(S.AWAITING_PAYMENT, paid=False, lang=lang, received_at=NOW)
    done = order_in(
        S.COMPLETED, lang=lang, history=[*history, HistoryEntry(S.COMPLETED, "Selesai", SYSTEM, NOW)]
    )
    rungs_for = [(order, r) for r in rungs] + [(unpaid, schedule(unpaid, Ladder())[0])]
    rungs_for += [(done, r) for r in schedule(done, Ladder()) if r.kind == "follow_up"]
    assert {r.step for _, r in rungs_for} == {"percent", "before", "breach", "after", "payment", "follow_up"}
    for who, rung in rungs_for:
        text = svc.composer.compose(rung.kind, who, rung=rung, due=show(rung.at, who.timezone))
        first = text.subject.split(" / ")[0]
        assert first.startswith(("[PENGINGAT]", "[ESKALASI]", "Menunggu", "Bagaimana")) == (lang == "id")
        assert "Agus Salim" in text.body or rung.kind not in ("reminder", "escalation")
        assert "———— " in text.body  # both languages, one below the other


def test_the_daily_digest_reaches_ops_once_a_day_with_counts_and_failures(svc, home) -> None:  # type: ignore[no-untyped-def]
    import email
    from email.policy import default

    from fulfil.usecases import admin, digest, notify
    from fulfil.usecases import intake as uc_intake
    from tests.conftest import EXAMPLES, NOW

    svc.clock = lambda: NOW
    uc_intake.ingest(svc, uc_intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    admin.cancel_order(svc, "INV-0007", reason="Pembeli minta batal", by="Sari Wulandari")
    notify.send_pending(svc)

    assert digest.send_digest(svc) is True
    assert digest.send_digest(svc) is False  # the same day again: nothing

    (path,) = (home / "outbox").glob("digest.digest*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    body = message.get_body(("plain",)).get_content()
    assert message["To"] == "ops@localhost"
    assert "needs_info" in body and "cancelled" in body
    needs = sum(1 for o in svc.store.list() if str(o.status) == "needs_info")
    assert f"needs_info         {needs}" in body
    assert "siti.nurhaliza@gmail.com" not in body  # counts and IDs, no buyer data


def test_a_reassignment_tells_the_division_each_time(svc, home) -> None:  # type: ignore[no-untyped-def]
    from fulfil.usecases import admin, dispatch
    from fulfil.usecases import intake as uc_intake
    from tests.conftest import EXAMPLES, NOW

    svc.clock = lambda: NOW
    uc_intake.ingest(svc, uc_intake.rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    dispatch.dispatch_ready(svc, None)

    admin.assign(svc, "INV-0001", to="Yoga Saputra", by="Rina Wijaya")
    admin.assign(svc, "INV-0001", to="Yoga Saputra", by="Rina Wijaya")  # the same again: nothing new
    admin.assign(svc, "INV-0001", to="Putu Ayu", by="Rina Wijaya")

    sent = [m for m in svc.store.messages("INV-0001") if m.kind.startswith("assigned")]
    assert [m.recipient for m in sent] == ["tim-akun@localhost", "tim-akun@localhost"]
    assert "Yoga" in sent[0].body and "Putu" in sent[1].body
