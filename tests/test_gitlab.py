"""GitLab specifics against the fake over HTTP with the real python-gitlab (REST and GraphQL):
the tier fallback, tasks mode and issues mode, self-managed roots, errors, lost answers,
retries, pagination and the note limit. The shared scenarios live in tests/e2e.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest
from gql.transport.exceptions import TransportQueryError
from graphql import FieldNode, OperationDefinitionNode, VariableNode, parse

import storyplan.adapters.gitlab.tracker as gitlab_tracker
from storyplan import markers
from storyplan.adapters.gitlab.blocked_by import blocked_by, with_blocked_by
from storyplan.adapters.gitlab.client import failure
from storyplan.adapters.gitlab.settings import GitlabSettings
from storyplan.adapters.gitlab.tracker import aliases_for, base_url_for
from storyplan.adapters.shared.transport import Service
from storyplan.cli import main
from storyplan.errors import RateLimitError
from storyplan.refs import parse_ref
from tests.e2e.harness_gitlab import PROJECT, assert_clean, gitlab_environment
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.base import Fault
from tests.fakes.fake_gitlab import FakeGitlab, Issue, is_write

PROGRESS = re.compile(r"^[a-z][a-z -]* \d+/\d+$")  # `creating sub-issues 1/4` on stderr


@pytest.fixture
def fake() -> Iterator[FakeGitlab]:
    with FakeGitlab() as server, gitlab_environment(server):
        server.add_project(PROJECT)
        yield server
        assert_clean(server)


def story(fake: FakeGitlab, tasks: list[TaskSpec] | None = None, text: str = "") -> Issue:
    return fake.add_issue(PROJECT, "Sign in", description=text or story_text(tasks or diamond(8)))


def ref(issue: Issue) -> str:
    return f"gitlab:{PROJECT}#{issue.iid}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def writes(fake: FakeGitlab) -> list[str]:
    return [f"{e.method} {e.path}" for e in fake.log if is_write(e.method, e.path, e.request_body)]


def tasks_of(fake: FakeGitlab, issue: Issue) -> list[Issue]:
    return [i for i in fake.project_issues(PROJECT) if "storyplan:task" in (i.description or "")]


def mutations(fake: FakeGitlab, field: str) -> list[dict[str, Any]]:
    """The input of every `field` mutation GitLab received, in order."""
    found = []
    for op in fake.graphql_ops:
        if op.operation_type != "mutation":
            continue
        document = parse(op.query)
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value == field:
                    argument = selection.arguments[0].value
                    assert isinstance(argument, VariableNode)
                    found.append(op.variables[argument.name.value])
    return found


def blocks(fake: FakeGitlab) -> set[tuple[int, int]]:
    return {
        (fake.work_item(lk.source_id).iid, fake.work_item(lk.target_id).iid)
        for lk in fake.links.values()
        if lk.link_type == "blocks"
    }


# -- what apply makes -------------------------------------------------------------------------
def test_tasks_are_child_work_items_labelled_and_titled_and_the_story_is_labelled(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    code, out, err = run(capsys, "apply", ref(issue), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["created"], data["linked"], data["notes"]) == (8, len(edges(diamond(8))), [])
    assert data["plan"].startswith(f"{fake.url}/{PROJECT}/-/issues/{issue.iid}#note_")
    children = fake.children(issue)
    assert len(children) == 8
    assert {child.issue_type for child in children} == {"task"}
    first = min(children, key=lambda c: c.iid)
    assert first.title == f"#{issue.iid} · Task 1: Session model"
    assert "storyplan:task" in first.labels
    assert "storyplan" in fake.issue(PROJECT, issue.iid).labels
    assert len(blocks(fake)) == len(edges(diamond(8)))
    # One mutation per task makes it and gives it its parent, all eight in one request; the
    # story, its notes and children, the type id and the labels' ids were one query.
    assert len(mutations(fake, "workItemCreate")) == 8
    assert fake.graphql_count("workItemCreate") == 1
    assert fake.graphql_count("project") == 1
    # The query, the task label (new to this project), the children, then their links with
    # the plan and the story's label.
    assert len(fake.log) == 4


# -- the tier fallback -----------------------------------------------------------------------
def test_without_blocking_links_the_run_falls_back_once_and_says_so(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.blocking_links_available = False
    tasks = diamond(6)
    issue = story(fake, tasks)
    code, out, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert out.count("note:") == 1
    assert "no blocking issue links on this tier" in out
    assert "Blocked work items are not available for the current subscription tier" in out
    # Asked once, in one request, from GitLab's answer; then the fallback in one more.
    assert fake.graphql_count("workItemAddLinkedItems") == 2
    kinds = [request["linkType"] for request in mutations(fake, "workItemAddLinkedItems")]
    assert kinds.count("RELATED") == len({b for _, b in edges(tasks)})  # one per blocked task
    assert len(fake.log) == 5  # the query, the labels, the tasks, the links, the fallback
    assert blocks(fake) == set()
    by_iid = {t.iid: t for t in fake.children(issue)}
    four = next(t for t in by_iid.values() if "Task 4:" in t.title)
    two, three = (next(t for t in by_iid.values() if f"Task {n}:" in t.title) for n in (2, 3))
    assert blocked_by(four.description or "", PROJECT) == [
        f"{PROJECT}#{two.iid}",
        f"{PROJECT}#{three.iid}",
    ]
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, writes(fake), "note:" in out) == (0, [], False)


def test_a_changed_dependency_moves_the_blocked_by_line_and_its_link_idempotently(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.blocking_links_available = False
    tasks = diamond(4)
    issue = story(fake, tasks)
    assert run(capsys, "apply", ref(issue))[0] == 0
    tasks[2] = TaskSpec(3, "Rate limiter", [])  # T3 no longer waits for T1
    tasks.append(TaskSpec(5, "Audit log", [4]))
    with fake.lock:
        fake.issue(PROJECT, issue.iid).description = story_text(tasks)
    code, out, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert "already keep their dependencies without blocking links" in out
    three = next(t for t in fake.children(issue) if "Task 3:" in t.title)
    five = next(t for t in fake.children(issue) if "Task 5:" in t.title)
    assert blocked_by(three.description or "", PROJECT) == []
    assert "Blocked by" not in (three.description or "")
    assert [lk.link_type for lk in fake.issue_links(three)] == ["relates_to"]  # to T4 only
    assert len(blocked_by(five.description or "", PROJECT)) == 1
    updated = [request["id"] for request in mutations(fake, "workItemUpdate")]
    assert five.gid not in updated  # written with the line at birth
    fake.clear_log()
    assert run(capsys, "apply", ref(issue))[0] == 0
    assert writes(fake) == []


def test_configured_relates_to_never_asks_and_writes_the_line_with_the_task(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_GITLAB__BLOCKING_LINKS", "relates_to")
    issue = story(fake, diamond(4))
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "note:" in out) == (0, False)
    assert blocks(fake) == set()
    # Tasks made in one request cannot name each other: the lines come with the links.
    described = [r for r in mutations(fake, "workItemUpdate") if "descriptionWidget" in r]
    assert len(described) == len({b for _, b in edges(diamond(4))})
    kinds = {request["linkType"] for request in mutations(fake, "workItemAddLinkedItems")}
    assert kinds == {"RELATED"}
    assert len(fake.log) == 4


def test_strict_blocks_on_a_free_tier_is_a_capability_error(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.blocking_links_available = False
    monkeypatch.setenv("STORYPLAN_GITLAB__BLOCKING_LINKS", "blocks")
    code, _, err = run(capsys, "apply", ref(story(fake, diamond(4))))
    assert code == 10
    assert "blocking issue links are not available on the GitLab at" in err
    assert [line for line in err.splitlines() if not PROGRESS.match(line)] == [err.splitlines()[-1]]


# -- tasks unavailable: issues mode -----------------------------------------------------------
def test_without_tasks_apply_stops_before_any_write_and_names_the_setting(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.tasks_available = False
    code, _, err = run(capsys, "apply", ref(story(fake, diamond(4))))
    assert code == 10
    assert "Task work items are not available in" in err
    assert 'children = "issues"' in err
    assert writes(fake) == []


def test_issues_mode_relates_one_issue_per_task_to_the_story(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.tasks_available = False
    monkeypatch.setenv("STORYPLAN_GITLAB__CHILDREN", "issues")
    tasks = diamond(6)
    issue = story(fake, tasks)
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    made = tasks_of(fake, issue)
    assert len(made) == 6
    assert {t.issue_type for t in made} == {"issue"}
    assert all(t.parent_id is None for t in made)
    related = {lk.target_id for lk in fake.issue_links(issue) if lk.link_type == "relates_to"}
    assert related == {t.id for t in made}
    assert len(blocks(fake)) == len(edges(tasks))
    assert fake.graphql_count() == 0  # issues mode is REST only
    fake.clear_log()
    assert run(capsys, "apply", ref(issue))[0] == 0
    assert writes(fake) == []
    # The story, its notes and its links (which list the children with their blocking counts),
    # the token's user (whose markers count), then the links of each child that blocks another.
    assert len(fake.log) == 4 + len({blocker for blocker, _ in edges(tasks)})
    assert fake.count("GET", r"/user$") == 1


# -- self-managed, nested paths, names ---------------------------------------------------------
def test_a_relative_url_root_and_every_ref_form_name_the_same_story(
    capsys: pytest.CaptureFixture[str],
) -> None:
    deep = "Big.Org/web-team/api.v3-beta"
    with FakeGitlab(prefix="/gitlab") as fake, gitlab_environment(fake):
        fake.add_project(deep)
        issue = fake.add_issue(deep, "Sign in", description=story_text(diamond(4)))
        url = f"{fake.origin}/gitlab/{deep}/-/issues/{issue.iid}"
        code, _, err = run(capsys, "apply", url)  # the root comes from [gitlab] base_url
        assert code == 0, err
        assert len(fake.children(issue)) == 4
        os.environ.pop("STORYPLAN_GITLAB__BASE_URL")  # put back by gitlab_environment
        for form in (f"gitlab:{deep.lower()}#{issue.iid}", url):
            fake.clear_log()
            code, out, err = run(capsys, "apply", form, "--base-url", f"{fake.url}/")
            assert code == 0, err
            assert "up to date" in out
            assert writes(fake) == []
        assert all(e.path.startswith("/gitlab/api/") for e in fake.log)
        assert_clean(fake)


def test_the_base_url_comes_from_the_option_then_the_ref_then_config() -> None:
    config = GitlabSettings(base_url="https://git.example.com/gitlab")
    url_ref = parse_ref("https://git.example.com/gitlab/g/p/-/issues/3")
    other = parse_ref("https://gitlab.other.org/g/p/-/issues/3")
    short = parse_ref("gitlab:g/p#3")
    assert base_url_for("https://x.test/api/v4/", short, config) == "https://x.test"
    assert base_url_for(None, url_ref, config) == "https://git.example.com/gitlab"
    assert base_url_for(None, other, config) == "https://gitlab.other.org"
    assert base_url_for(None, short, config) == "https://git.example.com/gitlab"
    assert base_url_for(None, short, GitlabSettings()) == "https://gitlab.com"
    assert aliases_for(url_ref, "https://git.example.com/gitlab") == {"gitlab/g/p#3": "g/p#3"}
    assert aliases_for(short, "https://git.example.com/gitlab") == {}


def test_the_blocked_by_line_keeps_a_persons_text_around_it() -> None:
    body = "<!-- storyplan:task -->\n<!-- storyplan:begin -->\nx\n<!-- storyplan:end -->\n"
    person = body + "\nA person's note.\n"
    lined = with_blocked_by(person, ["g/p#2", "other/q#9"], "g/p")
    assert (
        "<!-- storyplan:end -->\n\nBlocked by #2, other/q#9 <!-- storyplan:blocked-by -->\n\n"
        in lined
    )
    assert lined.endswith("A person's note.\n")
    assert blocked_by(lined, "g/p") == ["g/p#2", "other/q#9"]
    assert with_blocked_by(lined, [], "g/p") == person
    assert with_blocked_by(with_blocked_by(body, ["g/p#2"], "g/p"), [], "g/p") == body


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("missing-story", 7, f"could not read story {PROJECT}#999: not found"),
        ("missing-project", 7, "could not read story acme-corp/nope#1: not found"),
        ("no-token", 6, "no GitLab token: set GITLAB_TOKEN"),
        ("read-token", 8, "the token may not"),
        ("rate-limit", 9, "GitLab rate limit reached while trying to read story"),
    ],
)
def test_errors_are_one_sentence_with_their_exit_code(
    fake: FakeGitlab,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    code: int,
    message: str,
) -> None:
    target = ref(story(fake, diamond(4)))
    if setup == "missing-story":
        target = f"gitlab:{PROJECT}#999"
    elif setup == "missing-project":
        target = "gitlab:acme-corp/nope#1"
    elif setup == "no-token":
        monkeypatch.delenv("GITLAB_TOKEN")
    elif setup == "read-token":
        monkeypatch.setenv("GITLAB_TOKEN", "tok-read")
    elif setup == "rate-limit":
        fake.throttle(times=None, retry_after=3600)
    started = time.monotonic()
    got, out, err = run(capsys, "apply", target)
    assert time.monotonic() - started < 5  # python-gitlab did not sleep out Retry-After
    assert got == code, err
    assert message in err
    assert [line for line in err.splitlines() if not PROGRESS.match(line)] == [
        err.splitlines()[-1]
    ]  # one sentence (after progress lines), no traceback
    assert "Traceback" not in err
    assert "tok-" not in out + err
    if setup == "rate-limit":
        assert "retry in 3600 seconds" in err
        assert len(fake.log) == 1  # asked once, not retried


def test_a_429_without_retry_after_says_when_the_window_resets() -> None:
    # python-gitlab's error carries no headers: the client maps it with the last answer's.
    headers = {"ratelimit-reset": str(int(time.time()) + 600)}
    found = failure(gitlab.GitlabHttpError("Retry later", 429), headers)
    assert found is not None
    error = Service("GitLab", "gitlab.example.com", "GITLAB_TOKEN").error("read story g/p#1", found)
    assert isinstance(error, RateLimitError)
    assert "GitLab rate limit reached while trying to read story g/p#1; it resets at" in str(error)
    assert error.retry_after is not None
    assert 590 < error.retry_after <= 600


def test_graphql_errors_are_mapped_by_what_gitlab_means() -> None:
    def mapped(message: str) -> int | None:
        found = failure(TransportQueryError(message, errors=[{"message": message}]), {})
        assert found is not None
        return found.status

    denied = "The resource that you are attempting to access does not exist or you don't have "
    assert mapped(denied + "permission to perform this action") == 403
    assert mapped("Field 'workItemTypes' doesn't exist on type 'Project'") == 404
    assert mapped("Title can't be blank") == 400


def test_a_ci_job_token_is_sent_as_a_job_token(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers: list[set[str]] = []
    fake.hooks.append(lambda request, response: headers.append(set(request.headers)))
    fake.tokens["job-secret"] = "write"
    monkeypatch.delenv("GITLAB_TOKEN")
    monkeypatch.setenv("CI_JOB_TOKEN", "job-secret")
    code, out, err = run(capsys, "apply", ref(story(fake, diamond(3))))
    assert code == 0, err
    assert all("job-token" in names and "private-token" not in names for names in headers)
    assert "job-secret" not in out + err


def test_the_storyplan_token_variable_comes_first_and_a_job_token_last(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers: list[set[str]] = []
    fake.hooks.append(lambda request, response: headers.append(set(request.headers)))
    monkeypatch.setenv("STORYPLAN_GITLAB__TOKEN", "tok-write")
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrongwrongwrong")
    monkeypatch.setenv("CI_JOB_TOKEN", "job-wrong")
    code, out, err = run(capsys, "apply", ref(story(fake, diamond(2))))
    assert code == 0, err
    assert "tok-write" not in out + err
    monkeypatch.delenv("STORYPLAN_GITLAB__TOKEN")
    monkeypatch.setenv("GITLAB_TOKEN", "tok-write")
    headers.clear()
    code, _, err = run(capsys, "apply", ref(story(fake, diamond(2))))
    assert code == 0, err
    assert headers
    assert all("job-token" not in names for names in headers)


# -- lost answers and retries ------------------------------------------------------------------
def test_an_issue_whose_answer_is_lost_is_adopted_not_made_twice(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_GITLAB__CHILDREN", "issues")
    issue = story(fake)
    fake.faults.append(Fault("POST", r"/issues$", status=None, skip=2))
    fake.faults.append(Fault("POST", r"/issues$", status=502, skip=2))
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert fake.faults == []
    assert len(tasks_of(fake, issue)) == 8
    assert fake.count("POST", r"/issues$") == 8


def test_graphql_queries_are_retried_and_a_lost_plan_note_is_found_again(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_GITLAB__RETRIES", "2")
    issue = story(fake, diamond(3))
    fake.faults.append(Fault("POST", r"/api/graphql$", status=503, after=False))  # the query
    # The labels, the tasks, then the request with the links, the label and the plan note:
    # carried out, its answer lost.
    fake.faults.append(Fault("POST", r"/api/graphql$", status=502, after=True, skip=3))
    code, out, err = run(capsys, "apply", ref(issue), "--json")
    assert code == 0, err
    assert fake.faults == []
    assert fake.log[0].status == 503
    assert fake.graphql_count("namespace") == 2  # the story's read (retried), and read again
    assert len(mutations(fake, "createNote")) == 1  # not repeated: found again by its marker
    plans = [n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]
    assert len(plans) == 1
    assert json.loads(out)["linked"] == len(edges(diamond(3)))
    fake.clear_log()
    assert run(capsys, "apply", ref(issue))[0] == 0
    assert writes(fake) == []


# -- pagination and limits --------------------------------------------------------------------
def test_every_page_of_notes_and_children_is_read(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 106)]
    issue = story(fake, tasks)
    for index in range(130):
        fake.add_note(issue, f"chatter {index}")
    assert run(capsys, "apply", ref(issue))[0] == 0
    fake.clear_log()
    known = len(fake.graphql_ops)
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out, writes(fake)) == (0, True, [])
    # One query, then one more page of notes (the plan note came after 130 others) and one
    # more of children (105, 100 a page).
    names = [op.operation_name for op in fake.graphql_ops[known:]]
    assert names == ["StoryplanStory", "StoryplanNotes", "StoryplanChildren"]
    assert len(fake.log) == 3
    assert len([n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]) == 1


def test_a_plan_over_the_note_limit_is_refused_before_any_write(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, diamond(4))
    assert run(capsys, "apply", ref(issue))[0] == 0
    plan = next(n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body)
    with fake.lock:
        plan.body += "\n" + "A person's very long note. " * 37_000  # outside the markers
        fake.issue(PROJECT, issue.iid).description = story_text(diamond(5))
    fake.clear_log()
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 3
    assert "over the tracker's comment limit of 1,000,000" in err
    assert writes(fake) == []


def test_a_plan_too_long_in_full_is_shortened_not_half_written(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lower limit shows the same behaviour with a story under the 256 KB storyplan reads.
    monkeypatch.setattr(gitlab_tracker, "NOTE_MAX_CHARS", 100_000)
    long = "Long description. " * 300
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 21)]
    issue = story(fake, text=story_text(tasks).replace("end to end.", "end to end. " + long))
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    plans = [n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]
    assert len(plans) == 1
    assert len(plans[0].body) <= 100_000
    assert "Long description." not in plans[0].body
    assert "Long description." in (fake.children(issue)[0].description or "")


# -- convergence: runs that raced ------------------------------------------------------------
def task_of(issue: Issue) -> str:
    mark = markers.read_identity(issue.description or "", "task")
    assert mark is not None
    return mark["id"]


def kept_children(fake: FakeGitlab, story_issue: Issue, children: str) -> list[Issue]:
    """The story's children as GitLab holds them: child tasks, or issues related to it."""
    if children == "tasks":
        return fake.children(story_issue)
    ids = {lk.source_id ^ lk.target_id ^ story_issue.id for lk in fake.issue_links(story_issue)}
    return [fake.work_item(i) for i in ids]


def plan_notes(fake: FakeGitlab, story_issue: Issue) -> list[str]:
    return [n.body for n in fake.issue_notes(story_issue) if "storyplan:plan" in n.body]


def apply_together(issue: Issue, runs: int) -> None:
    """`runs` CLI processes started at once; the fake holds their first writes until every
    one has come, so each has read the story as new."""
    cli = str(Path(sys.executable).with_name("storyplan"))
    procs = [
        subprocess.Popen(
            [cli, "apply", ref(issue)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(runs)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err


def lines(fake: FakeGitlab, kept: list[Issue]) -> set[tuple[int, int]]:
    """(blocker, blocked) iids as the Free-tier fallback's Blocked by lines say."""
    iid = {f"{PROJECT}#{child.iid}": child.iid for child in fake.project_issues(PROJECT)}
    return {
        (iid[blocker], child.iid)
        for child in kept
        for blocker in blocked_by(child.description or "", PROJECT)
    }


@pytest.mark.parametrize("children", ["tasks", "issues", "free-tier"])
@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_applies_of_a_new_story_are_healed_by_the_next_apply(
    fake: FakeGitlab,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    runs: int,
    children: str,
) -> None:
    free = children == "free-tier"
    fake.blocking_links_available = not free
    children = "tasks" if free else children
    monkeypatch.setenv("STORYPLAN_GITLAB__CHILDREN", children)
    tasks = diamond(5)
    issue = story(fake, tasks)
    fake.hold_first_writes = runs
    apply_together(issue, runs)
    made = tasks_of(fake, issue)
    assert (len(plan_notes(fake, issue)), len(made)) == (runs, runs * len(tasks))  # they raced

    code, out, err = run(capsys, "apply", ref(issue), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["duplicates_closed"], report["plans_deleted"]) == ((runs - 1) * 5, runs - 1)
    assert len(plan_notes(fake, issue)) == 1
    kept = kept_children(fake, issue, children)
    assert sorted(task_of(child) for child in kept) == [f"T{n}" for n in range(1, 6)]
    oldest = {task_of(i): i for i in sorted(made, key=lambda i: i.id, reverse=True)}
    assert {child.id for child in kept} == {i.id for i in oldest.values()}
    assert all(c.state == "opened" and "storyplan:obsolete" not in c.labels for c in kept)
    by_task = {task_of(child): child.iid for child in kept}
    want = {(by_task[a], by_task[b]) for a, b in edges(tasks)}
    kept_iids = set(by_task.values())
    held = lines(fake, kept) if free else {p for p in blocks(fake) if set(p) & kept_iids}
    assert held == want
    for duplicate in (i for i in made if i.id not in {c.id for c in kept}):
        assert duplicate.state == "closed"
        assert "storyplan:obsolete" in duplicate.labels
        notes = [n.body for n in fake.issue_notes(duplicate)]
        assert f"Duplicate of #{by_task[task_of(duplicate)]}" in notes

    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out, writes(fake)) == (0, True, [])


# -- canonical names --------------------------------------------------------------------------
def test_the_story_in_another_letter_case_or_as_a_url_makes_no_new_writes(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, diamond(4))
    assert run(capsys, "apply", ref(issue))[0] == 0
    plan = plan_notes(fake, issue)[0]
    assert f'story="{PROJECT}#{issue.iid}"' in plan
    forms = (
        f"gitlab:{PROJECT.upper()}#{issue.iid}",
        f"gitlab:Acme-Corp/Platform.Team/Shop-API.v2#{issue.iid}",
        f"{fake.url}/{PROJECT.upper()}/-/issues/{issue.iid}",
    )
    for form in forms:
        fake.clear_log()
        code, out, err = run(capsys, "apply", form)
        assert code == 0, err
        assert "up to date" in out, form
        assert writes(fake) == [], form
    assert len(plan_notes(fake, issue)) == 1
    assert len(tasks_of(fake, issue)) == 4


# -- orphans ----------------------------------------------------------------------------------
def test_an_orphan_behind_a_hundred_newer_task_issues_is_found_by_its_marker(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_GITLAB__CHILDREN", "issues")
    monkeypatch.setenv("STORYPLAN_GITLAB__RETRIES", "0")
    tasks = diamond(3)
    issue = story(fake, tasks)
    fake.lose_creates = 1  # T1's issue is made, its answer lost...
    lookup = Fault("GET", r"/issues$", status=502, after=False, times=1, skip=1)
    fake.faults.append(lookup)  # ...and the look-up for it after the loss fails too
    code, _, err = run(capsys, "apply", ref(issue))
    assert code != 0
    assert "look for the issues made for" in err
    fake.faults.clear()
    (orphan,) = tasks_of(fake, issue)
    for n in range(120):  # other stories' tasks, all newer than the orphan
        marker = markers.identity("task", story=f"{PROJECT}#{1000 + n}", id="T1")
        fake.add_issue(PROJECT, f"Other {n}", description=marker, labels=["storyplan:task"])
    fake.clear_log()
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    mine = [i for i in tasks_of(fake, issue) if i.title.startswith(f"#{issue.iid} ")]
    assert len({task_of(i) for i in mine}) == len(mine) == len(tasks)  # one issue a task
    assert orphan.id in {lk.source_id ^ lk.target_id ^ issue.id for lk in fake.issue_links(issue)}
    assert fake.count("POST", r"/issues$") == len(tasks) - 1  # all but the orphan's task
    assert fake.count("GET", r"/issues$") == 1  # one search, whatever came since


# -- authority --------------------------------------------------------------------------------
def test_a_strangers_plan_marker_is_ignored_and_said_once(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, diamond(3))
    forged = markers.identity("plan", story=f"{PROJECT}#{issue.iid}") + "\nmine now"
    fake.add_member(PROJECT, "mallory", 10)  # a Guest: may comment, may not write
    theirs = fake.add_note(issue, forged, author="mallory")
    code, out, err = run(capsys, "plan", ref(issue))
    assert code == 0
    assert (out + err).count("ignored a storyplan marker in a comment by mallory") == 1
    code, out, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert (out + err).count("ignored a storyplan marker in a comment by mallory") == 1
    assert theirs.body == forged  # never edited
    assert [n.author_id for n in fake.issue_notes(issue)].count(fake.user["id"]) == 1
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, "up to date" in out, writes(fake)) == (0, True, [])
    # The token's user came with the story's query; the stranger was asked about once.
    assert (fake.count("GET", r"/user$"), fake.count("GET", r"/members/all/\d+$")) == (0, 1)


def test_a_developers_plan_counts_and_a_trusted_login_needs_no_question(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = story(fake, diamond(3))
    assert run(capsys, "apply", ref(issue))[0] == 0
    (plan,) = [n for n in fake.issue_notes(issue) if "storyplan:plan" in n.body]
    fake.add_member(PROJECT, "dana", 30)  # a Developer, who ran storyplan from her terminal
    with fake.lock:
        plan.author_id = fake.user_id("dana")
    fake.clear_log()
    code, out, _ = run(capsys, "plan", ref(issue))
    assert (code, "up to date" in out, "ignored" in out) == (0, True, False)
    monkeypatch.setenv("STORYPLAN_TRUST__AUTHORS", '["ci-bot"]')
    with fake.lock:
        plan.author_id = fake.user_id("ci-bot")  # no member at all, but named in [trust]
    fake.clear_log()
    code, out, _ = run(capsys, "plan", ref(issue))
    assert (code, "up to date" in out, "ignored" in out) == (0, True, False)
    assert fake.count("GET", r"/members/all/\d+$") == 0


def test_an_existing_issue_with_a_strangers_task_marker_is_never_rewritten(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, text="## User Story\nAs a shopper I want to sign in.\n")
    forged = markers.identity("task", story=f"{PROJECT}#{issue.iid}", id="T1")
    foreign = fake.add_issue(PROJECT, "Audit log", description=f"{forged}\nMine.", author="mallory")
    with fake.lock:
        issue.description = (
            "## User Story\nAs a shopper I want to sign in so that my cart follows me.\n\n"
            f"## Tasks\n- [ ] Build the session model\n- [ ] #{foreign.iid}\n"
            "- [ ] Test it, after Task 1 and Task 2\n"
        )
    for _ in range(2):
        code, out, err = run(capsys, "apply", ref(issue))
        assert code == 0, err
        assert (foreign.title, foreign.description) == ("Audit log", f"{forged}\nMine.")
    assert "ignored a storyplan marker in issue" in out + err
    assert sorted(task_of(child) for child in fake.children(issue)) == ["T1", "T3"]
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref(issue))
    assert (code, writes(fake)) == (0, [])


# -- removal ----------------------------------------------------------------------------------
@pytest.mark.parametrize("free", [False, True], ids=["blocks", "free-tier"])
def test_a_removed_task_loses_its_links_in_both_directions(
    fake: FakeGitlab, capsys: pytest.CaptureFixture[str], free: bool
) -> None:
    fake.blocking_links_available = not free
    tasks = diamond(5)  # T3 waits for T1 and blocks T4
    issue = story(fake, tasks)
    assert run(capsys, "apply", ref(issue))[0] == 0
    three = next(t for t in fake.children(issue) if "Task 3:" in t.title)
    assert fake.issue_links(three) != []
    kept = [t for t in tasks if t.number != 3]
    kept[2] = TaskSpec(4, "Sign-in endpoint", [2])
    with fake.lock:
        issue.description = story_text(kept)
    code, _, err = run(capsys, "apply", ref(issue))
    assert code == 0, err
    assert fake.issue_links(three) == []
    assert "storyplan:obsolete" in three.labels
    four = next(t for t in fake.children(issue) if "Task 4:" in t.title)
    assert f"#{three.iid}" not in (four.description or "")
    fake.clear_log()
    assert run(capsys, "apply", ref(issue))[0] == 0
    assert writes(fake) == []
