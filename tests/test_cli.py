"""The command line through Typer's runner: help, render formats, check, plan, demo, errors."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storyplan.cli import app

pytestmark = pytest.mark.usefixtures("cli_sandbox")
runner = CliRunner()
EXAMPLES = resources.files("storyplan.examples")


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
    as_markdown = runner.invoke(app, ["render", str(path), "-f", "json", "--allow-empty"])
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
    assert "'pdf' is not one of 'markdown', 'jira', 'json'" in result.output


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


@pytest.mark.parametrize("url", ["127.0.0.1:9", "ftp://x", "http://[x", "https://", "ghe"])
@pytest.mark.parametrize("command", ["plan", "apply", "sync"])
def test_a_base_url_that_is_not_http_is_one_sentence_and_exit_2(command: str, url: str) -> None:
    result = runner.invoke(app, [command, "octo/shop#1", "--base-url", url])
    assert result.exit_code == 2
    assert result.output == (
        "storyplan: error: --base-url must be an http(s) URL, "
        f"e.g. https://ghe.example.com/api/v3, not '{url}'\n"
    )


FORMS = (
    "expected a story file path, owner/repo#42, gitlab:group/project#17, jira:SHOP-123, "
    "or an issue URL"
)


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("octo/shop#x", "'octo/shop#x' is not a story reference storyplan can read"),
        (
            "https://example.com/foo",
            "'https://example.com/foo' is not a story reference storyplan can read",
        ),
        (
            "https://github.com/octo/shop/pull/3",
            "'https://github.com/octo/shop/pull/3' is a pull or merge request, not an issue",
        ),
        (
            "https://gitlab.com/g/p/-/merge_requests/4",
            "'https://gitlab.com/g/p/-/merge_requests/4' is a pull or merge request, not an issue",
        ),
    ],
)
def test_a_reference_storyplan_cannot_read_says_which_forms_it_accepts(ref: str, why: str) -> None:
    result = runner.invoke(app, ["plan", ref])
    assert result.exit_code == 2
    assert result.output == f"storyplan: error: {why}; {FORMS}\n"


def test_ctrl_c_during_apply_says_how_far_it_got_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyplan.adapters.files.tracker import FilesTracker

    path = example("login.md", tmp_path)
    total = len(json.loads(runner.invoke(app, ["plan", str(path), "--json"]).output)["changes"])
    real_create = FilesTracker.create_child
    calls = []

    def interrupted_on_the_fourth(self: FilesTracker, story: Any, change: Any) -> Any:
        calls.append(change)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_create(self, story, change)

    monkeypatch.setattr(FilesTracker, "create_child", interrupted_on_the_fourth)
    result = runner.invoke(app, ["apply", str(path)])
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"storyplan: interrupted after 3 of {total} changes; run apply again to finish"
    )
    assert len(list((tmp_path / "login.tasks").glob("*.md"))) == 3
    monkeypatch.setattr(FilesTracker, "create_child", real_create)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    assert len(list((tmp_path / "login.tasks").glob("*.md"))) == 8
    again = runner.invoke(app, ["plan", str(path)])
    assert "up to date" in again.output


def test_ctrl_c_outside_apply_says_interrupted_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyplan import service

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "build_plan", interrupted)
    result = runner.invoke(app, ["render", str(example("small.md", tmp_path))])
    assert result.exit_code == 130
    assert result.output == "storyplan: interrupted\n"


# -- sync --------------------------------------------------------------------------------


def applied_demo(tmp_path: Path) -> Path:
    path = example("login.md", tmp_path)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    return path


def test_sync_all_with_nothing_to_do_prints_no_empty_table(tmp_path: Path) -> None:
    applied_demo(tmp_path)
    result = runner.invoke(app, ["sync", "--all", "."])
    assert result.exit_code == 0
    assert result.stdout == "1 unchanged\n"


def test_sync_all_exits_11_and_names_the_sub_issue_that_no_longer_exists(tmp_path: Path) -> None:
    applied_demo(tmp_path)
    (tmp_path / "login.tasks" / "T5.md").unlink()
    result = runner.invoke(app, ["sync", "--all", ".", "--json"])
    assert result.exit_code == 11
    data = json.loads(result.stdout)
    assert data["needs_apply"] == 1
    assert data["stories"] == [
        {
            "story": "login.md",
            "outcome": "needs_apply",
            "detail": "Task 5's sub-issue login.tasks/T5.md no longer exists; run apply",
            "plan_url": "login.plan.md",
        }
    ]
    human = runner.invoke(app, ["sync", "--all", "."])
    assert human.exit_code == 11
    assert "│ login.md │ needs apply │" in human.stdout
    assert human.stdout.endswith("1 needs apply\n")


def test_sync_json_keys_are_snake_case(tmp_path: Path) -> None:
    example("small.md", tmp_path)
    result = runner.invoke(app, ["sync", "small.md", "--json"])
    assert result.exit_code == 11
    data = json.loads(result.output)
    assert set(data) == {
        "checked",
        "updated",
        "unchanged",
        "needs_apply",
        "not_planned",
        "failed",
        "stories",
    }
    assert data["stories"][0]["outcome"] == "not_planned"
    assert data["stories"][0]["detail"] == "no plan file yet; run apply"


def test_sync_dry_run_says_would_update_never_updated(tmp_path: Path) -> None:
    applied_demo(tmp_path)
    task = tmp_path / "login.tasks" / "T1.md"
    task.write_text(task.read_text(encoding="utf-8").replace("status: open", "status: done"))
    result = runner.invoke(app, ["sync", "--all", ".", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would update the plan file" in result.output
    assert result.stdout.endswith("\n1 would update\n")
    assert "updated" not in result.output
    assert "would update" not in runner.invoke(app, ["sync", "--all", "."]).output


def test_jira_output_shows_open_items_with_a_neutral_mark_not_a_red_cross(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, ["render", str(example("small.md", tmp_path)), "-f", "jira"])
    assert result.exit_code == 0
    assert "* ☐ Reviewed and merged" in result.stdout
    assert "(x)" not in result.stdout
