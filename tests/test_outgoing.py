"""The secret check every write passes: a batch that carries a secret of the run anywhere is
refused whole, before the tracker writes any of it; the guarded tracker still reads, finds
and is configured as the tracker it wraps, and still serves the Action.
"""

from __future__ import annotations

import pytest

from storyplan.action import ActionTracker
from storyplan.errors import TemplateError
from storyplan.model import Story
from storyplan.outgoing import guard
from storyplan.ports import CreateChild, Limits, UpsertPlan
from tests.fakes.memory import MemoryTracker

SECRET = "ghp_a-token-long-enough"


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> MemoryTracker:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    return MemoryTracker(Story(ref="octo/shop#1", title="Sign in", body="As a shopper ..."))


def test_a_batch_with_a_secret_in_its_last_change_writes_nothing(memory: MemoryTracker) -> None:
    tracker = guard(memory)
    batch = [
        CreateChild(task_id="T1", title="Session model", body="Plain."),
        UpsertPlan(key=None, body=f"Call the API with {SECRET}."),
    ]
    with pytest.raises(TemplateError, match="refused to write the plan comment on octo/shop#1"):
        list(tracker.apply(memory.story, batch))
    assert memory.writes == []
    assert memory.children == {}


def test_a_clean_batch_is_written_and_reported_as_the_tracker_reports_it(
    memory: MemoryTracker,
) -> None:
    tracker = guard(memory)
    applied = list(tracker.apply(memory.story, [CreateChild(task_id="T1", title="A", body="B")]))
    assert [a.change.kind for a in applied] == ["create_child"]
    assert len(memory.children) == 1


def test_the_guarded_tracker_reads_and_is_configured_as_the_one_it_wraps(
    memory: MemoryTracker,
) -> None:
    tracker = guard(memory)
    assert tracker.fetch_story("octo/shop#1") is memory.story
    assert tracker.find_planned("octo/shop", "storyplan") == memory.find_planned(
        "octo/shop", "storyplan"
    )
    assert (tracker.name, tracker.markup) == ("memory", "markdown")
    tracker.limits = Limits(max_comment_chars=500)  # as a test lowers a tracker's limit
    assert memory.limits.max_comment_chars == 500
    assert tracker.limits is memory.limits
    assert not isinstance(tracker, ActionTracker)


class ActionMemory(MemoryTracker):
    """A memory tracker with what the Action asks of GitHub."""

    replies: list[str]

    def permission(self, project: str, login: str) -> str:
        return "write"

    def reply(self, ref: str, body: str) -> str | None:
        self.replies = [*getattr(self, "replies", []), body]
        return None

    def parent_of(self, ref: str) -> Story | None:
        return self.story


def test_a_tracker_that_serves_the_action_still_does_and_its_replies_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    memory = ActionMemory(Story(ref="octo/shop#1", title="Sign in", body="As a shopper ..."))
    tracker = guard(memory)
    assert isinstance(tracker, ActionTracker)
    assert tracker.permission("octo/shop", "mona") == "write"
    assert tracker.parent_of("octo/shop#2") is memory.story
    tracker.reply("octo/shop#1", "Planned.")
    with pytest.raises(TemplateError, match="refused to write the reply on octo/shop#1"):
        tracker.reply("octo/shop#1", f"Token: {SECRET}")
    assert memory.replies == ["Planned."]
