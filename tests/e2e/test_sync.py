"""sync end to end on every tracker whose harness can play a developer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.e2e.harness import HARNESSES, Progressing, run_cli
from tests.e2e.stories import TaskSpec, diamond, story_text


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[Progressing]:
    with HARNESSES[request.param]() as tracker:
        if not hasattr(tracker, "close_child"):
            pytest.skip(f"the {request.param} harness cannot close a sub-issue yet")
        yield tracker  # type: ignore[misc]


def planned(harness: Progressing, tasks: list[TaskSpec]) -> None:
    harness.write_story(story_text(tasks))
    assert run_cli("apply", harness.ref) == 0


def box(text: str, done: bool, markup: str) -> str:
    """A checklist line as the tracker's plan shows it."""
    if markup == "jira":
        return f"* {'(/)' if done else '☐'} {text}"
    return f"- {'[x]' if done else '[ ]'} {text}"


def is_ticked(line: str) -> bool:
    return "[x]" in line or "(/)" in line


def test_sync_ticks_exactly_what_progressed_and_keeps_a_hand_tick(
    harness: Progressing, capsys: pytest.CaptureFixture[str]
) -> None:
    markup = getattr(harness, "markup", "markdown")
    tasks = diamond(8)
    planned(harness, tasks)
    harness.close_child("T1")
    harness.close_child("T2")
    harness.tick_in_child("T3", "Rate limiter works")
    plan = harness.plan_bodies()[0]
    hand = "A wrong password is refused with a clear message"
    assert box(hand, False, markup) in plan
    harness.set_plan_body(plan.replace(box(hand, False, markup), box(hand, True, markup)))
    before = harness.plan_bodies()[0]
    capsys.readouterr()
    harness.mark()
    assert run_cli("sync", harness.ref, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["updated"] == 1
    assert harness.writes() == 1  # one edit of the plan comment, nothing else
    after = harness.plan_bodies()[0]

    def visible(text: str) -> list[str]:
        # storyplan's record of its own ticks: a comment in Markdown, an anchor in Jira
        return [line for line in text.splitlines() if not re.search("storyplan[:-]ticked", line)]

    changed = [
        (old, new) for old, new in zip(visible(before), visible(after), strict=True) if old != new
    ]
    ticked = [new for _, new in changed if is_ticked(new)]
    assert any("Task 1: Session model" in line for line in ticked)
    assert any("Task 2: Password hashing" in line for line in ticked)
    assert any("Rate limiter works" in line for line in ticked)
    assert any("Task 1 progress and blockers" in line for line in ticked)
    assert any("Progress" in new and "2 of 8 tasks done" in new for _, new in changed)
    assert box(hand, True, markup) in after
    assert not any(
        "Task 3: Rate limiter" in line and is_ticked(line) for line in after.splitlines()
    )
    harness.mark()
    assert run_cli("sync", harness.ref) == 0
    assert harness.writes() == 0


def test_sync_leaves_a_changed_story_to_apply(
    harness: Progressing, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    planned(harness, tasks)
    tasks.append(TaskSpec(5, "Audit log", [4]))
    harness.write_story(story_text(tasks))
    harness.mark()
    capsys.readouterr()
    assert run_cli("sync", harness.ref, "--json") == 11
    result = json.loads(capsys.readouterr().out)
    assert result["stories"][0]["outcome"] == "needs_apply"
    detail = result["stories"][0]["detail"]
    assert detail.startswith("Task 5 is new; ")
    assert detail.endswith("; run apply")
    assert harness.writes() == 0


def test_sync_dry_run_writes_nothing(
    harness: Progressing, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(harness, diamond(4))
    harness.close_child("T1")
    harness.mark()
    assert run_cli("sync", harness.ref, "--dry-run") == 0
    assert "would update" in capsys.readouterr().out
    assert harness.writes() == 0
