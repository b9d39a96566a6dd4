"""What a manager sees in the Prefect UI after `fulfil demo`, in a real browser.

A real `prefect server start` on a free loopback port, the demo and `fulfil advance INV-0001` run
against it, `fulfil serve` keeping the deployments up; then Debian's Chromium, driven by the
`playwright` package, looks for one order the way a manager does: by typing its ID in the run
search, opening its run, the deployments, the artifacts and the event feed filtered to the order.
Screenshots are saved in each test's tmp dir and, when FULFIL_SCREENSHOTS=DIR is set, in DIR
too; the README's images in docs/screenshots/ are four of them (order-runs, order-run-page,
order-artifact, deployments).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import FULFIL, PrefectServer, fulfil_serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.ui, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
# Headless Debian Chromium as root in a container, and nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORDER = "INV-0001"  # dispatched by the intake, short delivery rejected, then completed
DEPLOYMENTS = ["intake", "watch-proofs", "deadline-sweep", "daily-digest", "daily-report"]
# Pages answer in 1-3 s here; the margin is for a busy 2-core CI machine.
UI_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Shop:
    server: PrefectServer
    env: dict[str, str]


def _fulfil(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([FULFIL, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"fulfil {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def shop(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The demo's runs on the server, one order's own run, and the deployments served."""
    base = tmp_path_factory.mktemp("ui-shop")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FULFIL_"))}
    env.update(
        FULFIL_HOME=str(base / "home"),
        PREFECT_API_URL=prefect_server.api_url,
        # The CLI's own Prefect files (results, profiles) stay out of the developer's ~/.prefect.
        PREFECT_HOME=str(base / "prefect-client"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        COLUMNS="200",
    )
    _fulfil(env, "demo")
    _fulfil(env, "advance", ORDER)  # a run of its own, tagged order:/service:/division:
    log = base / "serve.log"
    with fulfil_serve(env, log) as serving:
        _wait_for_deployments(prefect_server, serving, log)
        yield Shop(prefect_server, env)


def _wait_for_deployments(server: PrefectServer, serving: subprocess.Popen[bytes], log: Path) -> None:
    body = json.dumps({"limit": 50, "offset": 0, "sort": "NAME_ASC"}).encode()
    deadline = time.monotonic() + 90
    names: set[str] = set()
    while time.monotonic() < deadline:
        assert serving.poll() is None, log.read_text(errors="replace")[-3000:]
        request = urllib.request.Request(
            f"{server.api_url}/deployments/filter", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            names = {d["name"] for d in json.load(answer)}
        if set(DEPLOYMENTS) <= names:
            return
        time.sleep(1)
    pytest.fail(f"fulfil serve registered only {sorted(names)}:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # CI installs it (.ci/run); a developer's machine may not have it. Never skip silently.
        pytest.fail(
            f"{CHROMIUM} is missing: the UI test drives Debian's Chromium. Install it with "
            "`bash .ci/chromium.sh` (apt-get install chromium); never `playwright install`.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail('the playwright package is missing: pip install -e ".[test]"', pytrace=False)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, shop: Shop) -> Iterator[Page]:
    # Tall enough that a search's results show below the runs chart in one screenshot.
    context = browser.new_context(viewport={"width": 1440, "height": 1200}, base_url=shop.server.url)
    opened = context.new_page()
    opened.set_default_timeout(UI_TIMEOUT_MS)
    yield opened
    context.close()


def _shot(page: Page, name: str, out: Path) -> Path:
    """Save a screenshot as test output, and in $FULFIL_SCREENSHOTS when set."""
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if wanted := os.environ.get("FULFIL_SCREENSHOTS"):
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(wanted) / path.name)
    return path


def _search_runs(page: Page, text: str) -> dict[str, str]:
    """Type `text` in the flow-run search on /runs as a person would; the runs listed then,
    name to link."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto("/runs")
    # The classic UI renders a second, hidden search box for narrow screens.
    box = page.locator("input[placeholder='Search by flow run name']:visible")
    box.press_sequentially(text, delay=40)
    page.wait_for_url("**flow-run-search=*")
    listed: dict[str, str] = {}
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    # The list is replaced once the search answers: wait until every row matches, or time out.
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        links = page.locator(".flow-run-list-item a[href*='/runs/flow-run/']").all()
        try:
            # Short waits: the list may be re-rendered between counting its rows and reading them.
            listed = {
                link.inner_text(timeout=1000).strip(): link.get_attribute("href", timeout=1000) or ""
                for link in links
            }
        except PlaywrightTimeout:
            continue
        if listed and all(text.lower() in n.lower() for n in listed):
            break
    return listed


def test_typing_an_order_id_in_the_run_search_lists_the_runs_that_acted_on_it(
    page: Page, tmp_path: Path
) -> None:
    names = list(_search_runs(page, ORDER))
    _shot(page, "order-runs", tmp_path)

    assert names, f"the search for {ORDER} listed no run"
    # The search is a substring of the run name: only this order's runs, not INV-0010..0019's.
    assert all(ORDER.lower() in n.lower() for n in names), names
    # The batch runs that dispatched it and completed it carry its ID in their names.
    assert any(n.startswith("intake") for n in names), f"no intake run among {names}"
    assert any(n.startswith("watch-proofs") for n in names), f"no watch-proofs run among {names}"


def _run_tags(shop: Shop, run_id: str) -> list[str]:
    with urllib.request.urlopen(f"{shop.server.api_url}/flow_runs/{run_id}", timeout=10) as answer:
        return list(json.load(answer)["tags"])


def _open_run(page: Page, shop: Shop, href: str) -> list[str]:
    """Open a listed run's page as its link would; its tags, as the API has them."""
    page.goto(href)
    page.wait_for_url("**/runs/flow-run/**")
    # The logs and the timeline load after the page: wait for the run's last log line, then let
    # the timeline draw, so a screenshot shows what a person sees.
    page.get_by_text("Finished in state", exact=False).first.wait_for()
    page.wait_for_timeout(1000)
    return _run_tags(shop, href.rstrip("/").rsplit("/", 1)[-1])


def test_an_orders_run_pages_show_its_id_and_its_tags(page: Page, shop: Shop, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    listed = _search_runs(page, ORDER)
    own = f"order-{ORDER}"
    assert own in listed, f"the search for {ORDER} listed {list(listed)}"

    # The order's own run (`fulfil advance`): its ID and all three tags, and its logs.
    tags = _open_run(page, shop, listed[own])
    expect(page.get_by_text(own, exact=True).first).to_be_visible()
    for tag in (f"order:{ORDER}", "service:GMAIL-BARU", "division:akun"):
        assert tag in tags
        expect(page.get_by_text(tag, exact=True).first).to_be_visible()
    expect(page.get_by_text("Beginning flow run", exact=False).first).to_be_visible()
    _shot(page, "order-own-run-page", tmp_path)

    # Each batch run listed for the order shows the ID in its title, and its order: tag when it
    # has one (unless the chips are folded into "+N" for a run over many orders).
    batch = sorted((n for n in listed if n != own), key=len)
    for name in batch:
        tags = _open_run(page, shop, listed[name])
        expect(page.get_by_text(ORDER, exact=False).first).to_be_visible()
        folded = page.get_by_text(re.compile(r"^\+\d+$")).count() > 0
        if f"order:{ORDER}" in tags and not folded:
            expect(page.get_by_text(f"order:{ORDER}", exact=True).first).to_be_visible()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
        _shot(page, f"run-page-{slug}", tmp_path)
    # For the README: the run that completed the order (the watch over the fewest orders).
    completing = [n for n in batch if n.startswith("watch-proofs")]
    if completing:
        _open_run(page, shop, listed[completing[0]])
        _shot(page, "order-run-page", tmp_path)


def test_the_deployments_page_lists_the_deployments_with_their_schedules(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto("/deployments")
    expect(page.get_by_role("link", name="intake", exact=True).first).to_be_visible()
    _shot(page, "deployments", tmp_path)
    # Thirteen deployments (five scheduled, eight admin actions) fill more than the page's ten
    # rows: find each scheduled one as a manager does, by typing its name in the search box.
    search = page.locator("input[placeholder='Search deployments...']:visible")
    schedules = {
        "intake": "Every 5 minutes",
        "watch-proofs": "Every minute",
        "deadline-sweep": "Every 15 minutes",
        "daily-digest": "At 08:00 AM every day",
    }
    for name in DEPLOYMENTS:
        search.fill(name)
        expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()
        if name in schedules:
            expect(page.get_by_text(schedules[name], exact=True).first).to_be_visible()
    search.fill("")

    page.get_by_role("link", name="intake", exact=True).first.click()
    page.wait_for_url("**/deployments/deployment/**")
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_visible()
    page.locator("li.p-tab:visible", has_text="Description").click()
    expect(page.get_by_text("Takes in new orders", exact=False).first).to_be_visible()
    _shot(page, "intake-deployment", tmp_path)


def test_the_artifacts_page_shows_the_orders_history(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = f"order-{ORDER.lower()}"  # artifact keys are lowercase letters, digits and dashes
    page.goto("/artifacts")
    page.locator("input[placeholder='Search artifacts']:visible").press_sequentially(key, delay=40)
    try:
        # Typing the key leaves the order's one card (a search for 0001 must not list 0010).
        expect(page.get_by_text(re.compile(r"^order-[a-z]{3}-[0-9a-z]+$"))).to_have_count(1)
        expect(page.get_by_text(key, exact=True)).to_be_visible()
    finally:
        _shot(page, "artifacts", tmp_path)

    page.get_by_text(key, exact=True).click()
    page.wait_for_url(f"**/artifacts/key/{key}")
    expect(page.get_by_text(ORDER, exact=False).first).to_be_visible()
    # Its history across runs: a version from the intake that dispatched it and one from the
    # proof watch that completed it, each linked to its run.
    expect(page.get_by_role("link", name=re.compile(rf"^intake · .*{ORDER}")).first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(rf"^watch-proofs · .*{ORDER}")).first).to_be_visible()
    _shot(page, "order-artifact", tmp_path)


def test_the_event_feed_filtered_to_an_order_tells_its_story_in_order(
    page: Page, shop: Shop, tmp_path: Path
) -> None:
    """Every change of the order is an event on `fulfil.order.<id>`; the feed filtered to that
    resource lists them, newest first, as the API has them (tests/e2e/test_order_events.py)."""
    from playwright.sync_api import expect

    from tests.conftest import EXAMPLES
    from tests.e2e.test_order_events import read_order_events
    from tests.e2e.test_order_traces import _buyer_data

    now = datetime.now(UTC)
    events = read_order_events(ORDER, now - timedelta(days=1), now, api_url=shop.server.api_url)
    # Each entry of its history, in order: the demo's short delivery, the complete one, the
    # claim (`fulfil orders claim`, between runs) and its replacement.
    assert [e["payload"]["seq"] for e in events] == list(range(len(events)))
    moved = [
        e["event"].removeprefix("fulfil.order.") for e in events if e["event"] != "fulfil.order.commented"
    ]
    assert moved == [
        "received",
        "dispatched",
        "proof_received",
        "recorded",
        "completed",
        "rework",
        "proof_received",
        "recorded",
        "completed",
    ]
    readable = json.dumps(events).lower()
    assert [v for v in _buyer_data(EXAMPLES / "orders.csv") if v.lower() in readable] == []

    page.goto(f"/events?resource=fulfil.order.{ORDER}")
    listed = page.locator(".workspace-event-description")
    try:
        expect(listed).to_have_count(len(events))
        expect(page.get_by_text("fulfil.order.rework", exact=True)).to_be_visible()
    finally:
        _shot(page, "order-events", tmp_path)
    # Newest first; each item links to its event, by ID.
    ids = [(item.locator("a").get_attribute("href") or "").rsplit("/", 1)[-1] for item in listed.all()]
    names = [item.locator(".workspace-event-description__event").inner_text() for item in listed.all()]
    assert ids[::-1] == [e["id"] for e in events]
    assert names[::-1] == [e["event"] for e in events]


# The admin deployments (flows/admin.py) `fulfil serve` registers beside the scheduled ones.
COMMENTED = "INV-0002"  # completed by the demo, its buyer has an email; no other test looks at it
REFUSED = "INV-0010"  # left dispatched to Divisi Website (lead Dewi Lestari) by the demo
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _admin_deployment(shop: Shop, name: str) -> str:
    """The admin deployment's ID, once `fulfil serve` has registered it: the shop fixture waits
    for the scheduled deployments only."""
    body = json.dumps({"deployments": {"name": {"any_": [name]}}, "limit": 5}).encode()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{shop.server.api_url}/deployments/filter", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            found = json.load(answer)
        if found:
            return str(found[0]["id"])
        time.sleep(1)
    pytest.fail(f"fulfil serve did not register the {name} deployment in 60 s")


def _finished_run(shop: Shop, run_id: str) -> dict[str, Any]:
    """The flow run once it has ended: `fulfil serve` picks a run up within ~10 s."""
    deadline = time.monotonic() + 120
    while True:
        with urllib.request.urlopen(f"{shop.server.api_url}/flow_runs/{run_id}", timeout=10) as answer:
            run: dict[str, Any] = json.load(answer)
        if run["state"]["type"] in FINAL_STATES:
            return run
        assert time.monotonic() < deadline, f"flow run {run_id} still {run['state']['type']} after 120 s"
        time.sleep(1)


def _order(shop: Shop, order_id: str) -> dict[str, Any]:
    """The order as `fulfil orders show ID --json` prints it."""
    shown: dict[str, Any] = json.loads(_fulfil(shop.env, "orders", "show", order_id, "--json"))
    return shown


def _custom_run(
    page: Page,
    deployment_id: str,
    shot: tuple[str, Path],
    texts: dict[str, str],
    picks: dict[str, str],
    ticks: tuple[str, ...] = (),
) -> str:
    """Deployment page → Run → Custom run, fill the form as a person does, Submit; the run's ID."""
    from playwright.sync_api import expect

    page.goto(f"/deployments/deployment/{deployment_id}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run", exact=True).click()
    page.wait_for_url(f"**/deployments/deployment/{deployment_id}/run?**")

    def field(name: str) -> Locator:
        # One block per parameter: its name (with " (Optional)" when it has a default), its
        # description and its input. The <label for> points at no input, so no get_by_label.
        label = page.locator(
            ".schema-form-property__label", has_text=re.compile(rf"^{name}( \(Optional\))?$")
        )
        return page.locator(".schema-form-property").filter(has=label)

    for name, text in texts.items():
        field(name).locator("textarea").fill(text)
    for name, person in picks.items():
        # The staff list is a dropdown: open it by its chevron (in Prefect 3.9.1's classic UI a click
        # on the box itself opens and closes it again in one go), then pick the name.
        field(name).locator(".p-select-button__icon").click()
        page.get_by_role("option", name=person, exact=True).click()
        expect(field(name).locator(".p-select-button__value")).to_have_text(person)
    for name in ticks:
        switch = field(name).get_by_role("switch")
        switch.click()
        expect(switch).to_have_attribute("aria-checked", "true")
    page.wait_for_timeout(300)  # the switch's slide, for the screenshot
    _shot(page, *shot)
    for attempt in range(3):
        with page.expect_response(
            lambda r: (
                r.request.method == "POST" and r.url.endswith(f"/deployments/{deployment_id}/create_flow_run")
            )
        ) as created:
            page.get_by_role("button", name="Submit", exact=True).click()
        # Prefect's SQLite-backed server answers 503 when its database is busy (the README puts
        # production on PostgreSQL); the form stays, and a manager presses Submit again.
        if created.value.status != 503 or attempt == 2:
            break
        page.wait_for_timeout(2000)
    assert created.value.ok, created.value.text()
    return str(created.value.json()["id"])


def _open_finished_run(page: Page, run_id: str) -> None:
    page.goto(f"/runs/flow-run/{run_id}")
    page.get_by_text("Finished in state", exact=False).first.wait_for()
    page.wait_for_timeout(1000)  # the timeline, for the screenshot


def test_an_admin_comments_on_an_order_with_the_custom_run_form_and_a_refused_run_changes_nothing(
    page: Page, shop: Shop, tmp_path: Path
) -> None:
    """Issue 18: Deployments → comment-order → Run → Custom run, the form filled in (the staff
    dropdown for `by`, the tell_buyer switch) and submitted; the order's history then has the
    comment by `ops:Sari Wulandari` and the buyer's .eml. Then an assignment by the lead of
    another division, through the same form: the run fails with the reason, the order unchanged."""
    from email import message_from_bytes
    from email.policy import default

    from playwright.sync_api import expect

    before = _order(shop, COMMENTED)
    assert before["buyer_email"], f"{COMMENTED} has no buyer email to tell"
    comment = "Dicek ulang oleh ops, semua akun aktif / checked again by ops, all accounts active"

    run_id = _custom_run(
        page,
        _admin_deployment(shop, "comment-order"),
        ("admin-custom-run", tmp_path),
        {"order_id": COMMENTED, "comment": comment},
        {"by": "Sari Wulandari"},
        ("tell_buyer",),
    )
    run = _finished_run(shop, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["name"] == f"comment {COMMENTED}"  # the flow's run name, not the form's random one
    assert run["parameters"] == {
        "order_id": COMMENTED,
        "comment": comment,
        "by": "Sari Wulandari",
        "tell_buyer": True,
    }

    after = _order(shop, COMMENTED)
    history = after["history"]
    assert len(history) == len(before["history"]) + 1
    entry = history[-1]
    assert (entry["comment"], entry["actor"], entry["notified"]) == (comment, "ops:Sari Wulandari", True)
    assert entry["status"] == after["status"] == before["status"]  # a comment moves no status
    # The buyer's copy, kind `note:<n>` (n: the entry's place in the history) in the outbox folder.
    eml = Path(shop.env["FULFIL_HOME"]) / "outbox" / f"{COMMENTED}.note_{len(history)}.eml"
    assert eml.is_file(), sorted(p.name for p in eml.parent.glob(f"{COMMENTED}.*"))
    message = message_from_bytes(eml.read_bytes(), policy=default)
    assert (message["To"], message["X-Fulfil-Kind"]) == (before["buyer_email"], "note")
    text = message.get_body(("plain",))
    assert text is not None and comment in text.get_content()

    # The run as the UI shows it: its name, its state, the order's status and the new entry.
    _open_finished_run(page, run_id)
    expect(page.get_by_text(f"comment {COMMENTED}", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"order:{COMMENTED}", exact=True).first).to_be_visible()
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
    # The step's log line and the order's trace: its status now, and the new history entry.
    now = after["status"]
    expect(page.get_by_text(f"{COMMENTED}: comment added, buyer told; now {now}").first).to_be_visible()
    story = f"{COMMENTED} ({after['service_code']}) is now {now}: {comment}"
    expect(page.get_by_text(story, exact=True).first).to_be_visible()
    _shot(page, "admin-comment-run", tmp_path)

    # Refused: Bagus Pratama leads Divisi Sosial Media, not the order's Divisi Website.
    before = _order(shop, REFUSED)
    assert before["status"] == "dispatched", before["status"]
    run_id = _custom_run(
        page,
        _admin_deployment(shop, "assign-order"),
        ("admin-refused-form", tmp_path),
        {"order_id": REFUSED},
        {"to": "Made Wirawan", "by": "Bagus Pratama"},
    )
    state = _finished_run(shop, run_id)["state"]
    reason = "Bagus Pratama is not the lead of Divisi Website nor ops: only they may assign its orders"
    assert state["type"] == "FAILED", state
    message_line = str(state["message"])
    assert reason in message_line and "\n" not in message_line, message_line
    after = _order(shop, REFUSED)
    assert [after[k] for k in ("status", "assignee", "history")] == [
        before[k] for k in ("status", "assignee", "history")
    ]

    _open_finished_run(page, run_id)
    expect(page.get_by_text(f"assign {REFUSED}", exact=True).first).to_be_visible()
    expect(page.get_by_text("Failed", exact=True).first).to_be_visible()
    expect(page.get_by_text(reason, exact=False).first).to_be_visible()
    _shot(page, "admin-refused-run", tmp_path)
