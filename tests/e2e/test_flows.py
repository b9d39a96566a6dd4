"""The flows end to end on a real Prefect API, over the local adapters."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from fulfil.core.status import OrderStatus
from fulfil.usecases import crm, dispatch, proofs
from tests.conftest import EXAMPLES, NOW

pytestmark = pytest.mark.prefect


def _statuses(svc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {o.order_id: str(o.status) for o in svc.store.list()}


def _drop(home: Path, order_id: str, name: str, content: bytes) -> None:
    (home / "drive" / order_id / name).write_bytes(content)


def _accounts_csv(n: int) -> bytes:
    return ("email,password\n" + "".join(f"akun{i}@gmail.com,Rahasia-{i}\n" for i in range(n))).encode()


def _accounts_xlsx(n: int) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["email", "password"])
    for i in range(n):
        book.active.append([f"akun{i}@gmail.com", f"Rahasia-{i}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def ingested(flows_on, home):  # type: ignore[no-untyped-def]
    from flows.intake import intake

    flows_on.clock = lambda: NOW
    counts = intake(source=str(EXAMPLES / "orders.csv"))
    return flows_on, counts


def test_intake_sorts_a_realistic_batch(ingested) -> None:  # type: ignore[no-untyped-def]
    svc, counts = ingested
    status = _statuses(svc)
    assert counts["rows"] == 13  # 14 lines, one duplicate collapsed
    assert status["INV-0004"] == "needs_info"  # quantity missing
    assert status["INV-0005"] == "needs_info"  # unknown service
    assert status["INV-0006"] == "needs_info"  # past deadline
    assert status["INV-0007"] == "awaiting_payment"
    assert status["INV-0001"] == "dispatched"
    assert counts["dispatched"] == sum(1 for s in status.values() if s == "dispatched")
    problems = {p.field for p in svc.store.get("INV-0011").problems}
    assert {"buyer_email", "quantity", "deadline", "phone"} <= problems


def test_a_second_intake_of_the_same_file_creates_and_sends_nothing(ingested, home) -> None:  # type: ignore[no-untyped-def]
    from flows.intake import intake

    svc, _ = ingested
    before_msgs = len(svc.store.messages())
    before_history = {o.order_id: len(o.history) for o in svc.store.list()}
    eml_before = sorted(p.name for p in (home / "outbox").glob("*.eml"))

    counts = intake(source=str(EXAMPLES / "orders.csv"))

    assert counts["new"] == 0 and counts["updated"] == 0 and counts["dispatched"] == 0
    assert len(svc.store.messages()) == before_msgs
    assert {o.order_id: len(o.history) for o in svc.store.list()} == before_history
    assert sorted(p.name for p in (home / "outbox").glob("*.eml")) == eml_before


def test_watch_completes_orders_with_one_crm_row_and_one_buyer_message(ingested, home) -> None:  # type: ignore[no-untyped-def]
    from flows.watch_proofs import watch_proofs

    svc, _ = ingested
    _drop(home, "INV-0001", "akun-gmail.csv", _accounts_csv(10))
    _drop(home, "INV-0009", "bukti.png", b"")  # empty: rejected

    done = watch_proofs()
    watch_proofs()  # a rerun finds nothing left to do

    assert done == ["INV-0001"]
    assert svc.store.get("INV-0001").status == OrderStatus.COMPLETED
    nine = svc.store.get("INV-0009")
    assert nine.status == OrderStatus.DISPATCHED
    assert "File kosong" in nine.history[-1].comment
    ids = [r["ID Order"] for r in svc.crm.rows()]
    assert ids == ["INV-0001"]
    assert [p.name for p in (home / "outbox").glob("INV-0001.completed.eml")] == ["INV-0001.completed.eml"]
    completed_msgs = [m for m in svc.store.messages("INV-0001") if m.kind == "completed"]
    assert len(completed_msgs) == 1 and completed_msgs[0].sent_at is not None
    row = svc.crm.rows()[0]
    assert row["Status"] == "completed" and row["Pembeli Diberitahu"]


def test_an_order_stopped_between_recorded_and_completed_finishes_once(ingested, home) -> None:  # type: ignore[no-untyped-def]
    from flows.watch_proofs import watch_proofs

    svc, _ = ingested
    _drop(home, "INV-0003", "serah-terima.pdf", b"%PDF-1.4 done")
    # The run that crashed: proof judged, CRM row written, order marked recorded, then nothing.
    proofs.judge_proofs(svc, proofs.scan_proof_folders(svc, ["INV-0003"]).found)
    crm.mark_recorded(svc, crm.sync_crm_rows(svc))
    assert svc.store.get("INV-0003").status == OrderStatus.RECORDED

    watch_proofs()
    watch_proofs()

    assert svc.store.get("INV-0003").status == OrderStatus.COMPLETED
    assert [r["ID Order"] for r in svc.crm.rows()].count("INV-0003") == 1
    assert len(list((home / "outbox").glob("INV-0003.completed.eml"))) == 1
    assert [m.kind for m in svc.store.messages("INV-0003")].count("completed") == 1


def test_sweep_flags_a_late_order_once_and_alerts_its_lead_once(ingested) -> None:  # type: ignore[no-untyped-def]
    from flows.deadline_sweep import deadline_sweep

    svc, _ = ingested
    late = svc.store.get("INV-0002").deadline
    svc.clock = lambda: late + timedelta(hours=1)

    first = deadline_sweep()
    second = deadline_sweep()

    assert "INV-0002" in first["flagged"] and "INV-0002/escalation:breach" in first["queued"]
    # Nothing new the second time; the orders needing a person are still listed (alerted once).
    assert second == {**first, "flagged": [], "queued": [], "skipped": []}
    assert second["needs_action"][0] == "INV-0011" and second["needs_action"][1].startswith("ORD-")
    order = svc.store.get("INV-0002")
    assert order.overdue and order.overdue_at == late + timedelta(hours=1)
    # The breach escalation goes to the lead and ops together, once; no separate overdue alert.
    alerts = [m for m in svc.store.messages("INV-0002") if m.kind.startswith(("escalation", "overdue"))]
    assert [(m.kind, m.recipient, m.state) for m in alerts] == [
        ("escalation:breach", "bagus@localhost, ops@localhost", "sent")
    ]
    # Orders still waiting for the buyer are not the team's lateness.
    assert not svc.store.get("INV-0007").overdue
    # Run as of a later moment (what `fulfil sweep --at` does): the +24 h rung goes, once.
    third = deadline_sweep(at=late + timedelta(hours=25))
    assert "INV-0002/escalation:24h" in third["queued"]
    assert deadline_sweep(at=late + timedelta(hours=25))["queued"] == []


def test_one_order_run_is_named_and_tagged_for_managers_and_carries_no_buyer_data(flows_on, home) -> None:  # type: ignore[no-untyped-def]
    from prefect import tags

    from flows.fulfil_order import fulfil_order
    from flows.intake import intake

    svc = flows_on
    svc.clock = lambda: NOW
    intake(source=str(EXAMPLES / "orders.csv"))
    _drop(home, "INV-0012", "akun.xlsx", _accounts_xlsx(20))
    with tags("order:INV-0012", "service:GMAIL-BARU", "division:akun"):
        fulfil_order(order_id="INV-0012")
    assert svc.store.get("INV-0012").status == OrderStatus.COMPLETED

    runs = asyncio.run(_flow_runs())
    mine = [r for r in runs if r.name == "order-INV-0012"]
    assert len(mine) == 1
    assert {"order:INV-0012", "service:GMAIL-BARU", "division:akun"} <= set(mine[0].tags)
    order = svc.store.get("INV-0012")
    for run in runs:
        text = repr(run.parameters)
        assert order.buyer_email not in text and order.buyer_name not in text
        assert order.phone_raw not in text


async def _flow_runs():  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    async with get_client() as client:
        return await client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC)


def test_dispatch_gives_the_division_a_folder_and_a_work_order(ingested, home) -> None:  # type: ignore[no-untyped-def]
    svc, _ = ingested
    readme = (home / "drive" / "INV-0001" / "README.txt").read_text(encoding="utf-8")
    assert "INV-0001" in readme and "bukti" in readme.lower()
    msg = next(m for m in svc.store.messages("INV-0001") if m.kind == "dispatch")
    assert msg.recipient == "tim-akun@localhost"
    for needed in ("GMAIL-BARU", "INV-0001", "10", "OLP-GMAIL-BARU", "drive/INV-0001"):
        assert needed in msg.body
    # Not ready orders get no folder.
    assert dispatch.ready_to_dispatch(svc) == []
    assert not (home / "drive" / "INV-0007").exists()


def test_the_whole_pipeline_on_postgresql(prefect_api, home, request) -> None:  # type: ignore[no-untyped-def]
    """The same flows with the order store on a real PostgreSQL (.ci/run starts one)."""
    from flows.intake import intake
    from flows.watch_proofs import watch_proofs
    from fulfil import bootstrap
    from fulfil.cli._prefect import flow_settings
    from fulfil.settings import Settings
    from tasks._runtime import given
    from tests.integration.conftest import empty_database

    url = request.config.getoption("--database-url")
    if not url:
        pytest.skip("no PostgreSQL: give --database-url or $FULFIL_TEST_DATABASE_URL (.ci/run does)")
    empty_database(url)
    svc = bootstrap.build(Settings(home=home, database_url=url))
    assert svc.store.engine.dialect.name == "postgresql"
    svc.clock = lambda: NOW
    try:
        with flow_settings(), given(svc):
            intake(source=str(EXAMPLES / "orders.csv"))
            _drop(home, "INV-0001", "akun-gmail.csv", _accounts_csv(10))
            _drop(home, "INV-0003", "serah-terima.pdf", b"%PDF-1.4 ok")
            intake(source=str(EXAMPLES / "orders.csv"))
            watch_proofs()
            watch_proofs()
        assert svc.store.get("INV-0001").status == OrderStatus.COMPLETED
        assert svc.store.get("INV-0003").status == OrderStatus.COMPLETED
        assert sorted(r["ID Order"] for r in svc.crm.rows()) == ["INV-0001", "INV-0003"]
        assert [m.kind for m in svc.store.messages("INV-0001")].count("completed") == 1
    finally:
        svc.close()
