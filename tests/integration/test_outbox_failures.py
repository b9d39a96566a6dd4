"""A message that cannot be delivered is never silent: the pass fails in one line, the buyer's
history does not say "told", ops are alerted once when it is given up, and `retry` delivers each
message once after the fix. The outbox folder is made unusable the way a full or broken disk is
seen here (a file where the folder should be: root ignores permission bits)."""

from __future__ import annotations

import pytest

from fulfil.core.status import OrderStatus as S
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import ingest, rows_of
from fulfil.usecases.notify import MAX_ATTEMPTS, Undelivered, check_delivered, send_pending
from tests.conftest import EXAMPLES, NOW


def _told(svc: Deps, order_id: str) -> list[bool]:
    return [h.notified for h in svc.store.get(order_id).history]


def test_an_unusable_outbox_fails_the_pass_alerts_ops_once_and_retry_delivers_once(svc: Deps) -> None:
    svc.clock = lambda: NOW
    outbox = svc.settings.home / "outbox"
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder")
    ingest(svc, rows_of(svc, svc.source(EXAMPLES / "orders.csv").read()))
    queued = {(m.order_id, m.kind) for m in svc.store.messages()}
    # Orders whose move (to needs_info, to awaiting_payment) is the buyer's message.
    asked = {o.order_id for o in svc.store.list({S.NEEDS_INFO, S.AWAITING_PAYMENT})} & {o for o, _ in queued}
    assert len(asked) >= 3

    first = send_pending(svc)
    assert first.sent == [] and len(first.retry_later) == len(queued)
    with pytest.raises(Undelivered) as said:
        check_delivered(first)
    line = str(said.value)
    assert "\n" not in line and f"{len(queued)} message(s) not delivered" in line and "cannot write" in line
    # Queued but not delivered: no history entry says the buyer was told.
    assert not any(any(_told(svc, o)) for o in asked)

    for _ in range(MAX_ATTEMPTS - 1):
        send_pending(svc)
    assert {m.state for m in svc.store.messages() if (m.order_id, m.kind) in queued} == {"failed"}
    alerts = [m for m in svc.store.messages() if m.kind.startswith("undelivered:")]
    assert {(m.order_id, m.kind.split(":", 1)[1]) for m in alerts} == queued  # one per message given up
    assert {m.recipient for m in alerts} == {svc.settings.ops_email}
    # Given up: later passes leave them alone (the alerts, failing through the same folder, wait).
    assert send_pending(svc).sent == []

    # The folder is fixed; ops resend everything that failed.
    outbox.unlink()
    requeued = svc.store.retry_failed()
    report = send_pending(svc)
    check_delivered(report)
    assert {(m.order_id, m.kind) for m in requeued} == queued
    assert len(report.sent) == len(queued) + len(alerts)  # the alerts were still queued
    files = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(files) == len(queued) + len(alerts)
    assert all(any(_told(svc, o)) for o in asked)
    assert svc.store.retry_failed() == [] and send_pending(svc).sent == []
