"""EmlOutbox on a real folder: one standard .eml per (order, kind) that a mail program can open."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import Envelope

BODY = (
    "Halo Đặng Thu Trang 🚀,\n\n"
    "Pesanan Anda sudah selesai dikerjakan.\n\n"
    "  Nomor pesanan : INV-0003\n"
    "  Layanan       : Pembuatan website UMKM\n\n"
    "Terima kasih sudah berbelanja di Toko Digital Nusantara 🙏\n"
)


def _envelope(kind: str = "completed", body: str = BODY, order_id: str = "INV-0003") -> Envelope:
    return Envelope(
        order_id=order_id,
        kind=kind,
        sender="toko@localhost",
        recipient="dang.thutrang@gmail.com",
        subject=f"Pesanan {order_id} selesai ✅ / Order {order_id} is done",
        body=body,
    )


def _read(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_message_is_written_as_a_standard_eml(tmp_path: Path) -> None:
    outbox = EmlOutbox(tmp_path / "outbox")

    outbox.send(_envelope())

    files = sorted((tmp_path / "outbox").iterdir())
    assert [p.name for p in files] == ["INV-0003.completed.eml"]
    message = _read(files[0])
    assert message["From"] == "toko@localhost"
    assert message["To"] == "dang.thutrang@gmail.com"
    assert message["Subject"] == "Pesanan INV-0003 selesai ✅ / Order INV-0003 is done"
    assert message["X-Fulfil-Order"] == "INV-0003"
    assert message["X-Fulfil-Kind"] == "completed"
    assert message["Message-ID"] == "<INV-0003.completed@fulfil.invalid>"
    assert message["Date"].datetime is not None
    assert message.get_content_charset() == "utf-8"
    # The file is in wire form (CRLF line ends); the text itself comes back unchanged.
    assert message.get_content().replace("\r\n", "\n") == BODY


def test_the_same_message_sent_twice_leaves_one_file_with_the_same_id(tmp_path: Path) -> None:
    outbox = EmlOutbox(tmp_path / "outbox")
    outbox.send(_envelope())
    first_id = _read(tmp_path / "outbox" / "INV-0003.completed.eml")["Message-ID"]

    outbox.send(_envelope(body=BODY.replace("selesai dikerjakan", "SELESAI dikerjakan")))

    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["INV-0003.completed.eml"]
    again = _read(tmp_path / "outbox" / "INV-0003.completed.eml")
    assert again["Message-ID"] == first_id
    assert "SELESAI dikerjakan" in again.get_content()


def test_each_kind_and_order_gets_its_own_file(tmp_path: Path) -> None:
    outbox = EmlOutbox(tmp_path / "outbox")
    for envelope in (
        _envelope("confirmation"),
        _envelope("completed"),
        _envelope("completed", order_id="INV-0001"),
    ):
        outbox.send(envelope)

    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == ["INV-0001.completed.eml", "INV-0003.completed.eml", "INV-0003.confirmation.eml"]
    ids = {_read(tmp_path / "outbox" / name)["Message-ID"] for name in files}
    assert len(ids) == 3
