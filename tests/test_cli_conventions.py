"""Conventions users bring from gh, glab and terraform, through Typer's runner: progress on
stderr, --quiet, plan --detailed-exitcode with diffs and a summary, check of several files,
and help that lists examples, choices and every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app

pytestmark = pytest.mark.usefixtures("cli_sandbox")
runner = CliRunner()
EXAMPLES = resources.files("storyplan.examples")
SMALL = EXAMPLES.joinpath("small.md").read_text(encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.md"
    path.write_text(SMALL, encoding="utf-8")
    return path


# -- progress and --quiet ----------------------------------------------------------------


def test_apply_shows_progress_as_plain_lines_on_stderr_and_json_alone_on_stdout(
    small: Path,
) -> None:
    result = runner.invoke(app, ["apply", "small.md", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 3
    assert result.stderr.splitlines() == [
        "creating sub-issues 1/3",
        "creating sub-issues 2/3",
        "creating sub-issues 3/3",
        "linking sub-issues 1/2",
        "linking sub-issues 2/2",
        "writing the plan 1/1",
    ]


def test_sync_all_names_each_story_as_it_goes(small: Path, tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text(SMALL, encoding="utf-8")
    for name in ("small.md", "other.md"):
        assert runner.invoke(app, ["apply", name]).exit_code == 0
    result = runner.invoke(app, ["sync", "--all", "."])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["synced 1/2: other.md", "synced 2/2: small.md"]


def test_quiet_prints_nothing_but_errors(small: Path) -> None:
    result = runner.invoke(app, ["apply", "small.md", "--quiet"])
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")
    assert (Path("small.plan.md")).exists()
    before = runner.invoke(app, ["-q", "plan", "small.md"])
    assert (before.exit_code, before.output) == (0, "")
    failed = runner.invoke(app, ["plan", "missing.md", "-q"])
    assert (failed.exit_code, failed.stdout) == (7, "")
    assert failed.stderr == "storyplan: error: missing.md: no such story file\n"


def test_a_terminal_gets_a_progress_bar_on_stderr_not_lines(small: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from storyplan.cli import run; run()", "apply", "small.md"],
        cwd=small.parent,
        env={**os.environ, "FORCE_COLOR": "1", "TTY_INTERACTIVE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "━" in result.stderr  # rich's bar
    assert "creating sub-issues" not in result.stdout
    assert "\ncreating sub-issues 1/3\n" not in result.stderr


# -- plan ----------------------------------------------------------------------------------


def test_plan_ends_with_a_summary_line(small: Path) -> None:
    result = runner.invoke(app, ["plan", "small.md"])
    assert result.exit_code == 0
    assert result.stdout.endswith("\nPlan: 4 to create, 0 to update, 2 to link.\n")


def test_plan_shows_a_changed_body_as_a_short_diff(small: Path) -> None:
    assert runner.invoke(app, ["apply", "small.md"]).exit_code == 0
    small.write_text(SMALL.replace("Unit tests with a 3-order fixture", "Unit tests, 5 orders"))
    result = runner.invoke(app, ["plan", "small.md"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    at = lines.index("T1 (small.tasks/T1.md): body")
    assert lines[at + 1 : at + 3] == [
        "  -3. Unit tests with a 3-order fixture",
        "  +3. Unit tests, 5 orders",
    ]
    assert lines[-1] == "Plan: 0 to create, 2 to update, 0 to link."


@pytest.mark.parametrize(
    ("setup", "code"), [("nothing to do", 0), ("changes", 2), ("error", 1), ("bad story", 1)]
)
def test_plan_detailed_exitcode_is_terraforms(small: Path, setup: str, code: int) -> None:
    if setup == "nothing to do":
        assert runner.invoke(app, ["apply", "small.md"]).exit_code == 0
    if setup == "bad story":
        small.write_text("# S\n\n## Tasks\n\n### Task 1: A\nDepends on: Task 9\n")
    ref = "missing.md" if setup == "error" else "small.md"
    result = runner.invoke(app, ["plan", ref, "--detailed-exitcode"])
    assert result.exit_code == code, result.output


# -- check ---------------------------------------------------------------------------------

BROKEN = "# Bad\n\n## Tasks\n\n### Task 1: One\nDepends on: T9\n\n### Task 1: Again\nsome text\n"


def test_check_reports_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["check", "bad.md"])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "storyplan: error: bad.md:8: duplicate task id T1 (first at line 5)",
        "storyplan: error: bad.md:5: task T1 depends on unknown task T9",
    ]


def test_check_takes_several_files_and_stdin(small: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["check", "small.md", "bad.md", "-"], input=SMALL)
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        "small.md: ok, 3 task(s), 2 dependency link(s)",
        "-: ok, 3 task(s), 2 dependency link(s)",
    ]
    assert len(result.stderr.splitlines()) == 2


def test_check_json_lists_each_file_with_its_problems(small: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["check", "small.md", "bad.md", "gone.md", "--json"])
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(f["file"], f["ok"], f["tasks"]) for f in data["files"]] == [
        ("small.md", True, 3),
        ("bad.md", False, 0),
        ("gone.md", False, 0),
    ]
    assert data["files"][0]["dependency_links"] == 2
    assert data["files"][1]["problems"] == [
        {"line": 8, "message": "duplicate task id T1 (first at line 5)"},
        {"line": 5, "message": "task T1 depends on unknown task T9"},
    ]
    assert data["files"][2]["problems"] == [{"line": 0, "message": "gone.md: no such story file"}]


# -- help ----------------------------------------------------------------------------------

COMMANDS = ["render", "check", "plan", "apply", "sync", "action", "serve", "worker", "demo"]


def test_a_bare_storyplan_prints_help_and_exits_0() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: storyplan [OPTIONS] COMMAND [ARGS]...")


def test_help_lists_every_command_in_full() -> None:
    result = runner.invoke(app, ["--help"])
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == COMMANDS
    assert not any(line.endswith(("...", "…")) for line in listed)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help_has_examples_one_command_per_line(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples
    assert all(line.startswith("    ") for line in examples), examples
    assert all(line.count("storyplan ") == 1 for line in examples), examples
    assert "<list[str]>" not in result.stdout
    assert "<str>" not in result.stdout


def test_help_lists_choices_and_they_match_in_any_case(small: Path) -> None:
    assert "--format <markdown|jira|json>" in runner.invoke(app, ["render", "-h"]).stdout
    assert "--tracker <files|github|gitlab|jira>" in runner.invoke(app, ["plan", "-h"]).stdout
    result = runner.invoke(app, ["render", "small.md", "--format", "JSON"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tasks"]
    plan = runner.invoke(app, ["plan", "small.md", "--tracker", "Files", "--json"])
    assert plan.exit_code == 0, plan.output


def test_debug_works_after_the_command_too(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "missing.md", "--debug"])
    assert result.exit_code == 7
    assert "Traceback" in result.stderr
    assert "NotFoundError: missing.md: no such story file" in result.stderr


def test_shell_completion_is_offered() -> None:
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    result = subprocess.run(
        [sys.executable, "-c", "from storyplan.cli import run; run()", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "_STORYPLAN_COMPLETE" in result.stdout
