"""GitHub Spec Kit's tasks.md: phases and user stories with no "Tasks" heading, T001 ids, [P]
and [US1] markers, dependency phrases and a separate "Dependencies" section."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app
from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story

DATA = Path(__file__).parent / "data" / "formats"
runner = CliRunner()

ISSUE_EXAMPLE = """\
# Tasks: Photo albums

## Phase 3.1: Setup
- [ ] T001 [P] Create project structure in src/
- [ ] T002 Initialise the database schema
- [X] T003 [P] [US1] Album model in src/models/album.py

## Phase 3.2: Core
- [ ] T004 [US1] Album service in src/services/album.py (depends on T002, T003)
- [ ] T005 [US1] Upload endpoint (after T004)
- [ ] T006 [US2] Share endpoint
- [ ] T007 [US2] Share page

## Dependencies
- T005 blocks T006
- T004 → T007
- T006 depends on T001
"""


def parse(body: str, title: str = "Tasks") -> Plan:
    story = Story(ref="tasks.md", title=title, body=body, source="tasks.md")
    return parse_story(story, today=date(2025, 1, 1))


def edges(plan: Plan) -> set[tuple[str, str]]:
    return {(task.id, dep) for task in plan.tasks for dep in task.depends_on}


def test_phase_headings_hold_the_tasks_without_a_tasks_heading() -> None:
    plan = parse(ISSUE_EXAMPLE.split("\n", 1)[1])  # the files tracker takes "# …" as the title
    assert [t.id for t in plan.tasks] == [f"T00{n}" for n in range(1, 8)]
    assert plan.tasks[0].title == "Create project structure in src/"


def test_markers_become_fields_and_leave_the_title() -> None:
    plan = parse(ISSUE_EXAMPLE)
    album = plan.task("T003")
    assert (album.title, album.parallel, album.user_story, album.done) == (
        "Album model in src/models/album.py",
        True,
        "US1",
        True,
    )
    assert [t.user_story for t in plan.tasks] == ["", "", "US1", "US1", "US1", "US2", "US2"]


def test_inline_phrases_and_the_dependencies_section_give_every_edge() -> None:
    assert edges(parse(ISSUE_EXAMPLE)) == {
        ("T004", "T002"),
        ("T004", "T003"),
        ("T005", "T004"),
        ("T006", "T005"),
        ("T007", "T004"),
        ("T006", "T001"),
    }


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("T005 blocks T006", {("T006", "T005")}),
        ("T004 → T005 → T006", {("T005", "T004"), ("T006", "T005")}),
        ("T004 -> T006", {("T006", "T004")}),
        ("T006 depends on T001, T002", {("T006", "T001"), ("T006", "T002")}),
        ("T006 (after T003)", {("T006", "T003")}),
        (
            "Tests (T005-T006): after T001\u2013T002 exist",
            {(w, f) for w in ("T005", "T006") for f in ("T001", "T002")},
        ),
        ("T003 and T004 can run in parallel", set()),
        ("T002-T004 are sequential (same file)", {("T003", "T002"), ("T004", "T003")}),
        ("Polish: depends on all stories, except T001 which blocks T004", {("T004", "T001")}),
    ],
)
def test_dependency_section_lines(line: str, expected: set[tuple[str, str]]) -> None:
    body = "".join(f"- [ ] T00{n} Task {n}\n" for n in range(1, 7))
    plan = parse(f"## Phase 1: Work\n{body}\n## Dependencies\n- {line}\n")
    assert edges(plan) == expected


def test_a_phase_dependency_is_linked_where_one_task_closes_the_phase() -> None:
    plan = parse(
        "## Phase 1: Setup\n- [ ] T001 Scaffold\n- [ ] T002 Configure (after T001)\n\n"
        "## Phase 2: Build\n- [ ] T003 [P] Model\n- [ ] T004 [P] View\n\n"
        "## Dependencies & Execution Order\n- **Build (Phase 2)**: depends on Phase 1\n"
    )
    assert edges(plan) == {("T002", "T001"), ("T003", "T002"), ("T004", "T002")}


def test_a_phase_dependency_between_wide_phases_is_kept_as_text() -> None:
    plan = parse(
        "## Phase 1: Setup\n- [ ] T001 [P] A\n- [ ] T002 [P] B\n\n"
        "## Phase 2: Build\n- [ ] T003 [P] C\n- [ ] T004 [P] D\n\n"
        "## Dependencies\n- Phase 2 depends on Phase 1\n"
    )
    assert edges(plan) == set()
    assert any("kept as text" in note for note in plan.notes)
    assert any(s.title == "Dependencies" and "Phase 1" in s.body for s in plan.sections)


def test_user_story_dependencies_use_the_story_labels() -> None:
    plan = parse(
        "## Phase 3: User Story 1\n- [ ] T010 [US1] Model\n- [ ] T011 [US1] API (after T010)\n\n"
        "## Phase 4: User Story 2\n- [ ] T012 [US2] Page\n\n"
        "## Dependencies\n- US2 depends on US1\n"
    )
    assert edges(plan) == {("T011", "T010"), ("T012", "T011")}


def test_the_spec_kit_template_parses_to_its_tasks_and_edges() -> None:
    text = (DATA / "spec-kit-tasks-template.md").read_text(encoding="utf-8")
    plan = parse(text, title="Tasks: [FEATURE NAME]")
    assert len(plan.tasks) == 34
    assert [t.id for t in plan.tasks[:28]] == [f"T{n:03d}" for n in range(1, 29)]
    assert edges(plan) == {("T014", "T012"), ("T014", "T013")}
    assert sum(t.parallel for t in plan.tasks) == 15
    assert {t.user_story for t in plan.tasks} == {"", "US1", "US2", "US3"}
    assert plan.tasks[28].title == "Documentation updates in docs/"  # "TXXX" is no id


def test_a_large_file_keeps_every_task_and_range_edge() -> None:
    lines = [f"- [ ] T{n:03d} [P] [US{n // 40 + 1}] Step {n} in src/m{n}.py" for n in range(1, 135)]
    body = (
        "## Phase 1: All\n"
        + "\n".join(lines)
        + "\n\n## Dependencies\n- T100\u2013T134 after T099\n"
    )
    plan = parse(body)
    assert len(plan.tasks) == 134
    assert len(edges(plan)) == 35


def test_check_and_render_read_a_spec_kit_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.md"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "ok, 7 task(s), 6 dependency link(s)" in checked.output
    rendered = runner.invoke(app, ["render", str(path)])
    assert rendered.exit_code == 0
    assert "US1" in rendered.output
    assert "[US1]" not in rendered.output.split("Album model")[1].split("\n")[0]
