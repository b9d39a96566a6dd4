"""Crash safety: the real CLI killed like a power cut at every crash point, then simply rerun.

Each scenario is a shop's day as subprocesses against the session's Prefect harness:
`fulfil intake <form export>`, the team drops proofs into the order folders, `fulfil watch --once`.
The first command that reaches the crash point runs with FULFIL_CRASH_AT and must die with
exit code 137; then the same commands run again, unarmed, until the shop has settled (a bounded
number of times). The final state is then checked against the issue's promise: no order lost,
no order stuck half-way, one CRM row per recorded order, one outbox row per message and no
message delivered twice (except the documented window between sending and marking sent).

Three adapter sets: the local defaults; Google (Drive, CRM sheet, form sheet) against a fake
Google in this process with one request in five failing (503, or 429 with Retry-After: 0);
and, when FULFIL_TEST_DATABASE_URL (or --database-url) is given, the local adapters on PostgreSQL.
See tests/reliability/README.md for the results table.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fulfil import bootstrap
from fulfil.cli.demo import _accounts_csv, _demo_source
from fulfil.core.status import OrderStatus
from fulfil.crash import CRASH_POINTS, ENV, EXIT_CODE
from fulfil.settings import Settings
from fulfil.testing.fake_google import FOLDER_MIME, FakeGoogle
from fulfil.testing.world import build_world
from fulfil.usecases.deps import Deps
from fulfil.usecases.intake import rows_of
from integrations.gdrive.drive import ORDER_KEY, README_KEY
from integrations.notifier.outbox_folder import EmlOutbox
from integrations.ports import SENT, UNSURE, Envelope
from integrations.source.files import FileOrderSource
from integrations.store.tables import metadata
from tests.conftest import FULFIL, ROOT
from tests.google_fixtures import FAST

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

S = OrderStatus


@dataclass(frozen=True)
class Crash:
    """Where to die: a crash point, the `hit`-th time the armed `command` reaches it."""

    point: str
    command: str
    hit: int = 1

    @property
    def spec(self) -> str:
        return self.point if self.hit == 1 else f"{self.point}:{self.hit}"

    def __str__(self) -> str:
        return f"{self.spec}@{self.command}"


# Each point on the command that first reaches it on a fresh shop (intake sends confirmations).
FIRST_REACH: tuple[Crash, ...] = (
    Crash("after-intake-commit", "intake"),
    Crash("after-folder-created", "intake"),
    Crash("after-dispatch-queued", "intake"),
    Crash("after-proof-accepted", "watch"),
    Crash("after-crm-write", "watch"),
    Crash("after-crm-synced", "watch"),
    Crash("after-send-before-mark", "intake"),
    # INV-0002's screenshots are shared with its buyer at completion (IG-FOLLOWERS hands over by share).
    Crash("after-share", "watch"),
    # The first completion message's invoice: numbered, then the power goes before its PDF.
    Crash("after-invoice-numbered", "watch"),
)
# After delivery, what ops type: a claim on INV-0001, a refund on INV-0003 (see AFTER_SALE_RUNS).
AFTER_SALE: tuple[Crash, ...] = (
    Crash("after-aftersale-commit", "claim"),
    Crash("after-aftersale-commit", "refund"),
    # The buyer's "claim received" delivered, not marked: sent again once, under its Message-ID.
    Crash("after-send-before-mark", "claim"),
)
assert {c.point for c in FIRST_REACH + AFTER_SALE} == set(CRASH_POINTS)
# Later places worth a death too, local only: the watch's own send and its second sync.
LATER: tuple[Crash, ...] = (
    # The buyer's "completed" message delivered, not marked: the window the buyer would notice.
    Crash("after-send-before-mark", "watch"),
    # The second sync of the pass, which writes the final status and when the buyer was told.
    Crash("after-crm-write", "watch", hit=2),
)
# Every point on Google too but the share: the fake's IG buyer has no Google account, so Drive
# refuses the share and the files go as attachments (tests/integration/test_drive_sharing.py).
GOOGLE = tuple(c for c in FIRST_REACH if c.point != "after-share")
# Store-heavy points, run on PostgreSQL too when one is given.
POSTGRES = tuple(
    c
    for c in FIRST_REACH
    if c.point in ("after-intake-commit", "after-dispatch-queued", "after-send-before-mark")
)

MAX_RERUNS = 4
ROUND = ("intake", "watch")
# Where an order may rest once the shop has settled: done, or waiting for a person.
RESTING = frozenset(
    {S.COMPLETED, S.CANCELLED, S.NEEDS_INFO, S.AWAITING_PAYMENT, S.RECEIVED, S.DISPATCHED, S.ASSIGNED}
)
# Statuses of an order that was dispatched, so has its proof folder.
HAS_FOLDER = frozenset({S.DISPATCHED, S.ASSIGNED, S.PROOF_RECEIVED, S.RECORDED, S.COMPLETED})

_PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
_PDF = b"%PDF-1.4\n% bukti\n%%EOF\n"
# Valid proofs for six of the seven orders intake dispatches; INV-0009 gets none and stays waiting.
PROOFS: dict[str, tuple[str, bytes]] = {
    # Each GMAIL order gets accounts of its own: the goods ledger refuses accounts sold twice.
    "INV-0001": ("akun-gmail.csv", _accounts_csv(10)),
    "INV-0002": ("screenshot-followers.png", _PNG),
    "INV-0003": ("serah-terima-website.pdf", _PDF),
    "INV-0008": ("akun-gmail.csv", _accounts_csv(3, start=41)),
    "INV-0010": ("landing-page-live.pdf", _PDF),
    "INV-0012": ("akun-gmail.csv", _accounts_csv(20, start=61)),
}

# `fulfil intake` requires a PATH, and a path means the file source; the Google shop's orders
# come from its form responses sheet, so its intake is the CLI command's body with no path.
INTAKE_FROM_FORM = """
from fulfil.cli._common import fail_cleanly, get_services
from fulfil.cli._prefect import quiet_console_logs, run_flow

with fail_cleanly():
    svc = get_services()
    quiet_console_logs()
    from flows.intake import intake

    print(run_flow(svc, intake))
"""


AFTER_SALE_RUNS = {
    "claim": ["orders", "claim", "INV-0001", "--reason", "akun 3 tidak bisa login", "--items", "1"],
    "refund": ["orders", "refund", "INV-0003", "--amount", "250000", "--reason", "domain telat aktif"],
}
REPLACEMENT = ("akun-pengganti.csv", _accounts_csv(1, start=91))


@dataclass
class Run:
    command: str
    armed: bool
    returncode: int
    seconds: float
    output: str


@dataclass
class Shop:
    """One FULFIL_HOME on one adapter set, driven as an operator and a team would drive it."""

    kind: str
    env: dict[str, str]
    settings: Settings
    source: Path
    fake: FakeGoogle | None = None
    runs: list[Run] = field(default_factory=list)
    # .eml name -> every distinct write of it seen after a command: more than one is a resend.
    deliveries: dict[str, set[int]] = field(default_factory=dict)
    _svc: Deps | None = None

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def svc(self) -> Deps:
        """Deps as the CLI builds them, for reading the store, the CRM and the outbox."""
        if self._svc is None:
            self._svc = bootstrap.build(self.settings)
            if self.fake is not None:
                self._svc.crm.policy = FAST  # type: ignore[attr-defined]
        return self._svc

    def close(self) -> None:
        if self._svc is not None:
            self._svc.store.engine.dispose()

    def run(self, command: str, crash_at: str | None = None) -> Run:
        if command == "intake":
            args = (
                [sys.executable, "-c", INTAKE_FROM_FORM]
                if self.fake is not None
                else [FULFIL, "intake", str(self.source)]
            )
        elif command in AFTER_SALE_RUNS:
            args = [FULFIL, *AFTER_SALE_RUNS[command]]
        else:
            args = [FULFIL, "watch", "--once"]
        env = dict(self.env)
        if crash_at:
            env[ENV] = crash_at
        started = time.monotonic()
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240, check=False)
        run = Run(
            command, bool(crash_at), done.returncode, time.monotonic() - started, done.stdout + done.stderr
        )
        self.runs.append(run)
        self._look_at_outbox()
        return run

    def _look_at_outbox(self) -> None:
        for path in (self.home / "outbox").glob("*.eml"):
            self.deliveries.setdefault(path.name, set()).add(path.stat().st_mtime_ns)

    def drop_proofs(self) -> None:
        """The team puts each order's proof in its folder, once the folder exists."""
        if self.fake is None:
            for order_id, (name, content) in PROOFS.items():
                folder = self.home / "drive" / order_id
                if folder.is_dir() and not (folder / name).exists():
                    (folder / name).write_bytes(content)
            return
        files = self.fake.files()
        folders = {
            f["appProperties"][ORDER_KEY]: f["id"]
            for f in files
            if f["mimeType"] == FOLDER_MIME and not f["trashed"] and ORDER_KEY in f.get("appProperties", {})
        }
        present = {(p, f["name"]) for f in files if not f["trashed"] for p in f["parents"]}
        for order_id, (name, content) in PROOFS.items():
            folder_id = folders.get(order_id)
            if folder_id and (folder_id, name) not in present:
                self.fake.add_file(name, content, folder_id)

    def source_ids(self) -> set[str]:
        return {r.draft.order_id for r in rows_of(self.svc, FileOrderSource(self.source).read())}

    def settled(self) -> bool:
        store = self.svc.store
        statuses = {o.order_id: o.status for o in store.list()}
        return (
            self.source_ids() <= set(statuses)
            and all(statuses.get(i) == S.COMPLETED for i in PROOFS)
            and all(s in RESTING for s in statuses.values())
            and not store.pending_messages()
            and not store.crm_stale()
        )

    def summary(self) -> str:
        runs = " → ".join(f"{r.command}{'*' if r.armed else ''}={r.returncode}" for r in self.runs)
        faults = sum(1 for r in self.fake.requests if r.fault) if self.fake else 0
        seconds = sum(r.seconds for r in self.runs)
        return f"{self.kind}: {runs} ({seconds:.0f}s, {faults} injected faults)"


def crash_then_rerun(shop: Shop, crash: Crash) -> None:
    """Die as `crash` says, then rerun the same commands, unarmed, until the shop settles."""
    if crash.command == "watch":
        _assert_ran(shop, shop.run("intake"))
        # A pass before the team delivers, as the minute-by-minute watch makes: on Drive it keeps
        # the changes-feed cursor, so the armed pass and its rerun read the feed from a cursor.
        _assert_ran(shop, shop.run("watch"))
        shop.drop_proofs()
    armed = shop.run(crash.command, crash_at=crash.spec)
    assert armed.returncode == EXIT_CODE, f"{crash.command} did not die at {crash}:\n{armed.output[-3000:]}"
    settle(shop)
    print(f"\n{crash} on {shop.summary()}")


def settle(shop: Shop) -> None:
    """Run the day's commands, the team dropping proofs, until the shop settles (bounded)."""
    for _ in range(MAX_RERUNS):
        for command in ROUND:
            if command == "watch":
                shop.drop_proofs()
            _assert_ran(shop, shop.run(command))
        if shop.settled():
            break


def _assert_ran(shop: Shop, run: Run) -> None:
    # On Google a run may fail on a fault its retries did not absorb; the next run goes on.
    # Locally nothing is injected, so every unarmed run must succeed.
    assert run.returncode != EXIT_CODE, run.output[-3000:]
    if shop.fake is None:
        assert run.returncode == 0, f"{run.command} failed:\n{run.output[-3000:]}"


# ----- the invariants on the final state -----


def assert_nothing_lost_or_doubled(shop: Shop, crash: Crash) -> None:
    if shop.fake is not None:
        shop.fake.clear_faults()  # the faults were for the pipeline, not for reading the result
    svc = shop.svc
    orders = {o.order_id: o for o in svc.store.list()}

    # Every order of the form is in the store, none is stuck half-way, every proof led to completion.
    assert shop.source_ids() == set(orders), "orders lost or invented"
    stuck = {i: str(o.status) for i, o in orders.items() if o.status not in RESTING}
    assert not stuck, f"orders left half-way: {stuck}"
    assert {i: str(orders[i].status) for i in PROOFS} == dict.fromkeys(PROOFS, "completed")

    # History: a rerun may repeat work, never the record of it.
    for order in orders.values():
        pairs = [(h.status, h.comment) for h in order.history]
        repeated = [p for p, q in itertools.pairwise(pairs) if p == q]
        assert not repeated, f"{order.order_id} history repeats {repeated}"

    # CRM: exactly one row per recorded or completed order, showing its final state; none else.
    header = {name: column for column, name in svc.crm_columns.columns.items()}
    rows = svc.crm.rows()
    ids = Counter(r[header["order_id"]] for r in rows)
    assert {i: n for i, n in ids.items() if n > 1} == {}, "an order has two CRM rows"
    in_crm = {i for i, o in orders.items() if o.status in (S.RECORDED, S.COMPLETED)}
    assert set(ids) == in_crm
    for row in rows:
        order = orders[row[header["order_id"]]]
        assert row[header["status"]] == str(order.status)
        told = svc.store.sent_at(order.order_id, "completed")
        assert bool(row[header["buyer_notified_at"]]) == (told is not None), order.order_id

    # Outbox: one row per (order, key), every one sent but the one a death interrupted mid-send;
    # one .eml per delivered row with its Message-ID.
    messages = svc.store.messages()
    keys = Counter((m.order_id, m.kind) for m in messages)
    assert {k: n for k, n in keys.items() if n > 1} == {}, "a message was queued twice"
    _assert_interrupted_send_set_aside(shop, crash)
    outbox = EmlOutbox(shop.home / "outbox")
    expected: dict[str, str] = {}
    for m in messages:
        envelope = Envelope(m.order_id, m.kind, "", m.recipient, m.subject, m.body)
        expected[outbox.path_for(envelope).name] = envelope.message_id
    files = {p.name: p for p in outbox.folder.glob("*.eml")}
    assert set(files) == set(expected)
    for name, path in files.items():
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert parsed["Message-ID"] == expected[name]

    # Invoices: one per completed priced order, the month's numbers 1..N with no gap and none
    # reused, each PDF kept under its number and attached to that order's completion message.
    invoices = svc.store.invoices.all()
    assert sorted(i.order_id for i in invoices) == sorted(PROOFS)
    assert sorted(int(i.number.rsplit("/", 1)[1]) for i in invoices) == list(range(1, len(PROOFS) + 1))
    for invoice in invoices:
        pdf = shop.home / "invoices" / (invoice.number.replace("/", "-") + ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF-"), invoice.number
        done = next(p for p in files.values() if p.name.startswith(f"{invoice.order_id}.completed"))
        attached = email.message_from_bytes(done.read_bytes(), policy=email.policy.default)
        names = [part.get_filename() for part in attached.iter_attachments()]  # type: ignore[attr-defined]
        assert pdf.name in names, (invoice.order_id, names)

    # Delivery: once each, even the message whose sender died between sending and marking it.
    resent = {name: len(writes) for name, writes in shop.deliveries.items() if len(writes) > 1}
    assert resent == {}, f"delivered more than once: {resent}"

    # Proof folders: one per dispatched order, never a second one, each with its one README.
    dispatched = {i for i, o in orders.items() if o.status in HAS_FOLDER}
    if shop.fake is None:
        made = {p.name for p in (shop.home / "drive").iterdir() if p.is_dir()}
        assert made == dispatched
        assert all((shop.home / "drive" / i / "README.txt").is_file() for i in made)
    else:
        live = [f for f in shop.fake.files() if not f["trashed"]]
        folders = Counter(
            f["appProperties"][ORDER_KEY] for f in live if ORDER_KEY in f.get("appProperties", {})
        )
        assert {i: n for i, n in folders.items() if n > 1} == {}, "an order has two Drive folders"
        assert set(folders) == dispatched
        readmes = Counter(f["parents"][0] for f in live if README_KEY in f.get("appProperties", {}))
        assert sorted(readmes.values()) == [1] * len(dispatched), "a folder has no README or two"


def _assert_interrupted_send_set_aside(shop: Shop, crash: Crash) -> None:
    """Every message sent, but after a death between handing a message over and marking it: that
    one is set aside as unsure (it did arrive: never sent again by itself), ops are told which, and
    `fulfil outbox retry` is theirs to use."""
    messages = shop.svc.store.messages()
    unsure = [m for m in messages if m.state == UNSURE]
    assert [m for m in messages if m.state not in (SENT, UNSURE)] == []
    if crash.point != "after-send-before-mark":
        assert unsure == []
        return
    assert len(unsure) == 1, unsure
    (gone,) = unsure
    alerts = [m for m in messages if m.kind == f"undelivered:{gone.kind}" and m.order_id == gone.order_id]
    assert [a.state for a in alerts] == [SENT], "ops were not told of the message set aside"
    assert f"fulfil outbox retry {gone.id}" in alerts[0].body
    delivered = [n for n, writes in shop.deliveries.items() if gone.order_id in n and writes]
    assert delivered, "the message set aside never arrived"


# ----- the shops -----


@pytest.fixture
def local_shop(cli_env: dict[str, str], home: Path, tmp_path: Path) -> Iterator[Shop]:
    shop = Shop("local", cli_env, Settings(home=home), _demo_source(tmp_path))
    yield shop
    shop.close()


@pytest.fixture
def google_shop(
    cli_env: dict[str, str], home: Path, tmp_path: Path, fake: FakeGoogle, key_json: str
) -> Iterator[Shop]:
    source = _demo_source(tmp_path)
    world = build_world(fake, source)  # the form responses sheet holds the same rows
    google = world.environment(key_json)
    fields = {k.removeprefix("FULFIL_").lower(): v for k, v in google.items()}
    fake.inject("*", status=503, rate=0.1)
    fake.inject("*", status=429, rate=0.1, retry_after=0)
    shop = Shop("google", {**cli_env, **google}, Settings(home=home, **fields), source, fake)
    yield shop
    shop.close()


@pytest.fixture
def postgres_shop(
    request: pytest.FixtureRequest, cli_env: dict[str, str], home: Path, tmp_path: Path
) -> Iterator[Shop]:
    url = request.config.getoption("--database-url")
    if not url:
        pytest.skip("no PostgreSQL: give --database-url or $FULFIL_TEST_DATABASE_URL (.ci/run does)")
    engine = create_engine(url)
    try:  # a database nobody used yet, as tests/integration/conftest.py's store_url makes it
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
    env = {**cli_env, "FULFIL_DATABASE_URL": url}
    shop = Shop("postgresql", env, Settings(home=home, database_url=url), _demo_source(tmp_path))
    yield shop
    shop.close()


# ----- the tests -----


@pytest.mark.parametrize("crash", FIRST_REACH + LATER, ids=str)
def test_local_shop_survives_a_crash(crash: Crash, local_shop: Shop) -> None:
    crash_then_rerun(local_shop, crash)
    assert local_shop.settled(), local_shop.summary()
    assert_nothing_lost_or_doubled(local_shop, crash)


@pytest.mark.parametrize("crash", GOOGLE, ids=str)
def test_google_shop_survives_a_crash_and_one_request_in_five_failing(
    crash: Crash, google_shop: Shop
) -> None:
    crash_then_rerun(google_shop, crash)
    assert google_shop.settled(), google_shop.summary()
    assert google_shop.fake is not None and any(r.fault for r in google_shop.fake.requests)
    assert_nothing_lost_or_doubled(google_shop, crash)


@pytest.mark.parametrize("crash", POSTGRES, ids=str)
def test_postgres_shop_survives_a_crash(crash: Crash, postgres_shop: Shop) -> None:
    crash_then_rerun(postgres_shop, crash)
    assert postgres_shop.settled(), postgres_shop.summary()
    assert_nothing_lost_or_doubled(postgres_shop, crash)


# What `fulfil watch --once` does up to the end of its first CRM sync, then a death there: after
# the rows are written and their flag cleared, before mark_recorded (no crash point there yet).
WATCH_DIES_AFTER_CRM_SYNCED = """
import os
from fulfil.bootstrap import build
from fulfil.settings import load_settings
from fulfil.usecases import crm, proofs

svc = build(load_settings())
scan = proofs.scan_proof_folders(svc, proofs.orders_to_watch(svc))
proofs.judge_proofs(svc, scan.found)
proofs.save_cursor(svc, scan.cursor)
crm.sync_crm_rows(svc)
os._exit(137)
"""


@pytest.mark.parametrize("crash", AFTER_SALE, ids=str)
def test_a_claim_and_a_refund_survive_a_crash(crash: Crash, local_shop: Shop) -> None:
    """Ops' command dies after its commit (or after sending); typed again, it makes no second
    claim, refund or message; the claim still ends with the replacement delivered once."""
    shop = local_shop
    settle(shop)
    assert shop.settled(), shop.summary()
    armed = shop.run(crash.command, crash_at=crash.spec)
    assert armed.returncode == EXIT_CODE, f"{crash} did not die:\n{armed.output[-3000:]}"
    _assert_ran(shop, shop.run(crash.command))  # the admin types it again
    _assert_ran(shop, shop.run("refund" if crash.command == "claim" else "claim"))
    name, content = REPLACEMENT
    (shop.home / "drive" / "INV-0001" / name).write_bytes(content)
    _assert_ran(shop, shop.run("watch"))
    _assert_ran(shop, shop.run("watch"))

    svc = shop.svc
    one, three = svc.store.get("INV-0001"), svc.store.get("INV-0003")
    assert (one.status, len(one.claims), one.open_claim) == (S.COMPLETED, 1, None)
    assert (len(three.refunds), three.refunds[0].amount) == (1, 250_000)
    kinds = Counter(m.kind for m in svc.store.messages())
    for key in ("claim_received:1", "rework:1", "replacement:1", "refunded:1"):
        assert kinds[key] == 1, key
    _assert_interrupted_send_set_aside(shop, crash)
    resent = {name: len(writes) for name, writes in shop.deliveries.items() if len(writes) > 1}
    assert resent == {}, f"delivered more than once: {resent}"
    handed = [(h.file, h.method) for h in one.handovers]
    assert handed == [("akun-gmail.csv", "attachment"), ("akun-pengganti.csv", "attachment")]


def test_a_death_after_the_crm_flag_is_cleared_strands_no_order(local_shop: Shop) -> None:
    shop = local_shop
    _assert_ran(shop, shop.run("intake"))
    _assert_ran(shop, shop.run("watch"))
    shop.drop_proofs()
    died = subprocess.run(
        [sys.executable, "-c", WATCH_DIES_AFTER_CRM_SYNCED],
        env=shop.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert died.returncode == EXIT_CODE, died.stderr[-3000:]
    for _ in range(2):  # the same as the crash points need: one clean round settles those
        for command in ROUND:
            _assert_ran(shop, shop.run(command))
    stuck = [o.order_id for o in shop.svc.store.list({S.PROOF_RECEIVED})]
    assert stuck == [], f"stuck in proof_received after two clean rounds: {stuck}"
    assert_nothing_lost_or_doubled(shop, Crash("after-crm-write", "watch"))


# ----- the crash points themselves -----


def _python(code: str, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    # Unbuffered output would defeat the point: show that what was not flushed is lost.
    env = {k: v for k, v in os.environ.items() if k not in (ENV, "PYTHONUNBUFFERED")}
    if crash_at is not None:
        env[ENV] = crash_at
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )


COUNT_TO_THREE = """
import sys
from fulfil.crash import crash_point
for i in range(1, 4):
    print(i, flush=True)
    print("buffered", i)  # still in the buffer when the process dies: a power cut loses it
    crash_point("after-crm-write")
print("done", flush=True)
"""


def test_crash_point_dies_on_the_chosen_hit_without_flushing() -> None:
    assert _python(COUNT_TO_THREE, None).stdout.split("\n")[-2] == "done"
    first = _python(COUNT_TO_THREE, "after-crm-write")
    assert (first.returncode, first.stdout) == (EXIT_CODE, "1\n")
    second = _python(COUNT_TO_THREE, "after-crm-write:2")
    assert (second.returncode, second.stdout) == (EXIT_CODE, "1\nbuffered 1\n2\n")
    elsewhere = _python(COUNT_TO_THREE, "after-proof-accepted")
    assert elsewhere.returncode == 0


def test_a_misspelt_crash_point_fails_loudly_instead_of_never_crashing() -> None:
    done = _python(COUNT_TO_THREE, "after-crm-writ")
    assert done.returncode == 1 and "unknown crash point" in done.stderr


def test_crash_module_imports_no_prefect_sql_or_google() -> None:
    code = (
        "import sys, fulfil.crash\n"
        "heavy = ('prefect', 'sqlalchemy', 'google', 'googleapiclient', 'gspread')\n"
        "print([m for m in sys.modules if m.split('.')[0] in heavy])"
    )
    assert _python(code, None).stdout.strip() == "[]"


def test_every_documented_crash_point_is_in_the_code_once() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "fulfil" / "usecases").glob("*.py"))
    for point in CRASH_POINTS:
        assert code.count(f'crash_point("{point}")') == 1, point
    assert code.count("crash_point(") == len(CRASH_POINTS)
