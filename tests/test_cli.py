"""The command line through Typer's runner: help, render formats, check, plan, demo, errors."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app

runner = CliRunner()
EXAMPLES = resources.files("storyplan.examples")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("STORYPLAN_"):
            monkeypatch.delenv(name)


def example(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    path.write_text(EXAMPLES.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [[], ["render"], ["check"], ["plan"], ["apply"], ["demo"]])
def test_every_help_explains_itself_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_render_prints_markdown_with_every_task(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(example("login.md", tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Implementation Plan")
    assert "```mermaid" in result.output
    assert "storyplan:" not in result.output  # no markers in a printed plan


def test_render_json_gives_tasks_with_ids_and_dependency_ids(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(example("login.md", tmp_path)), "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    tasks = {task["id"]: task for task in data["tasks"]}
    assert len(tasks) >= 8
    assert all(isinstance(task["depends_on"], list) for task in tasks.values())
    assert all(dep in tasks for task in tasks.values() for dep in task["depends_on"])
    assert data["acceptance_criteria"]


def test_a_jira_file_is_read_as_jira_markup_and_rendered_as_jira(tmp_path: Path) -> None:
    path = example("checkout.jira", tmp_path)
    result = runner.invoke(app, ["render", str(path), "--format", "jira"])
    assert result.exit_code == 0, result.output
    assert "h1. Implementation Plan" in result.output
    data = json.loads(runner.invoke(app, ["render", str(path), "-f", "json"]).output)
    assert len(data["tasks"]) >= 4


def test_markup_option_overrides_the_file_suffix(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("h2. Tasks\n# Write the code\n# Test the code\n", encoding="utf-8")
    as_markdown = runner.invoke(app, ["render", str(path), "-f", "json"])
    as_jira = runner.invoke(app, ["render", str(path), "-f", "json", "--markup", "jira"])
    assert as_jira.exit_code == 0, as_jira.output
    assert len(json.loads(as_jira.output)["tasks"]) == 2
    assert json.loads(as_markdown.output)["tasks"] != json.loads(as_jira.output)["tasks"]


def test_check_says_ok_for_a_good_story(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(example("small.md", tmp_path))])
    assert result.exit_code == 0
    assert "ok, 3 task(s)" in result.output


def test_check_lists_every_problem_with_its_line_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(
        "# Bad\n\n## Tasks\n\n"
        "### Task 1: One\nDepends on: Task 2\n\n"
        "### Task 2: Two\nDepends on: Task 1\n\n"
        "### Task 3: Three\nDepends on: T9\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 3
    assert f"{path}:11: task T3 depends on unknown task T9" in result.output
    assert "dependency cycle" in result.output
    assert "Traceback" not in result.output


def test_a_missing_story_file_is_one_sentence_and_exit_7(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "nowhere.md"])
    assert result.exit_code == 7
    assert result.output.strip() == "storyplan: error: nowhere.md: no such story file"


def test_a_bad_format_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(example("small.md", tmp_path)), "-f", "pdf"])
    assert result.exit_code == 2
    assert "--format must be markdown, jira or json" in result.output


def test_a_bad_config_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "storyplan.toml").write_text("colour = 'blue'\n", encoding="utf-8")
    result = runner.invoke(app, ["render", str(example("small.md", tmp_path))])
    assert result.exit_code == 2
    assert "storyplan.toml:1: unknown setting 'colour'; valid keys: action, " in result.output


def test_plan_lists_changes_and_writes_nothing(tmp_path: Path) -> None:
    path = example("small.md", tmp_path)
    result = runner.invoke(app, ["plan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    kinds = [c["kind"] for c in json.loads(result.output)["changes"]]
    assert kinds.count("create_child") == 3
    assert kinds[-1] == "upsert_plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.md"]


def test_demo_twice_writes_once_then_says_up_to_date(tmp_path: Path) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    plan = tmp_path / "storyplan-demo" / "login.plan.md"
    assert plan.exists()
    tasks = sorted((tmp_path / "storyplan-demo" / "login.tasks").glob("*.md"))
    assert len(tasks) >= 8
    stamps = {p: p.stat().st_mtime_ns for p in [plan, *tasks]}
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert "up to date" in second.output
    assert {p: p.stat().st_mtime_ns for p in [plan, *tasks]} == stamps


def test_task_files_carry_front_matter_for_tools(tmp_path: Path) -> None:
    from storyplan.adapters.files.tracker import split_front_matter

    path = example("login.md", tmp_path)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    task = tmp_path / "login.tasks" / "T4.md"
    data, _ = split_front_matter(task.read_text(encoding="utf-8"), str(task))
    assert set(data) >= {"id", "title", "depends_on", "status"}
    assert data["id"] == "T4"
    assert data["status"] == "open"


def test_a_problem_found_twice_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "dup.md"
    path.write_text("# S\n\n## Tasks\n\n### Task 4: B\n\ny\n\n### Task 4: C\n\nz\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 3
    assert result.output.count("duplicate task id T4") == 1
