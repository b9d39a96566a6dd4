"""The shop's report, computed with pandas from the order store: what managers ask in a week.

Orders by status; on-time rate per service and per division; median and p90 hours from dispatch
to proof and from proof to the buyer being told; open orders past or near their deadline;
rejected proofs and failed messages. Written as CSV, Markdown and a PNG chart, then put on the
report shelf (Drive's `Laporan` folder when Google is configured).

The period is the orders received in the last `since`. An order is on time when it was completed
by its deadline (an order without a deadline cannot be late). Medians and p90s interpolate
linearly between orders (pandas' default), so ten orders of 1…10 hours give 5.5 and 9.1.
Labels are in Bahasa Indonesia with English after a slash; every time is in the shop's zone. The
report holds order IDs, services, statuses and numbers: no buyer data.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd

from fulfil.core.deadlines import in_zone, show
from fulfil.core.money import rupiah
from fulfil.core.order import Order
from fulfil.core.status import FINAL, OrderStatus
from fulfil.usecases.deps import Deps
from fulfil.usecases.markdown import md_table
from fulfil.usecases.revenue import money_lines
from integrations.ports import FAILED

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.axes import Axes

DEFAULT_SINCE = timedelta(days=14)
NEAR = timedelta(hours=24)
TIMES = ("deadline", "dispatched_at", "proof_at", "completed_at", "told_at")
COLUMNS = [
    "order_id",
    "service",
    "division",
    "status",
    "received_at",
    *TIMES,
    "overdue",
    "rejected_proofs",
]
NO_ORDERS = "Tidak ada pesanan dalam periode ini. / No orders in this period."
NONE_COMPLETED = "Belum ada pesanan selesai dalam periode ini. / No orders completed in this period."
STEPS = {
    "hours_to_proof": "kirim → bukti / dispatch → proof",
    "hours_to_told": "bukti → pembeli diberi tahu / proof → buyer told",
}
# A failed message's error may quote the address it was for: the report shows neither.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")


@dataclass(frozen=True)
class Report:
    csv: Path
    markdown: Path
    chart: Path
    summary: str
    # On-time counts per service, then per division: the table managers see in the Prefect UI.
    on_time: list[dict[str, str | int | float]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # file name -> where the shelf put it

    @property
    def files(self) -> list[Path]:
        return [self.csv, self.markdown, self.chart]


def order_frame(svc: Deps, since: datetime) -> pd.DataFrame:
    """One row per order received since `since`, with the moments the report measures (UTC)."""
    orders = [o for o in svc.store.list() if o.received_at is None or o.received_at >= since]
    told = svc.store.sent_times([o.order_id for o in orders], "completed")
    rows = []
    for order in orders:
        service = svc.catalogue.get(order.service_code)
        rows.append(
            {
                "order_id": order.order_id,
                "service": order.service_code,
                "division": svc.catalogue.division_of(service).name if service else "-",
                "status": str(order.status),
                "received_at": order.received_at,
                "deadline": order.deadline,
                "dispatched_at": _first(order, OrderStatus.DISPATCHED),
                "proof_at": _first(order, OrderStatus.PROOF_RECEIVED),
                "completed_at": _first(order, OrderStatus.COMPLETED),
                "told_at": told.get(order.order_id),
                "overdue": order.overdue,
                "rejected_proofs": sum(1 for p in order.proofs if not p.accepted),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("received_at", *TIMES):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["rejected_proofs"] = frame["rejected_proofs"].astype(int)
    frame["hours_to_proof"] = (frame["proof_at"] - frame["dispatched_at"]).dt.total_seconds() / 3600
    frame["hours_to_told"] = (frame["told_at"] - frame["proof_at"]).dt.total_seconds() / 3600
    completed = frame["completed_at"].notna()
    by_deadline = frame["deadline"].isna() | (frame["completed_at"] <= frame["deadline"])
    # Empty for an order not completed: it is neither on time nor late yet.
    frame["on_time"] = (by_deadline & ~frame["overdue"]).astype("boolean").mask(~completed)
    return frame


def _first(order: Order, status: OrderStatus) -> datetime | None:
    return next((h.at for h in order.history if h.status == status), None)


def write_report(svc: Deps, *, since: timedelta = DEFAULT_SINCE, out: Path | None = None) -> Report:
    """Write the report's files and put them on the report shelf (Drive's `Laporan`, if configured)."""
    made = render_report(svc, since=since, out=out)
    return dataclasses.replace(made, links=shelve(svc, made.files))


def shelve(svc: Deps, files: Sequence[Path]) -> dict[str, str]:
    """Put written report files on the shelf; safe to repeat (same names are replaced)."""
    return svc.report_shelf.put(files)


def render_report(svc: Deps, *, since: timedelta = DEFAULT_SINCE, out: Path | None = None) -> Report:
    """Write `report-<day>.csv`, `.md`, `.png` (day in the shop's zone) to `out` or $FULFIL_HOME/reports."""
    now = svc.clock()
    frame = order_frame(svc, now - since)
    folder = out or reports_folder(svc)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"report-{in_zone(now, svc.tz).date().isoformat()}"
    csv_path, md_path, png_path = (folder / f"{stem}.{ext}" for ext in ("csv", "md", "png"))
    on_time = on_time_rows(frame)
    summary = _markdown(svc, frame, on_time, now, since)
    # Each file written whole beside and renamed: a second report run (or the digest reading the
    # chart) at the same moment never sees half a file.
    with _replacing(csv_path) as tmp:
        _in_zone(frame, svc.tz).to_csv(tmp, index=False)
    with _replacing(md_path) as tmp:
        tmp.write_text(summary, encoding="utf-8")
    with _replacing(png_path) as tmp:
        _chart(frame, tmp, svc.tz, title=_title(svc, now, since))
    return Report(csv_path, md_path, png_path, summary, on_time)


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def reports_folder(svc: Deps) -> Path:
    return svc.settings.home / "reports"


def chart_png(svc: Deps, day: date, *, since: timedelta = DEFAULT_SINCE) -> tuple[str, bytes]:
    """The chart for `day`: the one the daily report wrote that day, else drawn now (nothing written)."""
    path = reports_folder(svc) / f"report-{day.isoformat()}.png"
    if path.is_file():
        return path.name, path.read_bytes()
    now = svc.clock()
    drawn = BytesIO()
    _chart(order_frame(svc, now - since), drawn, svc.tz, title=_title(svc, now, since))
    return path.name, drawn.getvalue()


def on_time_rows(frame: pd.DataFrame) -> list[dict[str, str | int | float]]:
    """Completed orders on time and late, per service and then per division."""
    done = frame[frame["completed_at"].notna()]
    rows: list[dict[str, str | int | float]] = []
    for key, label in (("service", "layanan / service"), ("division", "divisi / division")):
        for name, group in done.groupby(key, sort=True):
            total, in_time = len(group), int(group["on_time"].sum())
            rows.append(
                {
                    "per": label,
                    "nama / name": str(name),
                    "selesai / completed": total,
                    "tepat waktu / on time": in_time,
                    "terlambat / late": total - in_time,
                    "tepat waktu % / on-time %": round(100 * in_time / total, 1),
                }
            )
    return rows


def _in_zone(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The frame as the CSV shows it: times in the shop's zone (with their offset), hours rounded."""
    shown = frame.copy()
    for column in ("received_at", *TIMES):
        shown[column] = shown[column].dt.tz_convert(tz)
    return shown.round({"hours_to_proof": 2, "hours_to_told": 2})


def _title(svc: Deps, now: datetime, since: timedelta) -> str:
    days = since.days
    return f"Laporan / Report — {show(now, svc.tz)} ({days} hari terakhir / last {days} days)"


def _markdown(
    svc: Deps,
    frame: pd.DataFrame,
    on_time: list[dict[str, str | int | float]],
    now: datetime,
    since: timedelta,
) -> str:
    lines = [
        f"# {_title(svc, now, since)}",
        "",
        f"Pesanan diterima sejak / Orders received since {show(now - since, svc.tz)}: {len(frame)}",
        "",
    ]
    if frame.empty:
        return "\n".join([*lines, NO_ORDERS, ""])
    counts = frame.groupby("status").size()
    lines += [
        "## Pesanan per status / Orders by status",
        "",
        *md_table(["status", "pesanan / orders"], [[s, int(n)] for s, n in counts.items()]),
    ]
    lines += [
        "## Tepat waktu / On time",
        "",
        "Tepat waktu = selesai sebelum tenggat / on time = completed by the deadline.",
        "",
    ]
    if not on_time:
        lines += [NONE_COMPLETED, ""]
    for label in ("layanan / service", "divisi / division"):
        rows = [r for r in on_time if r["per"] == label]
        if rows:
            header = [label, *[k for k in rows[0] if k not in ("per", "nama / name")]]
            body = [
                [r["nama / name"], *[v for k, v in r.items() if k not in ("per", "nama / name")]]
                for r in rows
            ]
            lines += md_table(header, body)
    lines += ["## Waktu (jam) / Times (hours)", ""]
    timing = []
    for column, step in STEPS.items():
        hours = frame[column].dropna()
        if hours.empty:
            timing.append([step, 0, "-", "-"])
        else:
            timing.append([step, len(hours), f"{hours.median():.1f}", f"{hours.quantile(0.9):.1f}"])
    lines += md_table(["langkah / step", "pesanan / orders", "median", "p90"], timing)
    lines += _near_deadline(svc, frame, now)
    lines += _problems(svc, frame, now - since)
    lines += _after_sale(svc, frame, now - since)
    lines += money_lines(svc, svc.store.get_many(list(frame["order_id"])), now - since)
    return "\n".join(lines) + "\n"


def _after_sale(svc: Deps, frame: pd.DataFrame, start: datetime) -> list[str]:
    """Claims opened and refunds made in the period, on the orders of the report."""
    orders = svc.store.get_many(list(frame["order_id"]))
    claims = [(o.order_id, c) for o in orders for c in o.claims if c.at >= start]
    refunds = [(o.order_id, r) for o in orders for r in o.refunds if r.at >= start]
    total = sum(r.amount for _, r in refunds)
    lines = [
        "",
        f"## Klaim / Claims: {len(claims)}; refund / refunds: {len(refunds)} ({rupiah(total)})",
        "",
    ]
    lines += [
        f"- {oid} klaim / claim #{c.number}: {'selesai / done' if c.done_at else 'dikerjakan / in rework'}"
        for oid, c in claims
    ]
    lines += [
        f"- {oid} refund #{r.number}: {rupiah(r.amount)} ({'full' if r.full else 'partial'})"
        for oid, r in refunds
    ]
    return lines


def _near_deadline(svc: Deps, frame: pd.DataFrame, now: datetime) -> list[str]:
    open_ = frame[~frame["status"].isin([str(s) for s in FINAL]) & frame["deadline"].notna()]
    near = open_[open_["deadline"] <= pd.Timestamp(now + NEAR)].sort_values("deadline")
    lines = [
        "## Pesanan terbuka lewat atau ≤ 24 jam dari tenggat / "
        f"Open orders past or within 24 h of their deadline: {len(near)}",
        "",
    ]
    for r in near.itertuples():
        deadline = r.deadline.to_pydatetime()
        when = "lewat / past" if deadline < now else "≤ 24 jam / within 24 h"
        lines.append(
            f"- {r.order_id} {r.service} ({r.status}), tenggat / deadline {show(deadline, svc.tz)}: {when}"
        )
    return [*lines, ""]


def _problems(svc: Deps, frame: pd.DataFrame, start: datetime) -> list[str]:
    ids = set(frame["order_id"])
    failed = [
        m
        for m in svc.store.messages()
        if m.state == FAILED
        and (m.order_id in ids or (m.created_at is not None and _utc(m.created_at) >= start))
    ]
    lines = [
        f"## Bukti ditolak / Rejected proofs: {int(frame['rejected_proofs'].sum())}; "
        f"pesan gagal / failed messages: {len(failed)}",
        "",
    ]
    lines += [f"- {m.order_id} {m.kind}: {_scrub(m.error)[:120]}" for m in failed]
    return lines


def _utc(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp


def _scrub(error: str) -> str:
    return _PHONE.sub("<telepon/phone>", _EMAIL.sub("<email>", error))


def _chart(frame: pd.DataFrame, target: Path | BinaryIO, tz: str, *, title: str) -> None:
    """Left: completed orders per day (shop's zone), on time and late, per division. Right: hours
    from dispatch to proof, with the median and p90 marked. An empty side says so."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib import pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    fig.suptitle(title)
    _per_day(left, frame[frame["completed_at"].notna()], tz)
    _time_to_proof(right, frame["hours_to_proof"].dropna())
    fig.tight_layout()
    fig.savefig(target, format="png", dpi=100)
    plt.close(fig)


def _per_day(ax: Axes, done: pd.DataFrame, tz: str) -> None:
    ax.set_title("Selesai per hari: tepat waktu vs terlambat\nCompleted per day: on time vs late")
    ax.set_ylabel("pesanan / orders")
    if done.empty:
        _no_data(ax)
        return
    local = done["completed_at"].dt.tz_convert(tz)
    zone = local.iloc[0].tzname() or tz
    counts = (
        done.assign(day=local.dt.date, on_time=done["on_time"].astype(bool))
        .groupby(["day", "division", "on_time"])
        .size()
    )
    first, last = min(d for d, _, _ in counts.index), max(d for d, _, _ in counts.index)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]  # quiet days show as gaps
    positions = range(len(days))
    bottom = [0] * len(days)
    from matplotlib import rcParams

    cycle = rcParams["axes.prop_cycle"].by_key()["color"]
    for n, division in enumerate(sorted({v for _, v, _ in counts.index})):
        colour = cycle[n % len(cycle)]  # one colour per division; late is the same colour, hatched
        for in_time, label, hatch in ((True, "tepat waktu / on time", ""), (False, "terlambat / late", "//")):
            heights = [int(counts.get((d, division, in_time), 0)) for d in days]
            if not any(heights):
                continue
            ax.bar(
                positions,
                heights,
                bottom=bottom,
                color=colour,
                alpha=1.0 if in_time else 0.45,
                hatch=hatch,
                edgecolor="black",
                linewidth=0.4,
                label=f"{division} · {label}",
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(list(positions), [d.strftime("%d/%m") for d in days])
    ax.set_xlabel(f"tanggal / date ({zone})")
    _legend_above_bars(ax)


def _time_to_proof(ax: Axes, hours: pd.Series) -> None:
    ax.set_title("Jam dari kirim ke bukti\nHours from dispatch to proof")
    ax.set_xlabel("jam / hours")
    ax.set_ylabel("pesanan / orders")
    if hours.empty:
        _no_data(ax)
        return
    ax.hist(hours, bins=min(20, max(5, len(hours))), color="tab:blue", edgecolor="white")
    for value, label, style in ((hours.median(), "median", "-"), (hours.quantile(0.9), "p90", "--")):
        ax.axvline(value, color="black", linestyle=style, linewidth=1, label=f"{label} {value:.1f} jam / h")
    _legend_above_bars(ax)


def _legend_above_bars(ax: Axes) -> None:
    ax.set_ylim(0, ax.get_ylim()[1] * 1.35)  # head room so the legend hides no bar
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize="small", loc="upper left")


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "Tidak ada data / No data", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
