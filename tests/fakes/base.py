"""Scaffolding shared by the fake tracker servers: a loopback HTTP server, a route table,
a request log that tests count reads and writes from, and fault injection.

Each fake (GitHub, GitLab, Jira) subclasses `FakeServer`, registers its routes and keeps
its own state; the real SDKs talk to it over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


@dataclass
class Logged:
    """A request/response pair in the fake's log."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    request_body: Any = None
    response_body: Any = None

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS


class Countdown(Protocol):
    """A fault that lets `skip` matches pass, then strikes `times` times."""

    skip: int
    times: int


F = TypeVar("F", bound=Countdown)


def take_fault(faults: list[F], matches: Callable[[F], bool]) -> F | None:
    """The first fault in `faults` that `matches` and strikes now, counted down and dropped
    once spent (one rule for a request's faults and a GraphQL mutation's)."""
    for fault in faults:
        if not matches(fault):
            continue
        if fault.skip > 0:
            fault.skip -= 1
            return None
        fault.times -= 1
        if fault.times <= 0:
            faults.remove(fault)
        return fault
    return None


@dataclass
class Fault:
    """What to do to the request that matches `method`/`path_regex`, `times` times.

    `after=True` lets the fake carry out the request and then breaks the answer (the
    response is lost: a dropped connection, or the `status` given), which is how a
    create whose response never arrives looks to a client.
    """

    method: str
    path_regex: str
    status: int | None = None  # None: drop the connection
    after: bool = True
    times: int = 1
    skip: int = 0  # let this many matching requests through first


Handler = Callable[[Request], Response]


def echoed(response: Response, request: Request) -> Response:
    """`response` with the request's headers (credentials included) added to its body."""
    headers = dict(request.headers)
    if isinstance(response.body, dict):
        return Response(
            response.status, {**response.body, "request_headers": headers}, response.headers
        )
    text = (response.raw or b"").decode(errors="replace") + f" request headers: {headers}"
    return Response(response.status, headers=response.headers, raw=text.encode())


@dataclass
class _Gate:
    method: str
    path_regex: str
    barrier: threading.Barrier
    left: int  # requests still to be held


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with a route table and a request log."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._gates: list[_Gate] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.hooks: list[Callable[[Request, Response], None]] = []
        # Answer every error with the request's headers in its body, as some proxies and
        # misconfigured servers do: what a client prints of an error must still be redacted.
        self.echo_headers = False
        # Seconds each request takes before it is handled, outside the lock: a tracker's
        # round trip, so that concurrent clients overlap as they would against the real one.
        self.latency = 0.0

    # -- routes -------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler` for `method` and a path pattern with `{name}` segments."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the body waits
            # for the client's delayed ACK (~40 ms a request on keep-alive connections).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- log ----------------------------------------------------------------------------
    def reads(self) -> list[Logged]:
        return [entry for entry in self.log if not entry.is_write]

    def writes(self) -> list[Logged]:
        return [entry for entry in self.log if entry.is_write]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # -- dispatch -----------------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        return take_fault(
            self.faults, lambda f: f.method == method and bool(re.search(f.path_regex, path))
        )

    def hold(self, method: str, path_regex: str, parties: int, timeout: float = 20.0) -> None:
        """The next `parties` requests matching `method` and (searched) `path_regex` wait for
        each other and then go on together: runs started at once reach that request having
        all read the same state, as racing runs do at their worst."""
        with self.lock:
            barrier = threading.Barrier(parties, timeout=timeout)
            self._gates.append(_Gate(method, path_regex, barrier, parties))

    def _wait_at_gate(self, http: BaseHTTPRequestHandler) -> None:
        path = http.path.split("?", 1)[0]
        gate = None
        with self.lock:
            for candidate in self._gates:
                if candidate.method == http.command and re.search(candidate.path_regex, path):
                    candidate.left -= 1
                    if candidate.left <= 0:
                        self._gates.remove(candidate)
                    gate = candidate
                    break
        if gate is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.barrier.wait()  # outside the lock, so the others can arrive

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        self._wait_at_gate(http)
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = Request(
            method=http.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            fault = self._take_fault(request.method, request.path)
            if fault is not None and not fault.after:
                response = Response(status=fault.status or 502, body={"message": "Bad Gateway"})
            else:
                response = self.handle(request)
                for hook in self.hooks:
                    hook(request, response)
            try:
                request_json = request.json()
            except ValueError:
                request_json = body.decode(errors="replace")
            self.log.append(
                Logged(
                    request.method,
                    request.path,
                    request.query,
                    response.status,
                    request_json,
                    response.body,
                )
            )
        if fault is not None and fault.after:
            if fault.status is None:
                # The work is done but the answer is lost: close without a response.
                http.close_connection = True
                with contextlib.suppress(OSError):
                    http.connection.shutdown(2)
                return
            response = Response(status=fault.status, body={"message": "Bad Gateway"})
        if self.echo_headers and response.status >= 400:
            response = echoed(response, request)
        payload = response.encoded()
        http.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        for name, value in headers.items():
            http.send_header(name, value)
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        if request.method != "HEAD":
            http.wfile.write(payload)

    def handle(self, request: Request) -> Response:
        """Find the route and call it; subclasses add auth, rate limits and prefixes."""
        for method, regex, handler in self._routes:
            if method != request.method:
                continue
            match = regex.match(request.path)
            if match:
                request.params = {k: v for k, v in match.groupdict().items()}
                return handler(request)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": "Not Found"})
