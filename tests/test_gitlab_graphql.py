"""GitLab's GraphQL path against the fake over HTTP: mutations that fail one by one inside a
batch and the run that finishes them, the plan note another trusted identity wrote (which
GitLab lets only its author edit), what a no-op costs, and the complexity limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from storyplan import markers
from storyplan.adapters.gitlab.mutations import Op, document, requests
from storyplan.adapters.gitlab.story_read import story_document
from tests.e2e.harness_gitlab import PROJECT, assert_clean, gitlab_environment
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.fake_gitlab import FakeGitlab, Issue
from tests.fakes.gitlab_complexity import AUTHENTICATED_COMPLEXITY, query_complexity
from tests.test_gitlab import plan_notes, ref, run, writes


@pytest.fixture
def fake() -> Iterator[FakeGitlab]:
    with FakeGitlab() as server, gitlab_environment(server):
        server.add_project(PROJECT)
        server.add_label(PROJECT, "storyplan:task")
        yield server
        assert_clean(server)


def story(fake: FakeGitlab, tasks: list[TaskSpec]) -> Issue:
    return fake.add_issue(PROJECT, "Sign in", description=story_text(tasks))


def task_ids(fake: FakeGitlab, issue: Issue) -> list[str]:
    found = []
    for child in fake.children(issue):
        mark = markers.read_identity(child.description or "", "task")
        assert mark is not None
        found.append(mark["id"])
    return sorted(found)


def blocking(fake: FakeGitlab, issue: Issue) -> set[tuple[str, str]]:
    by_id = {}
    for child in fake.children(issue):
        mark = markers.read_identity(child.description or "", "task")
        assert mark is not None
        by_id[child.id] = mark["id"]
    with fake.lock:
        return {
            (by_id[lk.source_id], by_id[lk.target_id])
            for lk in fake.links.values()
            if lk.link_type == "blocks" and lk.source_id in by_id and lk.target_id in by_id
        }


# -- a batch where some mutations fail -------------------------------------------------------
@pytest.mark.parametrize("how", ["error", "payload"])
def test_creates_that_fail_alone_are_reported_and_the_next_run_makes_only_those(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    tasks = diamond(8)
    issue = story(fake, tasks)
    fake.fail_mutations("workItemCreate", times=3, skip=2, how=how)  # the 3rd to the 5th
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 5, err
    assert "GitLab refused to create the task for T3" in err
    assert "2 more were not made" in err
    assert "run apply again to finish" in err
    assert task_ids(fake, issue) == ["T1", "T2", "T6", "T7", "T8"]  # made in the same request
    assert plan_notes(fake, issue) == []  # the second batch waits for the children
    fake.clear_log()
    known = len(fake.graphql_ops)
    code, out, err = run(capsys, "apply", ref(issue), "--json")
    assert code == 0, err
    assert json.loads(out)["created"] == 3
    assert task_ids(fake, issue) == [f"T{n}" for n in range(1, 9)]  # one each, no duplicate
    assert blocking(fake, issue) == edges(tasks)
    assert len(plan_notes(fake, issue)) == 1
    creates = [op for op in fake.graphql_ops[known:] if "workItemCreate" in op.root_fields]
    assert [op.root_fields.count("workItemCreate") for op in creates] == [3]
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out, len(writes(fake))) == (0, True, 0)


def test_a_link_that_fails_alone_is_made_by_the_next_run_and_the_rest_stay(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(6)
    issue = story(fake, tasks)
    fake.fail_mutations("workItemAddLinkedItems", skip=1)
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 5
    assert "GitLab refused to link" in err
    assert len(blocking(fake, issue)) < len(edges(tasks))
    assert len(plan_notes(fake, issue)) == 1  # the plan went in the same request
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert blocking(fake, issue) == edges(tasks)
    assert len(plan_notes(fake, issue)) == 1


# -- the plan note of another trusted identity ------------------------------------------------
def test_a_trusted_plan_note_this_token_may_not_edit_is_replaced_by_one_it_may(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    issue = story(fake, tasks)
    assert run(capsys, "apply", ref(issue))[0] == 0
    (plan,) = [n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]
    fake.add_member(PROJECT, "dana", 30)  # a Developer, who ran storyplan from her terminal
    with fake.lock:
        plan.author_id = fake.user_id("dana")
        plan.body = plan.body.replace("- [ ] A registered shopper", "- [x] A registered shopper")
        issue.description = story_text([*tasks, TaskSpec(5, "Audit log", [4])])
    fake.clear_log()
    known = len(fake.graphql_ops)
    code, out, err = run(capsys, "apply", ref(issue), "--json")
    assert code == 0, err
    # GitLab refused to edit her note (only its author may); the plan is now a note of this
    # token's own, with her tick, and hers is gone: one plan.
    refused = [op for op in fake.graphql_ops[known:] if "updateNote" in op.root_fields]
    assert refused
    assert refused[0].field_errors != []
    (body,) = plan_notes(fake, issue)
    (note,) = [n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]
    assert note.author_id == fake.user["id"]
    assert "- [x] A registered shopper" in body
    assert "Audit log" in body
    assert json.loads(out)["plan"].endswith(f"#note_{note.id}")
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out, len(writes(fake))) == (0, True, 0)


# -- what a no-op costs ----------------------------------------------------------------------
def test_a_no_op_apply_is_one_request_and_never_asks_who_the_token_is(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, diamond(8))
    assert run(capsys, "apply", ref(issue))[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out) == (0, True)
    assert [(e.method, e.path) for e in fake.log] == [("POST", "/api/graphql")]
    assert fake.count("GET", r"/user$") == 0
    fake.clear_log()
    code, _, _ = run(capsys, "sync", ref(issue))
    assert code == 0
    assert len(fake.log) == 1
    assert fake.count("GET", r"/user$") == 0


# -- GitLab's complexity limit ---------------------------------------------------------------
def test_the_story_query_fits_gitlabs_complexity_limit_and_a_bigger_one_is_refused(
    fake: FakeGitlab,
) -> None:
    read = query_complexity(fake._schema, story_document(3), {})
    assert 100 < read < AUTHENTICATED_COMPLEXITY
    # Two hundred creates do not fit one request: they go in as few as the limit allows.
    ops = [
        Op("workItemCreate", "WorkItemCreateInput", {}, "workItem { id iid } errors")
        for _ in range(200)
    ]
    chunks = list(requests(ops))
    assert len(chunks) == -(-sum(op.cost for op in ops) // AUTHENTICATED_COMPLEXITY)
    for chunk in chunks:
        text, _ = document(chunk)
        assert query_complexity(fake._schema, text, {}) <= AUTHENTICATED_COMPLEXITY
    text, variables = document(ops)
    answer = fake._graphql_one({"query": text, "variables": variables}, "write")
    assert answer["errors"][0]["message"].startswith("Query has complexity of 1000")
    assert fake.issues == {}
    refused = fake.graphql_ops.pop()  # refused on purpose: not a document storyplan sends
    assert refused.errors == [answer["errors"][0]["message"]]
