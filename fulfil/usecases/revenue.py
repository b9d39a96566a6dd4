"""The money side of the shop's report: revenue per day, per service and per division, cash on
delivery still to collect, refunds and returns. Rupiah as Indonesians write it (Rp150.000).

Revenue counts what buyers paid: paid orders (cash on delivery once collected) that were not
cancelled, by the day they were received, less their refunds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from fulfil.core.deadlines import in_zone
from fulfil.core.money import rupiah
from fulfil.core.order import Order
from fulfil.core.status import OrderStatus
from fulfil.usecases.deps import Deps
from fulfil.usecases.invoicing import total_of
from fulfil.usecases.markdown import md_table

_GONE = (OrderStatus.CANCELLED,)


def money_lines(svc: Deps, orders: Iterable[Order], start: datetime) -> list[str]:
    """Markdown sections for the report (see fulfil/usecases/report.py)."""
    by_day: dict[str, int] = defaultdict(int)
    by_service: dict[str, int] = defaultdict(int)
    by_division: dict[str, int] = defaultdict(int)
    cod_open: list[tuple[str, int]] = []
    returns: list[tuple[str, int, str]] = []
    for order in orders:
        amount = total_of(svc, order)
        if order.cod and not order.paid and order.status not in (*_GONE, OrderStatus.REFUNDED):
            cod_open.append((order.order_id, amount))
        returns += [(order.order_id, r.number, r.outcome or "open") for r in order.returns if r.at >= start]
        if not order.paid or order.status in _GONE or not amount:
            continue
        earned = amount - sum(r.amount for r in order.refunds)
        service = svc.catalogue.get(order.service_code)
        day = in_zone(order.received_at, svc.tz).date().isoformat() if order.received_at else "-"
        by_day[day] += earned
        by_service[order.service_code] += earned
        by_division[svc.catalogue.division_of(service).name if service else "-"] += earned
    lines = ["", f"## Pendapatan / Revenue: {rupiah(sum(by_day.values()))}", ""]
    for label, sums in (
        ("hari / day", by_day),
        ("layanan / service", by_service),
        ("divisi / division", by_division),
    ):
        if sums:
            lines += md_table([label, "rupiah"], [[k, rupiah(v)] for k, v in sorted(sums.items())])
    lines += [
        f"## COD belum tertagih / Cash on delivery to collect: {len(cod_open)} "
        f"({rupiah(sum(a for _, a in cod_open))})",
        "",
        *[f"- {oid}: {rupiah(a)}" for oid, a in cod_open],
        "",
        f"## Retur / Returns: {len(returns)}",
        "",
        *[f"- {oid} retur / return #{n}: {outcome}" for oid, n, outcome in returns],
    ]
    return lines
