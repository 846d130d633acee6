"""GitHub specifics against the fake over HTTP with the real PyGithub: its errors and limits,
a refused or half-answered create, pagination, Enterprise, sync's labels and request counts.
What every tracker must do lives in tests/e2e/test_contract.py.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import pytest

from storyplan.cli import main
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.base import Fault
from tests.fakes.fake_github import FakeGithub, assert_spec_clean, github_fake

ENV = ("GITHUB_TOKEN", "GH_TOKEN", "STORYPLAN_GITHUB__BASE_URL")

PROGRESS = re.compile(r"^[a-z][a-z -]* \d+/\d+$")  # `creating sub-issues 1/4` on stderr


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGithub]:
    with github_fake() as server:
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
        monkeypatch.setenv("STORYPLAN_GITHUB__BASE_URL", server.url)
        monkeypatch.setenv("STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES", "0")
        monkeypatch.setenv("STORYPLAN_GITHUB__RETRIES", "0")
        server.add_repo("octo/shop")
        yield server
        assert_spec_clean(server)


def story(fake: FakeGithub, tasks: list[TaskSpec] | None = None, extra: str = "") -> str:
    issue = fake.add_issue("octo/shop", "Sign in", story_text(tasks or diamond(8), extra))
    return f"octo/shop#{issue.number}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_apply_json_reports_counts_and_plan_url_and_labels_the_story(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake)
    code, out, _ = run(capsys, "apply", ref, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["created"], data["linked"]) == (8, len(edges(diamond(8))))
    assert data["plan"].startswith(fake.origin)
    number = int(ref.split("#")[1])
    assert "storyplan" in fake.issue("octo/shop", number).labels
    child = fake.sub_issues("octo/shop", number)[0]
    assert child.title == "#1 · Task 1: Session model"
    assert "storyplan:task" in child.labels


def test_issue_urls_and_enterprise_prefix_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with github_fake("/api/v3") as ghe:
        monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
        monkeypatch.delenv("STORYPLAN_GITHUB__BASE_URL", raising=False)
        monkeypatch.setenv("STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES", "0")
        ghe.add_repo("octo/shop")
        issue = ghe.add_issue("octo/shop", "Sign in", story_text(diamond(4)))
        url = f"https://ghe.example.com/octo/shop/issues/{issue.number}"
        code, _, err = run(capsys, "apply", url, "--base-url", ghe.url)
        assert code == 0, err
        assert len(ghe.sub_issues("octo/shop", issue.number)) == 4
        assert_spec_clean(ghe)


def test_pagination_reads_every_comment_and_sub_issue(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_GITHUB__PAGE_SIZE", "30")  # GitHub's default page size
    tasks = [TaskSpec(n, f"Step {n}", [n - 1] if n > 1 else []) for n in range(1, 36)]
    ref = story(fake, tasks)
    number = int(ref.split("#")[1])
    for index in range(35):
        fake.add_comment("octo/shop", number, f"chatter {index}")
    assert run(capsys, "apply", ref)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert fake.writes() == []
    pages = [e for e in fake.log if e.path.endswith("/sub_issues")]
    assert len(pages) == 2  # 35 sub-issues, 30 a page, followed by the Link header
    comment_pages = [e for e in fake.log if e.path.endswith(f"/issues/{number}/comments")]
    assert len(comment_pages) == 2  # the plan comment is the 36th
    assert (
        len([c for c in fake.comments_on("octo/shop", number) if "storyplan:plan" in c.body]) == 1
    )


def test_a_create_refused_with_422_is_one_sentence_and_not_looked_for(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    fake.refuse_creates.append("title is too long (maximum is 256 characters)")
    code, _, err = run(capsys, "apply", ref)
    assert code == 5
    assert "GitHub refused to create the sub-issue for task T1 in octo/shop (422" in err
    assert err.count("\n") == 1
    # A refusal made nothing: the issues are listed once, before the create, never after.
    assert fake.count("GET", r"/repos/octo/shop/issues$") == 1
    assert [i.number for i in fake.issues_in("octo/shop")] == [int(ref.split("#")[1])]


def test_a_create_answered_with_a_5xx_after_it_was_made_is_adopted(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    fake.faults.append(Fault("POST", r"/repos/octo/shop/issues$", status=502, skip=1))
    code, _, err = run(capsys, "apply", ref)
    assert code == 0, err
    made = [i for i in fake.issues_in("octo/shop") if "storyplan:task" in (i.body or "")]
    assert len(made) == 4
    assert len(fake.sub_issues("octo/shop", int(ref.split("#")[1]))) == 4


def test_more_than_100_sub_issues_is_refused_before_any_write(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 102)]
    ref = story(fake, tasks)
    fake.clear_log()
    code, _, err = run(capsys, "apply", ref)
    assert code == 3
    assert "would have 101 sub-issues but the tracker allows 100" in err
    assert fake.writes() == []


def test_a_plan_over_the_comment_limit_is_shortened_not_half_written(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "Long description. " * 220
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 21)]
    text = story_text(tasks).replace("end to end.", "end to end. " + long)
    issue = fake.add_issue("octo/shop", "Story", text)
    code, _out, err = run(capsys, "apply", f"octo/shop#{issue.number}")
    assert code == 0, err
    plan = [c for c in fake.comments_on("octo/shop", issue.number) if "storyplan:plan" in c.body]
    assert len(plan) == 1
    assert len(plan[0].body) <= 65_536
    assert "Long description." not in plan[0].body  # task detail lives in the sub-issues
    assert "Long description." in (fake.sub_issues("octo/shop", issue.number)[0].body or "")


@pytest.mark.parametrize(
    ("setup", "ref", "code", "message"),
    [
        ("none", "octo/shop#999", 7, "could not read story octo/shop#999: not found"),
        ("none", "octo/nope#1", 7, "could not read story octo/nope#1: not found"),
        ("no-token", None, 6, "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)"),
        ("bad-token", None, 6, "rejected the token (401 while trying to read story"),
        ("read-token", None, 8, "the token may not"),
        ("no-sub-issues", None, 10, "sub-issues are not available on the GitHub at"),
        ("no-dependencies", None, 10, "issue dependencies are not available on the GitHub"),
    ],
)
def test_errors_are_one_sentence_with_their_exit_code(
    fake: FakeGithub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    ref: str | None,
    code: int,
    message: str,
) -> None:
    ref = ref or story(fake, diamond(4))
    if setup == "no-token":
        monkeypatch.delenv("GITHUB_TOKEN")
    elif setup == "bad-token":
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrongwrongwrong")
    elif setup == "read-token":
        monkeypatch.setenv("GITHUB_TOKEN", "tok-read")
    elif setup == "no-sub-issues":
        fake.sub_issues_enabled = False
    elif setup == "no-dependencies":
        fake.dependencies_enabled = False
    got, out, err = run(capsys, "apply", ref)
    assert got == code
    assert message in err
    assert [line for line in err.splitlines() if not PROGRESS.match(line)] == [
        err.splitlines()[-1]
    ]  # one sentence (after progress lines), no traceback
    assert "Traceback" not in err
    assert "ghp_wrongwrongwrong" not in out + err
    assert os.environ.get("GITHUB_TOKEN", "") not in ("", *[]) or setup == "no-token"


@pytest.mark.parametrize("mode", ["label", "close"])
def test_sync_labels_or_closes_a_story_once_every_task_is_done_when_asked(
    fake: FakeGithub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    ref = story(fake, diamond(4))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    monkeypatch.setenv("STORYPLAN_SYNC__WHEN_DONE", mode)
    children = fake.sub_issues("octo/shop", number)
    for child in children[:3]:
        child.state, child.state_reason = "closed", "completed"
    assert run(capsys, "sync", ref)[0] == 0
    assert fake.issue("octo/shop", number).state == "open"
    assert "storyplan:done" not in fake.issue("octo/shop", number).labels
    children[3].state, children[3].state_reason = "closed", "completed"
    assert run(capsys, "sync", ref)[0] == 0
    story_issue = fake.issue("octo/shop", number)
    if mode == "label":
        assert "storyplan:done" in story_issue.labels
    else:
        assert (story_issue.state, story_issue.state_reason) == ("closed", "completed")
    fake.clear_log()
    assert run(capsys, "sync", ref)[0] == 0
    assert fake.writes() == []


def test_the_storyplan_token_variable_works_and_never_shows(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("STORYPLAN_GITHUB__TOKEN", "tok-write")
    code, out, err = run(capsys, "plan", story(fake, diamond(2)))
    assert code == 0, err
    assert "tok-write" not in out + err


def test_a_reopened_sub_issue_unticks_its_task_but_a_hand_tick_stays(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    first = fake.sub_issues("octo/shop", number)[0]
    first.state, first.state_reason = "closed", "completed"
    assert run(capsys, "sync", ref)[0] == 0
    comment = next(c for c in fake.comments_on("octo/shop", number) if "storyplan:plan" in c.body)
    assert "- [x] Task 1: Session model" in comment.body
    hand = "- [ ] A registered shopper can sign in"
    comment.body = comment.body.replace(hand, hand.replace("[ ]", "[x]"))
    first.state, first.state_reason = "open", None
    assert run(capsys, "sync", ref)[0] == 0
    assert "- [ ] Task 1: Session model" in comment.body
    assert "- [x] A registered shopper can sign in" in comment.body


def test_sync_trusts_the_recorded_shape_and_reads_no_dependency_lists(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(8))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    fake.sub_issues("octo/shop", number)[0].state = "closed"
    fake.clear_log()
    assert run(capsys, "sync", ref)[0] == 0
    assert not [e for e in fake.log if "/dependencies/" in e.path]
    assert len(fake.reads()) == 3  # the story, its comments, its sub-issues
    assert len(fake.writes()) == 1
    # A story edited since the last apply is left to apply, still without reading links.
    issue = fake.issue("octo/shop", number)
    issue.body = (issue.body or "").replace("Depends on: Task 2, Task 3", "Depends on: Task 2")
    fake.clear_log()
    code, out, _ = run(capsys, "sync", ref, "--json")
    assert code == 11
    (result,) = json.loads(out)["stories"]
    assert result["outcome"] == "needs_apply"
    assert result["detail"] == (
        f"Task 3's body changed (octo/shop#{number + 3}); "
        f"Task 4's body changed (octo/shop#{number + 4}); run apply"
    )
    assert not [e for e in fake.log if "/dependencies/" in e.path]
    assert fake.writes() == []
