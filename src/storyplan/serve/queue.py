"""The job queue: a Procrastinate app on PostgreSQL with storyplan's three tasks.

- `storyplan.act` carries out one decision (`jobs.carry_out`), with the story as its lock
  and what it does to the story as its queueing lock (`keys`), retried with backoff when
  the tracker fails or limits the rate, never when the story or the settings are wrong.
- `storyplan.sweep` (periodic, `[serve] sweep`) queues `sync` for every planned story.
- `storyplan.recover` (periodic, `[serve] recover`) hands the jobs of a worker that stopped
  sending heartbeats (killed, machine gone) back to the queue.
- `storyplan.cleanup` (hourly) forgets jobs that succeeded `[serve] keep_jobs_hours` ago.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import psycopg
from procrastinate import exceptions as pexc
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job, Status

from storyplan.compose import make_tracker
from storyplan.config import Settings
from storyplan.decide import Decision, SyncStory
from storyplan.errors import (
    AuthError,
    CapabilityError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    StoryplanError,
    TrackerError,
)
from storyplan.redact import redact
from storyplan.refs import Ref, parse_ref
from storyplan.serve import jobs, logs, pacing
from storyplan.serve.keys import decode, encode, job_keys
from storyplan.serve.settings import ServeSettings

ACT = "storyplan.act"
SWEEP = "storyplan.sweep"
RECOVER = "storyplan.recover"
CLEANUP = "storyplan.cleanup"
QUEUE = "storyplan"
# A tracker error that another try cannot mend.
FINAL = (AuthError, NotFoundError, ForbiddenError, CapabilityError)
log = logging.getLogger("storyplan.serve.queue")


class Backoff(procrastinate.BaseRetryStrategy):
    """Try again after backoff**attempt seconds when the tracker failed, or when it asks
    (a rate limit's retry-after); a bad story or bad settings fail at once."""

    def __init__(self, attempts: int, backoff: float) -> None:
        self.attempts = attempts
        self.backoff = backoff

    def get_retry_decision(
        self, *, exception: BaseException, job: Job
    ) -> procrastinate.RetryDecision | None:
        if job.attempts + 1 >= self.attempts:
            return None
        if isinstance(exception, RateLimitError) and exception.retry_after is not None:
            return _retry_in(exception.retry_after)
        if isinstance(exception, TrackerError) and not isinstance(exception, FINAL):
            return _retry_in(self.backoff ** (job.attempts + 1))
        return None


def _retry_in(seconds: float) -> procrastinate.RetryDecision:
    return procrastinate.RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=seconds))


async def defer(app: procrastinate.App, tracker: str, decision: Decision) -> int | None:
    """Queue one decision; None when a job doing the same to the story already waits."""
    keys = job_keys(tracker, decision)
    task = app.configure_task(ACT, lock=keys.lock, queueing_lock=keys.queueing_lock)
    try:
        return await task.defer_async(tracker=tracker, decision=encode(decision))
    except pexc.AlreadyEnqueued:
        return None


def defer_now(app: procrastinate.App, tracker: str, decision: Decision) -> int | None:
    """`defer` from a job's own thread."""
    keys = job_keys(tracker, decision)
    task = app.configure_task(ACT, lock=keys.lock, queueing_lock=keys.queueing_lock)
    try:
        return task.defer(tracker=tracker, decision=encode(decision))
    except pexc.AlreadyEnqueued:
        return None


def make_app(
    conninfo: str,
    settings: Settings,
    serve: ServeSettings,
    settings_for: Callable[[Ref], Settings] | None = None,
) -> procrastinate.App:
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo),
        worker_defaults={
            "queues": [QUEUE],
            "update_heartbeat_interval": serve.heartbeat_seconds,
            "stalled_worker_timeout": serve.stalled_after_seconds,
            "fetch_job_polling_interval": 5.0,
        },
    )
    choose = settings_for or (lambda ref: settings)

    def act(context: JobContext, tracker: str, decision: dict[str, Any]) -> str:
        wanted = decode(decision)
        job_id = context.job.id if context.job else None
        with logs.job_context(job_keys(tracker, wanted).story, job_id), pacing.paced(tracker):
            try:
                done = jobs.carry_out(tracker, wanted, choose)
            except StoryplanError as error:
                reason = redact(str(error))
                log.warning("job failed: %s", reason, extra={"error": type(error).__name__})
                raise
            for follow in done.then:
                defer_now(app, tracker, follow)
            log.info(done.summary)
            return done.summary

    app.task(
        name=ACT,
        queue=QUEUE,
        pass_context=True,
        retry=Backoff(serve.attempts, serve.backoff_seconds),
    )(act)

    async def sweep(timestamp: int) -> int:
        queued = 0
        for scope in settings.sync.scopes:
            tracker, _, project = scope.partition(":")
            if not project:
                log.warning("[sync] scope '%s' names no tracker; write github:owner/repo", scope)
                continue
            try:
                keys = await asyncio.to_thread(_planned, tracker, project, choose)
            except StoryplanError as error:
                log.warning("sweep of %s failed: %s", scope, error)
                continue
            for key in keys:
                queued += await defer(app, tracker, SyncStory(key)) is not None
        log.info("sweep queued %d sync job(s)", queued)
        return queued

    async def recover(timestamp: int) -> int:
        return await recover_stalled(app, serve.stalled_after_seconds)

    async def cleanup(timestamp: int) -> None:
        await app.job_manager.delete_old_jobs(nb_hours=serve.keep_jobs_hours, queue=QUEUE)

    if serve.sweep:
        app.periodic(cron=serve.sweep, periodic_id="sweep")(
            app.task(name=SWEEP, queue=QUEUE, queueing_lock=SWEEP)(sweep)
        )
    app.periodic(cron=serve.recover, periodic_id="recover")(
        app.task(name=RECOVER, queue=QUEUE, queueing_lock=RECOVER)(recover)
    )
    app.periodic(cron="41 * * * *", periodic_id="cleanup")(
        app.task(name=CLEANUP, queue=QUEUE, queueing_lock=CLEANUP)(cleanup)
    )
    return app


def _planned(tracker: str, project: str, choose: Callable[[Ref], Settings]) -> list[str]:
    ref = Ref(tracker, project, "")  # type: ignore[arg-type]
    backend = make_tracker(choose(ref), ref)
    finder = getattr(backend, "find_planned", None)
    if finder is None:
        raise CapabilityError(f"the {tracker} tracker cannot search for planned stories")
    label = choose(ref).labels.story
    return [parse_ref(key, tracker).key for key in finder(project, label)]  # type: ignore[arg-type]


async def recover_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put the jobs of vanished workers back in the queue. A job whose twin already waits
    (same story, same kind) is closed instead: the twin does its work."""
    handed = 0
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            await manager.retry_job(job)
            handed += 1
            log.warning("job %s of a vanished worker goes back to the queue", job.id)
        except pexc.ConnectorException as error:
            if not isinstance(error.__cause__, psycopg.errors.UniqueViolation):
                raise
            await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            log.warning("job %s of a vanished worker is left to the job that waits", job.id)
    return handed


SCHEMA_LOCK = 7_201_603  # pg_advisory_lock key: one process sets the schema up at a time


async def migrate(app: procrastinate.App, conninfo: str) -> None:
    """Create Procrastinate's tables and storyplan's budget table where they are missing."""
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            row = await (
                await connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            ).fetchone()
            if not (row and row[0]):
                await app.schema_manager.apply_schema_async()
            await connection.execute(pacing.SCHEMA)
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
