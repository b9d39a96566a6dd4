"""The shop's report, computed with pandas from the order store: what managers ask in a week.

Orders by status; on-time rate per service and per division; median and p90 hours from dispatch
to proof and from proof to the buyer being told; open orders past or near their deadline;
rejected proofs and failed messages. Written as CSV, Markdown and a PNG chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from fulfil.bootstrap import Services
from fulfil.core.deadlines import in_zone, show
from fulfil.core.order import Order
from fulfil.core.status import FINAL, OrderStatus
from integrations.store.store import FAILED

NEAR = timedelta(hours=24)


@dataclass(frozen=True)
class Report:
    csv: Path
    markdown: Path
    chart: Path
    summary: str


def order_frame(svc: Services, since: datetime) -> pd.DataFrame:
    """One row per order received since `since`, with the moments the report measures."""
    told = {m.order_id: m.sent_at for m in svc.store.messages() if m.kind == "completed" and m.sent_at}
    rows = []
    for order in svc.store.list():
        if order.received_at is not None and order.received_at < since:
            continue
        service = svc.catalogue.get(order.service_code)
        rows.append(
            {
                "order_id": order.order_id,
                "service": order.service_code,
                "division": svc.catalogue.division_of(service).name if service else "",
                "status": str(order.status),
                "deadline": order.deadline,
                "overdue": order.overdue,
                "dispatched_at": _first(order, OrderStatus.DISPATCHED),
                "proof_at": _first(order, OrderStatus.PROOF_RECEIVED),
                "completed_at": _first(order, OrderStatus.COMPLETED),
                "told_at": told.get(order.order_id),
                "rejected_proofs": sum(1 for p in order.proofs if not p.accepted),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in ("deadline", "dispatched_at", "proof_at", "completed_at", "told_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["hours_to_proof"] = (frame["proof_at"] - frame["dispatched_at"]).dt.total_seconds() / 3600
    frame["hours_to_told"] = (frame["told_at"] - frame["proof_at"]).dt.total_seconds() / 3600
    frame["on_time"] = frame["completed_at"].notna() & ~frame["overdue"]
    return frame


def _first(order: Order, status: OrderStatus) -> datetime | None:
    return next((h.at for h in order.history if h.status == status), None)


def write_report(svc: Services, *, since: timedelta = timedelta(days=14), out: Path | None = None) -> Report:
    now = svc.clock()
    frame = order_frame(svc, now - since)
    day = in_zone(now, svc.tz).date().isoformat()
    folder = out or svc.settings.home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, md_path, png_path = (folder / f"report-{day}.{ext}" for ext in ("csv", "md", "png"))
    frame.to_csv(csv_path, index=False)
    summary = _markdown(svc, frame, now, since)
    md_path.write_text(summary, encoding="utf-8")
    _chart(frame, png_path, svc.tz)
    return Report(csv_path, md_path, png_path, summary)


def _markdown(svc: Services, frame: pd.DataFrame, now: datetime, since: timedelta) -> str:
    lines = [f"# Laporan / Report — {show(now, svc.tz)} (last {since.days} days)", ""]
    if frame.empty:
        return "\n".join([*lines, "No orders in this period.", ""])
    lines += ["## Orders by status", "", _table(frame.groupby("status").size().rename("orders").to_frame())]
    done = frame[frame["completed_at"].notna()]
    if not done.empty:
        for key in ("service", "division"):
            rate = done.groupby(key)["on_time"].mean().mul(100).round(1).rename("on-time %")
            lines += [f"## On-time rate per {key}", "", _table(rate.to_frame())]
    timing = {
        "dispatch → proof (h)": frame["hours_to_proof"].dropna(),
        "proof → buyer told (h)": frame["hours_to_told"].dropna(),
    }
    lines += ["## Times", "", "| step | median | p90 |", "|---|---|---|"]
    for name, values in timing.items():
        if values.empty:
            lines.append(f"| {name} | - | - |")
        else:
            lines.append(f"| {name} | {values.median():.1f} | {values.quantile(0.9):.1f} |")
    open_ = frame[~frame["status"].isin([str(s) for s in FINAL]) & frame["deadline"].notna()]
    late = open_[open_["deadline"] <= pd.Timestamp(now + NEAR)]
    lines += ["", f"## Open orders past or within 24 h of their deadline: {len(late)}", ""]
    lines += [
        f"- {r.order_id} {r.service} ({r.status}), deadline {show(r.deadline.to_pydatetime(), svc.tz)}"
        for r in late.itertuples()
    ]
    failed = [m for m in svc.store.messages() if m.state == FAILED]
    lines += [
        "",
        f"## Rejected proofs: {int(frame['rejected_proofs'].sum())}; failed messages: {len(failed)}",
        "",
    ]
    lines += [f"- {m.order_id} {m.kind}: {m.error[:120]}" for m in failed]
    return "\n".join(lines) + "\n"


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join([frame.index.name or "", *map(str, frame.columns)]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = [
        "| " + " | ".join([str(i), *map(str, row)]) + " |"
        for i, row in zip(frame.index, frame.values, strict=True)
    ]
    return "\n".join([header, rule, *body, ""])


def _chart(frame: pd.DataFrame, path: Path, tz: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib import pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    done = frame[frame["completed_at"].notna()] if not frame.empty else frame
    if not done.empty:
        days = done["completed_at"].dt.tz_convert(tz).dt.date
        counts = done.assign(day=days, result=done["on_time"].map({True: "on time", False: "late"}))
        table = (
            counts.groupby(["day", "division", "result"]).size().unstack(["division", "result"], fill_value=0)
        )
        table.plot(kind="bar", stacked=True, ax=left)
    left.set_title("Completed per day: on time vs late, per division")
    hours = frame["hours_to_proof"].dropna() if not frame.empty else pd.Series(dtype=float)
    if not hours.empty:
        right.hist(hours, bins=20)
    right.set_title("Hours from dispatch to proof")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
