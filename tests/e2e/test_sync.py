"""sync end to end on every tracker whose harness can play a developer."""

from __future__ import annotations

import json
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


def test_sync_ticks_exactly_what_progressed_and_keeps_a_hand_tick(
    harness: Progressing, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(8)
    planned(harness, tasks)
    harness.close_child("T1")
    harness.close_child("T2")
    harness.tick_in_child("T3", "Rate limiter works")
    plan = harness.plan_bodies()[0]
    hand = "- [ ] A wrong password is refused with a clear message"
    assert hand in plan
    harness.set_plan_body(plan.replace(hand, hand.replace("[ ]", "[x]")))
    before = harness.plan_bodies()[0]
    capsys.readouterr()
    harness.mark()
    assert run_cli("sync", harness.ref, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["updated"] == 1
    assert harness.writes() == 1  # one edit of the plan comment, nothing else
    after = harness.plan_bodies()[0]
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    ticked = [new for _, new in changed if "[x]" in new]
    assert any("Task 1: Session model" in line for line in ticked)
    assert any("Task 2: Password hashing" in line for line in ticked)
    assert any("Rate limiter works" in line for line in ticked)
    assert any("Task 1 progress and blockers" in line for line in ticked)
    assert any("**Progress**: 2 of 8 tasks done" in new for _, new in changed)
    assert "- [x] A wrong password is refused with a clear message" in after
    assert not any("Task 3: Rate limiter" in line and "[x]" in line for line in after.splitlines())
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
    assert run_cli("sync", harness.ref, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["stories"][0]["outcome"] == "needs apply"
    assert "run apply" in result["stories"][0]["detail"]
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
