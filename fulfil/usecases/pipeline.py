"""The pipeline's order, written once: intake, the watch, one order's advance and the deadline sweep
as sequences of steps.

Who runs a step is the caller's choice: `DirectSteps` calls each use case in plain Python (the
benchmark's baseline, the tests, the CLI's store-only paths); the flows pass `tasks.steps.TaskSteps`,
which runs the same step as a Prefect task (retries, a name in the UI, a log line, artifacts). So
production, the benchmark and the tests run one pipeline, and a change to it is made here.

Every step picks up whatever is at its status, so an order a crash left between two steps moves
on at the next run of any of these.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from fulfil.core.needs_action import NeedsAction
from fulfil.usecases import attention, crm, dispatch, notify, proofs, summary, traces
from fulfil.usecases import intake as intake_uc
from fulfil.usecases import sweep as sweep_uc
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import IntakeReport
from fulfil.usecases.notify import SendReport
from fulfil.usecases.proofs import Scan
from fulfil.usecases.sweep import SweepReport


class Steps(Protocol):
    """One method per step; each is safe to repeat (see each use case)."""

    def history_mark(self) -> int: ...
    def ingest(self, source: str | None) -> IntakeReport: ...
    def dispatch(self, order_ids: list[str] | None) -> list[str]: ...
    def scan_proof_folders(self, order_ids: list[str] | None) -> Scan: ...
    def judge_proofs(self, scan: Scan) -> list[str]: ...
    def sync_crm_rows(self) -> list[str]: ...
    def mark_recorded(self, order_ids: list[str]) -> list[str]: ...
    def complete_orders(self, order_ids: list[str] | None) -> list[str]: ...
    def send_outbox(self) -> SendReport: ...
    def sweep_deadlines(self, at: datetime | None) -> SweepReport: ...
    def publish_summary(self, order_ids: list[str], title: str) -> None: ...
    def publish_order_traces(self, mark: int) -> int: ...
    def check_delivery(self, report: SendReport) -> None: ...
    def alert_needing_action(self) -> list[NeedsAction]: ...
    def publish_needing_action(self, found: list[NeedsAction]) -> None: ...


def intake(steps: Steps, source: str | None = None) -> dict[str, Any]:
    """Read the form export, upsert orders by ID, dispatch every valid paid one, tell buyers.

    A file of a folder that cannot be read fails the run at its end (FilesNotRead), once the
    other files' orders went the whole way: one broken download never holds up the rest."""
    mark = steps.history_mark()
    report = steps.ingest(source)
    # Nothing read: still dispatch what waits (a run that died after taking the rows in).
    waiting = None if report.source_unchanged else report.order_ids
    dispatched = steps.dispatch(waiting)
    sent = steps.send_outbox()
    steps.publish_summary(report.order_ids, "Orders touched by this intake")
    steps.publish_order_traces(mark)
    try:
        steps.check_delivery(sent)
    except notify.Undelivered as undelivered:
        intake_uc.check_every_file_read(report, also=str(undelivered))
        raise
    intake_uc.check_every_file_read(report)
    return {
        "rows": report.rows,
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "change_ignored": report.change_ignored,
        "edited": report.edited,
        "held_duplicates": len(report.held_duplicates),
        "dispatched": len(dispatched),
        # For the command to print: the orders whose row left its export (IDs), and the headers
        # that nearly name a column ("pesanan.csv: No WhatsApp → did you mean …"): no buyer data.
        "gone": report.gone,
        "warnings": report.warnings,
    }


def after_dispatch(steps: Steps, order_ids: list[str] | None, mark: int) -> list[str]:
    """Proof → CRM row → completed → buyer told, for these orders (None: every order), then each
    changed order's trace from history `mark` on."""
    steps.judge_proofs(steps.scan_proof_folders(order_ids))
    steps.mark_recorded(steps.sync_crm_rows())
    done = steps.complete_orders(order_ids)
    sent = steps.send_outbox()
    # The rows now show the final status and when the buyer was told.
    steps.sync_crm_rows()
    steps.publish_order_traces(mark)
    steps.check_delivery(sent)
    return done


def watch(steps: Steps) -> list[str]:
    """One pass of the proof watch over every waiting order; the orders completed."""
    return after_dispatch(steps, None, steps.history_mark())


def advance(steps: Steps, order_id: str) -> list[str]:
    """Take one order as far as it can go now; [order_id] if it completed."""
    mark = steps.history_mark()
    steps.dispatch([order_id])
    return after_dispatch(steps, [order_id], mark)


def move_on(steps: Steps, order_ids: list[str], mark: int) -> SendReport:
    """Orders a person let go on (a restock gave them their units): each one's proof folder, its
    division's work order, the messages out, then the traces from history `mark` on."""
    steps.dispatch(order_ids)
    sent = steps.send_outbox()
    steps.publish_order_traces(mark)
    return sent


def sweep(steps: Steps, at: datetime | None = None) -> dict[str, list[str]]:
    """The deadline ladder's due rungs for every order, each once; `at` as if it were then."""
    mark = steps.history_mark()
    report = steps.sweep_deadlines(at)
    needs = steps.alert_needing_action()
    sent = steps.send_outbox()
    if report.flagged:
        steps.publish_summary(report.flagged, "Orders that passed their deadline in this sweep")
    steps.publish_needing_action(needs)
    steps.publish_order_traces(mark)
    steps.check_delivery(sent)
    return {
        "flagged": report.flagged,
        "queued": report.queued,
        "skipped": report.skipped,
        "needs_action": sorted({n.order_id for n in needs}),
    }


class DirectSteps:
    """Each step as plain calls of its use cases. The Prefect tasks run these same methods."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def history_mark(self) -> int:
        return traces.history_mark(self.deps)

    def ingest(self, source: str | None) -> IntakeReport:
        deps = self.deps
        opened = deps.source(Path(source) if source else None)
        revision = intake_uc.new_revision(deps, opened)
        if revision == intake_uc.UNCHANGED:
            return IntakeReport(source_unchanged=True)
        report = intake_uc.take_in(deps, opened.read())
        if not report.bad_files:
            # A refused sheet is read again next time though it did not change: the fix may be
            # a name added to configs/source_columns.yaml.
            intake_uc.read_up_to(deps, revision)
        return report

    def dispatch(self, order_ids: list[str] | None) -> list[str]:
        return dispatch.dispatch_ready(self.deps, order_ids)

    def scan_proof_folders(self, order_ids: list[str] | None) -> Scan:
        return proofs.scan_proof_folders(self.deps, proofs.orders_to_watch(self.deps, order_ids))

    def judge_proofs(self, scan: Scan) -> list[str]:
        received = proofs.judge_proofs(self.deps, scan.found)
        # Only after judging: a crash in between reads the same changes again.
        proofs.save_cursor(self.deps, scan.cursor)
        return received

    def sync_crm_rows(self) -> list[str]:
        return crm.sync_crm_rows(self.deps)

    def mark_recorded(self, order_ids: list[str]) -> list[str]:
        return crm.mark_recorded(self.deps, order_ids)

    def complete_orders(self, order_ids: list[str] | None) -> list[str]:
        return notify.complete_orders(self.deps, notify.to_complete(self.deps, order_ids))

    def send_outbox(self) -> SendReport:
        return notify.send_pending(self.deps)

    def sweep_deadlines(self, at: datetime | None) -> SweepReport:
        return sweep_uc.sweep_orders(self.deps, now=at)

    def publish_summary(self, order_ids: list[str], title: str) -> None:
        # Without Prefect there is no UI to publish to; the rows are made all the same, so the
        # benchmark's plain baseline does the work the flow's artifact needs.
        summary.order_rows(self.deps, order_ids[: summary.SUMMARY_ROWS])

    def publish_order_traces(self, mark: int) -> int:
        return 0  # the traces are Prefect artifacts: nothing to write without Prefect

    def check_delivery(self, report: SendReport) -> None:
        notify.check_delivered(report)

    def alert_needing_action(self) -> list[NeedsAction]:
        return attention.alert_needing_action(self.deps)

    def publish_needing_action(self, found: list[NeedsAction]) -> None:
        pass  # a Prefect artifact: nothing to publish to without Prefect
