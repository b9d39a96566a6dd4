"""Buyer text where people read it: a note or a name as long as a buyer cares to paste is bounded in
the emails and the CRM sheet, shown once, and stripped of characters that reorder what it says;
the order keeps every character."""

from __future__ import annotations

from pathlib import Path

from fulfil.core.cells import BIDI_CONTROLS
from fulfil.usecases import pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tests.integration.test_intake_sources import PUTRI, _csv, shop  # noqa: F401  (fixture)
from tests.integration.test_usecases_pipeline import _accounts, _crm_rows, _drop, _eml, _run_all

CUT = "… (lihat pesanan / see the order)"
# A buyer pasted their whole brief into the form's note, twice over, with a right-to-left override.
NOTE = "".join(f"Permintaan {n}: nama akun profesional, tanpa angka acak. \u202e" for n in range(400))[
    :20_000
]
NAME = "Siti\u202eNurhaliza binti Abdullah" + " Wulandari" * 30


def _export_with(tmp_path: Path, *, name: str = "Putri Ayu", note: str = "") -> Path:
    row = list(PUTRI)
    row[2], row[8] = name, note
    return _csv(tmp_path / "pesanan.csv", row)


def _text(home: Path, kind: str) -> str:
    (message,) = _eml(home, "INV-0301", kind)
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return f"{message['Subject']}\n{body}".replace("\r\n", "\n")


def test_a_20000_character_note_reaches_the_team_once_bounded(shop: Deps, tmp_path: Path, home: Path) -> None:  # noqa: F811
    pipeline.intake(DirectSteps(shop), str(_export_with(tmp_path, note=NOTE)))

    team = _text(home, "dispatch")
    shown = NOTE.replace("\u202e", "")[:1000].rstrip()
    # The issue measured 40,938 characters: the note whole in the Indonesian part and again in the
    # English one. Now it is in the first part only, cut at 1,000 characters.
    assert team.count(shown[:200]) == 1
    assert f"Catatan      : {shown}{CUT}" in team
    assert "Notes        : (see above)" in team
    assert len(team) < 3000
    assert not set(team) & BIDI_CONTROLS
    assert shop.store.get("INV-0301").notes == NOTE  # the order keeps every character


def test_a_short_note_is_shown_in_full_once(shop: Deps, tmp_path: Path, home: Path) -> None:  # noqa: F811
    pipeline.intake(DirectSteps(shop), str(_export_with(tmp_path, note="Akun @budi.kopi")))

    team = _text(home, "dispatch")
    assert "Catatan      : Akun @budi.kopi\n" in team
    assert "Notes        : (see above)" in team


def test_a_long_name_is_bounded_in_the_buyers_email_and_the_crm_and_reordered_nowhere(
    shop: Deps,  # noqa: F811
    tmp_path: Path,
    home: Path,
) -> None:
    pipeline.intake(DirectSteps(shop), str(_export_with(tmp_path, name=NAME)))
    _drop(home, "INV-0301", "akun.csv", _accounts(2))
    assert _run_all(shop) == ["INV-0301"]

    bounded = NAME.replace("\u202e", "")[:100].rstrip() + CUT
    for kind in ("confirmation", "completed"):
        buyer = _text(home, kind)
        assert f"Halo {bounded}," in buyer and f"Hello {bounded}," in buyer
        assert not set(buyer) & BIDI_CONTROLS
    (row,) = _crm_rows(shop, "INV-0301")
    assert row["Nama Pembeli"] == bounded
    assert shop.store.get("INV-0301").buyer_name == NAME
