"""Goods are delivered once and files are what their content says: the pure rules."""

from __future__ import annotations

import hashlib

import pytest

from fulfil.core.goods import (
    BINARY,
    TEXT,
    content_mismatch,
    file_digest,
    item_digest,
    items_of,
    taken_elsewhere,
)
from fulfil.core.handover import Counted, FoundFile, take_handover
from fulfil.core.status import OrderStatus
from tests.conftest import NOW
from tests.unit.builders import order_in

S = OrderStatus
KEY = b"shop-key"


def _rows(n: int, start: int = 1) -> list[tuple[str, str]]:
    return [(f"siti.toko{i:02d}@gmail.com", f"Rahasia#{i:02d}") for i in range(start, start + n)]


def _file(name: str, content: bytes) -> FoundFile:
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return FoundFile(name, len(content), f"{name}:{md5}", md5=md5)


def _counted(rows: list[tuple[str, str]]) -> Counted:
    items = items_of(rows, KEY)
    return Counted(items.count, items=items.digests, repeated=items.repeated)


@pytest.mark.parametrize(
    ("name", "sniffed", "refused"),
    [
        ("bukti.png", "png", False),
        ("bukti.png", TEXT, True),
        ("bukti.PNG", "jpg", True),
        ("foto.jpeg", "jpg", False),
        ("serah-terima.pdf", TEXT, True),
        ("serah-terima.pdf", "pdf", False),
        ("akun.xlsx", "zip", False),
        ("akun.xlsx", TEXT, True),
        ("akun.csv", TEXT, False),
        ("akun.csv", BINARY, True),
        ("akun.csv", "png", True),
        ("video.mov", BINARY, False),  # not an extension fulfil checks
        ("bukti.png", None, False),  # nothing was read
    ],
)
def test_a_file_is_judged_by_its_content_not_its_name(name: str, sniffed: str | None, refused: bool) -> None:
    assert bool(content_mismatch(name, sniffed)) is refused


def test_the_reason_for_a_renamed_text_file_says_what_it_is_in_both_languages() -> None:
    assert content_mismatch("bukti.png", TEXT) == (
        "Isi file bukan PNG (terbaca sebagai teks) / The file's content is not a PNG (it reads as text)"
    )


def test_repeated_rows_count_once_and_cells_compare_trimmed_and_case_folded() -> None:
    rows = [*_rows(3), ("SITI.TOKO01@gmail.com ", "rahasia#01"), _rows(1)[0]]
    items = items_of(rows, KEY)
    assert (items.count, items.repeated) == (3, 2)
    # Another key gives other digests: the store's digests say nothing without the shop's key.
    assert items_of(rows, b"other").digests.isdisjoint(items.digests)
    assert item_digest(("a", "b"), KEY) != item_digest(('a", "b',), KEY)


def test_taken_elsewhere_names_the_other_orders_and_ignores_the_orders_own() -> None:
    owners = {"d1": "INV-0001", "d2": "INV-0002", "d3": "INV-0002", "d4": "INV-0009"}
    assert taken_elsewhere("INV-0009", ["d1", "d2", "d3", "d4", "d5"], owners) == {
        "INV-0001": 1,
        "INV-0002": 2,
    }


def test_the_same_accounts_file_for_a_second_order_is_refused_naming_the_first(catalogue) -> None:
    gmail = catalogue.services["GMAIL-BARU"]
    content = b"email,password\n" + b"".join(f"{a},{p}\n".encode() for a, p in _rows(10))
    first, second = order_in(S.DISPATCHED), order_in(S.DISPATCHED, order_id="INV-0002")
    found = _file("akun-gmail.csv", content)
    counted = {found.fingerprint: _counted(_rows(10))}

    take_handover(first, [found], gmail, at=NOW, note_bytes={}, counts=counted)
    assert first.status == S.PROOF_RECEIVED
    owners = dict.fromkeys(first.goods_held(), "INV-0001")

    keys = take_handover(second, [found], gmail, at=NOW, note_bytes={}, counts=counted, owners=owners)

    assert second.status == S.DISPATCHED and [str(k) for k in keys or []] == [
        f"proof_rejected:{found.fingerprint[-12:]}"
    ]
    (delivered,) = second.deliverables
    assert not delivered.accepted
    assert delivered.reason == (
        "File yang sama sudah diserahkan untuk pesanan INV-0001 / "
        "The same file was already delivered for order INV-0001"
    )
    assert second.goods_held() == frozenset()


def test_accounts_that_went_to_another_order_are_refused_even_in_a_new_file(catalogue) -> None:
    gmail = catalogue.services["GMAIL-BARU"]
    owners = dict.fromkeys(items_of(_rows(4), KEY).digests, "INV-0001")
    order = order_in(S.DISPATCHED, order_id="INV-0002")
    mixed = _rows(4) + _rows(6, start=20)  # 4 of them were sold to INV-0001
    found = _file("akun-baru.csv", b"a new file")

    take_handover(
        order,
        [found],
        gmail,
        at=NOW,
        note_bytes={},
        counts={found.fingerprint: _counted(mixed)},
        owners=owners,
    )

    (delivered,) = order.deliverables
    assert not delivered.accepted
    assert (
        delivered.reason
        == "4 akun sudah diserahkan untuk pesanan INV-0001 / 4 accounts already went to order INV-0001"
    )


def test_a_file_listing_one_account_three_times_is_short_after_counting_it_once(catalogue) -> None:
    gmail = catalogue.services["GMAIL-BARU"]
    order = order_in(S.DISPATCHED)
    rows = [*_rows(8), _rows(1)[0], _rows(1)[0]]  # ten lines, eight accounts
    found = _file("akun-gmail.csv", b"ten lines")

    take_handover(order, [found], gmail, at=NOW, note_bytes={}, counts={found.fingerprint: _counted(rows)})

    (delivered,) = order.deliverables
    assert (delivered.count, delivered.accepted) == (8, False)
    assert delivered.reason == (
        "Kurang: 8 dari 10 akun / 8 of 10 accounts "
        "(2 baris berulang dihitung sekali / 2 repeated rows counted once)"
    )


def test_a_renamed_text_file_is_not_taken_as_a_picture_proof(catalogue) -> None:
    followers = catalogue.services["IG-FOLLOWERS"]
    order = order_in(S.DISPATCHED, service_code="IG-FOLLOWERS", quantity=1000)
    fake = _file("bukti.png", b"ini bukan gambar")

    take_handover(
        order, [fake], followers, at=NOW, note_bytes={}, counts={}, sniffed={fake.fingerprint: TEXT}
    )

    assert order.status == S.DISPATCHED
    assert order.proofs[0].accepted is False
    assert "not a PNG" in order.proofs[0].reason


def test_the_goods_an_order_holds_are_its_accepted_files_and_their_items(catalogue) -> None:
    gmail = catalogue.services["GMAIL-BARU"]
    order = order_in(S.DISPATCHED)
    found = _file("akun-gmail.csv", b"ten accounts")
    counted = _counted(_rows(10))
    take_handover(order, [found], gmail, at=NOW, note_bytes={}, counts={found.fingerprint: counted})
    assert order.goods_held() == counted.items | {file_digest(found.md5)}
