"""GitHub over GraphQL against the fake, with the real PyGithub requester: what one request
reads, how batches of mutations fail and finish, storyplan's pacing (on a clock that does
not sleep), Enterprise servers whose schema lacks a field, and that every document storyplan
sends is one GitHub's schema accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from storyplan.cli import main
from storyplan.compose import make_tracker
from storyplan.config import load_settings
from storyplan.refs import parse_ref
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.fake_github import FakeGithub, assert_spec_clean, github_fake
from tests.fakes.github_graphql import kind_of, operation_of
from tests.test_github_pacing import Clock, paced_by

ENV = ("GITHUB_TOKEN", "GH_TOKEN", "STORYPLAN_GITHUB__BASE_URL")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return paced_by(monkeypatch)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[FakeGithub]:
    with github_fake() as server:
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
        monkeypatch.setenv("STORYPLAN_GITHUB__BASE_URL", server.url)
        monkeypatch.setenv("STORYPLAN_GITHUB__RETRIES", "0")
        server.add_repo("octo/shop")
        yield server
        assert_spec_clean(server)


def chain(count: int) -> list[TaskSpec]:
    return [TaskSpec(n, f"Step {n}", [n - 1] if n > 1 else []) for n in range(1, count + 1)]


def story(fake: FakeGithub, tasks: list[TaskSpec]) -> str:
    issue = fake.add_issue("octo/shop", "Sign in", story_text(tasks))
    return f"octo/shop#{issue.number}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def graphql(fake: FakeGithub) -> list[tuple[str, tuple[str, ...], int]]:
    """(kind, root fields, status) of each GraphQL request in the log."""
    return [
        (kind_of(entry), operation_of(str(entry.request_body.get("query")))[1], entry.status)
        for entry in fake.log
        if entry.path.endswith("/graphql") and isinstance(entry.request_body, dict)
    ]


def test_a_first_apply_is_one_query_and_three_mutation_requests(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = chain(20)
    ref = story(fake, tasks)
    assert run(capsys, "apply", ref)[0] == 0
    sent = graphql(fake)
    assert [kind for kind, _, _ in sent] == ["query", "mutation", "mutation", "mutation"]
    assert len(fake.log) == 4  # nothing over REST
    assert set(sent[1][1]) == {"createLabel"}  # storyplan's labels, new to the repository
    assert sent[2][1] == ("createIssue",) * 20  # made, attached and labelled at once
    assert sorted(set(sent[3][1])) == ["addBlockedBy", "addComment", "addLabelsToLabelable"]
    assert fake.write_count() == 2 + 20 + 19 + 2
    number = int(ref.split("#")[1])
    assert len(fake.sub_issues("octo/shop", number)) == 20
    assert all("storyplan:task" in i.labels for i in fake.sub_issues("octo/shop", number))
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert [kind for kind, _, _ in graphql(fake)] == ["query"]
    assert fake.write_count() == 0


def test_a_rate_limited_batch_waits_as_github_asks_and_finishes(
    fake: FakeGithub, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    ref = story(fake, tasks)
    fake.secondary_rate_limit(retry_after=7, on=r"#mutation:.*createIssue")
    code, _, err = run(capsys, "apply", ref)
    assert code == 0, err
    creates = [status for _, fields, status in graphql(fake) if "createIssue" in fields]
    assert creates == [403, 200]  # refused, not carried out, then sent again
    assert 7 in clock.sleeps
    waits = [line for line in err.splitlines() if "rate limit reached" in line]
    assert len(waits) == 1
    assert "waiting 7.0 s" in waits[0]
    number = int(ref.split("#")[1])
    assert len(fake.sub_issues("octo/shop", number)) == 4
    held = {i.number for i in fake.sub_issues("octo/shop", number)}
    assert {b.number for i in held for b in fake.blocked_by("octo/shop", i)} <= held
    assert sum(len(fake.blocked_by("octo/shop", i)) for i in held) == len(edges(tasks))


def test_a_rate_limit_that_resets_later_than_a_minute_stops_the_run(
    fake: FakeGithub, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    fake.secondary_rate_limit(retry_after=600, on=r"#mutation:")
    code, _, err = run(capsys, "apply", ref)
    assert code == 9
    assert "rate limit reached" in err
    assert "retry in 600 seconds" in err
    assert clock.sleeps == []


def test_a_story_of_100_tasks_waits_for_githubs_creation_budget_and_says_so(
    fake: FakeGithub,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES", "1")
    ref = story(fake, chain(100))
    code, _, err = run(capsys, "apply", ref)
    assert code == 0, err
    waits = [line for line in err.splitlines() if "a minute at most" in line]
    assert len(waits) == 1  # one line a wait
    assert "50 issues and comments made in the last minute" in waits[0]
    assert max(clock.sleeps) > 55
    # Mutation requests were spaced by a second, never closer.
    assert all(s > 0 for s in clock.sleeps)
    creates = [len(fields) for _, fields, _ in graphql(fake) if "createIssue" in fields]
    assert creates == [50, 50]
    assert len(fake.sub_issues("octo/shop", int(ref.split("#")[1]))) == 100


def test_a_story_read_pages_past_100_sub_issues_comments_and_blockers(
    fake: FakeGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    parent = fake.issue("octo/shop", number)
    subs = [fake.add_issue("octo/shop", f"Sub {n}", "") for n in range(130)]
    for sub in subs:
        fake.link_sub_issue(parent, sub)
    for blocker in subs[:60]:
        fake.link_blocked_by(subs[-1], blocker)
    for index in range(105):
        fake.add_comment("octo/shop", number, f"chatter {index}")
    tracker = make_tracker(load_settings(), parse_ref(ref, "github"))
    state = tracker.read_state(tracker.fetch_story(ref))
    assert [c.key for c in state.children] == [f"octo/shop#{s.number}" for s in subs]
    blocked = [link for link in state.links if link.blocked == f"octo/shop#{subs[-1].number}"]
    assert len(blocked) == 60
    pages = [fields for kind, fields, _ in graphql(fake)]
    assert pages[0] == ("repository",)  # the story, with the first page of everything
    assert sorted(pages[1:]) == [("node",)] * 3  # comments, sub-issues, one child's blockers
    assert len(fake.log) == 4


def test_an_enterprise_server_without_dependencies_in_graphql_uses_rest_and_says_so_once(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.graphql_dependencies = False  # REST has them, the GraphQL schema does not
    tasks = diamond(4)
    ref = story(fake, tasks)
    code, _, err = run(capsys, "apply", ref)
    assert code == 0, err
    said = [line for line in err.splitlines() if "using its REST API" in line]
    assert len(said) == 1
    assert "no Issue.blockedBy in its GraphQL API" in said[0]
    assert [kind for kind, _, _ in graphql(fake)] == ["query"]  # asked once, then REST
    assert fake.count("POST", r"/dependencies/blocked_by$") == len(edges(tasks))
    fake.clear_log()
    code, out, err = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert fake.writes() == []


def test_every_document_storyplan_sends_is_valid_against_githubs_schema(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(8)
    ref = story(fake, tasks)
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    fake.issue("octo/shop", number).body = story_text(
        [
            TaskSpec(1, "Renamed first"),
            *tasks[1:6],
            TaskSpec(8, "Step 8", [6]),
            TaskSpec(9, "Audit", [1]),
        ]
    )
    assert run(capsys, "apply", ref)[0] == 0  # create, update, unlink, obsolete
    assert run(capsys, "apply", "--prune", ref)[0] == 0  # close
    fake.sub_issues("octo/shop", number)[0].state = "closed"
    assert run(capsys, "sync", ref)[0] == 0
    sent = {name for _, fields, _ in graphql(fake) for name in fields}
    assert {"createIssue", "updateIssue", "addBlockedBy", "removeBlockedBy"} <= sent
    assert {"addComment", "updateIssueComment", "addLabelsToLabelable", "closeIssue"} <= sent
    for entry in fake.log:
        if entry.path.endswith("/graphql"):
            errors = (entry.response_body or {}).get("errors") or []
            assert errors == [], json.dumps(errors)[:500]
