"""The webhook service end to end: `storyplan serve` and `storyplan worker` processes, a real
PostgreSQL queue, signed webhooks over HTTP and the fake GitHub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import GithubHarness, github_harness
from tests.e2e.stories import diamond, story_text
from tests.serve.service import Service, labeled, wait_for

LOCK = "github:octo/shop#1"


@pytest.fixture
def github() -> Iterator[GithubHarness]:
    with github_harness() as harness:
        harness.fake.set_role("alice", "write")
        harness.write_story(story_text(diamond(8)))
        yield harness


@pytest.fixture
def service(database: str, tmp_path: Path) -> Iterator[Service]:
    running = Service(database, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_labelled_story_gets_planned(github: GithubHarness, service: Service) -> None:
    service.start(workers=True)
    answer = service.github("issues", labeled(1))
    assert answer.status_code == 202, answer.text
    assert answer.json()["story"] == "octo/shop#1"
    wait_for(lambda: len(github.plan_bodies()) == 1 and service.idle(), 60, "the plan")
    assert sorted(github.children()) == [f"T{n}" for n in range(1, 9)]
    assert [status for _, status, _, _ in service.jobs()] == ["succeeded"]


def test_wrong_or_missing_signature_gets_401_and_no_job(
    github: GithubHarness, service: Service
) -> None:
    service.start(workers=False)
    assert service.github("issues", labeled(1), secret="not-the-secret").status_code == 401
    assert service.github("issues", labeled(1), secret=None).status_code == 401
    gitlab = service.http.post("/hooks/gitlab", json={}, headers={"X-Gitlab-Token": "wrong"})
    jira = service.http.post("/hooks/jira", json={}, headers={"Authorization": "Bearer wrong"})
    assert (gitlab.status_code, jira.status_code) == (401, 401)
    assert service.jobs() == []
    assert github.fake.log == []  # nothing asked of the tracker either


def test_twenty_events_for_one_story_give_one_plan_and_at_most_two_runs(
    github: GithubHarness, service: Service
) -> None:
    service.start(workers=False)
    service.worker()
    answers: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(service.github("issues", labeled(1)).status_code)
        )
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(answers)) <= [200, 202] and len(answers) == 20
    service.wait_idle()
    runs = service.jobs(LOCK)
    assert 1 <= len(runs) <= 2, runs
    assert all(status == "succeeded" for _, status, _, _ in runs)
    assert len(github.plan_bodies()) == 1
    assert sorted(github.children()) == [f"T{n}" for n in range(1, 9)]
    assert len(github.fake.sub_issues("octo/shop", 1)) == 8
