"""The daily digest for ops: counts by status, overdue open orders, messages that failed.

Sent at most once per day: a cursor row marks the day as sent after the send, so a crash in
between resends the same message (same Message-ID), never a different one. The daily report's
chart rides along inline (the day's PNG if the report already ran, else drawn for the message),
under a content ID named for the day, so a resend carries the same picture reference too.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import date

from fulfil.core.deadlines import in_zone, show
from fulfil.core.status import FINAL, OrderStatus
from fulfil.usecases import stock
from fulfil.usecases.attention import needing_action
from fulfil.usecases.deps import Deps
from fulfil.usecases.report import chart_png
from integrations.ports import FAILED, Envelope, InlineImage


def digest_key(day: date) -> str:
    return f"digest:{day.isoformat()}"


def send_digest(svc: Deps, day: date | None = None) -> bool:
    """Send the digest for `day` (today in the shop's zone) unless it was sent already."""
    day = day or in_zone(svc.clock(), svc.tz).date()
    key = digest_key(day)
    owner = svc.claimant()
    # Claimed first: `fulfil digest` typed while the scheduled run goes sends one digest.
    if not svc.store.claim_cursor(key, owner):
        return False
    try:
        _send(svc, day, key)
    except BaseException:
        svc.store.release_cursor(key, owner)  # the next run tries again
        raise
    svc.store.set_cursor(key, svc.clock().isoformat())
    return True


def _send(svc: Deps, day: date, key: str) -> None:
    orders = svc.store.list()
    counts = Counter(str(o.status) for o in orders)
    overdue = [
        {
            "order_id": o.order_id,
            "service_code": o.service_code,
            "status": str(o.status),
            "deadline": show(o.deadline, o.timezone),
        }
        for o in orders
        if o.overdue and o.status not in FINAL
    ]
    failed = [m for m in svc.store.messages() if m.state == FAILED]
    needs = [
        {"order_id": n.order_id, "reason": str(n.reason), "detail": n.detail} for n in needing_action(svc)
    ]
    text = svc.composer.compose_for_ops(
        "digest",
        day=day.strftime("%d/%m/%Y"),
        needs=needs,
        counts={str(s): counts.get(str(s), 0) for s in OrderStatus},
        overdue=overdue,
        failed=[{"order_id": m.order_id, "kind": m.kind, "error": m.error[:200]} for m in failed],
        stock=stock.levels(svc),
    )
    name, png = chart_png(svc, day)
    chart = InlineImage(filename=name, content_id=f"{name}@fulfil.invalid", data=png)
    envelope = Envelope(
        "digest",
        key,
        svc.settings.shop_email,
        svc.settings.ops_email,
        text.subject,
        text.body,
        html=digest_html(text.body, chart),
        inline=(chart,),
    )
    svc.notifier.send(envelope)


def digest_html(body: str, chart: InlineImage) -> str:
    """The text as it is (its columns line up in a fixed-width font), then the chart by `cid:`."""
    alt = "Grafik laporan harian / Daily report chart"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        f'<pre style="font-family: monospace; white-space: pre-wrap">{html.escape(body)}</pre>\n'
        f'<p><img src="cid:{html.escape(chart.content_id)}" alt="{alt}" style="max-width: 100%"></p>\n'
        "</body></html>\n"
    )
