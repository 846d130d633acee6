"""Stories as other tools and trackers write them: CCPM epics and task files, GitHub epics,
dependency sections in other languages, BMAD stories, and code and links in task fields."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app
from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story
from storyplan.render import Renderer

DATA = Path(__file__).parent / "data" / "formats"
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("isolated_cli")


def parse(body: str, title: str = "Story", markup: str = "markdown") -> Plan:
    story = Story(ref="s.md", title=title, body=body, source="s.md", markup=markup)  # type: ignore[arg-type]
    return parse_story(story, today=date(2025, 1, 1))


def edges(plan: Plan) -> set[tuple[str, str]]:
    return {(task.id, dep) for task in plan.tasks for dep in task.depends_on}


CCPM_EPIC = """\
---
name: customer-records
status: backlog
created: 2025-06-01T10:00:00Z
progress: 0%
prd: .claude/prds/customer-records.md
github: (will be set on sync)
---

# Epic: customer-records

## Overview
Keep one record per customer.

## Tasks Created
- [ ] 001.md - Customer table and migration (parallel: false)
- [ ] 002.md - Phone normalisation helper (parallel: true)
- [ ] 003.md - Backfill from bookings (parallel: false, conflicts with 002)

Total tasks: 3
"""

CCPM_TASK = """\
---
name: Backfill from bookings
status: open
created: 2025-06-01T10:00:00Z
updated: 2025-06-01T10:00:00Z
github: https://github.com/acme/shop/issues/43
depends_on: [001, 002]
parallel: false
conflicts_with: [002]  # same migration folder
---

# Task: Backfill from bookings

## Description
Fill the customer table from past bookings.

## Acceptance Criteria
- [ ] Every booking has a customer
"""


def test_a_ccpm_epic_with_progress_0_percent_parses() -> None:
    plan = parse(CCPM_EPIC, title="Epic: customer-records")
    assert [(t.id, t.title, t.parallel) for t in plan.tasks] == [
        ("001", "Customer table and migration", False),
        ("002", "Phone normalisation helper", True),
        ("003", "Backfill from bookings", False),
    ]
    assert plan.tasks[2].notes == "Conflicts with 002"
    assert plan.overview.status == "backlog"


def test_front_matter_storyplan_does_not_model_is_kept_as_written() -> None:
    plan = parse(CCPM_TASK, title="Task: Backfill from bookings")
    (kept,) = [s for s in plan.sections if s.title == "Front matter"]
    assert "- **progress**" not in kept.body
    assert "- **depends_on**: [001, 002]" in kept.body  # not the YAML numbers [1, 2]
    assert "- **conflicts_with**: [002]" in kept.body
    assert "- **github**: https://github.com/acme/shop/issues/43" in kept.body
    assert plan.overview.status == "open"


def test_a_storyplan_block_stays_strict_about_unknown_fields() -> None:
    body = "## Tasks\n- [ ] One\n\n```storyplan\nprogress: 0%\n```\n"
    with pytest.raises(Exception, match="progress"):
        parse(body)


def test_check_reads_a_ccpm_epic_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "epic.md"
    path.write_text(CCPM_EPIC, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok, 3 task(s)" in result.output


GITHUB_EPIC = """\
Tracking the checkout rework.

## Tasks
- [ ] #12 Payment form
- [ ] octo/payments#7 Card vault (blocked by #12)
- [x] https://github.com/octo/shop/issues/14 Receipts
- [ ] #15 Refunds

## Dependencies
- #15 depends on #14
- #15 blocked by octo/payments#7
"""


def test_a_github_epic_links_its_issues_by_their_references() -> None:
    plan = parse(GITHUB_EPIC)
    assert [t.existing for t in plan.tasks] == [
        "#12",
        "octo/payments#7",
        "https://github.com/octo/shop/issues/14",
        "#15",
    ]
    assert plan.tasks[2].done
    assert edges(plan) == {("T2", "T1"), ("T4", "T3"), ("T4", "T2")}


def test_a_dependency_on_an_issue_outside_the_plan_is_a_note() -> None:
    plan = parse("## Tasks\n- [ ] Ship it (blocked by octo/infra#3)\n")
    assert plan.tasks[0].depends_on == []
    assert plan.tasks[0].notes == "Waits for octo/infra#3."


def test_numbered_checkbox_lists_are_tasks() -> None:
    plan = parse("## Tasks\n1. - [ ] Write it\n2. - [x] Test it\n   - with the fake server\n")
    assert [(t.title, t.done) for t in plan.tasks] == [("Write it", False), ("Test it", True)]
    assert plan.tasks[1].steps == ["with the fake server"]


def test_an_issue_form_without_tasks_says_where_it_looked() -> None:
    plan = parse("### Description\n\nFaster search.\n\n### Tasks\n\n_No response_\n")
    assert plan.tasks == []
    assert plan.notes == ['No tasks were found in the "Tasks" section (line 5).']
    assert all("No response" not in s.body for s in plan.sections)


def test_a_tasklist_block_is_read_and_named_in_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "epic.md"
    path.write_text("# Epic\n\n```[tasklist]\n### Tasks\n- [ ] #3\n- [ ] Write docs\n```\n")
    result = runner.invoke(app, ["render", str(path), "-f", "json"])
    assert [t["title"] for t in json.loads(result.output)["tasks"]] == ["#3", "Write docs"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "## 任务\n- [ ] 任务 1\uff1a建表\n- [ ] 任务 2\uff1a接口\n- [ ] 任务 3\uff1a页面\n\n"
            "## 依赖关系\n- 任务 3 → 任务 1\n- 任务 2 → 任务 1\n",
            {("T3", "T1"), ("T2", "T1")},
        ),
        (
            "## タスク\n- [ ] タスク 1: テーブル\n- [ ] タスク 2: API\n\n"
            "## 依存関係\n- タスク2はタスク1に依存する\n",
            {("T2", "T1")},
        ),
        (
            "## 작업\n- [ ] 작업 1: 테이블\n- [ ] 작업 2: API\n\n## 의존성\n- 작업 1 → 작업 2\n",
            {("T2", "T1")},
        ),
        (
            "## Tareas\n- [ ] Tarea 1: Tabla\n- [ ] Tarea 2: API\n\n"
            "## Dependencias\n- La tarea 2 depende de la tarea 1\n",
            {("T2", "T1")},
        ),
    ],
)
def test_dependency_sections_in_other_languages(body: str, expected: set[tuple[str, str]]) -> None:
    assert edges(parse(body)) == expected


def test_a_team_synonym_names_a_dependency_section() -> None:
    story = Story(
        ref="s",
        title="S",
        body="## Tasks\n- [ ] T1 A\n- [ ] T2 B\n\n## Reihenfolge\n- T1 → T2\n",
    )
    plan = parse_story(story, synonyms={"dependencies": ["Reihenfolge"]})
    assert edges(plan) == {("T2", "T1")}


def test_the_bmad_template_keeps_status_and_drops_empty_agent_headings() -> None:
    text = (DATA / "bmad-story-template.md").read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    plan = parse("\n" + body, title=title.lstrip("# "))
    assert plan.overview.status == "ready-for-dev"
    assert [t.title for t in plan.tasks] == ["Task 1", "Task 2"]
    titles = [s.title for s in plan.sections]
    assert "Dev Agent Record" not in titles
    assert "Debug Log References" not in titles


BMAD_DONE = """\
Status: in-progress

## Story
As a reader, I want dark mode, so that I can read at night.

## Tasks / Subtasks
- [ ] Task 1: Theme switch (AC: 1)
  - [x] Subtask 1.1: Toggle in the header
  - [ ] Subtask 1.2: Remember the choice
"""


def test_a_ticked_bmad_subtask_stays_ticked_in_the_plan(tmp_path: Path) -> None:
    plan = parse(BMAD_DONE)
    assert [(s.text, s.checked) for s in plan.tasks[0].subtasks] == [
        ("Subtask 1.1: Toggle in the header", True),
        ("Subtask 1.2: Remember the choice", False),
    ]
    path = tmp_path / "story.md"
    path.write_text("# Story 2.1: Dark mode\n\n" + BMAD_DONE, encoding="utf-8")
    rendered = runner.invoke(app, ["render", str(path)])
    assert "- [x] Subtask 1.1: Toggle in the header" in rendered.output
    assert "- **Status**: in-progress" in rendered.output


CODE = """\
## Tasks

### Task 1: Cache sessions
**Technology**: Redis, `secrets`, [redis-py](https://github.com/redis/redis-py)
**Description**: Use `SETEX` as the [Redis docs](https://redis.io/docs/) say.
"""


def test_code_and_links_in_fields_survive_into_markdown_and_jira() -> None:
    plan = parse(CODE)
    assert plan.tasks[0].technologies == [
        "Redis",
        "`secrets`",
        "[redis-py](https://github.com/redis/redis-py)",
    ]
    markdown = Renderer("markdown").plan(plan)
    jira = Renderer("jira").plan(plan)
    assert "Redis, `secrets`, [redis-py](https://github.com/redis/redis-py)" in markdown
    assert "Use `SETEX` as the [Redis docs](https://redis.io/docs/) say." in markdown
    assert "Redis, {{secrets}}, [redis-py|https://github.com/redis/redis-py]" in jira
    assert "Use {{SETEX}} as the [Redis docs|https://redis.io/docs/] say." in jira


def test_code_in_a_jira_story_survives_into_both_outputs(tmp_path: Path) -> None:
    path = tmp_path / "cache.jira"
    path.write_text(
        "h2. Tasks\n\nh3. Task 1: Cache sessions\n*Technology*: Redis, {{secrets}}\n",
        encoding="utf-8",
    )
    markdown = runner.invoke(app, ["render", str(path)])
    jira = runner.invoke(app, ["render", str(path), "-f", "jira"])
    assert "Redis, `secrets`" in markdown.output
    assert "Redis, {{secrets}}" in jira.output


def test_a_ccpm_task_file_is_one_task_of_its_own() -> None:
    plan = parse(CCPM_TASK, title="Task 010: Backfill from bookings")
    assert [(t.id, t.title, t.parallel, t.depends_on) for t in plan.tasks] == [
        ("T10", "Backfill from bookings", False, [])
    ]
    assert plan.acceptance_criteria[0].text == "Every booking has a customer"


def test_front_matter_with_a_colon_in_a_value_is_read_as_text() -> None:
    body = "---\ntitle: Story 2.4 — Phase E: Errors\nstatus: Done\n---\n\n## Tasks\n- [ ] A\n"
    plan = parse(body)
    assert (plan.overview.story_title, plan.overview.status) == (
        "Story 2.4 — Phase E: Errors",
        "Done",
    )
