"""The webhook service end to end: `storyplan serve` and `storyplan worker` processes, a real
PostgreSQL queue, signed webhooks over HTTP and the fake GitHub."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import run_cli
from tests.e2e.harness_github import GithubHarness, github_harness
from tests.e2e.stories import diamond, story_text
from tests.fakes.base import Request, Response
from tests.serve.service import SECRET, Service, labeled, wait_for

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
    metrics = service.metrics()
    assert metrics["storyplan_jobs", (("status", "succeeded"), ("task", "act"))] == 1
    assert metrics["storyplan_webhooks_total", (("outcome", "queued"), ("tracker", "github"))] == 1
    requests = metrics["storyplan_tracker_requests_total", (("tracker", "github"),)]
    assert requests == len(github.fake.log)
    logged = service.processes[0].log.read_text()
    assert "tok-write" not in logged
    assert SECRET not in logged
    (done,) = [
        line
        for line in service.processes[0].lines()
        if line["logger"] == "storyplan.serve.queue" and "8 created" in line["message"]
    ]
    assert done["story"] == "octo/shop#1"
    assert done["job_id"] == service.jobs()[0][0]


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
    answers: list[str] = []

    def send() -> None:
        answers.append(service.github("issues", labeled(1)).json()["outcome"])

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20
    assert set(answers) == {"queued", "coalesced"}
    service.wait_idle()
    runs = service.jobs(LOCK)
    assert 1 <= len(runs) <= 2, runs
    assert all(status == "succeeded" for _, status, _, _ in runs)
    assert len(github.plan_bodies()) == 1
    assert sorted(github.children()) == [f"T{n}" for n in range(1, 9)]
    assert len(github.fake.sub_issues("octo/shop", 1)) == 8


def comment(number: int, body: str, login: str = "alice") -> dict[str, object]:
    return {
        "action": "created",
        "issue": {"number": number, "title": "Sign in", "body": "", "state": "open"},
        "comment": {"body": body, "user": {"login": login, "type": "User"}},
        "repository": {"full_name": "octo/shop"},
        "sender": {"login": login, "type": "User"},
    }


def test_two_workers_run_two_stories_at_once_and_one_story_never_at_once(
    github: GithubHarness, service: Service
) -> None:
    other = github.fake.add_issue("octo/shop", "Checkout", story_text(diamond(6)))
    github.fake.latency = 0.02  # a tracker's round trip: a plan takes a while
    service.start(workers=False)
    service.worker()
    service.worker()
    wait_for(lambda: service.workers() == 2, 60, "both workers to be ready")
    service.github("issues", labeled(1))
    service.github("issues", labeled(other.number))
    service.github("issue_comment", comment(1, "/storyplan plan"))
    service.wait_idle(90)
    spans = service.spans()
    jobs = {(args["decision"]["kind"], lock): job for job, _, lock, args in service.jobs()}
    first = spans[jobs["Apply", LOCK]]
    second = spans[jobs["Apply", f"github:octo/shop#{other.number}"]]
    command = spans[jobs["Command", LOCK]]
    overlap = min(first[1], second[1]) - max(first[0], second[0])
    assert overlap > 0, "two stories ran one after the other"
    assert first[1] <= command[0] or command[1] <= first[0], "one story ran twice at once"
    assert len(github.plan_bodies()) == 1
    replies = [c for c in github.fake.comments_on("octo/shop", 1) if "storyplan:plan" not in c.body]
    assert len(replies) == 1


def test_job_of_a_killed_worker_is_finished_by_another_without_duplicates(
    github: GithubHarness, service: Service
) -> None:
    created = threading.Event()
    made: list[int] = []

    def count_creates(request: Request, response: Response) -> None:
        # The sub-issues are made in one GraphQL request: the worker is killed while its
        # answer is held back, so it never hears that they were made.
        if request.path.endswith("/graphql") and b"createIssue" in request.body:
            made.append(response.status)
            created.set()
            time.sleep(2)

    github.fake.hooks.append(count_creates)
    github.fake.latency = 0.01
    service.start(workers=False)
    doomed = service.worker()
    assert service.github("issues", labeled(1)).status_code == 202
    assert created.wait(60), "the worker never started creating sub-issues"
    doomed.popen.send_signal(signal.SIGKILL)
    doomed.popen.wait(10)
    (job, status, _, _) = service.jobs(LOCK)[0]
    assert status == "doing"  # cut short: nobody finished it
    service.worker()
    service.wait_idle(60)
    assert service.jobs(LOCK) == [(job, "succeeded", LOCK, service.jobs(LOCK)[0][3])]
    assert sorted(github.children()) == [f"T{n}" for n in range(1, 9)]
    sub_issues = github.fake.sub_issues("octo/shop", 1)
    assert len(sub_issues) == 8
    assert len(github.fake.issues_in("octo/shop")) == 1 + 8  # no orphan duplicate either
    assert len(github.plan_bodies()) == 1


def test_sweep_catches_an_event_that_was_never_delivered(
    github: GithubHarness, database: str, tmp_path: Path
) -> None:
    assert run_cli("apply", github.ref) == 0
    github.close_child("T1")  # the closed event never reaches the service
    before = github.plan_bodies()[0]
    assert "0 of 8 tasks done" in before
    service = Service(
        database,
        tmp_path,
        STORYPLAN_SERVE__SWEEP="* * * * * *",
        STORYPLAN_SYNC__SCOPES='["github:octo/shop"]',
    )
    try:
        service.start(workers=True)
        wait_for(lambda: github.plan_bodies()[0] != before, 30, "the sweep to sync the plan")
    finally:
        service.stop()
    assert "1 of 8 tasks done" in github.plan_bodies()[0]
    assert len(github.plan_bodies()) == 1


def test_sigterm_lets_the_running_job_finish(github: GithubHarness, service: Service) -> None:
    github.fake.latency = 0.03
    service.start(workers=False)
    worker = service.worker()
    assert service.github("issues", labeled(1)).status_code == 202
    wait_for(lambda: service.jobs(LOCK)[0][1] == "doing", 30, "the job to start")
    assert worker.stop(signal.SIGTERM, timeout=60) == 0
    assert service.jobs(LOCK)[0][1] == "succeeded"
    assert sorted(github.children()) == [f"T{n}" for n in range(1, 9)]
