"""apply end to end, the same scenarios on every tracker, through the real CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import HARNESSES, Harness, run_cli
from tests.e2e.stories import TaskSpec, diamond, edges, story_text


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with HARNESSES[request.param]() as tracker:
        yield tracker


def applied(harness: Harness, tasks: list[TaskSpec], extra: str = "") -> int:
    harness.write_story(story_text(tasks, extra))
    harness.mark()
    code = run_cli("apply", harness.ref)
    assert code == 0
    return harness.writes()


def test_first_apply_creates_one_plan_one_child_per_task_and_exact_edges(
    harness: Harness,
) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    assert len(harness.plan_bodies()) == 1
    held = harness.children()
    assert sorted(held) == sorted(f"T{n}" for n in range(1, 9))
    assert harness.links() == edges(tasks)
    assert "Task 4" in held["T4"].title or "Sign-in endpoint" in held["T4"].title


def test_second_apply_makes_zero_writes_and_says_up_to_date(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    applied(harness, diamond(8))
    capsys.readouterr()
    assert applied(harness, diamond(8)) == 0
    assert "up to date" in capsys.readouterr().out


def test_renamed_task_updates_only_its_own_child(harness: Harness) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    before = harness.children()
    tasks[5] = TaskSpec(6, "Step six, reworded", [5])
    assert applied(harness, tasks) == 2  # its sub-issue and the plan, nothing else
    after = harness.children()
    assert after["T6"].key == before["T6"].key
    assert "Step six, reworded" in after["T6"].title
    # A task's body depends on the task alone: its neighbours are not touched.
    others = {"T1", "T2", "T3", "T4", "T5", "T7", "T8"}
    assert {k: after[k] for k in others} == {k: before[k] for k in others}
    assert "Step six, reworded" not in after["T7"].body
    assert len(harness.plan_bodies()) == 1


def test_new_task_and_changed_dependency_change_exactly_that(harness: Harness) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    before = harness.children()
    tasks[2] = TaskSpec(3, "Rate limiter", [])  # T3 no longer waits for T1
    tasks.append(TaskSpec(9, "Audit log", [4]))
    applied(harness, tasks)
    after = harness.children()
    assert set(after) - set(before) == {"T9"}
    assert harness.links() == edges(tasks)
    assert len(after) == 9


def test_removed_task_is_flagged_obsolete_not_deleted_and_prune_closes_it(
    harness: Harness,
) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    applied(harness, tasks[:7])
    held = harness.children()
    assert "T8" in held
    assert held["T8"].obsolete
    assert not held["T8"].closed
    assert harness.obsolete_notes("T8") == 1
    assert applied(harness, tasks[:7]) == 0  # flagged once, not again
    harness.mark()
    assert run_cli("apply", "--prune", harness.ref) == 0
    assert harness.children()["T8"].closed


def test_person_text_and_ticks_survive_a_rerender(harness: Harness) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    plan = harness.plan_bodies()[0]
    assert "- [ ] A registered shopper can sign in" in plan
    harness.set_plan_body(
        plan.replace(
            "- [ ] A registered shopper can sign in", "- [x] A registered shopper can sign in"
        )
        + "\nNotes from the team: ship behind a flag.\n"
    )
    child = harness.children()["T2"].body
    harness.set_child_body("T2", child + "\nA person's note on the sub-issue.\n")
    tasks[1] = TaskSpec(2, "Password hashing with argon2", [1])
    applied(harness, tasks)
    plan = harness.plan_bodies()[0]
    assert "- [x] A registered shopper can sign in" in plan
    assert plan.rstrip().endswith("Notes from the team: ship behind a flag.")
    body = harness.children()["T2"].body
    assert "argon2" in body
    assert "A person's note on the sub-issue." in body


def test_interrupted_run_is_finished_by_the_next_without_duplicates(harness: Harness) -> None:
    tasks = diamond(8)
    harness.write_story(story_text(tasks))
    harness.fail_writes_after(3)
    assert run_cli("apply", harness.ref) != 0
    harness.clear_faults()
    assert run_cli("apply", harness.ref) == 0
    held = harness.children()
    assert sorted(held) == sorted(f"T{n}" for n in range(1, 9))
    assert harness.links() == edges(tasks)
    assert len(harness.plan_bodies()) == 1
    assert applied(harness, tasks) == 0


def test_deleting_a_middle_task_touches_only_it_its_links_and_the_plan(harness: Harness) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    before = harness.children()
    # Task 7 goes; Task 8 now waits for Task 6. Task 8 keeps its number: no renumbering.
    edited = [*tasks[:6], TaskSpec(8, "Step 8", [6])]
    applied(harness, edited)
    after = harness.children()
    unchanged = {"T1", "T2", "T3", "T4", "T5", "T6"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["T7"].obsolete
    assert after["T8"].title == before["T8"].title
    assert "Task 8" in after["T8"].title or "Step 8" in after["T8"].title
    assert harness.links() == edges(edited)
    assert applied(harness, edited) == 0


def test_an_unchanged_story_planned_a_year_later_writes_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")  # 2026-12-01
    tasks = diamond(4)
    applied(harness, tasks)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1827619200")  # 2027-12-01
    harness.mark()
    assert run_cli("plan", harness.ref) == 0
    assert applied(harness, tasks) == 0
    assert "2026-12-01" in harness.plan_bodies()[0]


def test_dropping_one_dependency_is_one_unlink_and_the_plan(harness: Harness) -> None:
    tasks = diamond(8)
    applied(harness, tasks)
    before = harness.children()
    tasks[3] = TaskSpec(4, "Sign-in endpoint", [2])
    # GitLab Free keeps a dependency as a "Blocked by" line in the body: the one exception.
    line = harness.name == "gitlab-free"
    assert applied(harness, tasks) == (3 if line else 2)
    after = harness.children()
    assert {k: v for k, v in after.items() if not line or k != "T4"} == {
        k: v for k, v in before.items() if not line or k != "T4"
    }
    assert harness.links() == edges(tasks)
