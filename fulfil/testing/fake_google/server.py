"""The HTTP server and FakeGoogle itself: its state, start and stop, the request log and routing."""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fulfil.testing.fake_google.auth import (
    AUTH_PATH,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    SHOP_USER,
    Principal,
    _AuthCode,
    _RefreshGrant,
)
from fulfil.testing.fake_google.cells import _Spreadsheet
from fulfil.testing.fake_google.drive_state import FOLDER_MIME, _Change, _File
from fulfil.testing.fake_google.faults import FaultMixin, _Fault
from fulfil.testing.fake_google.quotas import QuotaMixin
from fulfil.testing.fake_google.sheets import SheetsMixin
from fulfil.testing.fake_google.uploads import UploadMixin, _Upload
from fulfil.testing.fake_google.wire import GoogleError, _json_reply, _Reply, _Request


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (or dropped: status 0)."""

    method: str
    path: str  # percent-decoded: /v4/spreadsheets/<id>/values/'Orders'!A1
    query: dict[str, list[str]]
    status: int
    api: str  # "drive" | "sheets" | "oauth" | "other"
    time: float
    fault: bool = False


# ---------------------------------------------------------------------------------------------
# HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeGoogle) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self.connections_lock:
            self.connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client hung up first (a timeout on a delayed answer): nothing to report
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Hang up kept-alive connections too, so nothing answers once the fake is stopped."""
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two writes; without this, TCP delays the second ~40 ms.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        method = self.command
        query = parse_qs(split.query, keep_blank_values=True)
        override = self.headers.get("X-HTTP-Method-Override")
        if override and method == "POST":
            method = override.upper()
            if (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    query.setdefault(key, []).extend(values)
                body = b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = _Request(
            method=method,
            path=split.path,
            query=query,
            headers=dict(self.headers.items()),
            body=body,
            origin=f"http://{host}",
        )
        reply = self.server.fake._serve(request)
        if reply is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def _api_of(path: str) -> str:
    if path.startswith(("/drive/v3/", "/upload/drive/v3/")):
        return "drive"
    if path.startswith("/v4/spreadsheets"):
        return "sheets"
    if path in ("/token", "/revoke", AUTH_PATH) or path.endswith("/allowedLocations"):
        return "oauth"
    return "other"


# ---------------------------------------------------------------------------------------------
# The fake


class FakeGoogle(FaultMixin, QuotaMixin, UploadMixin, SheetsMixin):
    """Google's token endpoint, Drive v3 and Sheets v4 on a loopback port, in memory."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        clock: Callable[[], float] | None = None,
        strict_all_drives: bool = False,
        sheets_per_minute: int | None = 60,
        drive_per_minute: int | None = 12000,
    ) -> None:
        self.host = host
        self.port = port
        self.requests: list[RequestRecord] = []
        self.grants: list[dict[str, Any]] = []  # the JWT claims each token request carried
        self.strict_all_drives = strict_all_drives
        # Google's per-user quotas (None: off). Sheets: 60 reads and 60 writes per minute per user,
        # answered 429 RESOURCE_EXHAUSTED; Drive: ~12,000 requests per minute per user, answered
        # 403 userRateLimitExceeded. Counted over the last 60 s of the fake's clock.
        self.sheets_per_minute = sheets_per_minute
        self.drive_per_minute = drive_per_minute
        self._quota_used: dict[tuple[str, str, str], deque[float]] = {}  # (api, metric, user) -> times
        self._clock = clock or time.time
        self._lock = threading.RLock()
        self._ids = random.Random(seed)
        self._fault_rng = random.Random(seed)
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._token_count = 0
        self._revoked: set[str] = set()
        # Identity: who each access token is, the refresh tokens and codes handed out, the OAuth
        # clients (one Desktop client made for the shop), and who is signed in to the browser.
        self._principals: dict[str, Principal] = {}
        self._refresh_grants: dict[str, _RefreshGrant] = {}
        self._refresh_of: dict[str, str] = {}  # access token -> the refresh token it came from
        self._codes: dict[str, _AuthCode] = {}
        self._oauth_clients: dict[str, str] = {OAUTH_CLIENT_ID: OAUTH_CLIENT_SECRET}
        self._caller: Principal | None = None  # who the request being answered acts as
        self.browser_user = SHOP_USER
        self.publishing_status = "testing"  # the OAuth consent screen's; "production" keeps tokens
        self._files: dict[str, _File] = {}
        self._seq = 0
        self._drives: set[str] = set()
        self._denied: set[str] = set()
        self._generated: set[str] = set()  # IDs handed out by files.generateIds, not yet used
        self._changes: list[_Change] = []
        self._change_floor = 1
        self._uploads: dict[str, _Upload] = {}
        self._books: dict[str, _Spreadsheet] = {}
        now = self._clock()
        self.root_id = "0A" + self._random_id(17) + "Uk9PVA"
        self._files[self.root_id] = _File(self.root_id, "My Drive", FOLDER_MIME, [], now, now, 0)

    # --- lifecycle ---

    def start(self) -> FakeGoogle:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"fake-google:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        return f"http://{self.host}:{self.port}"

    # --- request log ---

    def calls(self, api: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if api is None or r.api == api)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- serving ---

    def _serve(self, req: _Request) -> _Reply | None:
        api = _api_of(req.path)
        started = self._clock()
        fault = self._take_fault(req)
        faulted = fault is not None and (fault.drop or fault.lose_answer or fault.status is not None)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        reply: _Reply | None
        if fault is not None and fault.drop:
            reply = None
        elif fault is not None and fault.status is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            reply = GoogleError(fault.status, reason=fault.reason, headers=headers).reply(api)
        else:
            try:
                with self._lock:
                    reply = self._route(req, api)
            except GoogleError as exc:
                reply = exc.reply(api)
            except Exception as exc:  # a bug in the fake: answer it, do not hang the client
                reply = GoogleError(500, f"fake_google internal error: {exc!r}").reply(api)
            if fault is not None and fault.lose_answer:
                reply = None
        with self._lock:
            self.requests.append(
                RequestRecord(
                    req.method,
                    unquote(req.path),
                    req.query,
                    reply.status if reply else 0,
                    api,
                    started,
                    faulted,
                )
            )
        return reply

    def _route(self, req: _Request, api: str) -> _Reply:
        if req.path == "/token":
            return self._token(req)
        if req.path == "/revoke":
            return self._revoke(req)
        if req.path == AUTH_PATH:
            return self._consent(req)
        if api == "oauth":  # google-auth's Regional Access Boundary lookup after each refresh
            return _json_reply(200, {"locations": [], "encodedLocations": "0x0"})
        if api == "other":
            raise GoogleError(404, f"The fake has no route for {req.method} {req.path}")
        self._caller = self._authorize(req, api)
        try:
            self._check_quota(req, api)
            if api == "sheets":
                return self._sheets(req)
            if req.path.startswith("/upload/"):
                return self._drive_upload(req)
            if req.path == "/drive/v3/about" and req.method == "GET":
                return self._about(req)
            return self._drive(req)
        finally:
            self._caller = None


# ---------------------------------------------------------------------------------------------
# Running it by hand


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fulfil.testing.fake_google",
        description="Serve a loopback fake of Google's token endpoint, Drive v3 and Sheets v4 until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and random faults")
    args = parser.parse_args(argv)
    fake = FakeGoogle(args.host, args.port, seed=args.seed).start()
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0
