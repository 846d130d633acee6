"""GitHub specifics against the fake over HTTP with the real PyGithub: its errors and limits,
a refused or half-answered create, pagination, Enterprise, sync's labels and request counts.
What every tracker must do lives in tests/e2e/test_contract.py.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator

import pytest

from storyplan import markers
from storyplan.cli import main
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes.base import Fault
from tests.fakes.fake_github import Comment, FakeGithub, Issue, assert_spec_clean, github_fake
from tests.fakes.github_graphql import operation_of

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


def graphql_fields(fake: FakeGithub) -> list[str]:
    """The root fields of every GraphQL request in the log, in order."""
    return [
        name
        for entry in fake.log
        if entry.path.endswith("/graphql") and isinstance(entry.request_body, dict)
        for name in operation_of(str(entry.request_body.get("query")))[1]
    ]


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


def test_a_plan_comment_past_the_first_100_comments_is_found(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [TaskSpec(n, f"Step {n}", [n - 1] if n > 1 else []) for n in range(1, 36)]
    ref = story(fake, tasks)
    number = int(ref.split("#")[1])
    for index in range(120):
        fake.add_comment("octo/shop", number, f"chatter {index}")
    assert run(capsys, "apply", ref)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert fake.writes() == []
    assert len(fake.log) == 2  # the story, then its comments' second page (the plan is 121st)
    assert (
        len([c for c in fake.comments_on("octo/shop", number) if "storyplan:plan" in c.body]) == 1
    )


def test_creates_github_refuses_are_one_sentence_and_the_next_run_makes_them_once(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [TaskSpec(n, f"Step {n}", [n - 1] if n > 1 else []) for n in range(1, 21)]
    ref = story(fake, tasks)
    fake.refuse_creates += ["title is too long (maximum is 256 characters)"] * 3
    code, _, err = run(capsys, "apply", ref)
    assert code == 5
    lines = [line for line in err.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 1, err
    assert "GitHub refused 3 of 20 changes to " in lines[0]
    assert "create the sub-issue for task T1 (title is too long" in lines[0]
    assert "run apply again to finish" in lines[0]
    assert sorted(task_issues(fake, ref)) == sorted(f"T{n}" for n in range(4, 21))
    # A refusal made nothing: no look-up for what it might have made.
    assert fake.count("GET", r"/repos/octo/shop/issues$") == 0
    assert run(capsys, "apply", ref)[0] == 0
    made = task_issues(fake, ref)
    assert sorted(made) == sorted(f"T{n}" for n in range(1, 21))
    assert all(len(issues) == 1 for issues in made.values())
    assert sub_issue_edges(fake, int(ref.split("#")[1])) == edges(tasks)
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert fake.writes() == []


def test_a_create_answered_with_a_5xx_after_it_was_made_is_adopted(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    fake.faults.append(Fault("POST", r"#mutation:createIssue", status=502))
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
    # One sentence (after progress lines, and the one line that says the REST API is used
    # where GraphQL lacks the feature), no traceback.
    said = [line for line in err.splitlines() if not PROGRESS.match(line)]
    fallback = [line for line in said if "using its REST API" in line]
    assert len(fallback) == (1 if setup.startswith("no-") and setup != "no-token" else 0)
    assert [line for line in said if line not in fallback] == [err.splitlines()[-1]]
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
    assert len(fake.reads()) == 1  # the story with its comments and sub-issues, one query
    assert len(fake.writes()) == 1
    # A story edited since the last apply is left to apply, still without reading links.
    issue = fake.issue("octo/shop", number)
    issue.body = (issue.body or "").replace("Depends on: Task 2, Task 3", "Depends on: Task 2")
    fake.clear_log()
    code, out, _ = run(capsys, "sync", ref, "--json")
    assert code == 11
    (result,) = json.loads(out)["stories"]
    assert result["outcome"] == "needs_apply"
    # No body names its dependencies: only the links differ, which sync did not read.
    assert result["detail"] == "the tasks' dependencies changed since the last apply; run apply"
    assert not [e for e in fake.log if "/dependencies/" in e.path]
    assert fake.writes() == []


# -- convergence: runs that raced leave one plan and one sub-issue per task -----------------


def marked(fake: FakeGithub, number: int, kind: str = "plan") -> list[Comment]:
    return [c for c in fake.comments_on("octo/shop", number) if f"storyplan:{kind}" in c.body]


def task_issues(fake: FakeGithub, story_ref: str) -> dict[str, list[Issue]]:
    """Every issue made for the story's tasks, by task id, oldest first."""
    found: dict[str, list[Issue]] = {}
    for issue in fake.issues_in("octo/shop"):
        mark = markers.read_identity(issue.body or "", "task")
        if mark and mark.get("story") == story_ref:
            found.setdefault(mark["id"], []).append(issue)
    return found


def sub_issue_edges(fake: FakeGithub, number: int) -> set[tuple[str, str]]:
    subs = fake.sub_issues("octo/shop", number)
    ids = {i.number: (markers.read_identity(i.body or "", "task") or {}).get("id") for i in subs}
    return {
        (str(ids[blocker.number]), str(ids[issue.number]))
        for issue in subs
        for blocker in fake.blocked_by("octo/shop", issue.number)
        if blocker.number in ids
    }


@pytest.mark.parametrize("runs", [2, 3])
def test_applies_that_raced_are_healed_by_the_next_apply(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], runs: int
) -> None:
    tasks = diamond(4)
    ref = story(fake, tasks)
    number = int(ref.split("#")[1])
    # Every run has read the story's empty state before any of them creates anything.
    fake.hold("POST", r"#mutation:createIssue", runs)
    codes: list[int] = []
    racers = [
        threading.Thread(target=lambda: codes.append(main(["apply", ref]))) for _ in range(runs)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    capsys.readouterr()
    assert codes == [0] * runs
    assert len(marked(fake, number)) == runs  # the race happened: one plan comment a run
    made = task_issues(fake, ref)
    assert sorted(made) == ["T1", "T2", "T3", "T4"]
    assert all(len(issues) == runs for issues in made.values())
    oldest_plan = min(c.id for c in marked(fake, number))

    code, out, _ = run(capsys, "apply", ref, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["duplicates_closed"], data["plans_deleted"]) == (4 * (runs - 1), runs - 1)
    assert [c.id for c in marked(fake, number)] == [oldest_plan]
    kept = {issues[0].number for issues in made.values()}  # the oldest of each task
    assert {i.number for i in fake.sub_issues("octo/shop", number)} == kept
    assert sub_issue_edges(fake, number) == edges(tasks)
    for issues in made.values():
        for duplicate in issues[1:]:
            assert (duplicate.state, duplicate.state_reason) == ("closed", "duplicate")
            assert "storyplan:obsolete" in duplicate.labels
            assert fake.parent("octo/shop", duplicate.number) is None
            notes = [c.body for c in fake.comments_on("octo/shop", duplicate.number)]
            assert notes == [f"Duplicate of #{issues[0].number}"]
            assert fake.blocked_by("octo/shop", duplicate.number) == []
            assert fake.blocking("octo/shop", duplicate.number) == []
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert fake.writes() == []


def test_a_second_plan_comment_is_deleted_and_its_ticks_kept(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    first = marked(fake, number)[0]
    hand = "- [ ] A registered shopper can sign in"
    assert hand in first.body
    copy = fake.add_comment("octo/shop", number, first.body.replace(hand, "- [x]" + hand[5:]))
    code, out, _ = run(capsys, "plan", ref)
    assert code == 0
    assert f"plan ({copy.id})" in out
    assert run(capsys, "apply", ref)[0] == 0
    assert [c.id for c in marked(fake, number)] == [first.id]
    assert "- [x] A registered shopper can sign in" in first.body


def test_a_removed_middle_task_loses_its_links_in_both_directions(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    ref = story(fake, tasks)
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    removed = next(i for i in fake.sub_issues("octo/shop", number) if "Task 2:" in i.title)
    fewer = [tasks[0], tasks[2], TaskSpec(4, "Sign-in endpoint", [3])]
    fake.issue("octo/shop", number).body = story_text(fewer)
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["unlinked"], data["obsolete"], data["created"]) == (2, 1, 0)
    assert fake.blocked_by("octo/shop", removed.number) == []
    assert fake.blocking("octo/shop", removed.number) == []
    assert sub_issue_edges(fake, number) - {("T1", "T2"), ("T2", "T4")} == edges(fewer)
    assert "storyplan:obsolete" in removed.labels
    assert graphql_fields(fake).count("removeBlockedBy") == 2
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert fake.writes() == []


# -- canonical names --------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["Octo/Shop#{n}", "OCTO/SHOP#{n}", "octo/shop#0{n}", "github:octo/shop#00{n}"]
)
def test_another_spelling_of_the_story_is_the_same_story(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    ref = story(fake, diamond(4))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", spelling.format(n=number))
    assert code == 0
    assert f"{ref}: up to date" in out
    assert fake.writes() == []
    assert [c.body.count(f'story="{ref}"') for c in marked(fake, number)] == [1]


def test_a_story_typed_in_another_case_is_planned_under_github_s_name(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", f"OCTO/Shop#0{number}")[0] == 0
    assert f'story="{ref}"' in marked(fake, number)[0].body
    child = fake.sub_issues("octo/shop", number)[0]
    assert f'story="{ref}"' in (child.body or "")
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert fake.writes() == []


# -- an orphan past the first page ---------------------------------------------------------


def test_an_orphan_behind_100_newer_task_issues_is_adopted_not_made_again(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(4))
    # A run that made T1's issue and lost the answer before attaching it (as the REST API
    # does it, in two requests) left it an orphan, found by its marker.
    marker = f'<!-- storyplan:task id="T1" story="{ref}" -->'
    fake.add_issue("octo/shop", "#1 · Task 1: Step 1", marker, labels=["storyplan:task"])
    orphans = task_issues(fake, ref)
    assert list(orphans) == ["T1"]
    for index in range(150):  # other stories' tasks, made since
        other = f'<!-- storyplan:task id="T1" story="octo/shop#{9000 + index}" -->'
        fake.add_issue("octo/shop", f"Other task {index}", other, labels=["storyplan:task"])
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    made = task_issues(fake, ref)
    assert sorted(made) == ["T1", "T2", "T3", "T4"]
    assert all(len(issues) == 1 for issues in made.values())
    assert made["T1"][0].number == orphans["T1"][0].number
    assert fake.parent("octo/shop", made["T1"][0].number) is not None
    # Bounded: the task issues made since the story, 100 a page, read once.
    assert fake.count("GET", r"/repos/octo/shop/issues$") == 2


# -- authority: only trusted hands steer storyplan ------------------------------------------


def test_a_stranger_s_plan_marker_is_ignored_never_edited_and_reported_once(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    forged = f'<!-- storyplan:plan story="{ref}" -->\nmine now'
    theirs = fake.add_comment("octo/shop", number, forged, user="mallory")
    code, out, err = run(capsys, "plan", ref)
    assert code == 0
    assert (out + err).count("note: ignored a storyplan marker in a comment by mallory") == 1
    code, out, _ = run(capsys, "plan", ref, "--json")
    plans = [c for c in json.loads(out)["changes"] if c["kind"] == "upsert_plan"]
    assert [c["key"] for c in plans] == [None]  # a plan comment of its own, not hers
    code, out, err = run(capsys, "apply", ref)
    assert code == 0
    assert "note: ignored a storyplan marker in a comment by mallory" in out + err
    assert theirs.body == forged
    plans = [c for c in marked(fake, number) if c.id != theirs.id]
    assert [c.user for c in plans] == ["octocat"]
    fake.clear_log()
    assert run(capsys, "apply", ref)[0] == 0
    assert fake.writes() == []
    assert fake.count("GET", r"/user$") == 1  # who the token is: asked once, for mallory


@pytest.mark.parametrize("author", ["mallory", "octocat"])
def test_an_existing_issue_is_never_rewritten_whatever_its_body_says(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], author: str
) -> None:
    issue = fake.add_issue("octo/shop", "Story", "")
    ref = f"octo/shop#{issue.number}"
    body = f'<!-- storyplan:task story="{ref}" id="T1" -->\nSomeone\'s words'
    foreign = fake.add_issue("octo/shop", "Their issue", body, user=author)
    issue.body = (
        "## User Story\nAs a shopper I want to sign in so that my cart follows me.\n\n"
        f"## Tasks\n- [ ] Build the session model\n- [ ] #{foreign.number}\n"
    )
    for _ in range(2):
        assert run(capsys, "apply", ref)[0] == 0
    assert (foreign.title, foreign.body) == ("Their issue", body)
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert fake.writes() == []
    assert len(task_issues(fake, ref)["T1"]) == 2  # its own sub-issue, and the foreign one


def test_a_stranger_s_issue_with_a_task_marker_is_not_adopted_as_an_orphan(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    bait = f'<!-- storyplan:task story="{ref}" id="T1" -->'
    planted = fake.add_issue("octo/shop", "Bait", bait, labels=["storyplan:task"], user="mallory")
    code, out, err = run(capsys, "apply", ref)
    assert code == 0
    assert f"note: ignored a storyplan marker in octo/shop#{planted.number} by mallory" in out + err
    assert planted.number not in {i.number for i in fake.sub_issues("octo/shop", number)}
    assert (planted.title, planted.body) == ("Bait", bait)


@pytest.mark.parametrize(
    ("bot", "setting"),
    [("github-actions[bot]", None), ("release-bot", '["release-bot"]')],
)
def test_a_plan_by_a_trusted_bot_is_the_plan(
    fake: FakeGithub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bot: str,
    setting: str | None,
) -> None:
    if setting is not None:
        monkeypatch.setenv("STORYPLAN_TRUST__AUTHORS", setting)
    fake.user(bot, type="Bot")
    fake.tokens["tok-bot"] = "write"
    fake.token_logins["tok-bot"] = bot
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    monkeypatch.setenv("GITHUB_TOKEN", "tok-bot")  # the plan made from the Action
    assert run(capsys, "apply", ref)[0] == 0
    monkeypatch.setenv("GITHUB_TOKEN", "tok-write")  # then from a maintainer's terminal
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert [c.user for c in marked(fake, number)] == [bot]
    assert fake.writes() == []
    assert fake.count("GET", r"/user$") == 0  # the listings said enough


def test_markers_by_the_token_s_own_account_count_with_one_look_up(
    fake: FakeGithub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token whose account the repository does not list (GitHub says NONE): what it wrote
    # is still storyplan's own.
    fake.tokens["tok-outsider"] = "write"
    fake.token_logins["tok-outsider"] = "outsider"
    monkeypatch.setenv("GITHUB_TOKEN", "tok-outsider")
    ref = story(fake, diamond(2))
    number = int(ref.split("#")[1])
    assert run(capsys, "apply", ref)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", ref)
    assert code == 0
    assert "up to date" in out
    assert "ignored" not in out
    assert fake.writes() == []
    assert fake.count("GET", r"/user$") == 1
    assert len(marked(fake, number)) == 1
