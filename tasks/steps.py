"""The pipeline's steps as Prefect tasks, for the flows: the same steps as
fulfil.usecases.pipeline.DirectSteps, each a task run with its retries, name and log line."""

from __future__ import annotations

from datetime import datetime

from fulfil.core.needs_action import NeedsAction
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import IntakeReport
from fulfil.usecases.notify import SendReport
from fulfil.usecases.proofs import Scan
from fulfil.usecases.sweep import SweepReport
from tasks import attention, crm, dispatch, intake, notify, proofs, report, sweep, traces


class TaskSteps:
    """Satisfies fulfil.usecases.pipeline.Steps; built once per flow run with that run's deps."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def history_mark(self) -> int:
        return traces.history_mark(self.deps)

    def ingest(self, source: str | None) -> IntakeReport:
        return intake.ingest_orders(self.deps, source)

    def dispatch(self, order_ids: list[str] | None) -> list[str]:
        return dispatch.dispatch_orders(self.deps, order_ids)

    def scan_proof_folders(self, order_ids: list[str] | None) -> Scan:
        return proofs.scan_proof_folders(self.deps, order_ids)

    def judge_proofs(self, scan: Scan) -> list[str]:
        return proofs.judge_proofs(self.deps, scan)

    def sync_crm_rows(self) -> list[str]:
        return crm.sync_crm_rows(self.deps)

    def mark_recorded(self, order_ids: list[str]) -> list[str]:
        return crm.mark_recorded(self.deps, order_ids)

    def complete_orders(self, order_ids: list[str] | None) -> list[str]:
        return notify.complete_orders(self.deps, order_ids)

    def send_outbox(self) -> SendReport:
        return notify.send_outbox(self.deps)

    def sweep_deadlines(self, at: datetime | None) -> SweepReport:
        return sweep.sweep_deadlines(self.deps, at)

    def publish_summary(self, order_ids: list[str], title: str) -> None:
        report.publish_summary(self.deps, order_ids, title)

    def publish_order_traces(self, mark: int) -> int:
        return traces.publish_order_traces(self.deps, mark)

    def check_delivery(self, report: SendReport) -> None:
        notify.check_delivery(report)

    def alert_needing_action(self) -> list[NeedsAction]:
        return attention.alert_needing_action(self.deps)

    def publish_needing_action(self, found: list[NeedsAction]) -> None:
        attention.publish_needing_action(self.deps, found)
