"""The checklists every plan shows are filled in from the seed template, never over the story's."""

from __future__ import annotations

import re
from pathlib import Path

from storyplan.defaults import complete_plan
from storyplan.model import ChecklistItem, Overview, Plan, Story
from tests import render_plans as plans

SEED = Path(__file__).parent / "golden" / "seed" / "implementation-plan-template.md"


def seed_checklist(heading: str) -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    body = text.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^- \[ \] (.*)$", body, re.MULTILINE)


def texts(items: list[ChecklistItem]) -> list[str]:
    return [item.text for item in items]


def test_an_empty_plan_gets_every_checklist_the_seed_template_shows() -> None:
    plan = complete_plan(plans.small_plan())
    assert texts(plan.quality.review_checklist) == seed_checklist("Code Review Checklist")
    assert texts(plan.progress.success_indicators) == seed_checklist("Success Indicators")
    assert texts(plan.completion.technical) == seed_checklist("Technical Completion")
    assert texts(plan.completion.business) == seed_checklist("Business Completion")
    assert texts(plan.completion.operational) == seed_checklist("Operational Completion")
    assert not any(item.checked for item in plan.completion.technical)


def test_daily_checkpoints_follow_the_tasks() -> None:
    plan = complete_plan(plans.diamond_plan())
    assert texts(plan.progress.daily_checkpoints) == [
        *(f"Task {n} progress and blockers" for n in range(1, 9)),
        "Integration progress",
        "Testing progress",
    ]


def test_what_the_story_gave_is_never_overwritten() -> None:
    plan = plans.full_plan()
    assert complete_plan(plan) == plan


def test_completing_leaves_the_input_untouched() -> None:
    plan = plans.small_plan()
    before = plan.model_dump()
    completed = complete_plan(plan)
    assert plan.model_dump() == before
    completed.quality.review_checklist[0].checked = True
    assert plan.quality.review_checklist == []


def test_developers_come_from_the_assignees_only_when_the_story_named_none() -> None:
    story = Story(ref="x#1", title="t", assignees=["ana", "bo"])
    assert complete_plan(Plan(story=story)).overview.developers == ["ana", "bo"]
    named = Plan(story=story, overview=Overview(developers=["cy"]))
    assert complete_plan(named).overview.developers == ["cy"]
