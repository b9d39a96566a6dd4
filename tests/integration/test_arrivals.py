"""The lookout's feeds against their peers: the loopback fake Google's Drive changes feed (as
strict as Drive: real client library, real auth, its quotas) and local folders."""

from __future__ import annotations

import time
from pathlib import Path

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.testing.fake_google import FakeGoogle
from fulfil.testing.world import FORM_WORKSHEET, ShopWorld, build_world
from integrations.gdrive.local_arrivals import LocalArrivals
from integrations.ports import Arrival, ArrivalFeed
from tests.conftest import EXAMPLES

PROOFS, ORDERS = frozenset({Arrival.PROOFS}), frozenset({Arrival.ORDERS})
NOTHING: frozenset[Arrival] = frozenset()


def _feed(world: ShopWorld, home: Path) -> ArrivalFeed:
    env = world.environment()
    fields = {k.removeprefix("FULFIL_").lower(): v for k, v in env.items()}
    return bootstrap.arrival_feed(Settings(home=home, **fields))


def _drive_requests(fake: FakeGoogle) -> list[str]:
    return [r.path for r in fake.requests if r.api == "drive"]


def test_a_look_on_drive_is_one_changes_call_and_tells_proofs_from_form_answers(
    fake: FakeGoogle, home: Path
) -> None:
    world = build_world(fake, EXAMPLES / "orders.csv")
    order_folder = fake.add_folder("INV-0001", world.drive_folder_id)
    feed = _feed(world, home)
    assert feed.arrivals() == NOTHING  # the first look only marks where the feed stands

    fake.clear_requests()
    for _ in range(5):
        assert feed.arrivals() == NOTHING
    assert _drive_requests(fake) == ["/drive/v3/changes"] * 5  # idle: one call a look, no Sheets
    assert fake.calls("sheets") == 0

    fake.add_file("akun.csv", b"email,password\na@b.c,x\n", order_folder)
    assert feed.arrivals() == PROOFS
    assert feed.arrivals() == NOTHING  # said once

    fake.submit_form_response(
        world.form_spreadsheet_key, FORM_WORKSHEET, {"ID Pesanan": "INV-0100", "Nama": "Ayu"}
    )
    assert feed.arrivals() == ORDERS

    # A new order's folder (made after the lookout started) is watched from its first file on.
    later = fake.add_folder("INV-0002", world.drive_folder_id)
    assert feed.arrivals() == NOTHING
    fake.add_file("bukti.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, later)
    assert feed.arrivals() == PROOFS

    # A file elsewhere in the shop's Drive is nobody's proof.
    fake.add_file("liburan.jpg", b"\xff\xd8\xff" + b"\x00" * 64, fake.add_folder("Foto"))
    assert feed.arrivals() == NOTHING
    assert fake.calls("sheets") == 0


def test_an_edited_form_answer_is_an_arrival_too(fake: FakeGoogle, home: Path) -> None:
    world = build_world(fake, EXAMPLES / "orders.csv")
    feed = _feed(world, home)
    feed.arrivals()
    fake.edit_form_response(
        world.form_spreadsheet_key, FORM_WORKSHEET, 2, {"Jumlah": "12"}, "24/11/2026 09:00:00"
    )
    assert feed.arrivals() == ORDERS


def test_local_folders_tell_a_dropped_proof_and_a_new_export(tmp_path: Path) -> None:
    drive, inbox = tmp_path / "drive", tmp_path / "inbox"
    (drive / "INV-0001").mkdir(parents=True)
    inbox.mkdir()
    feed = LocalArrivals(drive, inbox)
    assert feed.arrivals() == NOTHING
    assert feed.arrivals() == NOTHING

    (drive / "INV-0001" / "akun.csv").write_bytes(b"email\n")
    assert feed.arrivals() == PROOFS
    assert feed.arrivals() == NOTHING

    (inbox / "orders.csv").write_text("Timestamp,ID Pesanan\n", encoding="utf-8")
    assert feed.arrivals() == ORDERS

    # The same file rewritten in place (the team re-uploads it), and the export grown by a row.
    time.sleep(0.01)
    (drive / "INV-0001" / "akun.csv").write_bytes(b"email\na@b.c\n")
    with (inbox / "orders.csv").open("a", encoding="utf-8") as export:
        export.write("24/11/2026 09:00:00,INV-0100\n")
    assert feed.arrivals() == PROOFS | ORDERS


def test_an_inbox_that_is_one_file_or_missing_is_looked_at_too(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    feed = LocalArrivals(tmp_path / "no-drive-yet", export)
    assert feed.arrivals() == NOTHING
    export.write_text("Timestamp,ID Pesanan\n", encoding="utf-8")
    assert feed.arrivals() == ORDERS
    (tmp_path / "no-drive-yet" / "INV-0001").mkdir(parents=True)
    assert feed.arrivals() == PROOFS
