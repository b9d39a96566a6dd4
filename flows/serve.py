"""The flows as deployments, defined once.

`deployments(settings)` is the one list. `fulfil serve` serves it from this process;
`fulfil deploy --pool NAME` registers the same list on a process work pool, for
`prefect worker start --pool NAME`. prefect.yaml holds the same list with the default settings
(tests/e2e/test_serve.py checks it against this one).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.events import TriggerTypes
from prefect.schedules import Cron, Interval, Schedule

from flows import admin as admin_flows
from flows.daily_digest import daily_digest
from flows.daily_report import daily_report
from flows.deadline_sweep import deadline_sweep
from flows.intake import intake
from flows.lookout import trigger
from flows.watch_proofs import watch_proofs
from fulfil.core.errors import ConfigError
from fulfil.core.staff import staff_of
from fulfil.settings import Settings
from integrations.ports import Arrival

if TYPE_CHECKING:
    from fulfil.core.catalogue import Catalogue

# The folder that holds flows/: the repository, or site-packages for a non-editable install.
# A worker's run starts there (prefect.yaml's pull step does the same), so entrypoints such as
# flows/intake.py:intake resolve from it.
CODE_ROOT = Path(__file__).resolve().parent.parent

DIGEST_AT = "0 8 * * *"
REPORT_AT = "0 7 * * *"
REPORT_DAYS = 14


@dataclass(frozen=True)
class Planned:
    """One deployment as a manager sees it in the UI: what it does, when, and with what."""

    flow: Flow[..., Any]
    name: str
    description: str
    tags: list[str]
    schedules: list[Schedule]
    # What the UI's Run button passes; each matches what the CLI command does by default.
    parameters: dict[str, Any] = field(default_factory=dict)
    # A parameter's allowed values, shown as a dropdown in the Custom run form (the staff list).
    choices: dict[str, list[str]] = field(default_factory=dict)
    # What the lookout announces that starts a run at once (flows/lookout.py), besides the schedule.
    arrivals: list[Arrival] = field(default_factory=list)

    @property
    def triggers(self) -> list[TriggerTypes]:
        return [trigger(a) for a in self.arrivals]

    @property
    def entrypoint(self) -> str:
        """`flows/intake.py:intake`, relative to CODE_ROOT, as prefect.yaml writes it."""
        return f"{self.flow.fn.__module__.replace('.', '/')}.py:{self.flow.fn.__name__}"


def every(seconds: int) -> str:
    """'every 5 minutes': how a schedule reads in a description."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return f"every {seconds} seconds"


def deployments(settings: Settings) -> list[Planned]:
    """The deployments, with schedules from the settings; daily ones in the shop's time zone."""
    tz = settings.timezone
    # Interval schedules carry the shop's zone too, so the UI lists their next runs in it.
    return [
        Planned(
            intake,
            "intake",
            f"Takes in new orders {every(settings.intake_interval_seconds)}: reads the order form "
            "export, checks every order (what is missing or wrong, in Bahasa Indonesia and English), "
            "and sends each valid, paid order to its division with a proof folder. Buyers are told "
            "by email. Press Run to take in a new export now; an order already taken in is never "
            "sent twice. Also started within seconds when `fulfil serve`'s lookout sees new "
            "form answers or a new export.",
            ["fulfil", "intake"],
            [Interval(settings.intake_interval_seconds, timezone=tz)],
            # None: the export the settings name (FULFIL_INTAKE_PATH, or the inbox folder).
            {"source": None},
            arrivals=[Arrival.ORDERS],
        ),
        Planned(
            watch_proofs,
            "watch-proofs",
            f"Looks in every waiting order's proof folder {every(settings.watch_interval_seconds)}: "
            "accepts or rejects what the technical team dropped (with the reason, e.g. 8 of 10 "
            "accounts), copies finished orders to the CRM sheet and tells the buyer. Each order "
            "is completed and its buyer told once, however often this runs. Also started within "
            "seconds when `fulfil serve`'s lookout sees a file arrive in an order's folder.",
            ["fulfil", "proofs"],
            [Interval(settings.watch_interval_seconds, timezone=tz)],
            arrivals=[Arrival.PROOFS],
        ),
        Planned(
            deadline_sweep,
            "deadline-sweep",
            f"Checks deadlines {every(settings.sweep_interval_seconds)}: reminds the division "
            "before an order is due, escalates late orders to the division lead and ops, reminds "
            "buyers who have not paid and asks for feedback after completion, each message once "
            "per order; flags orders past their deadline.",
            ["fulfil", "deadlines"],
            [Interval(settings.sweep_interval_seconds, timezone=tz)],
            # None: now. A time here replays the sweep as of that moment (catching up).
            {"at": None},
        ),
        Planned(
            daily_digest,
            "daily-digest",
            f"Every day at 08:00 ({tz}): one email to ops with orders by status, open orders past "
            "their deadline, messages that failed and the daily report's chart. Sent once a day, "
            "however often it runs.",
            ["fulfil", "ops"],
            # 08:00 in the shop's zone, whatever zone the server runs in.
            [Cron(DIGEST_AT, timezone=tz)],
        ),
        Planned(
            daily_report,
            "daily-report",
            f"Every day at 07:00 ({tz}): the last {REPORT_DAYS} days in numbers: orders by status, "
            "on-time rate per service and division, time to proof and to the buyer being told, "
            "late orders, rejected proofs and failed messages, as a table and a chart (CSV, "
            "Markdown and PNG in the reports folder, and in the Laporan folder on Drive when "
            "Google is set up).",
            ["fulfil", "reports"],
            [Cron(REPORT_AT, timezone=tz)],
            {"days": REPORT_DAYS},
        ),
    ]


ADMIN_TAGS = ["fulfil", "admin"]


def admin_deployments(settings: Settings) -> list[Planned]:
    """The admin actions, run by hand from the UI's Custom run form: no schedule."""
    from fulfil.config import load_catalogue
    from fulfil.core.staff import deciders, staff_of

    catalogue = load_catalogue(settings.config_dir)
    everyone, deciding = list(staff_of(catalogue)), deciders(catalogue)
    ops = [p.name for p in catalogue.ops]
    doers = [m.name for m in staff_of(catalogue).values() if m.member_of or m.leads]

    def admin(flow: Flow[..., Any], text: str, by: list[str], **more: list[str]) -> Planned:
        return Planned(flow, flow.name, text, ADMIN_TAGS, [], choices={"by": by, **more})

    return [
        admin(
            admin_flows.assign_order,
            "Give a dispatched order to a member of its division "
            "(its lead or ops decide); the division is told.",
            deciding,
            to=doers,
        ),
        admin(
            admin_flows.mark_paid,
            "Mark an order paid after checking the bank transfer: the buyer is told and the order "
            "goes to its division now.",
            ops,
        ),
        admin(
            admin_flows.apply_change,
            "Apply the answers a buyer edited after the order went "
            "to the team (held for ops until now); the team is told what changed.",
            deciding,
        ),
        admin(
            admin_flows.comment_order,
            "Add a comment to an order's history, and send it to the buyer if ticked.",
            everyone,
        ),
        admin(
            admin_flows.cancel_order,
            "Cancel an order with a reason: the buyer and, when it has the work, the division are told.",
            deciding,
        ),
        admin(
            admin_flows.set_status,
            "Set an order's status by hand with a reason (ops only); nobody is messaged.",
            ops,
        ),
        admin(
            admin_flows.claim_order,
            "Open a warranty claim on a completed order: rework for the team, a message to the buyer.",
            deciding,
        ),
        admin(
            admin_flows.refund_order,
            "Record a refund (ops only) and tell the buyer; a full refund closes the order.",
            ops,
        ),
        *_online_store(catalogue, admin, ops, deciding),
    ]


def _online_store(
    catalogue: Catalogue, admin: Callable[..., Planned], ops: list[str], deciding: list[str]
) -> list[Planned]:
    """An online store's actions, offered only when the catalogue ships goods or counts stock."""
    shipped = [s for s in catalogue.services.values() if s.shipping is not None]
    stocked = sorted(code for code, s in catalogue.services.items() if s.stock is not None)
    shippers = {s.division for s in shipped}
    # Whoever may confirm some shipped order's delivery (each run checks that order's division).
    crew = [m.name for m in staff_of(catalogue).values() if any(m.may_do_for(d) for d in shippers)]
    found = []
    if shipped:
        found += [
            admin(
                admin_flows.confirm_delivery,
                "Shipped goods arrived: the order completes and the buyer is thanked.",
                crew,
            ),
            admin(
                admin_flows.return_order,
                "Accept a return of shipped goods within its window; the buyer hears how to send them back.",
                deciding,
            ),
            admin(
                admin_flows.receive_return,
                "Returned goods are back (ops only): stock back on the shelf, then refund or replacement.",
                ops,
            ),
        ]
    if stocked:
        found.append(
            admin(
                admin_flows.restock,
                "Add units that arrived (ops only); orders waiting for stock go on, oldest first.",
                ops,
                service=stocked,
            )
        )
    return found


def with_choices(deployment: RunnerDeployment, choices: dict[str, list[str]]) -> RunnerDeployment:
    """The Custom run form offers these values only (and the API refuses others)."""
    properties = deployment._parameter_openapi_schema.properties
    for name, values in choices.items():
        if name in properties and values:
            properties[name]["enum"] = values
    return deployment


# How often `fulfil serve`'s runner asks the server for runs to start (Prefect's default: 10 s).
# A run the lookout's event triggered starts within a second, for one small API call a second.
RUNNER_POLL_SECONDS = 1.0


def serve_all(settings: Settings) -> None:
    """Serve every deployment from this process until interrupted (`fulfil serve`)."""
    fast = bool(settings.lookout_seconds)
    # PREFECT_RUNNER_POLL_FREQUENCY, when set, is the operator's word.
    poll = None if "PREFECT_RUNNER_POLL_FREQUENCY" in os.environ or not fast else RUNNER_POLL_SECONDS
    # to_deployment and apply are sync_compatible: called from sync code they return the value.
    serve(
        *(
            with_choices(
                cast(
                    "RunnerDeployment",
                    p.flow.to_deployment(
                        name=p.name,
                        description=p.description,
                        tags=p.tags,
                        schedules=p.schedules,
                        parameters=p.parameters,
                        triggers=p.triggers if fast else None,
                    ),
                ),
                p.choices,
            )
            for p in [*deployments(settings), *admin_deployments(settings)]
        ),
        query_seconds=poll,
    )


def ensure_process_pool(pool: str) -> bool:
    """Make sure a work pool of type `process` named `pool` exists; True if it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            found = client.read_work_pool(pool)
        except ObjectNotFound:
            # The worker's own default job template, as `prefect work-pool create --type process`
            # would store: a pool with an empty one cannot start runs.
            client.create_work_pool(
                WorkPoolCreate(
                    name=pool,
                    type="process",
                    description="fulfil's flows, run by `prefect worker start --pool " + pool + "`",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
            return True
    if found.type != "process":
        raise ConfigError(
            f"work pool {pool!r} is of type {found.type!r}; fulfil deploys to a 'process' pool: "
            "choose another name with --pool"
        )
    return False


def deploy_all(settings: Settings, pool: str) -> list[UUID]:
    """Register every deployment on the process work pool `pool` (`fulfil deploy`).

    The code stays where it is (a `set_working_directory` pull step to CODE_ROOT, as in
    prefect.yaml), so a worker on this machine, with fulfil installed, runs it.
    """
    from prefect.deployments.runner import RunnerDeployment
    from prefect.runner.storage import LocalStorage

    ensure_process_pool(pool)
    ids: list[UUID] = []
    for p in [*deployments(settings), *admin_deployments(settings)]:
        made = RunnerDeployment.from_storage(
            storage=LocalStorage(str(CODE_ROOT)),
            entrypoint=p.entrypoint,
            name=p.name,
            description=p.description,
            tags=p.tags,
            schedules=p.schedules,
            parameters=p.parameters,
            work_pool_name=pool,
            # Runs `fulfil lookout` starts when it runs beside the worker.
            triggers=p.triggers,
        )
        ready = with_choices(cast(RunnerDeployment, made), p.choices)
        ids.append(cast(UUID, ready.apply(work_pool_name=pool)))
    return ids
