"""The production setup's Prefect server behind its password (PREFECT_SERVER_API_AUTH_STRING).

What Prefect 3.9.1 protects, as a browser and the CLI meet it: every API route answers 401
without `Authorization: Basic base64(user:password)`, except GET /api/health and /api/ready (left
open for probes). The UI's own files (its HTML and JavaScript bundle) are served without the
password: the page loads, reads `auth: BASIC` from /ui-settings, shows its login form, and every
API call it makes answers 401 until the password is typed in. So "the UI answers 401" means: the
UI shows nothing from the API, not that its HTML is refused.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import (
    FULFIL,
    PrefectServer,
    _plain_env,
    running_prefect_server,
)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

AUTH = "admin:correct-horse-battery"
BASIC = {"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()}
README_SECTION = "Production: the Prefect UI behind a password"


def _own_address() -> str:
    """This machine's address on its network (what another machine would call), else loopback.

    A UDP "connect" only picks the route; nothing is sent.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


HOST = _own_address()
needs_network_address = pytest.mark.skipif(
    HOST.startswith("127."), reason="no non-loopback address: the doctor only probes those"
)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """`prefect server start` as the README's production setup runs it, with the password set.

    On this machine's network address rather than 0.0.0.0: reachable as another machine would
    call it, but not on every interface for the test's length.
    """
    home = tmp_path_factory.mktemp("prefect-guarded")
    with running_prefect_server(home, host=HOST, env={"PREFECT_SERVER_API_AUTH_STRING": AUTH}) as server:
        yield server


def _status(url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers={**(headers or {})})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_the_api_and_what_the_ui_shows_answer_401_without_the_password(guarded: PrefectServer) -> None:
    api = guarded.api_url
    flows = f"{api}/flows/filter"

    assert _status(flows, body=b"{}") == 401
    assert _status(flows, WRONG, body=b"{}") == 401
    assert _status(flows, BASIC, body=b"{}") == 200
    # The UI's login form checks the password with this call; fulfil doctor probes it too.
    assert _status(f"{api}/admin/version") == 401
    assert _status(f"{api}/admin/version", BASIC) == 200
    assert _status(f"{api}/openapi.json") == 401
    assert _status(f"{api}/health") == 200  # probes stay open

    # The UI's page itself is served, then asks for the password: it knows auth is on.
    page = urllib.request.Request(f"{guarded.url}/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(page, timeout=10) as answer:
        assert answer.status == 200
        assert "<html" in answer.read().decode("utf-8", "replace").lower()
    with urllib.request.urlopen(f"{guarded.url}/ui-settings", timeout=10) as answer:
        assert json.loads(answer.read())["auth"] == "BASIC"


def _client_env(guarded: PrefectServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **_plain_env(),
        "FULFIL_HOME": str(tmp_path / "home"),
        # Not the developer's ~/.prefect profile: no API key or auth string from there.
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "PREFECT_API_URL": guarded.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "200",
        **extra,
    }


def _fulfil(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FULFIL, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_fulfil_runs_flows_with_the_auth_string_and_says_what_is_missing_without(
    guarded: PrefectServer, tmp_path: Path
) -> None:
    orders = str(EXAMPLES / "orders.csv")

    refused = _fulfil(_client_env(guarded, tmp_path), "intake", orders)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stdout + refused.stderr, refused.stderr
    assert "401" in lines[0] and "PREFECT_API_AUTH_STRING" in lines[0] and README_SECTION in lines[0]

    done = _fulfil(_client_env(guarded, tmp_path, PREFECT_API_AUTH_STRING=AUTH), "intake", orders)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("rows ")  # the intake ran as a flow on the guarded server
    assert AUTH not in done.stdout + done.stderr + refused.stdout + refused.stderr


class _OpenPrefect(BaseHTTPRequestHandler):
    """What a Prefect server without a password answers to the doctor's probe."""

    def do_GET(self) -> None:
        ok = self.path == "/api/admin/version"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'"0.8.4"' if ok else b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _open_prefect(host: str) -> Iterator[str]:
    server = ThreadingHTTPServer((host, 0), _OpenPrefect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


@needs_network_address
def test_doctor_warns_only_when_the_api_on_the_network_answers_without_a_password(
    guarded: PrefectServer, tmp_path: Path
) -> None:
    behind = _fulfil(_client_env(guarded, tmp_path, PREFECT_API_AUTH_STRING=AUTH), "doctor")

    assert behind.returncode == 0, behind.stdout + behind.stderr
    assert "without a password" not in behind.stdout

    with _open_prefect(HOST) as api:
        open_ = _fulfil(
            _client_env(guarded, tmp_path, PREFECT_API_URL=api, PREFECT_API_AUTH_STRING=AUTH), "doctor"
        )

    assert open_.returncode == 0, open_.stdout + open_.stderr
    warned = [line for line in open_.stdout.splitlines() if "without a password" in line]
    assert len(warned) == 1, open_.stdout
    assert api in warned[0] and "PREFECT_SERVER_API_AUTH_STRING" in warned[0] and README_SECTION in warned[0]
    assert AUTH not in open_.stdout + open_.stderr
