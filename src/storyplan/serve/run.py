"""The two processes: `serve` (webhook receiver and workers in one event loop) and `worker`
(workers only). Both stop gracefully on SIGTERM or SIGINT: no new job is taken, the running
ones finish, then the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator

import procrastinate
import psycopg
import uvicorn
from procrastinate.exceptions import ConnectorException

from storyplan.config import Settings
from storyplan.errors import ConfigError
from storyplan.serve import logs, pacing
from storyplan.serve.credentials import settings_chooser
from storyplan.serve.queue import make_app, migrate
from storyplan.serve.settings import ServeSettings, database_url, serve_settings
from storyplan.serve.web import build_web

log = logging.getLogger("storyplan.serve")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: this process stops the worker too."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _prepare(settings: Settings) -> tuple[ServeSettings, str, procrastinate.App]:
    serve = serve_settings(settings)
    conninfo = database_url(serve)
    app = make_app(conninfo, settings, serve, settings_chooser(settings, serve))
    pacing.install(pacing.Pacer(conninfo, serve.requests_per_hour.model_dump(), serve.burst))
    return serve, conninfo, app


def _on_stop(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


@contextlib.asynccontextmanager
async def _opened(app: procrastinate.App, conninfo: str) -> AsyncIterator[None]:
    """The app's connection pool, the schema in place; one sentence if the database is not
    there (psycopg's message names host and port, never the password)."""
    try:
        # Asked once first: the pool would retry an absent server in the background forever.
        probe = await psycopg.AsyncConnection.connect(conninfo, connect_timeout=10)
        await probe.close()
        async with app.open_async():
            await migrate(app, conninfo)
            yield
    except psycopg.ProgrammingError:
        # Its message quotes the address, which may hold a password.
        raise ConfigError(
            "DATABASE_URL (or [serve] database_url) is not a PostgreSQL address: "
            "postgresql://user@host:5432/database"
        ) from None
    except (psycopg.OperationalError, ConnectorException) as error:
        reason = str(error.__cause__ or error).splitlines()[0]
        raise ConfigError(f"the queue's database cannot be used: {reason}") from None


async def _serve(settings: Settings, with_workers: bool, concurrency: int | None) -> None:
    serve, conninfo, app = _prepare(settings)
    async with _opened(app, conninfo):
        web = build_web(app, conninfo, serve, settings.action.trigger_label, settings.labels.story)
        config = uvicorn.Config(
            web, host=serve.host, port=serve.port, log_config=None, lifespan="off"
        )
        server = _Server(config)
        worker = (
            asyncio.create_task(
                app.run_worker_async(
                    concurrency=concurrency or serve.concurrency,
                    install_signal_handlers=False,
                    name=f"{socket.gethostname()}-serve",
                )
            )
            if with_workers
            else None
        )

        def stop() -> None:
            log.info("stopping: the running jobs finish first")
            server.should_exit = True
            if worker is not None:
                worker.cancel()

        _on_stop(stop)
        log.info("listening on %s:%s", serve.host, serve.port)
        await server.serve()
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker


async def _work(settings: Settings, concurrency: int | None) -> None:
    serve, conninfo, app = _prepare(settings)
    async with _opened(app, conninfo):
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=concurrency or serve.concurrency,
                install_signal_handlers=False,
                name=f"{socket.gethostname()}-worker",
            )
        )

        def stop() -> None:
            log.info("stopping: the running jobs finish first")
            worker.cancel()

        _on_stop(stop)
        with contextlib.suppress(asyncio.CancelledError):
            await worker


def run_serve(settings: Settings, *, workers: bool = True, concurrency: int | None = None) -> None:
    logs.configure()
    asyncio.run(_serve(settings, workers, concurrency))


def run_worker(settings: Settings, *, concurrency: int | None = None) -> None:
    logs.configure()
    asyncio.run(_work(settings, concurrency))
