"""The receiver's HTTP application (Starlette): the three webhook endpoints, `GET /healthz`
(200 when the database answers) and `GET /metrics` (Prometheus' text format).
"""

from __future__ import annotations

import asyncio

import procrastinate
import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storyplan.serve.metrics import QueueCollector
from storyplan.serve.receivers import receivers
from storyplan.serve.settings import ServeSettings


def build_web(
    app: procrastinate.App,
    conninfo: str,
    serve: ServeSettings,
    trigger_label: str,
    story_label: str,
) -> Starlette:
    registry = CollectorRegistry()
    registry.register(QueueCollector(conninfo))

    async def healthz(request: Request) -> JSONResponse:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, connect_timeout=2
            ) as connection:
                await connection.execute("SELECT 1")
        except psycopg.Error:
            return JSONResponse({"database": "unreachable"}, status_code=503)
        return JSONResponse({"database": "ok"})

    def scrape() -> bytes:
        return generate_latest(REGISTRY) + generate_latest(registry)

    async def metrics(request: Request) -> Response:
        try:
            text = await asyncio.to_thread(scrape)
        except psycopg.Error:
            return Response("database unreachable\n", status_code=503)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    hooks = receivers(app, serve, trigger_label, story_label)
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *(Route(f"/hooks/{name}", endpoint, methods=["POST"]) for name, endpoint in hooks.items()),
    ]
    return Starlette(routes=routes)
