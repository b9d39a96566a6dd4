"""Proof files the team drops in an order's folder: judged once, and the order moves on when enough pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfil.core.handover import FoundFile, judge_file, take_handover
from fulfil.core.status import OrderStatus
from tests.conftest import NOW
from tests.unit.builders import order_in

S = OrderStatus
MB = 1024 * 1024


@pytest.fixture
def service(catalogue):
    """Instagram followers: png, jpg, jpeg or pdf up to 15 MB, one file; nothing to count."""
    return catalogue.services["IG-FOLLOWERS"].model_copy(update={"deliverable": None})


@pytest.fixture
def rules(service):
    return service.proof


def take(order, files, service, at=NOW):
    return take_handover(order, files, service, at=at, note_bytes={}, counts={})


# --- judge_file ----------------------------------------------------------------------------------


def test_judge_file_accepts_an_allowed_type_within_the_size(rules):
    assert judge_file(FoundFile("bukti-kirim.pdf", 20_000, "f1"), rules) == ""
    assert judge_file(FoundFile("Bukti.PNG", 20_000, "f1"), rules) == ""
    assert judge_file(FoundFile("tepat.pdf", rules.max_bytes, "f1"), rules) == ""


def test_judge_file_rejects_an_empty_file(rules):
    reason = judge_file(FoundFile("bukti-kirim.pdf", 0, "f1"), rules)
    assert "Empty" in reason
    assert "kosong" in reason


@pytest.mark.parametrize("name", ["bukti.exe", "bukti.png.exe", "bukti", "laporan.docx", "akun.csv"])
def test_judge_file_rejects_a_type_not_allowed_and_says_which_are(rules, name):
    reason = judge_file(FoundFile(name, 1000, "f1"), rules)
    assert reason
    for allowed in rules.allowed_types:
        assert allowed in reason


def test_judge_file_rejects_a_file_over_the_limit(rules):
    assert rules.max_size_mb == 15
    reason = judge_file(FoundFile("besar.pdf", 15 * MB + 1, "f1"), rules)
    assert "too large" in reason
    assert "15 MB" in reason


# --- taking proofs -------------------------------------------------------------------------------


def test_proof_moves_a_waiting_order_to_proof_received(service):
    order = order_in(S.ASSIGNED)
    files = [FoundFile("bukti-kirim.pdf", 20_000, "sha-1", link="file:///proofs/INV-0001/bukti-kirim.pdf")]
    assert take(order, files, service) is not None
    assert order.status == S.PROOF_RECEIVED
    assert [p.name for p in order.accepted_proofs] == ["bukti-kirim.pdf"]
    assert "bukti-kirim.pdf" in order.history[-1].comment


def test_a_file_seen_before_is_not_judged_again(service):
    order = order_in(S.DISPATCHED)
    bad = FoundFile("virus.exe", 1000, "sha-bad")
    assert take(order, [bad], service) is not None
    history = list(order.history)
    assert take(order, [bad], service, at=NOW + timedelta(minutes=1)) is None
    assert len(order.proofs) == 1
    assert order.history == history


def test_a_rejected_file_is_recorded_with_its_reason_and_the_order_keeps_waiting(service):
    order = order_in(S.DISPATCHED)
    notices = take(order, [FoundFile("kosong.pdf", 0, "sha-empty")], service)
    assert notices  # the division is told its proof was refused
    assert order.status == S.DISPATCHED
    (proof,) = order.proofs
    assert proof.accepted is False
    assert "Empty" in proof.reason
    assert "kosong.pdf" in order.history[-1].comment
    assert "Empty" in order.history[-1].comment


def test_order_waits_until_min_files_are_accepted(service):
    two = service.model_copy(update={"proof": service.proof.model_copy(update={"min_files": 2})})
    order = order_in(S.DISPATCHED)
    take(order, [FoundFile("satu.png", 500, "a"), FoundFile("rusak.exe", 500, "b")], two)
    assert order.status == S.DISPATCHED
    take(order, [FoundFile("dua.png", 500, "c")], two)
    assert order.status == S.PROOF_RECEIVED


def test_proof_file_names_are_shown_safely(service):
    order = order_in(S.DISPATCHED)
    take(order, [FoundFile("bukti\u202egnp.png", 500, "a")], service)
    assert "\u202e" not in order.proofs[0].name
    assert all("\u202e" not in h.comment for h in order.history)
