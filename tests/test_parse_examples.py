"""The bundled example stories parse without problems, and Jira wiki markup reads like Markdown
with lines that still point into the original text."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from storyplan.errors import PlanError
from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story


def example(name: str) -> tuple[Plan, list[str]]:
    text = (resources.files("storyplan.examples") / name).read_text(encoding="utf-8")
    markup = "jira" if name.endswith(".jira") else "markdown"
    story = Story(ref=name, title="", body=text, markup=markup, source=name)
    return parse_story(story, today=date(2025, 3, 14)), text.split("\n")


def test_login_example_has_eight_tasks_with_a_diamond() -> None:
    plan, lines = example("login.md")
    assert len(plan.tasks) >= 8
    depends = {t.id: t.depends_on for t in plan.tasks}
    assert depends["T2"] == ["T1"]
    assert depends["T3"] == ["T1"]
    assert depends["T4"] == ["T2", "T3"]
    assert plan.notes == []
    assert plan.overview.story_title == "Sign in with email and password"  # from the heading
    assert plan.overview.tech_lead == "Priya Natarajan"
    assert len(plan.acceptance_criteria) == 6
    assert [c.title for c in plan.checklists] == ["Definition of Done"]
    assert [s.title for s in plan.sections] == ["Out of Scope", "Rollout"]
    assert len(plan.risks) == 2
    assert lines[plan.task("T4").line - 1] == "### Task 4: Sign-in API endpoint"
    assert plan.task("T4").ac_refs == ["1", "2", "4"]


def test_small_example_has_three_checklist_tasks_with_steps_and_ac_refs() -> None:
    plan, _ = example("small.md")
    assert [(t.id, len(t.steps), t.ac_refs, t.depends_on) for t in plan.tasks] == [
        ("T1", 3, ["1", "2"], []),
        ("T2", 2, ["1"], ["T1"]),
        ("T3", 2, ["3"], ["T1"]),
    ]
    assert plan.notes == []


def test_checkout_jira_example_reads_tasks_dependencies_and_original_lines() -> None:
    plan, lines = example("checkout.jira")
    assert [t.depends_on for t in plan.tasks] == [[], ["T1"], ["T1"], ["T3"], ["T2", "T4"]]
    assert plan.tasks[0].files == ["payments/cards.py", "payments/migrations/0017_saved_cards.py"]
    assert plan.overview.tech_lead == "Marek Novak"
    assert len(plan.acceptance_criteria) == 4
    assert [(r.risk, bool(r.mitigation)) for r in plan.risks] == [
        ("Card data stored by mistake", True),
        ("Provider sandbox flaky in CI", True),
    ]
    assert [c.title for c in plan.checklists] == ["Definition of Done"]
    for task in plan.tasks:
        assert lines[task.line - 1].startswith(f"h3. Task {task.number}:")


def test_jira_problem_lines_point_at_the_original_text() -> None:
    body = "h2. Tasks\n||Task||Owner||\n|a|b|\n\nh3. Task 1: A\nx\n\nh3. Task 1: B\nx\n"
    story = Story(ref="J-1", title="J", body=body, markup="jira", source="J-1")
    with pytest.raises(PlanError) as err:
        parse_story(story)
    assert str(err.value) == "J-1:8: duplicate task id T1 (first at line 5)"


def test_jira_icon_ticks_are_checkboxes() -> None:
    body = (
        "h2. Tasks\n* (/) Store tokens\n* (x) List cards\n\n"
        "h2. Definition of Done\n* (/) Reviewed\n"
    )
    plan = parse_story(Story(ref="J-2", title="J", body=body, markup="jira"))
    assert [(t.title, t.done) for t in plan.tasks] == [
        ("Store tokens", True),
        ("List cards", False),
    ]
    assert [(i.text, i.checked) for i in plan.checklists[0].items] == [("Reviewed", True)]
