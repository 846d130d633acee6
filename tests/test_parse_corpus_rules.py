"""The reading rules learned from real stories (tests/corpus/), each on a short example: bold
labels that open a section, stories titled by a bold line, criteria counted once, and the
dependency statements and lists teams write beside their tasks."""

from __future__ import annotations

from datetime import date

from storyplan.model import Plan, Story
from storyplan.parse.stories import select_story, split_stories
from storyplan.parse.story import parse_story
from tests.corpus_reading import distinct_criteria
from tests.test_parse_tasks import parse


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


def deps(plan: Plan) -> dict[str, list[str]]:
    return {task.id: task.depends_on for task in plan.tasks if task.depends_on}


def test_all_other_tasks_wait_for_the_task_that_comes_first() -> None:
    plan = parse(
        "## Tasks\n\n- [ ] T001 Schema\n- [ ] T002 Interface\n- [ ] T003 Adapter\n"
        "- [ ] T004 Registry\n\n"
        "## Dependencies\n\n1. T002 (Interface) -> all other tasks.\n"
        "2. All remaining tasks depend on T003.\n"
    )
    # T001 is written before T002: the story's order already puts it first.
    assert deps(plan) == {"T003": ["T002"], "T004": ["T002", "T003"]}


def test_a_task_after_all_other_tasks_waits_for_those_before_it() -> None:
    plan = parse(
        "## Tasks\n\n- [ ] T1 Build\n- [ ] T2 Test\n- [ ] T3 Release\n\n"
        "## Dependencies\n\n- T3 depends on all other tasks\n"
    )
    assert deps(plan) == {"T3": ["T1", "T2"]}


def test_a_drawing_of_the_dependencies_gives_its_edges() -> None:
    plan = parse(
        "## Tasks\n\n"
        + "".join(f"- [ ] T00{n} Step {n}\n" for n in range(1, 7))
        + "\n## Dependencies\n\n"
        "```\n"
        "T001 → T002 (Setup)\n"
        "         │\n"
        "    ┌────┴────┐\n"
        "    ▼         ▼\n"
        "  T003 [P]   T004 [P]\n"
        "    └────┬────┘\n"
        "         ▼\n"
        "       T005 → T006\n"
        "```\n"
    )
    assert deps(plan) == {
        "T002": ["T001"],
        "T003": ["T002"],
        "T004": ["T002"],
        "T005": ["T003", "T004"],
        "T006": ["T005"],
    }


def test_a_blank_line_or_a_caption_ends_a_drawings_joining() -> None:
    plan = parse(
        "## Tasks\n\n- [ ] T1 A\n- [ ] T2 B\n- [ ] T3 C\n\n## Dependencies\n\n"
        "```text\nT1\n │\n ▼\nT2\n\n │\nT3\nPhase 1 (setup)\n │\nT1\n```\n"
    )
    assert deps(plan) == {"T2": ["T1"]}


def test_beside_tasks_with_ids_a_list_or_checklist_without_ids_is_no_task() -> None:
    plan = parse(
        "## Phase 1: Setup\n\n"
        "**Independent Test**:\n- US1: the slug is pinyin\n\n"
        "### Tasks\n\n- [x] **T001** Create the test file\n\n"
        "### Constitution Check (Phase 1)\n\n- [x] **Simplicity**: one test file\n\n"
        "### Review\n\n- [x] **T002** Review the setup\n\n"
        "## Progress\n\n### User Story Completion\n\n- [x] US1 (P1): 2 / 2 tasks\n"
    )
    assert [task.id for task in plan.tasks] == ["T001", "T002"]


def test_a_placeholder_line_in_angle_brackets_does_not_swallow_the_list_under_it() -> None:
    plan = parse(
        "## Acceptance Criteria\n\n"
        "<Replace these with the functional requirements>\n"
        "- Users can sign in\n"
        "- Users can sign out\n\n"
        "<details>\n- stays HTML\n</details>\n"
    )
    assert [item.text for item in plan.acceptance_criteria] == [
        "Users can sign in",
        "Users can sign out",
    ]
