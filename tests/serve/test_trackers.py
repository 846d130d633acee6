"""Every tracker's receiver end to end: a story labelled with the trigger label (a GitLab
webhook, a signed Jira webhook, a Jira Automation request, GitHub's webhook) is planned by a
worker, and a second delivery of the same event changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import HARNESSES, Harness
from tests.e2e.stories import diamond, story_text
from tests.serve.service import SECRET, Service, labeled, wait_for


def _github(harness: Any) -> tuple[str, bytes, dict[str, str]]:
    harness.fake.set_role("alice", "write")
    body = json.dumps(labeled(harness.story.number)).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return "github", body, {"X-GitHub-Event": "issues", "X-Hub-Signature-256": f"sha256={digest}"}


def _gitlab(harness: Any) -> tuple[str, bytes, dict[str, str]]:
    from tests.e2e.harness_gitlab import PROJECT

    payload = {
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"username": "alice"},
        "project": {"path_with_namespace": PROJECT},
        "object_attributes": {"iid": harness.story.iid, "action": "update", "description": ""},
        "changes": {"labels": {"previous": [], "current": [{"title": "refined"}]}},
    }
    return "gitlab", json.dumps(payload).encode(), {"X-Gitlab-Token": SECRET}


def _jira_webhook(harness: Any) -> tuple[str, bytes, dict[str, str]]:
    payload = {
        "webhookEvent": "jira:issue_updated",
        "user": {"accountId": "5b10a2844c20165700ede21g"},
        "issue": {"key": harness.story.key, "fields": {"labels": ["refined"]}},
        "changelog": {"items": [{"field": "labels", "fromString": "", "toString": "refined"}]},
    }
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return "jira", body, {"X-Hub-Signature": f"sha256={digest}"}


def _jira_automation(harness: Any) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"action": "apply", "issue": harness.story.key}).encode()
    return "jira", body, {"Authorization": f"Bearer {SECRET}"}


EVENTS: dict[str, tuple[str, Callable[[Any], tuple[str, bytes, dict[str, str]]]]] = {
    "github": ("github", _github),
    "gitlab": ("gitlab", _gitlab),
    "jira-cloud-webhook": ("jira-cloud", _jira_webhook),
    "jira-dc-automation": ("jira-dc", _jira_automation),
}


@pytest.fixture(params=sorted(EVENTS))
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Harness, Any]]:
    harness_name, event = EVENTS[request.param]
    with HARNESSES[harness_name]() as harness:
        harness.write_story(story_text(diamond(5)))
        yield harness, event


def test_labelled_story_is_planned_once_through_its_trackers_webhook(
    case: tuple[Harness, Any], database: str, tmp_path: Path
) -> None:
    harness, event = case
    tracker, body, headers = event(harness)
    service = Service(database, tmp_path)
    try:
        service.start(workers=True)

        def send() -> httpx.Response:
            return service.http.post(f"/hooks/{tracker}", content=body, headers=headers)

        assert send().status_code == 202
        wait_for(lambda: len(harness.plan_bodies()) == 1 and service.idle(), 60, "the plan")
        assert sorted(harness.children()) == [f"T{n}" for n in range(1, 6)]
        harness.mark()
        assert send().status_code == 202
        service.wait_idle()
        assert harness.writes() == 0
        assert [status for _, status, _, _ in service.jobs()] == ["succeeded", "succeeded"]
    finally:
        service.stop()
