"""What a manager sees in the Prefect UI after `fulfil demo`, in a real browser.

A real `prefect server start` on a free loopback port, the demo and `fulfil advance INV-0001` run
against it, `fulfil serve` keeping the deployments up; then Debian's Chromium, driven by the
`playwright` package, looks for one order the way a manager does: by typing its ID in the run
search, opening its run, the deployments and the artifacts. Screenshots are saved in each test's
tmp dir and, when FULFIL_SCREENSHOTS=DIR is set, in DIR too; the README's images in
docs/screenshots/ are four of them (order-runs, order-run-page, order-artifact, deployments).
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
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import FULFIL, PrefectServer, fulfil_serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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
        listed = {link.inner_text().strip(): link.get_attribute("href") or "" for link in links}
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
    for name in DEPLOYMENTS:
        expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()
    for schedule in ("Every 5 minutes", "Every minute", "Every 15 minutes", "At 08:00 AM every day"):
        expect(page.get_by_text(schedule, exact=True).first).to_be_visible()
    _shot(page, "deployments", tmp_path)

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
