"""Drives the webhook service as a user runs it: `storyplan serve` and `storyplan worker` as
real processes against a real PostgreSQL and the fake trackers, events over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.serve.postgres import free_port

SECRET = "webhook-secret-for-tests"
LAUNCH = "from storyplan.cli import run; run()"


def fast_settings(database: str, **extra: str) -> dict[str, str]:
    """Environment for a service that notices a vanished worker within seconds."""
    return {
        "DATABASE_URL": database,
        "STORYPLAN_SERVE__GITHUB_WEBHOOK_SECRET": SECRET,
        "STORYPLAN_SERVE__GITLAB_WEBHOOK_TOKEN": SECRET,
        "STORYPLAN_SERVE__JIRA_WEBHOOK_SECRET": SECRET,
        "STORYPLAN_SERVE__JIRA_AUTOMATION_TOKEN": SECRET,
        "STORYPLAN_SERVE__HEARTBEAT_SECONDS": "0.5",
        "STORYPLAN_SERVE__STALLED_AFTER_SECONDS": "2",
        "STORYPLAN_SERVE__RECOVER": "* * * * * *",
        "STORYPLAN_SERVE__SWEEP": "",
        "STORYPLAN_SERVE__BACKOFF_SECONDS": "0.2",
        # The fakes have no rate limit; the budget itself is tested in test_pacing.
        "STORYPLAN_SERVE__REQUESTS_PER_HOUR__GITHUB": "0",
        "STORYPLAN_SERVE__REQUESTS_PER_HOUR__GITLAB": "0",
        "STORYPLAN_SERVE__REQUESTS_PER_HOUR__JIRA": "0",
        **extra,
    }


class Process:
    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *args],
            env={**os.environ, **env},
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        finally:
            self._file.close()

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(10)
        self._file.close()

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


class Service:
    """A receiver (`storyplan serve`, with or without its own workers) and extra workers."""

    def __init__(self, database: str, root: Path, **env: str) -> None:
        self.database = database
        self.root = root
        self.port = free_port()
        self.env = {**fast_settings(database), "STORYPLAN_SERVE__PORT": str(self.port), **env}
        self.processes: list[Process] = []
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def start(self, *, workers: bool = True) -> Service:
        args = ["serve"] if workers else ["serve", "--no-workers"]
        self.processes.append(Process(args, self.env, self.root / "serve.log"))
        wait_for(self._healthy, 30, "the receiver to answer /healthz")
        return self

    def _healthy(self) -> bool:
        if self.processes[0].popen.poll() is not None:
            raise AssertionError("serve exited:\n" + self.processes[0].log.read_text()[-3000:])
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def worker(self, concurrency: int = 1) -> Process:
        n = len(self.processes)
        process = Process(
            ["worker", "--concurrency", str(concurrency)], self.env, self.root / f"worker{n}.log"
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        running = [p for p in self.processes if p.popen.poll() is None]
        for process in running:  # all at once: each finishes its own job
            process.popen.send_signal(signal.SIGTERM)
        for process in running:
            process.stop()
        self.http.close()

    # -- sending ------------------------------------------------------------------------
    def github(
        self, event: str, payload: dict[str, Any], *, secret: str | None = SECRET
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {"X-GitHub-Event": event, "Content-Type": "application/json"}
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + digest
        return self.http.post("/hooks/github", content=body, headers=headers)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """/metrics by (sample name, sorted labels)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = self.http.get("/metrics").text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    # -- the queue, as the database holds it ----------------------------------------------
    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database, autocommit=True) as connection:
            return connection.execute(sql, args).fetchall()  # type: ignore[arg-type]

    def jobs(self, lock: str | None = None) -> list[tuple[Any, ...]]:
        """(id, status, lock, args) of the act jobs, oldest first."""
        where = "task_name = 'storyplan.act'" + (" AND lock = %s" if lock else "")
        return self.query(
            f"SELECT id, status::text, lock, args FROM procrastinate_jobs WHERE {where} "
            "ORDER BY id",
            *([lock] if lock else []),
        )

    def workers(self) -> int:
        """Workers registered in the database: each has started taking jobs."""
        if not self.query("SELECT to_regclass('procrastinate_workers') IS NOT NULL")[0][0]:
            return 0
        return int(self.query("SELECT count(*) FROM procrastinate_workers")[0][0])

    def idle(self) -> bool:
        rows = self.query(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'storyplan.act' "
            "AND status IN ('todo', 'doing')"
        )
        return rows[0][0] == 0

    def wait_idle(self, timeout: float = 60) -> None:
        wait_for(self.idle, timeout, "the queue to empty")

    def spans(self) -> dict[int, tuple[float, float]]:
        """Each finished act job's (started, finished), from Procrastinate's event log."""
        rows = self.query(
            "SELECT e.job_id, e.type::text, extract(epoch FROM e.at) FROM procrastinate_events e "
            "JOIN procrastinate_jobs j ON j.id = e.job_id WHERE j.task_name = 'storyplan.act' "
            "ORDER BY e.id"
        )
        started: dict[int, float] = {}
        spans: dict[int, tuple[float, float]] = {}
        for job, kind, at in rows:
            if kind == "started":
                started[job] = float(at)
            elif kind in ("succeeded", "failed") and job in started:
                spans[job] = (started[job], float(at))
        return spans


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def labeled(number: int, sender: str = "alice", label: str = "refined") -> dict[str, Any]:
    """An `issues` `labeled` webhook body as GitHub sends it (the fields storyplan reads)."""
    return {
        "action": "labeled",
        "issue": {"number": number, "title": "Sign in", "body": "", "state": "open"},
        "label": {"name": label},
        "repository": {"full_name": "octo/shop"},
        "sender": {"login": sender, "type": "User"},
    }
