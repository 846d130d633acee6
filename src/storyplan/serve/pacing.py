"""One request budget per credential, held in PostgreSQL so every worker on every machine
draws from the same one: ten workers never go faster than one token may.

The budget is a generic cell rate algorithm (one row per credential, one UPDATE per
request): `burst` requests may go at once, then one every `spacing` = 3600 /
requests_per_hour seconds. It is enforced in `requests`' transport, the layer
PyGithub, python-gitlab and jira all send through, so the adapters need not know about it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests.adapters

SCHEMA = """
CREATE TABLE IF NOT EXISTS storyplan_budget (
    credential text PRIMARY KEY,
    tracker text NOT NULL,
    next_free timestamptz NOT NULL DEFAULT clock_timestamp(),
    requests bigint NOT NULL DEFAULT 0,
    waits bigint NOT NULL DEFAULT 0,
    waited_seconds double precision NOT NULL DEFAULT 0
)
"""

# Take the next slot (GCRA: the slot is max(next_free, now); a request waits for it less
# the allowance); the answer is how long to wait (0: go now).
_TAKE = """
INSERT INTO storyplan_budget AS b (credential, tracker, next_free, requests)
VALUES (%(credential)s, %(tracker)s, clock_timestamp() + make_interval(secs => %(spacing)s), 1)
ON CONFLICT (credential) DO UPDATE SET
    next_free = greatest(b.next_free, clock_timestamp()) + make_interval(secs => %(spacing)s),
    requests = b.requests + 1
RETURNING greatest(
    0, extract(epoch FROM b.next_free - clock_timestamp()) - %(spacing)s - %(allowance)s
)
"""

_WAITED = """
UPDATE storyplan_budget SET waits = waits + 1, waited_seconds = waited_seconds + %(seconds)s
WHERE credential = %(credential)s
"""

_TRACKER: ContextVar[str | None] = ContextVar("storyplan_paced_tracker", default=None)
_installed = threading.Lock()
_pacer: Pacer | None = None


def credential_of(request: requests.PreparedRequest) -> str:
    """A stable name for the credential a request carries: a hash, never the secret."""
    host = urlsplit(str(request.url or "")).netloc
    secret = request.headers.get("Authorization") or request.headers.get("PRIVATE-TOKEN") or ""
    raw = secret if isinstance(secret, bytes) else secret.encode()
    return hashlib.sha256(host.encode() + b"\n" + raw).hexdigest()[:20]


class Pacer:
    """Draws from the shared budgets, one short-lived connection per thread."""

    def __init__(
        self,
        conninfo: str,
        requests_per_hour: dict[str, int],
        burst: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.conninfo = conninfo
        self.rates = requests_per_hour
        self.burst = burst
        self.sleep = sleep
        self._local = threading.local()

    def _connection(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = psycopg.connect(self.conninfo, autocommit=True)
            self._local.connection = connection
        return connection

    def take(self, tracker: str, credential: str) -> float:
        """Wait for this credential's next slot; the seconds waited."""
        rate = self.rates.get(tracker)
        if rate is None:
            return 0.0
        spacing = 3600.0 / rate if rate else 0.0  # 0: counted, never paced
        arguments = {
            "credential": credential,
            "tracker": tracker,
            "spacing": spacing,
            "allowance": spacing * (self.burst - 1),
        }
        connection = self._connection()
        row = connection.execute(_TAKE, arguments).fetchone()
        wait = float(row[0]) if row else 0.0
        if wait > 0:
            self.sleep(wait)
            connection.execute(_WAITED, {"seconds": wait, "credential": credential})
        return wait


@contextmanager
def paced(tracker: str) -> Iterator[None]:
    """Requests this thread sends inside the block draw from `tracker`'s budgets."""
    token = _TRACKER.set(tracker)
    try:
        yield
    finally:
        _TRACKER.reset(token)


def install(pacer: Pacer) -> None:
    """Route every `requests` transport send through `pacer` (once per process)."""
    global _pacer
    with _installed:
        first = _pacer is None
        _pacer = pacer
        if not first:
            return
        send = requests.adapters.HTTPAdapter.send

        def paced_send(
            self: requests.adapters.HTTPAdapter,
            request: requests.PreparedRequest,
            *args: Any,
            **kwargs: Any,
        ) -> requests.Response:
            tracker = _TRACKER.get()
            if tracker is not None and _pacer is not None:
                _pacer.take(tracker, credential_of(request))
            return send(self, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = paced_send  # type: ignore[method-assign]
