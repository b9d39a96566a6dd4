"""No goods delivered twice, through the real use cases, local folders and the SQL store: the
same accounts file, or some of its accounts, dropped into a second order is refused with the
first order's ID; repeated rows count once; a file renamed to look like a picture is refused."""

from __future__ import annotations

from pathlib import Path

from fulfil.core.goods import file_digest
from fulfil.core.status import OrderStatus as S
from fulfil.usecases import pipeline
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tests.integration.test_handover_local import _accounts, _drop, _rejections


def _accounts_from(numbers: list[int]) -> bytes:
    rows = [f"siti.toko{i:02d}@gmail.com,Rahasia#{i:02d}\n" for i in numbers]
    return ("email,password\n" + "".join(rows)).encode()


def _reasons(svc: Deps, order_id: str) -> list[str]:
    return [d.reason for d in svc.store.get(order_id).deliverables]


def test_the_same_accounts_never_go_to_a_second_order_and_the_first_keeps_them(
    dispatched: Deps, home: Path
) -> None:
    svc = dispatched
    steps = DirectSteps(svc)
    steps.dispatch(["INV-0012"])
    sold = _drop(home, "INV-0001", "akun-gmail.csv", _accounts(10))
    assert pipeline.watch(steps) == ["INV-0001"]

    # The team drops the very same file for INV-0012, then a new file reusing ten of the accounts.
    _drop(home, "INV-0012", "akun-gmail.csv", sold)
    _drop(home, "INV-0012", "akun-tambahan.csv", _accounts_from(list(range(1, 21))))
    assert pipeline.watch(steps) == []

    twelve = svc.store.get("INV-0012")
    assert twelve.status == S.DISPATCHED
    assert sorted(_reasons(svc, "INV-0012")) == [
        "10 akun sudah diserahkan untuk pesanan INV-0001 / 10 accounts already went to order INV-0001",
        "File yang sama sudah diserahkan untuk pesanan INV-0001 / "
        "The same file was already delivered for order INV-0001",
    ]
    told = _rejections(svc, "INV-0012")
    assert len(told) == 2 and all("INV-0001" in m.body for m in told)  # the division reads why
    one = svc.store.get("INV-0001")
    assert one.status == S.COMPLETED and [d.accepted for d in one.deliverables] == [True]
    assert set(svc.store.goods_owners(one.goods_held()).values()) == {"INV-0001"}

    # Twenty lines, but five repeat an account already in the file: fifteen accounts, short.
    _drop(home, "INV-0012", "akun-baru.csv", _accounts_from([*range(31, 46), 31, 32, 33, 34, 35]))
    pipeline.watch(steps)
    assert _reasons(svc, "INV-0012")[-1] == (
        "Kurang: 15 dari 20 akun / 15 of 20 accounts "
        "(5 baris berulang dihitung sekali / 5 repeated rows counted once)"
    )
    # Twenty accounts nobody has had: accepted.
    fresh = _drop(home, "INV-0012", "akun-final.csv", _accounts_from(list(range(51, 71))))
    assert pipeline.watch(steps) == ["INV-0012"]
    final = svc.store.get("INV-0012").deliverables[-1]
    assert final.accepted and final.count == 20
    assert svc.store.goods_owners([file_digest(final.md5)]) == {file_digest(final.md5): "INV-0012"}
    assert fresh  # the file itself stays in the folder for the handover


def test_a_text_file_renamed_to_a_picture_or_pdf_is_refused(dispatched: Deps, home: Path) -> None:
    svc = dispatched
    _drop(home, "INV-0002", "bukti-followers.png", b"ini bukan gambar, cuma teks\n")
    _drop(home, "INV-0003", "serah-terima.pdf", b"Website sudah live di https://tokobudi.id\n")
    pipeline.watch(DirectSteps(svc))

    for order_id, kind in (("INV-0002", "PNG"), ("INV-0003", "PDF")):
        order = svc.store.get(order_id)
        assert order.status == S.DISPATCHED
        (proof,) = order.proofs
        assert not proof.accepted
        assert proof.reason == (
            f"Isi file bukan {kind} (terbaca sebagai teks) / "
            f"The file's content is not a {kind} (it reads as text)"
        )
        assert len(_rejections(svc, order_id)) == 1

    # The real thing is accepted.
    _drop(home, "INV-0002", "bukti-asli.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    pipeline.watch(DirectSteps(svc))
    assert svc.store.get("INV-0002").status == S.COMPLETED
