"""Admin actions on the in-memory store, as the UI's forms and the CLI call them: each names who
acted from the staff list, writes the history with that person, queues what it must, and a
refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.core.errors import ForbiddenTransition, NotAllowed
from fulfil.core.status import OrderStatus as S
from fulfil.settings import Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases import admin
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.pipeline import DirectSteps
from tests.conftest import EXAMPLES, NOW


@pytest.fixture
def shop(home: Path) -> Iterator[Deps]:
    """The example export taken in and dispatched, the order store in memory."""
    svc = bootstrap.build(Settings(home=home), store=MemoryStore())
    svc.clock = lambda: NOW
    ingest(svc, rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    steps = DirectSteps(svc)
    steps.dispatch(None)
    yield svc
    svc.close()


def _kinds(svc: Deps, order_id: str) -> list[str]:
    return [m.kind for m in svc.store.messages(order_id)]


def test_a_refused_assignment_changes_nothing(shop: Deps) -> None:
    before = shop.store.get("INV-0001")
    with pytest.raises(NotAllowed, match="Bagus Pratama is not the lead of Divisi Akun nor ops"):
        admin.assign(shop, "INV-0001", to="Yoga Saputra", by="Bagus Pratama")
    with pytest.raises(NotAllowed, match="'Yoga' is not on the staff list"):
        admin.assign(shop, "INV-0001", to="Yoga", by="Rina Wijaya")
    after = shop.store.get("INV-0001")
    assert (after.status, after.assignee, after.history) == (before.status, before.assignee, before.history)


def test_cancelling_an_assigned_order_tells_the_buyer_the_division_and_the_member(shop: Deps) -> None:
    admin.assign(shop, "INV-0001", to="Yoga Saputra", by="Rina Wijaya")
    order = admin.cancel_order(shop, "INV-0001", reason="Pembeli minta batal", by="Rina Wijaya")
    assert order.status == S.CANCELLED and order.history[-1].actor == "lead:Rina Wijaya"
    [team] = [m for m in shop.store.messages("INV-0001") if m.kind == "cancelled_team"]
    assert team.recipient == "tim-akun@localhost, yoga@localhost" and "Pembeli minta batal" in team.body
    assert "cancelled" in _kinds(shop, "INV-0001")  # the buyer too


def test_cancelling_an_order_not_yet_with_the_team_tells_only_the_buyer(shop: Deps) -> None:
    admin.cancel_order(shop, "INV-0007", reason="Tidak jadi", by="Sari Wulandari")
    assert "cancelled" in _kinds(shop, "INV-0007") and "cancelled_team" not in _kinds(shop, "INV-0007")


def test_marking_paid_tells_the_buyer_and_lets_the_order_go_to_the_team(shop: Deps) -> None:
    assert shop.store.get("INV-0007").status == S.AWAITING_PAYMENT
    with pytest.raises(NotAllowed, match="only ops"):
        admin.mark_paid(shop, "INV-0007", by="Rina Wijaya")
    order = admin.mark_paid(shop, "INV-0007", by="Sari Wulandari")
    assert order.paid and order.history[-1].actor == "ops:Sari Wulandari" and order.history[-1].notified
    paid = next(m for m in shop.store.messages("INV-0007") if m.kind == "confirmation:paid")
    assert "diteruskan ke tim" in paid.body  # what is now true
    steps = DirectSteps(shop)
    assert steps.dispatch(["INV-0007"]) == ["INV-0007"]
    # The form's column still says unpaid: a later edit by the buyer does not undo ops' word.
    assert admin.mark_paid(shop, "INV-0007", by="Sari Wulandari").paid


def test_a_comment_goes_into_the_history_and_to_the_buyer_only_when_asked(shop: Deps) -> None:
    quiet = admin.add_comment(shop, "INV-0001", text="Cek ulang akun", by="Yoga Saputra", tell_buyer=False)
    assert (quiet.history[-1].comment, quiet.history[-1].actor) == ("Cek ulang akun", "team:Yoga Saputra")
    assert not any(k.startswith("note") for k in _kinds(shop, "INV-0001"))
    told = admin.add_comment(
        shop, "INV-0001", text="Akun siap besok pagi", by="Sari Wulandari", tell_buyer=True
    )
    assert told.history[-1].notified
    [note] = [m for m in shop.store.messages("INV-0001") if m.kind.startswith("note:")]
    assert "Akun siap besok pagi" in note.body and note.recipient == told.buyer_email
    with pytest.raises(ForbiddenTransition, match="needs some text"):
        admin.add_comment(shop, "INV-0001", text="  ", by="Sari Wulandari", tell_buyer=True)


def test_only_ops_set_a_status_by_hand_and_say_why(shop: Deps) -> None:
    with pytest.raises(NotAllowed):
        admin.override_status(shop, "INV-0001", status=S.RECEIVED, reason="salah kirim", by="Rina Wijaya")
    with pytest.raises(ForbiddenTransition, match="needs a reason"):
        admin.override_status(shop, "INV-0001", status=S.RECEIVED, reason="", by="Sari Wulandari")
    order = admin.override_status(
        shop, "INV-0001", status=S.RECEIVED, reason="salah kirim", by="Sari Wulandari"
    )
    assert order.status == S.RECEIVED and "salah kirim" in order.history[-1].comment
    assert order.history[-1].actor == "ops:Sari Wulandari"
