"""The flows as deployments with schedules, served from this process."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.daily_digest import daily_digest
from flows.daily_report import daily_report
from flows.deadline_sweep import deadline_sweep
from flows.intake import intake
from flows.watch_proofs import watch_proofs


def serve_all(intake_every: int, watch_every: int, sweep_every: int, timezone: str) -> None:
    serve(
        intake.to_deployment(name="intake", interval=intake_every, tags=["fulfil", "intake"]),
        watch_proofs.to_deployment(name="watch-proofs", interval=watch_every, tags=["fulfil", "proofs"]),
        deadline_sweep.to_deployment(
            name="deadline-sweep", interval=sweep_every, tags=["fulfil", "deadlines"]
        ),
        # 08:00 in the shop's zone, whatever zone the server runs in.
        daily_digest.to_deployment(
            name="daily-digest", schedules=[Cron("0 8 * * *", timezone=timezone)], tags=["fulfil", "ops"]
        ),
        daily_report.to_deployment(
            name="daily-report", schedules=[Cron("0 7 * * *", timezone=timezone)], tags=["fulfil", "reports"]
        ),
    )
