"""Tasks as teams write them: sub-headings, checklists, ids, dependencies, spec-kit markers and
references to issues that already exist."""

from __future__ import annotations

from datetime import date

import pytest

from storyplan.model import Level, Plan, Story
from storyplan.parse.story import parse_story


def parse(body: str) -> Plan:
    story = Story(ref="S-1", title="Story", body=body, source="story.md")
    return parse_story(story, today=date(2025, 1, 1))


def test_heading_tasks_take_ids_titles_and_field_lines() -> None:
    plan = parse(
        "## Tasks\n\n"
        "### Task 1: Create schema\n"
        "**Description**: Tables for carts.\n"
        "**Files**: `db/cart.sql`, `db/item.sql`\n"
        "Estimate: 2d\n"
        "Complexity: high\n\n"
        "### Task 2: Cart API\n"
        "- **Depends on**: Task 1\n"
        "- **Technology**: FastAPI, Redis\n"
        "- **Steps**:\n"
        "  - Add routes\n"
        "  - Add validation\n"
    )
    first, second = plan.tasks
    assert (first.id, first.number, first.title) == ("T1", 1, "Create schema")
    assert first.description == "Tables for carts."
    assert first.files == ["db/cart.sql", "db/item.sql"]
    assert (first.estimate, first.complexity) == ("2d", Level.HIGH)
    assert (second.id, second.depends_on) == ("T2", ["T1"])
    assert second.technologies == ["FastAPI", "Redis"]
    assert second.steps == ["Add routes", "Add validation"]
    assert (first.line, second.line) == (3, 9)


@pytest.mark.parametrize(
    ("heading", "task_id", "title", "number"),
    [
        ("### T001 Create schema", "T001", "Create schema", 1),
        ("### [T3] Create schema", "T3", "Create schema", 1),
        ("### TASK-3: Create schema", "TASK-3", "Create schema", 1),
        ("### Task 7 - Create schema", "T7", "Create schema", 7),
        ("### 1. Create schema", "T1", "Create schema", 1),
        ("### Create schema", "T1", "Create schema", 1),
        ("### Tarea 4: Crear esquema", "T4", "Crear esquema", 4),
        ("### タスク5\uff1aスキーマ作成", "T5", "スキーマ作成", 5),
    ],
)
def test_task_ids_come_from_the_heading_or_its_position(
    heading: str, task_id: str, title: str, number: int
) -> None:
    """ "Task N" in any language is the author's number and stays so; others count in order."""
    (task,) = parse(f"## Tasks\n\n{heading}\nSome detail.\n").tasks
    assert (task.id, task.title, task.number) == (task_id, title, number)


def test_an_id_field_wins_over_the_heading() -> None:
    (task,) = parse("## Tasks\n\n### Task 1: Schema\nID: DB-1\n").tasks
    assert task.id == "DB-1"


def test_inferred_ids_never_take_an_id_the_story_wrote() -> None:
    plan = parse("## Tasks\n\n- [ ] T2 Second written first\n- [ ] Positional\n")
    assert [t.id for t in plan.tasks] == ["T2", "T3"]


def test_checklist_tasks_take_sub_steps_ac_refs_and_ticks() -> None:
    plan = parse(
        "## Acceptance Criteria\n"
        "- [ ] Rows are streamed\n"
        "- [ ] Dates are ISO 8601\n"
        "- [ ] Large exports are emailed\n\n"
        "## Tasks\n"
        "- [x] Build the writer (AC: 1, 3)\n"
        "  - Stream rows\n"
        "    - Flush every 500 rows\n"
        "  - Format dates\n"
        "* [ ] Add the button\n"
    )
    writer, button = plan.tasks
    assert (writer.title, writer.done, writer.ac_refs) == ("Build the writer", True, ["1", "3"])
    assert writer.steps == ["Stream rows", "Flush every 500 rows", "Format dates"]
    assert [(c.text, c.refs) for c in writer.acceptance_criteria] == [
        ("Rows are streamed", ["1"]),
        ("Large exports are emailed", ["3"]),
    ]
    assert (button.title, button.done, button.steps) == ("Add the button", False, [])


def test_a_reference_to_a_missing_criterion_is_noted_not_an_error() -> None:
    plan = parse("## Acceptance Criteria\n- Works\n\n## Tasks\n- [ ] Build it (AC: 4)\n")
    assert plan.tasks[0].ac_refs == ["4"]
    assert plan.notes == [
        "Task T1 refers to acceptance criterion 4, which the story does not have."
    ]


def test_nested_field_items_of_a_checklist_task_are_fields_not_steps() -> None:
    (task,) = parse("## Tasks\n- [ ] Build API\n  - Files: api.py\n  - write the handler\n").tasks
    assert (task.files, task.steps) == (["api.py"], ["write the handler"])


TASKS = "## Tasks\n\n### Task 1: One\nx\n\n### Task 2: Two\nx\n\n### T003 Three\nx\n\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Depends on: Task 1, T002", ["T1", "T2"]),
        ("**Dependencies**: Task 1 and Task 3", ["T1", "T003"]),
        ("- **Blocked by**: T003", ["T003"]),
        ("Dependencies: None", []),
        ("Dependencies: #2 and the payments team", ["T2"]),
        ("Blocked by T003.", ["T003"]),
        ("After Task 2 is merged we can start.", ["T2"]),
        ("Depends on: T009", ["T009"]),
    ],
)
def test_dependency_phrasings_on_a_heading_task(line: str, expected: list[str]) -> None:
    plan = parse(TASKS + f"### Task 4: Four\n{line}\n")
    assert plan.task("T4").depends_on == expected


@pytest.mark.parametrize(
    ("item", "title", "expected"),
    [
        ("Ship it (after Task 2)", "Ship it", ["T2"]),
        ("Ship it, blocked by T003", "Ship it", ["T003"]),
        ("Ship it — depends on Task 1 and Task 2", "Ship it", ["T1", "T2"]),
        ("Ship it after #1", "Ship it", ["T1"]),
        ("Ship it after the review", "Ship it after the review", []),
    ],
)
def test_dependency_phrases_in_a_checklist_item(item: str, title: str, expected: list[str]) -> None:
    plan = parse(f"## Tasks\n- [ ] One\n- [ ] Two\n- [ ] T003 Three\n- [ ] {item}\n")
    assert (plan.tasks[3].title, plan.tasks[3].depends_on) == (title, expected)


def test_a_dependency_on_something_else_than_a_task_is_kept_in_the_notes() -> None:
    plan = parse(TASKS + "### Task 4: Four\nDependencies: the Redis cluster from infra\n")
    assert plan.task("T4").depends_on == []
    assert plan.task("T4").notes == "Depends on: the Redis cluster from infra"


def test_a_nested_dependency_line_is_not_a_step() -> None:
    plan = parse("## Tasks\n- [ ] One\n- [ ] Two\n  - blocked by Task 1\n  - write it\n")
    assert (plan.tasks[1].depends_on, plan.tasks[1].steps) == (["T1"], ["write it"])


def test_spec_kit_parallel_markers_set_parallel_and_imply_no_order() -> None:
    plan = parse(
        "# Tasks: Login\n\n"
        "## Phase 3.1: Setup\n"
        "- [ ] T001 Create project structure\n"
        "- [ ] T002 [P] Configure linting in ruff.toml\n\n"
        "## Phase 3.2: Tests first\n"
        "- [x] T003 [P] Contract test POST /login in tests/contract/test_login.py\n"
        "- [ ] T004 Implement login endpoint (depends on T001, T003)\n"
    )
    assert [(t.id, t.parallel, t.done) for t in plan.tasks] == [
        ("T001", False, False),
        ("T002", True, False),
        ("T003", True, True),
        ("T004", False, False),
    ]
    assert plan.tasks[1].title == "Configure linting in ruff.toml"
    assert [t.depends_on for t in plan.tasks] == [[], [], [], ["T001", "T003"]]


@pytest.mark.parametrize(
    ("item", "existing", "title"),
    [
        ("#123", "#123", "#123"),
        ("#123 Fix login", "#123", "Fix login"),
        ("owner/repo#45", "owner/repo#45", "owner/repo#45"),
        ("group/sub/project#7: Migrate", "group/sub/project#7", "Migrate"),
        ("PROJ-12", "PROJ-12", "PROJ-12"),
        ("PROJ-12 - Add the cart", "PROJ-12", "Add the cart"),
        (
            "https://github.com/o/r/issues/5",
            "https://github.com/o/r/issues/5",
            "https://github.com/o/r/issues/5",
        ),
        ("https://gitlab.com/g/p/-/issues/8 Retry", "https://gitlab.com/g/p/-/issues/8", "Retry"),
        (
            "<https://gitlab.com/g/p/-/work_items/9>",
            "https://gitlab.com/g/p/-/work_items/9",
            "https://gitlab.com/g/p/-/work_items/9",
        ),
        (
            "https://acme.atlassian.net/browse/SHOP-4",
            "https://acme.atlassian.net/browse/SHOP-4",
            "https://acme.atlassian.net/browse/SHOP-4",
        ),
        (
            "[Fix login](https://github.com/o/r/issues/6)",
            "https://github.com/o/r/issues/6",
            "Fix login",
        ),
    ],
)
def test_a_task_line_naming_an_issue_is_that_issue(item: str, existing: str, title: str) -> None:
    (task,) = parse(f"## Tasks\n- [ ] {item}\n").tasks
    assert (task.existing, task.title, task.id) == (existing, title, "T1")


def test_words_that_look_like_keys_are_not_issue_references() -> None:
    plan = parse("## Tasks\n- [ ] UTF-8 support for names\n- [ ] TASK-3 Build\n")
    assert [(t.existing, t.id) for t in plan.tasks] == [(None, "T1"), (None, "TASK-3")]


def test_a_tasklist_block_makes_each_line_a_task() -> None:
    plan = parse(
        "Sub-issues of this epic:\n\n"
        "```[tasklist]\n"
        "### Tasks\n"
        "- [ ] #101\n"
        "- [x] octo/api#7 Rate limits\n"
        "- [ ] Draft: write the announcement\n"
        "```\n"
    )
    assert [(t.existing, t.title, t.done, t.line) for t in plan.tasks] == [
        ("#101", "#101", False, 5),
        ("octo/api#7", "Rate limits", True, 6),
        (None, "Draft: write the announcement", False, 7),
    ]


def test_an_opening_checklist_is_the_tasks_when_there_is_no_tasks_section() -> None:
    plan = parse("Fix the export.\n\n- [ ] Reproduce\n- [ ] Patch\n\n## Notes\nSee #12.\n")
    assert [t.title for t in plan.tasks] == ["Reproduce", "Patch"]
    assert [s.title for s in plan.sections] == ["Notes", "Description"]


def test_an_opening_checklist_is_not_tasks_when_a_tasks_section_exists() -> None:
    plan = parse("- [ ] Designs approved\n\n## Tasks\nTo be refined.\n")
    assert plan.tasks == []
    assert [s.title for s in plan.sections] == ["Tasks", "Description"]


def test_plain_list_in_a_tasks_section_is_tasks() -> None:
    plan = parse("## Implementation Tasks\n1. Add model\n2. Add API (after Task 1)\n")
    assert [(t.id, t.depends_on) for t in plan.tasks] == [("T1", []), ("T2", ["T1"])]


def test_phase_headings_group_tasks_and_are_not_tasks() -> None:
    plan = parse("## Tasks\n### Phase 1\n- [ ] Model\n### Phase 2\n- [ ] API\n  - routes\n")
    assert [(t.title, t.steps) for t in plan.tasks] == [("Model", []), ("API", ["routes"])]


def test_a_story_without_tasks_gets_a_note_saying_where_it_looked() -> None:
    plan = parse(
        "As a user I want to export so that I can reconcile.\n\n## Tasks\nTo be refined.\n"
    )
    assert plan.tasks == []
    assert plan.notes == ['No tasks were found in the "Tasks" section (line 3).']


def test_a_story_without_any_task_section_says_so() -> None:
    plan = parse("As a user I want to export so that I can reconcile.\n")
    assert plan.notes == [
        'No tasks were found: the story has no tasks section (a heading such as "Tasks"), '
        "no [tasklist] block and no checklist before its first heading."
    ]


def test_unknown_sub_headings_of_a_task_stay_in_its_description() -> None:
    (task,) = parse("## Tasks\n### Task 1: API\n#### Contract\n`POST /carts` returns 201.\n").tasks
    assert task.description == "**Contract**\n\n`POST /carts` returns 201."
