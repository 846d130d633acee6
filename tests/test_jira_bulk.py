"""Sub-tasks made in bulk against the fake Jira, Cloud and Data Center: a batch Jira refuses
in part, a story of more than 50 tasks, and a bulk create the rate limit holds back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stories import TaskSpec, diamond, edges
from tests.fakes.fake_jira import FakeJira
from tests.test_jira import BULK_POST, plans_on, run, serve, story, tasks_of
from tests.test_jira_convergence import blocks_edges, made_for


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve(request.param, monkeypatch)


def counts(fake: FakeJira, key: str) -> dict[str, int]:
    """How many sub-tasks each task of story `key` has."""
    return {task: len(made) for task, made in made_for(fake, key).items()}


def refuse_summaries_with(fake: FakeJira, word: str) -> None:
    def refuse(data: dict[str, Any]) -> dict[str, str] | None:
        summary = str((data.get("fields") or {}).get("summary"))
        return {"summary": "Refused by a workflow validator."} if word in summary else None

    fake.create_refusals.append(refuse)


def test_sub_tasks_jira_refuses_are_reported_and_the_next_run_makes_only_them(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    issue = story(fake, tasks)
    refuse_summaries_with(fake, "Password hashing")  # task 2 of 4
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 5
    assert "Jira refused 1 of the 4 sub-tasks for SHOP-1: task T2 (summary: Refused by" in err
    assert "run apply again to finish" in err
    assert sorted(tasks_of(fake, issue.key)) == ["T1", "T3", "T4"]  # the rest were kept
    assert fake.count("POST", BULK_POST) == 1
    fake.create_refusals.clear()
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    bulk = [e for e in fake.log if e.path.endswith("/issue/bulk")]
    assert len(bulk[-1].request_body["issueUpdates"]) == 1  # only the one refused before
    assert counts(fake, issue.key) == dict.fromkeys(["T1", "T2", "T3", "T4"], 1)
    assert blocks_edges(fake, issue.key) == edges(tasks)
    assert len(plans_on(issue)) == 1
    fake.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert fake.writes() == []


def test_a_story_of_51_tasks_is_made_in_two_bulk_requests(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 52)]
    issue = story(fake, tasks)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    bulk = [e for e in fake.log if e.path.endswith("/issue/bulk")]
    assert [len(e.request_body["issueUpdates"]) for e in bulk] == [50, 1]
    assert all(e.status == 201 for e in bulk)
    made = tasks_of(fake, issue.key)
    assert sorted(made, key=lambda t: int(t[1:])) == [f"T{n}" for n in range(1, 52)]
    assert all(i.properties["storyplan"]["story"] == issue.key for i in made.values())


def test_a_bulk_create_held_back_by_the_rate_limit_is_sent_again_after_the_wait(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    fake.rate_limit(retry_after=1, times=1, method="POST", path_regex=r"/issue/bulk$")
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert "Jira asked to slow down; waiting 1 s to create 4 sub-tasks under SHOP-1" in err
    assert [e.status for e in fake.log if e.path.endswith("/issue/bulk")] == [429, 201]
    assert counts(fake, issue.key) == dict.fromkeys(["T1", "T2", "T3", "T4"], 1)


def test_a_long_rate_limit_wait_stops_the_run_with_when_to_retry(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    fake.rate_limit(retry_after=120, method="POST", path_regex=r"/issue/bulk$")
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 9
    assert "rate limit reached while trying to create 4 sub-tasks" in err
    assert "retry in 120 seconds" in err
    assert fake.count("POST", BULK_POST) == 1  # not sent again
    assert fake.children(issue.key) == []
