"""After completion, through the real use cases, local folders, the SQL store and .eml files:
the buyer receives the accounts themselves, a warranty claim goes back to the team as rework and
ends with the replacement delivered, a refund is recorded and told once and closes the order."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fulfil.core.errors import ForbiddenTransition
from fulfil.core.status import OrderStatus as S
from fulfil.usecases import aftersale, pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import NOW
from tests.integration.test_handover_local import _accounts, _drop


def _emails(home: Path, order_id: str, kind: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((home / "outbox").glob(f"{order_id}.{kind}*.eml"))
    ]


def _text(message: email.message.EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def completed(dispatched: Deps, home: Path) -> Deps:
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))
    assert pipeline.watch(DirectSteps(dispatched)) == ["INV-0001"]
    return dispatched


def test_a_claim_is_reworked_and_the_replacement_reaches_the_buyer_once(completed: Deps, home: Path) -> None:
    svc = completed
    svc.clock = lambda: NOW + timedelta(days=2)
    order = aftersale.open_claim(
        svc, "INV-0001", reason="Akun no. 3 tidak bisa login", items=1, actor="ops:rina"
    )
    assert order.status == S.REWORK and order.claims[-1].items == 1
    again = aftersale.open_claim(
        svc, "INV-0001", reason="Akun no. 3 tidak bisa login", items=1, actor="ops:rina"
    )
    assert len(again.claims) == 1  # the same command again opens no second claim
    DirectSteps(svc).send_outbox()

    (received,) = _emails(home, "INV-0001", "claim_received")
    assert received["To"] == "siti.nurhaliza@gmail.com" and "Akun no. 3 tidak bisa login" in _text(received)
    (rework,) = _emails(home, "INV-0001", "rework")
    assert rework["To"] == "tim-akun@localhost"
    assert "Akun no. 3 tidak bisa login" in _text(rework) and "1 item" in _text(rework)

    # The team drops one new account: the claim wanted one item, so it is complete.
    replacement = b"email,password\nsiti.toko99@gmail.com,Ganti#99\n"
    _drop(home, "INV-0001", "akun-pengganti.csv", replacement)
    assert pipeline.watch(DirectSteps(svc)) == ["INV-0001"]
    assert pipeline.watch(DirectSteps(svc)) == []

    done = svc.store.get("INV-0001")
    assert done.status == S.COMPLETED and done.open_claim is None
    (sent,) = _emails(home, "INV-0001", "replacement")
    assert "Klaim #1" in _text(sent)
    (attached,) = sent.iter_attachments()
    assert attached.get_filename() == "akun-pengganti.csv"
    assert attached.get_payload(decode=True) == replacement
    # The first delivery and the replacement are both on record, each with its checksum.
    assert [(h.file, h.method) for h in done.handovers] == [
        ("akun-gmail.csv", "attachment"),
        ("akun-pengganti.csv", "attachment"),
    ]
    assert all(len(h.md5) == 32 for h in done.handovers)
    assert len(_emails(home, "INV-0001", "completed")) == 1


def test_a_claim_outside_the_warranty_is_refused_unless_ops_say_why(completed: Deps) -> None:
    svc = completed
    svc.clock = lambda: NOW + timedelta(days=8)  # GMAIL-BARU's warranty is 7 days
    with pytest.raises(ForbiddenTransition, match="out of its 7-day warranty"):
        aftersale.open_claim(svc, "INV-0001", reason="akun diblokir", items=2, actor="ops:rina")
    assert svc.store.get("INV-0001").status == S.COMPLETED
    order = aftersale.open_claim(
        svc, "INV-0001", reason="akun diblokir", items=2, actor="ops:rina", override="pelanggan tetap"
    )
    assert order.status == S.REWORK
    assert "di luar garansi, diterima: pelanggan tetap" in order.history[-1].comment


def test_a_refund_is_recorded_told_once_and_no_claim_reopens_the_order(completed: Deps, home: Path) -> None:
    svc = completed
    order = aftersale.refund(
        svc, "INV-0001", amount=150_000, reason="Akun tidak sesuai", full=True, actor="ops:rina"
    )
    again = aftersale.refund(
        svc, "INV-0001", amount=150_000, reason="Akun tidak sesuai", full=True, actor="ops:rina"
    )
    assert order.status == S.REFUNDED and len(again.refunds) == 1  # the same command twice: one refund
    DirectSteps(svc).send_outbox()
    (told,) = _emails(home, "INV-0001", "refunded")
    assert "Rp150.000" in told["Subject"] and "Akun tidak sesuai" in _text(told)
    with pytest.raises(ForbiddenTransition, match="was refunded"):
        aftersale.open_claim(svc, "INV-0001", reason="masih error", items=None, actor="ops:rina")
    DirectSteps(svc).sync_crm_rows()
    row = next(r for r in svc.crm.rows() if r["ID Order"] == "INV-0001")
    assert row["Status"] == "refunded"


def test_a_buyer_with_only_a_whatsapp_number_is_never_left_unseen(dispatched: Deps, home: Path) -> None:
    svc = dispatched
    order = svc.store.get("INV-0002")
    order.buyer_email = ""
    svc.store.save(order)
    _drop(home, "INV-0002", "followers.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    pipeline.watch(DirectSteps(svc))
    # No chat channel is set up here: ops hear that the buyer could not be told.
    alerts = [m for m in svc.store.messages("INV-0002") if m.kind.startswith("undelivered:completed")]
    assert [m.recipient for m in alerts] == [svc.settings.ops_email]
    assert "FULFIL_BUYER_CHAT_URL" in alerts[0].body
    # Its screenshots cannot ride on an email or a share: ops are told to hand them over.
    (by_hand,) = [m for m in svc.store.messages("INV-0002") if m.kind == "handover_by_hand"]
    assert by_hand.recipient == svc.settings.ops_email and "followers.png" not in by_hand.body
    assert svc.store.get("INV-0002").handovers == []


def test_a_rework_is_reminded_before_its_deadline_and_escalated_after_it_each_once(
    completed: Deps, home: Path
) -> None:
    svc = completed
    svc.clock = lambda: NOW + timedelta(days=1)
    order = aftersale.open_claim(svc, "INV-0001", reason="akun 5 diblokir", items=1, actor="ops:rina")
    steps = DirectSteps(svc)

    def for_one(at: datetime) -> list[str]:  # other orders have rungs of their own that day
        return [q for q in steps.sweep_deadlines(at).queued if q.startswith("INV-0001/")]

    deadline = order.claims[-1].deadline
    assert for_one(deadline - timedelta(hours=3)) == []
    assert for_one(deadline - timedelta(hours=1)) == ["INV-0001/rework_reminder:1"]  # 2 h before
    assert for_one(deadline - timedelta(minutes=1)) == []  # once
    late = deadline + timedelta(hours=1)
    assert for_one(late) == ["INV-0001/rework_overdue:1"]
    assert for_one(late + timedelta(hours=5)) == []  # once
    steps.send_outbox()
    (reminded,) = _emails(home, "INV-0001", "rework_reminder")
    assert reminded["To"] == "tim-akun@localhost" and "akun 5 diblokir" in _text(reminded)
    (escalated,) = _emails(home, "INV-0001", "rework_overdue")
    assert escalated["To"] == "rina@localhost, ops@localhost"
    assert "akun 5 diblokir" in _text(escalated)
    assert svc.store.get("INV-0001").overdue is False  # the order's own deadline is another matter
