"""`storyplan action` end to end: GitHub's own example event payloads (tests/data/events)
drive the real command against the fake GitHub, and each event must do exactly its job:
the requests it writes are counted, the outputs and summary files read back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from storyplan import markers
from storyplan.cli import main
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.fake_github import FakeGithub, Issue, assert_spec_clean, github_fake
from tests.fakes.github_graphql import operation_of

EVENTS = Path(__file__).parent / "data" / "events"
ENV = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "STORYPLAN_GITHUB__BASE_URL",
    "STORYPLAN_ACTION__TRIGGER_LABEL",
    "STORYPLAN_ACTION__REPLY_TO_REFUSED",
)
SCHEMAS = json.loads((EVENTS / "webhook-schemas.json").read_text(encoding="utf-8"))
NUMBER = re.compile(r"/\d+")
REGISTRY = Registry().with_resource("urn:webhooks", Resource(SCHEMAS, DRAFT202012))


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def valid(schema: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload`, after checking it still is what GitHub's webhook schema describes."""
    ref = {"$ref": f"urn:webhooks#/components/schemas/{schema}"}
    errors = [e.message for e in Draft202012Validator(ref, registry=REGISTRY).iter_errors(payload)]
    assert errors == [], errors
    return payload


def about(payload: dict[str, Any], issue: Issue, repo: str = "octo/shop") -> dict[str, Any]:
    """Point an example payload at `issue` of `repo` in the fake; nothing else changes."""
    owner, name = repo.split("/")
    payload["repository"].update(full_name=repo, name=name)
    payload["repository"]["owner"]["login"] = owner
    payload["issue"].update(number=issue.number, title=issue.title, body=issue.body)
    return payload


@dataclass
class Run:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str


class Action:
    """The workflow step: writes the event file, runs `storyplan action`, reads its files."""

    def __init__(self, fake: FakeGithub, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = fake
        self.tmp = tmp
        self.monkeypatch = monkeypatch
        self.runs = 0

    def __call__(
        self, name: str, payload: dict[str, Any], capsys: pytest.CaptureFixture[str]
    ) -> Run:
        self.runs += 1
        step = self.tmp / f"run{self.runs}"
        step.mkdir()
        path = step / "event.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        for variable, value in {
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_OUTPUT": str(step / "output"),
            "GITHUB_STEP_SUMMARY": str(step / "summary.md"),
        }.items():
            self.monkeypatch.setenv(variable, value)
        self.fake.clear_log()
        code = main(["action"])
        captured = capsys.readouterr()
        outputs = {}
        if (step / "output").exists():
            for line in (step / "output").read_text(encoding="utf-8").splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
        summary = (step / "summary.md").read_text(encoding="utf-8")
        return Run(code, captured.out, captured.err, outputs, summary)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGithub]:
    with github_fake() as server:
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(tmp_path)  # no storyplan.toml but the test's own
        monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
        monkeypatch.setenv("GITHUB_REPOSITORY", "octo/shop")
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES", "0")
        monkeypatch.setenv("STORYPLAN_GITHUB__RETRIES", "0")
        server.add_repo("octo/shop")
        yield server
        assert_spec_clean(server)


@pytest.fixture
def action(fake: FakeGithub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Action:
    return Action(fake, tmp_path, monkeypatch)


def writes(fake: FakeGithub) -> Counter[str]:
    """The run's writes, counted: REST ones as `METHOD path` with numbers as N, GraphQL
    mutations by name."""
    found: Counter[str] = Counter()
    for entry in fake.writes():
        if entry.path.endswith("/graphql"):
            found.update(operation_of(str(entry.request_body["query"]))[1])
        else:
            found[entry.method + " " + NUMBER.sub("/N", entry.path)] += 1
    return found


def planned(fake: FakeGithub, count: int = 4, title: str = "Sign in") -> Issue:
    """A story in the fake, applied with the real command line as a person would."""
    issue = fake.add_issue("octo/shop", title, story_text(diamond(count)))
    assert main(["apply", f"octo/shop#{issue.number}", "--base-url", fake.url]) == 0
    return issue


def plan_body(fake: FakeGithub, story: Issue) -> str:
    bodies = [
        c.body for c in fake.comments_on("octo/shop", story.number) if "storyplan:plan" in c.body
    ]
    assert len(bodies) == 1
    return bodies[0]


def task_line(body: str, title: str) -> str:
    return next(line for line in body.splitlines() if "Task" in line and title in line)


def close(fake: FakeGithub, issue: Issue) -> None:
    with fake.lock:
        issue.state, issue.state_reason = "closed", "completed"


def closed_event(issue: Issue) -> dict[str, Any]:
    """issues.closed for `issue`: GitHub publishes no example, so it is made from the
    reopened one by changing what closing changes, and checked against the closed schema."""
    payload = about(event("issues.reopened"), issue)
    payload["action"] = "closed"
    payload["issue"].update(
        state="closed", state_reason="completed", closed_at="2025-01-01T00:10:00Z"
    )
    return valid("webhook-issues-closed", payload)


# -- issues.labeled -------------------------------------------------------------------------


def test_the_trigger_label_applies_the_story_and_writes_only_what_apply_writes(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("Codertocat", "write")
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "refined"
    run = action("issues", valid("webhook-issues-labeled", payload), capsys)
    assert run.code == 0, run.err
    children = fake.sub_issues("octo/shop", story.number)
    assert len(children) == 4
    links = len(edges(diamond(4)))
    assert writes(fake) == {
        "createLabel": 2,  # storyplan's labels, new to the repository
        "createIssue": 4,  # made as sub-issues
        "addBlockedBy": links,
        "addComment": 1,  # the plan, no reply
        "addLabelsToLabelable": 1,
    }
    plan = next(c for c in fake.comments_on("octo/shop", story.number))
    assert run.outputs["action"] == "apply"
    assert run.outputs["story"] == f"octo/shop#{story.number}"
    assert (run.outputs["created"], run.outputs["updated"]) == ("4", "0")
    assert run.outputs["plan-comment-url"] == fake.web(
        f"/octo/shop/issues/{story.number}#issuecomment-{plan.id}"
    )
    # Labelled again (or the event delivered twice): nothing left to write.
    again = action("issues", payload, capsys)
    assert again.code == 0
    assert fake.writes() == []
    assert again.outputs["created"] == "0"


def test_another_label_does_nothing_and_asks_github_nothing(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    payload = about(event("issues.labeled"), story)  # the example's own label: "bug"
    run = action("issues", valid("webhook-issues-labeled", payload), capsys)
    assert run.code == 0
    assert fake.log == []
    assert "::notice title=storyplan::" in run.out
    assert "labelled 'bug', not 'refined'" in run.out
    assert run.outputs["action"] == "ignored"


def test_the_trigger_label_comes_from_the_environment_and_matches_any_case(
    fake: FakeGithub,
    action: Action,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYPLAN_ACTION__TRIGGER_LABEL", "Ready")
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "ready"
    fake.set_role("Codertocat", "admin")
    run = action("issues", payload, capsys)
    assert run.code == 0, run.err
    assert len(fake.sub_issues("octo/shop", story.number)) == 4


def test_a_label_added_by_someone_without_write_access_plans_nothing(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("Codertocat", "triage")  # may label issues, may not make sub-issues
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "refined"
    run = action("issues", payload, capsys)
    assert run.code == 0
    assert fake.writes() == []
    assert "::warning title=storyplan::" in run.out
    assert run.outputs["action"] == "refused"


def test_a_story_that_cannot_be_planned_fails_with_an_error_annotation(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "## Tasks\n### Task 1: One\nDepends on: Task 2\n### Task 2: Two\nDepends on: Task 1\n"
    story = fake.add_issue("octo/shop", "Loop", body)
    fake.set_role("Codertocat", "write")
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "refined"
    run = action("issues", payload, capsys)
    assert run.code == 3
    assert fake.writes() == []
    error = next(line for line in run.out.splitlines() if line.startswith("::error"))
    assert error.startswith("::error title=storyplan::")
    assert "cycle" in error
    assert run.outputs["action"] == "failed"
    assert run.summary.startswith("### storyplan · failed")
    assert "storyplan: error:" in run.err


# -- issues.closed / issues.reopened -----------------------------------------------------


def test_closing_a_sub_issue_syncs_its_story_and_no_other(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = planned(fake)
    other = planned(fake, title="Checkout")
    first = fake.sub_issues("octo/shop", story.number)[0]
    assert markers.read_identity(first.body or "", "task") == {
        "id": "T1",
        "story": f"octo/shop#{story.number}",
    }
    close(fake, fake.sub_issues("octo/shop", other.number)[0])  # closed without an event
    other_before = plan_body(fake, other)
    close(fake, first)
    run = action("issues", closed_event(first), capsys)
    assert run.code == 0, run.err
    assert writes(fake) == {"updateIssueComment": 1}
    assert "[x]" in task_line(plan_body(fake, story), "Session model")
    assert "1 of 4 tasks done" in plan_body(fake, story)
    assert plan_body(fake, other) == other_before
    assert (run.outputs["action"], run.outputs["updated"]) == ("sync", "1")
    assert run.outputs["story"] == f"octo/shop#{story.number}"
    assert "| story | outcome | detail |" in run.summary


def test_reopening_a_sub_issue_syncs_its_story_again(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = planned(fake)
    first = fake.sub_issues("octo/shop", story.number)[0]
    close(fake, first)
    assert action("issues", closed_event(first), capsys).code == 0
    with fake.lock:
        first.state, first.state_reason = "open", "reopened"
    payload = about(event("issues.reopened"), first)
    run = action("issues", valid("webhook-issues-reopened", payload), capsys)
    assert run.code == 0, run.err
    assert writes(fake) == {"updateIssueComment": 1}
    assert "0 of 4 tasks done" in plan_body(fake, story)


def test_closing_an_issue_that_is_no_sub_issue_writes_nothing(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(fake)
    lone = fake.add_issue("octo/shop", "A bug", "Nothing to do with a plan")
    close(fake, lone)
    run = action("issues", closed_event(lone), capsys)
    assert run.code == 0
    assert fake.writes() == []
    assert [e.path for e in fake.log] == [f"/repos/octo/shop/issues/{lone.number}/parent"]
    assert run.outputs["action"] == "ignored"


def test_closing_an_existing_issue_attached_as_a_task_syncs_its_planned_story(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = fake.add_issue("octo/shop", "Old issue", "Hands off")
    text = (
        "## User Story\nAs a shopper I want to sign in so that my cart follows me.\n\n"
        f"## Tasks\n- [ ] Build the thing\n- [ ] #{existing.number}\n"
    )
    story = fake.add_issue("octo/shop", "Story", text)
    assert main(["apply", f"octo/shop#{story.number}", "--base-url", fake.url]) == 0
    close(fake, existing)
    run = action("issues", closed_event(existing), capsys)
    assert run.code == 0, run.err
    assert writes(fake) == {"updateIssueComment": 1}


def test_a_task_marker_that_names_another_story_than_the_parent_syncs_nothing(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = planned(fake)
    first = fake.sub_issues("octo/shop", story.number)[0]
    close(fake, first)
    payload = closed_event(first)
    payload["issue"]["body"] = markers.identity("task", story="octo/shop#999", id="T1")
    run = action("issues", payload, capsys)
    assert run.code == 0
    assert fake.writes() == []
    assert f"is a sub-issue of octo/shop#{story.number}" in run.summary


# -- issue_comment.created ---------------------------------------------------------------


def comment(story: Issue, body: str, login: str) -> dict[str, Any]:
    payload = about(event("issue_comment.created"), story)
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = login
    payload["sender"]["login"] = login
    return valid("webhook-issue-comment-created", payload)


def test_plan_command_from_a_collaborator_replies_with_the_dry_run_and_writes_nothing_else(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("mona", "write")
    run = action("issue_comment", comment(story, "/storyplan plan", "mona"), capsys)
    assert run.code == 0, run.err
    assert writes(fake) == {"POST /repos/octo/shop/issues/N/comments": 1}
    (reply,) = fake.comments_on("octo/shop", story.number)
    assert reply.body.startswith("**storyplan dry run**")
    assert "| action | target | detail |" in reply.body
    assert reply.body.count("| create | T") == 4
    assert markers.read_identity(reply.body, "plan") is None
    assert fake.sub_issues("octo/shop", story.number) == []
    assert run.outputs["action"] == "plan"
    assert "| create | T1 |" in run.summary


def test_apply_command_from_a_maintainer_applies_and_replies_once(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("mona", "maintain")
    run = action("issue_comment", comment(story, "/storyplan apply\r\nthanks!", "mona"), capsys)
    assert run.code == 0, run.err
    assert len(fake.sub_issues("octo/shop", story.number)) == 4
    assert writes(fake)["addComment"] == 1  # the plan
    assert writes(fake)["POST /repos/octo/shop/issues/N/comments"] == 1  # the reply
    reply = fake.comments_on("octo/shop", story.number)[-1]
    assert reply.body.startswith(f"**storyplan** applied the plan of octo/shop#{story.number}")
    assert "4 sub-issue(s) created" in reply.body
    assert run.outputs["plan-comment-url"] in reply.body


@pytest.mark.parametrize("role", ["read", "triage", "none", None])
def test_a_command_from_an_outsider_gets_one_polite_reply_and_nothing_else(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str], role: str | None
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    if role is not None:  # None: a user GitHub does not know in this repository (404)
        fake.set_role("stranger", role)
    run = action("issue_comment", comment(story, "/storyplan apply", "stranger"), capsys)
    assert run.code == 0
    assert writes(fake) == {"POST /repos/octo/shop/issues/N/comments": 1}
    (reply,) = fake.comments_on("octo/shop", story.number)
    assert reply.body.startswith("Thanks, @stranger!")
    assert "nothing was changed" in reply.body
    assert fake.sub_issues("octo/shop", story.number) == []
    assert fake.issue("octo/shop", story.number).labels == []
    assert run.outputs["action"] == "refused"


@pytest.mark.parametrize(
    "body", ["/\u017ftoryplan apply", "/storyplan\u00a0apply", "/storyplan\u2003apply"]
)
def test_a_lookalike_command_from_a_maintainer_is_no_command(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("mona", "maintain")
    run = action("issue_comment", comment(story, body, "mona"), capsys)
    assert run.code == 0, run.err
    assert fake.log == []
    assert run.outputs["action"] == "ignored"


def test_a_dry_run_reply_that_would_carry_the_token_is_not_posted(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text([TaskSpec(1, "Rotate tok-write")]))
    fake.set_role("mona", "write")
    run = action("issue_comment", comment(story, "/storyplan plan", "mona"), capsys)
    assert run.code == 4
    assert "refused to write the reply on octo/shop#" in run.err
    assert all("tok-write" not in c.body for c in fake.comments_on("octo/shop", story.number))
    printed = run.out.replace("::add-mask::tok-write", "") + run.err + run.summary
    assert "tok-write" not in printed  # the runner hides the value only after add-mask


def test_a_refused_command_can_be_ignored_silently(
    fake: FakeGithub,
    action: Action,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYPLAN_ACTION__REPLY_TO_REFUSED", "false")
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("stranger", "read")
    run = action("issue_comment", comment(story, "/storyplan plan", "stranger"), capsys)
    assert run.code == 0
    assert fake.writes() == []


def test_an_ordinary_comment_asks_github_nothing(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    payload = about(event("issue_comment.created"), story)  # "You are totally right! ..."
    run = action("issue_comment", valid("webhook-issue-comment-created", payload), capsys)
    assert run.code == 0
    assert fake.log == []
    assert run.outputs["action"] == "ignored"


def test_a_command_on_a_story_that_cannot_be_planned_is_answered_on_the_issue(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "## Tasks\n### Task 1: One\nDepends on: Task 7\n"
    story = fake.add_issue("octo/shop", "Broken", body)
    fake.set_role("mona", "write")
    run = action("issue_comment", comment(story, "/storyplan plan", "mona"), capsys)
    assert run.code == 3
    assert writes(fake) == {"POST /repos/octo/shop/issues/N/comments": 1}
    (reply,) = fake.comments_on("octo/shop", story.number)
    assert reply.body.startswith("**storyplan** could not plan this story:")
    assert "unknown task T7" in reply.body


# -- schedule / workflow_dispatch / anything else ----------------------------------------


@pytest.mark.parametrize("name", ["schedule", "workflow_dispatch"])
def test_a_scheduled_or_manual_run_syncs_every_planned_story_of_the_repository(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    stories = [planned(fake, title=f"Story {n}") for n in range(3)]
    for story in stories[:2]:
        close(fake, fake.sub_issues("octo/shop", story.number)[0])
    before = plan_body(fake, stories[2])
    payload = event(name)
    if name == "workflow_dispatch":
        payload = valid("webhook-workflow-dispatch", payload)
    run = action(name, payload, capsys)
    assert run.code == 0, run.err
    assert writes(fake) == {"updateIssueComment": 2}
    assert plan_body(fake, stories[2]) == before
    assert (run.outputs["action"], run.outputs["updated"]) == ("sync-all", "2")
    assert run.summary.count("| updated |") == 2


def test_a_scheduled_run_reports_a_failing_story_and_still_syncs_the_others(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = planned(fake, title="Good"), planned(fake, title="Bad")
    close(fake, fake.sub_issues("octo/shop", good.number)[0])
    plan = next(c for c in fake.comments_on("octo/shop", bad.number))
    with fake.lock:
        plan.body = "someone removed storyplan's markers"
        plan.body += markers.identity("plan", story=f"octo/shop#{bad.number}")
    run = action("schedule", event("schedule"), capsys)
    assert run.code == 1
    assert writes(fake) == {"updateIssueComment": 1}
    assert f"::error title=storyplan::octo/shop#{bad.number}: " in run.out
    assert run.outputs["updated"] == "1"


def test_any_other_event_is_a_one_line_notice(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    run = action("push", {"ref": "refs/heads/main"}, capsys)
    assert run.code == 0
    assert fake.log == []
    notices = [line for line in run.out.splitlines() if line.startswith("::notice")]
    assert notices == ["::notice title=storyplan::the push event is not one storyplan acts on"]


# -- outputs, summary, no token -----------------------------------------------------------


def test_the_token_is_printed_in_no_form_not_even_to_mask_it(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    run = action("schedule", event("schedule"), capsys)
    assert run.code == 0, run.err
    everything = run.out + run.err + run.summary
    assert "tok-write" not in everything
    assert "add-mask" not in everything


def test_outputs_and_summary_are_written_as_documented(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    tasks[0].title = "Session | model"  # story text in a table cell
    story = fake.add_issue("octo/shop", "Sign in", story_text(tasks))
    fake.set_role("Codertocat", "write")
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "refined"
    run = action("issues", payload, capsys)
    assert run.code == 0, run.err
    lines = (action.tmp / "run1" / "output").read_text(encoding="utf-8").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "action",
        "story",
        "plan-comment-url",
        "created",
        "updated",
    ]
    summary = run.summary.splitlines()
    assert summary[0] == f"### storyplan · apply octo/shop#{story.number}"
    assert summary[2:4] == ["| action | target | detail |", "|---|---|---|"]
    rows = [line for line in summary if line.startswith("| create | T")]
    assert len(rows) == 4
    assert all(row.count(" | ") == 2 for row in rows)  # a title's | cannot add a column
    assert "| create | T1 | #1 · Task 1: Session \\| model |" in summary


def test_an_app_bots_label_applies_without_asking_for_its_permission(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    payload = about(event("issues.labeled"), story)
    payload["label"]["name"] = "refined"
    payload["sender"].update(login="triage-helper[bot]", type="Bot")
    run = action("issues", payload, capsys)
    assert run.code == 0, run.err
    assert fake.count("GET", "/permission$") == 0
    assert len(fake.sub_issues("octo/shop", story.number)) == 4


def test_github_enterprise_is_reached_through_github_api_url(
    action: Action, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with github_fake("/api/v3") as ghe:
        monkeypatch.setenv("GITHUB_API_URL", ghe.url)
        ghe.add_repo("octo/shop")
        story = ghe.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
        assert main(["apply", f"octo/shop#{story.number}", "--base-url", ghe.url]) == 0
        close(ghe, ghe.sub_issues("octo/shop", story.number)[0])
        run = action("schedule", event("schedule"), capsys)
        assert run.code == 0, run.err
        assert writes(ghe)["updateIssueComment"] == 1  # through /api/graphql beside /api/v3
        assert_spec_clean(ghe)


def test_an_unknown_command_from_a_collaborator_gets_the_list_of_commands(
    fake: FakeGithub, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    story = fake.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
    fake.set_role("mona", "write")
    run = action("issue_comment", comment(story, "/storyplan frobnicate", "mona"), capsys)
    assert run.code == 0
    assert writes(fake) == {"POST /repos/octo/shop/issues/N/comments": 1}
    (reply,) = fake.comments_on("octo/shop", story.number)
    assert reply.body.startswith("`/storyplan frobnicate` is not a command I know.")
    assert fake.sub_issues("octo/shop", story.number) == []
