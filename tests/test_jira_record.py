"""The plan record on a Jira story: apply keeps it in the story's property with the writes it
makes anyway, and `sync --all` does not convert or parse a story whose text is unchanged
since then. Conversions are counted at the parser's entry point, `parse_story`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import storyplan.service
from storyplan.parse.story import parse_story
from tests.e2e.harness_jira import wiki_story
from tests.e2e.stories import TaskSpec, diamond, story_text
from tests.fakes.fake_jira import FakeJira, JiraIssue
from tests.test_jira import plans_on, run, serve, story, tasks_of


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve(request.param, monkeypatch)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stories parsed (and so converted from wiki markup), by key, in order."""
    seen: list[str] = []

    def counting(story: Any, **options: Any) -> Any:
        seen.append(story.ref)
        return parse_story(story, **options)

    monkeypatch.setattr(storyplan.service, "parse_story", counting)
    return seen


def planned(fake: FakeJira, capsys: pytest.CaptureFixture[str], count: int) -> list[JiraIssue]:
    stories = [story(fake) for _ in range(count)]
    for issue in stories:
        assert run(capsys, "apply", issue.key)[0] == 0
    return stories


def edited_and_applied(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], index: int, task: TaskSpec
) -> tuple[JiraIssue, list[Any]]:
    """A planned story whose task at `index` becomes `task`, applied; the apply's writes."""
    (issue,) = planned(fake, capsys, 1)
    tasks = diamond(4)
    tasks[index] = task
    issue.description = wiki_story(story_text(tasks))
    fake.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    return issue, fake.writes()


def sync_all(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "sync", "--all", "jira:SHOP", "--json")
    return code, json.loads(out)


def test_the_first_apply_records_the_plan_with_the_storys_one_write(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    (issue,) = planned(fake, capsys, 1)
    record = issue.properties["storyplan"]["record"]
    assert set(record) == {"digest", "shape", "plan"}
    story_writes = [e for e in fake.writes() if e.path.endswith(f"/issue/{issue.key}")]
    assert len(story_writes) == 1  # the label, the plan comment's id and the record
    assert fake.count("PUT", r"/properties/") == 0
    assert all("record" not in i.properties["storyplan"] for i in fake.children(issue.key))


def test_sync_all_parses_no_story_whose_text_is_unchanged_and_still_ticks_progress(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    stories = planned(fake, capsys, 3)
    first = stories[0]
    fake.set_status(tasks_of(fake, first.key)["T1"].key, "Done")
    parsed.clear()
    fake.clear_log()
    code, result = sync_all(capsys)
    assert code == 0
    assert parsed == []  # no story converted or parsed: each came from its record
    assert (result["checked"], result["updated"]) == (3, 1)
    assert "(/) Task 1: Session model" in plans_on(first)[0]
    assert [e.path.rsplit("/", 3)[-3] for e in fake.writes()] == [first.key]  # its comment
    parsed.clear()
    code, result = sync_all(capsys)
    assert (code, result["updated"], parsed) == (0, 0, [])


def test_sync_all_parses_only_the_story_whose_text_changed(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    stories = planned(fake, capsys, 3)
    edited = stories[1]
    edited.description = wiki_story(story_text([*diamond(4), TaskSpec(5, "Audit log", [4])]))
    parsed.clear()
    code, result = sync_all(capsys)
    assert code == 11  # the edited story needs apply
    assert parsed == [edited.key]
    (needs,) = [s for s in result["stories"] if s["outcome"] == "needs_apply"]
    assert needs["story"] == edited.key
    assert "Task 5 is new" in needs["detail"]


def test_an_edit_carries_the_new_record_on_its_sub_task_write_and_sync_parses_nothing(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    issue, writes = edited_and_applied(fake, capsys, 1, TaskSpec(2, "Password hashing, new", [1]))
    assert len(writes) == 2  # the sub-task and the plan comment: no request of its own
    edited = tasks_of(fake, issue.key)["T2"]
    assert writes[0].path.endswith(f"/issue/{edited.key}")
    assert edited.properties["storyplan"]["task"] == "T2"
    assert (
        edited.properties["storyplan"]["record"]["digest"]
        != (issue.properties["storyplan"]["record"]["digest"])
    )
    parsed.clear()
    code, result = sync_all(capsys)
    assert (code, result["unchanged"], parsed) == (0, 1, [])


def test_an_edit_that_writes_only_links_and_the_plan_leaves_the_story_to_be_parsed(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    # Task 4 loses one of its two dependencies.
    issue, writes = edited_and_applied(fake, capsys, 3, TaskSpec(4, "Sign-in endpoint", [2]))
    assert len(writes) == 2  # the unlink and the plan comment
    parsed.clear()
    code, result = sync_all(capsys)
    assert (code, result["unchanged"], parsed) == (0, 1, [issue.key])


def test_a_record_that_is_not_storyplans_is_no_record(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    (issue,) = planned(fake, capsys, 1)
    digest = issue.properties["storyplan"]["record"]["digest"]
    for plan in ("not base64!", "eJzLSM3JyQcABiwCFQ==", 42):  # garbage, "hello", a number
        issue.properties["storyplan"]["record"] = {"digest": digest, "shape": "", "plan": plan}
        parsed.clear()
        code, out, err = run(capsys, "sync", issue.key, "--json")
        assert code == 0, err
        assert parsed == [issue.key]  # parsed as without a record
        assert json.loads(out)["unchanged"] == 1


def test_the_digest_covers_what_parsing_reads_and_nothing_else() -> None:
    from storyplan.config import Settings
    from storyplan.model import Story
    from storyplan.planrecord import story_digest

    base = Story(ref="SHOP-1", title="Sign in", body="h2. Tasks\n* One\n", markup="jira")
    digest = story_digest(base, Settings())
    assert story_digest(base.model_copy(update={"labels": ["x"]}), Settings()) == digest
    for changed in ({"body": "h2. Tasks\n* Two\n"}, {"title": "Sign out"}, {"assignees": ["a"]}):
        assert story_digest(base.model_copy(update=changed), Settings()) != digest
    assert story_digest(base, Settings(synonyms={"tasks": ["Work"]})) != digest
