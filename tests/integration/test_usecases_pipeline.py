"""The use cases end to end on the local adapters (no Prefect): form export to a notified buyer."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fulfil.core.errors import ConfigError, NotAllowed
from fulfil.core.status import OrderStatus
from fulfil.settings import load_settings
from fulfil.usecases import admin, dispatch, pipeline, proofs
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import IntakeReport, ingest, rows_of
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import EXAMPLES, NOW

S = OrderStatus
EXAMPLE = EXAMPLES / "orders.csv"
HYPERLINK = '=HYPERLINK("http://evil.example/","Klik saya")'


# ----- the pipeline's steps, in the order the flows run them -----


def _ingest(svc: Deps, path: Path) -> IntakeReport:
    return ingest(svc, rows_of(svc, svc.source(path).read()))


def _dispatch(svc: Deps) -> list[str]:
    steps = DirectSteps(svc)
    return steps.dispatch(None)


def _judge_and_record(svc: Deps) -> None:
    steps = DirectSteps(svc)
    steps.judge_proofs(steps.scan_proof_folders(None))
    steps.mark_recorded(steps.sync_crm_rows())


def _accounts(n: int, prefix: str = "siti.toko") -> bytes:
    """A delivered accounts file as the team exports it: a header, n rows, a trailing blank line."""
    rows = "".join(f"{prefix}{i:02d}@gmail.com,Rahasia#{i:02d}\n" for i in range(1, n + 1))
    return ("email,password\n" + rows + "\n").encode()


def _run_all(svc: Deps) -> list[str]:
    _dispatch(svc)
    return pipeline.watch(DirectSteps(svc))


# ----- helpers -----


def _edited_export(tmp_path: Path, order_id: str, **cells: str) -> Path:
    """The example export with some cells of one order's row changed, as a buyer edits a form."""
    with EXAMPLE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["ID Pesanan"] == order_id:
            row.update(cells)
    path = tmp_path / "orders-edited.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _drop(home: Path, order_id: str, name: str, content: bytes) -> None:
    (home / "drive" / order_id / name).write_bytes(content)


def _statuses(svc: Deps) -> dict[str, S]:
    return {o.order_id: o.status for o in svc.store.list()}


def _snapshot(svc: Deps, home: Path) -> tuple:  # type: ignore[type-arg]
    """Everything a person could look at: orders, their history, the outbox and every file."""
    orders = {o.order_id: (o.status, o.version, o.history, o.proofs) for o in svc.store.list()}
    messages = [(m.order_id, m.kind, m.state, m.sent_at) for m in svc.store.messages()]
    files = {
        p.relative_to(home).as_posix(): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.startswith("fulfil.db")
    }
    return orders, messages, files


def _crm_rows(svc: Deps, order_id: str) -> list[dict[str, str]]:
    return [r for r in svc.crm.rows() if r["ID Order"] == order_id]


def _eml(home: Path, order_id: str, kind: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((home / "outbox").glob(f"{order_id}.{kind}*.eml"))
    ]


@pytest.fixture
def taken_in(svc: Deps) -> Deps:
    """The example export read in at the moment it was written."""
    svc.clock = lambda: NOW
    _ingest(svc, EXAMPLE)
    return svc


# ----- intake -----


def test_intake_sorts_the_example_export(svc: Deps) -> None:
    svc.clock = lambda: NOW

    report = _ingest(svc, EXAMPLE)

    assert (report.rows, report.new) == (13, 13)  # 14 lines, the repeated INV-0002 collapsed
    status = _statuses(svc)
    assert len(status) == 13
    assert status["INV-0004"] == S.NEEDS_INFO  # quantity missing
    assert status["INV-0005"] == S.NEEDS_INFO  # unknown service
    assert status["INV-0006"] == S.NEEDS_INFO  # deadline already passed
    assert status["INV-0011"] == S.NEEDS_INFO
    assert status["INV-0007"] == S.AWAITING_PAYMENT
    for order_id in ("INV-0001", "INV-0002", "INV-0003", "INV-0008", "INV-0009", "INV-0010", "INV-0012"):
        assert status[order_id] == S.RECEIVED
    assert {p.field for p in svc.store.get("INV-0011").problems} == {
        "buyer_email",
        "phone",
        "quantity",
        "deadline",
    }
    assert [p.field for p in svc.store.get("INV-0004").problems] == ["quantity"]
    assert [p.field for p in svc.store.get("INV-0006").problems] == ["deadline"]
    assert "NETFLIX-PREMIUM" in svc.store.get("INV-0005").problems[0].reason_id

    two = svc.store.get("INV-0002")
    assert len(two.history) == 1
    assert [m.kind for m in svc.store.messages("INV-0002")] == ["confirmation"]
    # Joko's email is unusable: nobody is written to, and the history says so.
    assert svc.store.messages("INV-0011") == []
    assert "pembeli tidak bisa dihubungi" in svc.store.get("INV-0011").history[-1].comment
    # The row without an ID gets a stable one; its service cannot go to a team yet.
    (wahyu,) = [o for o in svc.store.list() if o.buyer_name == "Wahyu Hidayat"]
    assert wahyu.order_id.startswith("ORD-") and wahyu.status == S.RECEIVED
    assert "TIKTOK-VIEWS" in wahyu.history[-1].comment
    assert wahyu.order_id not in dispatch.ready_to_dispatch(svc)

    one = svc.store.get("INV-0001")
    assert one.phone_raw == "081234567890" and one.phone == "+6281234567890"
    assert one.received_at == datetime(2026, 11, 23, 1, 2, 11, tzinfo=UTC)  # 08:02:11 WIB
    assert one.deadline == datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)  # end of 30/11 WIB


def test_a_second_intake_of_the_same_file_changes_nothing(taken_in: Deps, home: Path) -> None:
    before = _snapshot(taken_in, home)

    report = _ingest(taken_in, EXAMPLE)

    assert (report.new, report.updated, report.change_ignored, report.unchanged) == (0, 0, 0, 13)
    assert _snapshot(taken_in, home) == before


def test_a_completed_needs_info_row_is_checked_again_and_dispatched(taken_in: Deps, tmp_path: Path) -> None:
    edited = _edited_export(tmp_path, "INV-0004", Jumlah="15")

    report = _ingest(taken_in, edited)

    assert (report.updated, report.unchanged) == (1, 12)
    four = taken_in.store.get("INV-0004")
    assert four.problems == [] and four.quantity == 15
    assert [m.kind for m in taken_in.store.messages("INV-0004")] == ["needs_info", "confirmation"]
    assert "INV-0004" in dispatch.ready_to_dispatch(taken_in)

    assert "INV-0004" in _dispatch(taken_in)
    assert taken_in.store.get("INV-0004").status == S.DISPATCHED


def test_a_change_to_a_dispatched_order_is_held_for_ops_once_then_applied_by_hand(
    taken_in: Deps, tmp_path: Path, home: Path
) -> None:
    _dispatch(taken_in)
    before = taken_in.store.get("INV-0001")
    messages_before = {m.kind for m in taken_in.store.messages()}
    edited = _edited_export(tmp_path, "INV-0001", Jumlah="20", Catatan="Tolong jadi 20 akun")

    report = _ingest(taken_in, edited)

    # Held: the team keeps working on what it was given; ops are told, once; the buyer is not.
    assert (report.change_ignored, report.unchanged) == (1, 12)
    held = taken_in.store.get("INV-0001")
    assert (held.status, held.quantity, held.notes) == (S.DISPATCHED, 10, before.notes)
    assert held.held_change["quantity"] == "20"
    assert "ditahan" in held.history[-2].comment and "quantity" in held.history[-2].comment
    alerts = [m for m in taken_in.store.messages() if m.kind not in messages_before]
    said = [(m.kind.split("-")[0], m.recipient) for m in alerts]
    assert said == [("needs_action:held_change", "ops@localhost")]
    assert "quantity" in alerts[0].body and "apply" in alerts[0].body

    snapshot = _snapshot(taken_in, home)
    third = _ingest(taken_in, edited)
    assert (third.change_ignored, third.unchanged) == (0, 13)
    assert _snapshot(taken_in, home) == snapshot

    # A lead may not apply it for another division; the division's lead may, and the team hears.
    with pytest.raises(NotAllowed, match="Bagus Pratama may not do this"):
        admin.apply_held_change(taken_in, "INV-0001", by="Bagus Pratama")
    applied = admin.apply_held_change(taken_in, "INV-0001", by="Rina Wijaya")
    assert (applied.quantity, applied.notes, applied.held_change) == (20, "Tolong jadi 20 akun", {})
    assert applied.history[-1].actor == "lead:Rina Wijaya"
    [changed] = [m for m in taken_in.store.messages("INV-0001") if m.kind.startswith("work_changed")]
    assert changed.recipient == "tim-akun@localhost" and "20" in changed.subject


def test_a_quantity_written_with_a_thousands_dot_is_not_taken_as_one(svc: Deps, tmp_path: Path) -> None:
    svc.clock = lambda: NOW

    _ingest(svc, _edited_export(tmp_path, "INV-0001", Jumlah="1.000"))

    # A thousand Gmail accounts is over the service's 500: the buyer must hear about it,
    # not receive one account.
    one = svc.store.get("INV-0001")
    assert one.quantity is None
    assert one.status == S.NEEDS_INFO


# ----- dispatch to completion -----


def test_an_order_goes_from_proof_to_a_told_buyer_once(taken_in: Deps, home: Path) -> None:
    _dispatch(taken_in)
    readme = (home / "drive" / "INV-0001" / "README.txt").read_text(encoding="utf-8")
    assert "INV-0001" in readme and "GMAIL-BARU" in readme
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))

    done = pipeline.watch(DirectSteps(taken_in))

    assert done == ["INV-0001"]
    one = taken_in.store.get("INV-0001")
    assert one.status == S.COMPLETED
    assert [p.name for p in one.accepted_proofs] == ["akun-gmail.csv"]
    (row,) = _crm_rows(taken_in, "INV-0001")
    assert row["Status"] == "completed"
    assert row["No. WhatsApp"] == "+6281234567890"  # she wrote 081234567890: the same number
    assert row["Divisi"] == "Divisi Akun"
    assert row["Selesai"] == "23/11/2026 10:00 WIB"
    assert row["Pembeli Diberitahu"] == "23/11/2026 10:00 WIB"
    assert row["Terlambat"] == "tidak"
    (message,) = _eml(home, "INV-0001", "completed")
    assert message["To"] == "siti.nurhaliza@gmail.com"
    assert message["X-Fulfil-Order"] == "INV-0001"
    assert "akun-gmail.csv" in message.get_body(("plain",)).get_content()
    # The buyer receives the accounts themselves: the file, as the team delivered it.
    attached, invoice = message.iter_attachments()
    # And the invoice beside them (configs/services.yaml invoices on completion).
    assert (invoice.get_filename(), invoice.get_content_type()) == ("INV-2026-11-0001.pdf", "application/pdf")
    assert (attached.get_filename(), attached.get_content_type()) == ("akun-gmail.csv", "text/csv")
    assert attached.get_payload(decode=True) == _accounts(10)
    assert [m.state for m in taken_in.store.messages("INV-0001") if m.kind == "completed"] == ["sent"]

    before = _snapshot(taken_in, home)
    assert _run_all(taken_in) == []
    assert _snapshot(taken_in, home) == before


def test_a_run_that_stopped_after_recording_is_finished_by_the_next(taken_in: Deps, home: Path) -> None:
    _dispatch(taken_in)
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n% toko kue online\n")
    _judge_and_record(taken_in)
    # The run stops here: the order is recorded, nobody has been told yet.
    assert taken_in.store.get("INV-0003").status == S.RECORDED
    assert len(_crm_rows(taken_in, "INV-0003")) == 1
    assert _eml(home, "INV-0003", "completed") == []

    assert _run_all(taken_in) == ["INV-0003"]

    three = taken_in.store.get("INV-0003")
    assert three.status == S.COMPLETED
    # Completed once, and its handover PDF shared with the buyer once (a note at that status).
    entered = [
        h.status
        for h, before in zip(three.history[1:], three.history, strict=False)
        if h.status != before.status
    ]
    assert entered.count(S.COMPLETED) == 1 and entered.count(S.RECORDED) == 1
    assert [(h.file, h.method) for h in three.handovers] == [("landing-page.pdf", "share")]
    (row,) = _crm_rows(taken_in, "INV-0003")
    assert row["Status"] == "completed"
    assert len(_eml(home, "INV-0003", "completed")) == 1
    assert [m.kind for m in taken_in.store.messages("INV-0003")].count("completed") == 1


def test_an_empty_proof_is_rejected_with_a_reason_and_the_order_keeps_waiting(
    taken_in: Deps, home: Path
) -> None:
    _dispatch(taken_in)
    _drop(home, "INV-0009", "bukti.png", b"")

    _run_all(taken_in)
    _run_all(taken_in)

    nine = taken_in.store.get("INV-0009")
    assert nine.status == S.DISPATCHED
    assert [(p.name, p.accepted) for p in nine.proofs] == [("bukti.png", False)]
    rejections = [h.comment for h in nine.history if "Bukti ditolak" in h.comment]
    assert rejections == ["Bukti ditolak: bukti.png — File kosong / Empty file"]
    assert _crm_rows(taken_in, "INV-0009") == []
    assert "INV-0009" in proofs.orders_to_watch(taken_in)

    # The team puts the real screenshot beside it: now the order completes.
    _drop(home, "INV-0009", "bukti-followers.png", b"\x89PNG\r\n\x1a\n" + b"\x01" * 2048)
    assert _run_all(taken_in) == ["INV-0009"]


def test_a_proof_with_a_disguised_name_is_shown_defused_and_rejected(taken_in: Deps, home: Path) -> None:
    _dispatch(taken_in)
    _drop(home, "INV-0010", "bukti\u202egpj.exe", b"MZ\x90\x00")  # displays as "buktiexe.jpg"

    _run_all(taken_in)

    ten = taken_in.store.get("INV-0010")
    assert ten.status == S.DISPATCHED
    assert [(p.name, p.accepted) for p in ten.proofs] == [("bukti?gpj.exe", False)]
    assert "\u202e" not in ten.history[-1].comment
    assert "bukti?gpj.exe" in ten.history[-1].comment and "'exe'" in ten.history[-1].comment


def test_buyer_names_reach_the_crm_and_the_buyer_as_written(
    taken_in: Deps, tmp_path: Path, home: Path
) -> None:
    _ingest(taken_in, _edited_export(tmp_path, "INV-0004", Jumlah="15"))
    _dispatch(taken_in)
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n")
    _drop(home, "INV-0004", "akun.csv", _accounts(15, "rizky.toko"))
    _drop(home, "INV-0008", "akun.csv", _accounts(3, "iseng.toko"))

    assert sorted(_run_all(taken_in)) == ["INV-0003", "INV-0004", "INV-0008"]

    names = {i: _crm_rows(taken_in, i)[0]["Nama Pembeli"] for i in ("INV-0003", "INV-0004", "INV-0008")}
    assert names == {
        "INV-0003": "Đặng Thu Trang",
        "INV-0004": "Rizky Ramadhan 🚀",
        "INV-0008": "'" + HYPERLINK,
    }
    raw = (home / "crm.csv").read_text(encoding="utf-8")
    cells = [c for row in csv.reader(io.StringIO(raw, newline="")) for c in row]
    # Only the WhatsApp numbers start with "+": digits, which no spreadsheet runs.
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@")) and not re.fullmatch(r"\+62\d+", c)]
    assert raw.count("=HYPERLINK") == raw.count("'=HYPERLINK") == 1

    (trang,) = _eml(home, "INV-0003", "completed")
    (rizky,) = _eml(home, "INV-0004", "completed")
    assert (
        "Hello Đặng Thu Trang," in trang.get_body(("plain",)).get_content()
    )  # she chose English: it comes first
    assert trang.get_body(("plain",)).get_content().index("Hello") < trang.get_body(
        ("plain",)
    ).get_content().index("Halo")
    assert "Halo Rizky Ramadhan 🚀," in rizky.get_body(("plain",)).get_content()


def test_a_shop_that_writes_numbers_with_a_0_gets_them_so_in_the_crm(
    taken_in: Deps, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FULFIL_CRM_PHONE_FORMAT", "local")
    taken_in.settings = load_settings()
    _dispatch(taken_in)
    _drop(home, "INV-0002", "followers.png", b"\x89PNG\r\n\x1a\n" + b"\x02" * 512)
    _drop(home, "INV-0003", "landing-page.pdf", b"%PDF-1.7\n")

    assert _run_all(taken_in) == ["INV-0002", "INV-0003"]

    # Written +6285712345678 and 6281398765432 in the form: the same numbers, as the shop writes them.
    assert _crm_rows(taken_in, "INV-0002")[0]["No. WhatsApp"] == "085712345678"
    assert _crm_rows(taken_in, "INV-0003")[0]["No. WhatsApp"] == "081398765432"


def test_a_crm_phone_format_the_sheet_cannot_write_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FULFIL_CRM_PHONE_FORMAT", "08")
    with pytest.raises(ConfigError, match="FULFIL_CRM_PHONE_FORMAT"):
        load_settings()


def test_an_order_finished_after_its_deadline_is_marked_late_in_the_crm(taken_in: Deps, home: Path) -> None:
    _dispatch(taken_in)
    _drop(home, "INV-0002", "followers.png", b"\x89PNG\r\n\x1a\n" + b"\x02" * 512)
    # Deadline 28/11/2026 (end of day WIB); the team only delivers on the 29th.
    taken_in.clock = lambda: datetime(2026, 11, 29, 5, 0, tzinfo=UTC)

    assert _run_all(taken_in) == ["INV-0002"]

    two = taken_in.store.get("INV-0002")
    assert two.overdue and two.overdue_at == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    (row,) = _crm_rows(taken_in, "INV-0002")
    assert row["Terlambat"] == "ya"
    assert row["Selesai"] == "29/11/2026 12:00 WIB"
    assert row["No. WhatsApp"] == "+6285712345678"
