"""The reading rules learned from real stories (tests/corpus/), each on a short example: bold
labels that open a section, stories titled by a bold line, criteria counted once, and the
dependency statements and lists teams write beside their tasks."""

from __future__ import annotations

from datetime import date

from storyplan.model import Plan, Story
from storyplan.parse.stories import select_story, split_stories
from storyplan.parse.story import parse_story
from tests.corpus_reading import distinct_criteria


def parse(body: str) -> Plan:
    story = Story(ref="S-1", title="Story", body=body, source="story.md")
    return parse_story(story, today=date(2025, 1, 1))


def test_a_bold_label_that_names_a_section_opens_it() -> None:
    plan = parse(
        "As a shopper I want a cart.\n\n"
        "**Acceptance Criteria:**\n\n"
        "1. Items stay in the cart\n"
        "2. The total updates\n\n"
        "**Tasks**\n\n"
        "- [ ] Build the cart\n"
    )
    assert [item.text for item in plan.acceptance_criteria] == [
        "Items stay in the cart",
        "The total updates",
    ]
    assert [task.title for task in plan.tasks] == ["Build the cart"]


def test_a_bold_label_that_names_no_section_stays_text() -> None:
    plan = parse("## Tasks\n\n- [ ] Build it\n\n## Rollout\n\n**Who to tell:**\n\n- Support\n")
    assert [task.title for task in plan.tasks] == ["Build it"]
    rollout = next(section for section in plan.sections if section.title == "Rollout")
    assert rollout.body == "**Who to tell:**\n\n- Support"


def test_stories_titled_by_bold_lines_are_several_stories() -> None:
    body = (
        "# Epic 1\n\n"
        "```\n**Story [EPIC.N]: [Title]**\n\nAs a [user], I want [goal].\n```\n\n"
        "**Story 1.1: Add the flag**\n\nAs an operator, I want a flag.\n\n"
        "**Acceptance Criteria:**\n\n1. The flag toggles the backend.\n\n"
        "**Story 1.2: Document the flag**\n\nAs an operator, I want docs.\n\n"
        "**Acceptance Criteria:**\n\n1. The docs list the defaults.\n2. The docs name the flag.\n"
    )
    parts = split_stories(body)
    assert [part.title for part in parts] == [
        "Story 1.1: Add the flag",
        "Story 1.2: Document the flag",
    ]
    story = Story(ref="S-1", title="Epic", body=body, source="epic.md")
    second = parse_story(select_story(story, 2), today=date(2025, 1, 1))
    assert second.overview.story_title == "Story 1.2: Document the flag"
    assert len(second.acceptance_criteria) == 2


def test_story_ids_with_a_letter_prefix_name_stories() -> None:
    body = (
        "### Story M1.1: Review\n\nAs a maintainer…\n\n### Story M1.2: Triage\n\nAs a maintainer…\n"
    )
    assert [part.title for part in split_stories(body)] == [
        "Story M1.1: Review",
        "Story M1.2: Triage",
    ]


def test_a_subtask_led_by_its_criteria_is_a_subtask_that_serves_them() -> None:
    plan = parse(
        "## Acceptance Criteria\n\n1. The flag toggles the backend.\n\n"
        "## Tasks / Subtasks\n\n"
        "- [x] (AC: #1) Thread the flag through\n"
        "  - [x] (AC: #1) Add the flag to the config\n"
        "  - [ ] (AC: #1 Testing) Cover both paths\n"
    )
    (task,) = plan.tasks
    assert task.ac_refs == ["1"]
    assert [(s.text, s.refs, s.checked) for s in task.subtasks] == [
        ("Add the flag to the config", ["1"], True),
        ("(AC: #1 Testing) Cover both paths", [], False),
    ]
    # The task names the story's criterion; only the story holds it as its own.
    assert [item.text for item in task.acceptance_criteria] == ["The flag toggles the backend."]
    assert distinct_criteria(plan) == 1


def test_a_tasklist_block_under_an_acceptance_heading_holds_criteria() -> None:
    plan = parse(
        "```[tasklist]\n### Update tasks\n- [ ] Bump the version\n- [ ] Upload it\n```\n\n"
        "```[tasklist]\n### Acceptance\n- [ ] The image builds\n- [ ] Smoke tests pass\n```\n"
    )
    assert [task.title for task in plan.tasks] == ["Bump the version", "Upload it"]
    assert [item.text for item in plan.acceptance_criteria] == [
        "The image builds",
        "Smoke tests pass",
    ]


def test_status_and_priority_markers_before_a_task_are_read() -> None:
    plan = parse(
        "## 태스크 목록\n\n- [DONE][P1] T-01 Add the flag\n- [TODO] T-02 Document the flag\n"
    )
    first, second = plan.tasks
    assert (first.id, first.title, first.done) == ("T01", "Add the flag", True)
    assert first.notes == "Priority P1"
    assert (second.id, second.title, second.done) == ("T02", "Document the flag", False)
