"""The webhook endpoints, one per tracker: check the sender, decide, queue, answer.

Nothing here asks a tracker anything, so an answer takes one INSERT: 202 with the job, 200
when the event needs nothing (or a job doing the same already waits), 401 for a bad or
missing signature (and no job), 400 for a body that is not JSON. Bodies and tokens are never
logged; a line names the tracker, the event and the story.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import procrastinate
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import JSONResponse

from storyplan.decide import Decision, Ignore
from storyplan.decide.github import decide_github
from storyplan.decide.gitlab import decide_gitlab
from storyplan.decide.jira import decide_jira
from storyplan.serve import signature
from storyplan.serve.keys import job_keys
from storyplan.serve.queue import defer
from storyplan.serve.settings import ServeSettings

MAX_BODY = 5 * 1024 * 1024  # GitHub caps payloads at 25 MB; issue events are far smaller
log = logging.getLogger("storyplan.serve.receive")

EVENTS = Counter(
    "storyplan_webhooks",
    "Webhook deliveries by tracker and what became of them",
    ["tracker", "outcome"],
)

Endpoint = Callable[[Request], Awaitable[JSONResponse]]


def _answer(tracker: str, outcome: str, status: int, **body: Any) -> JSONResponse:
    EVENTS.labels(tracker, outcome).inc()
    return JSONResponse({"outcome": outcome, **body}, status_code=status)


async def _receive(
    request: Request,
    tracker: str,
    app: procrastinate.App,
    signed: Callable[[Mapping[str, str], bytes], bool],
    decide: Callable[[Mapping[str, str], dict[str, Any]], Decision],
) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _answer(tracker, "too large", 413)
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not signed(headers, body):
        log.warning("%s webhook refused: bad or missing signature", tracker)
        return _answer(tracker, "unauthorized", 401)
    try:
        payload = json.loads(body)
    except ValueError:
        return _answer(tracker, "not json", 400)
    if not isinstance(payload, dict):
        return _answer(tracker, "not json", 400)
    decision = decide(headers, payload)
    if isinstance(decision, Ignore):
        log.info("%s webhook ignored: %s", tracker, decision.reason)
        return _answer(tracker, "ignored", 200, reason=decision.reason)
    keys = job_keys(tracker, decision)
    job = await defer(app, tracker, decision)
    if job is None:
        log.info("%s webhook coalesced", tracker, extra={"story": keys.story})
        return _answer(tracker, "coalesced", 200, story=keys.story)
    log.info("%s webhook queued job %s", tracker, job, extra={"story": keys.story, "job_id": job})
    return _answer(tracker, "queued", 202, story=keys.story, job=job)


def receivers(
    app: procrastinate.App, serve: ServeSettings, trigger: str, story_label: str
) -> dict[str, Endpoint]:
    def github_decide(headers: Mapping[str, str], payload: dict[str, Any]) -> Decision:
        name = headers.get("x-github-event", "")
        repository = payload.get("repository")
        full_name = repository.get("full_name") if isinstance(repository, dict) else None
        if not full_name:
            return Ignore(f"the GitHub {name or 'unnamed'} event names no repository")
        return decide_github(name, payload, str(full_name), trigger, story_label)

    async def github(request: Request) -> JSONResponse:
        return await _receive(
            request,
            "github",
            app,
            lambda h, b: signature.github_signed(h, b, serve.github_webhook_secret),
            github_decide,
        )

    async def gitlab(request: Request) -> JSONResponse:
        return await _receive(
            request,
            "gitlab",
            app,
            lambda h, b: signature.gitlab_signed(h, serve.gitlab_webhook_token),
            lambda h, payload: decide_gitlab(payload, trigger),
        )

    async def jira(request: Request) -> JSONResponse:
        return await _receive(
            request,
            "jira",
            app,
            lambda h, b: signature.jira_signed(
                h, b, serve.jira_webhook_secret, serve.jira_automation_token
            ),
            lambda h, payload: decide_jira(payload, trigger),
        )

    return {"github": github, "gitlab": gitlab, "jira": jira}
