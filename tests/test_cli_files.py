"""The files tracker on a real disk through the command line: the modes files get, a disk
that says no (one sentence, exit 5, nothing half-written), empty and non-UTF-8 stories."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app

runner = CliRunner()
SMALL = resources.files("storyplan.examples").joinpath("small.md").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _usual_umask(cli_sandbox: None) -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def story(tmp_path: Path, text: str = SMALL) -> Path:
    path = tmp_path / "small.md"
    path.write_text(text, encoding="utf-8")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_get_the_mode_an_editor_gives_them(tmp_path: Path) -> None:
    result = runner.invoke(app, ["apply", str(story(tmp_path))])
    assert result.exit_code == 0, result.output
    written = [tmp_path / "small.plan.md", *(tmp_path / "small.tasks").glob("*.md")]
    assert len(written) == 4
    assert {mode(path) for path in written} == {0o644}


def test_an_existing_file_keeps_its_mode_when_storyplan_rewrites_it(tmp_path: Path) -> None:
    path = story(tmp_path)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    plan, task = tmp_path / "small.plan.md", tmp_path / "small.tasks" / "T1.md"
    plan.chmod(0o640)
    task.chmod(0o600)
    path.write_text(SMALL.replace("Build the CSV writer", "Renamed CSV writer"), encoding="utf-8")
    result = runner.invoke(app, ["apply", str(path)])
    assert result.exit_code == 0, result.output
    assert "Renamed" in task.read_text(encoding="utf-8")
    assert (mode(plan), mode(task)) == (0o640, 0o600)


def test_a_file_where_the_task_folder_should_be_is_one_sentence_and_exit_5(
    tmp_path: Path,
) -> None:
    path = story(tmp_path)
    (tmp_path / "small.tasks").write_text("not a folder", encoding="utf-8")
    result = runner.invoke(app, ["apply", str(path)])
    assert result.exit_code == 5
    assert result.stderr.splitlines()[-1] == (
        f"storyplan: error: cannot write {tmp_path}/small.tasks/T1.md: "
        f"{tmp_path}/small.tasks is a file, not a folder"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.md", "small.tasks"]


def test_a_plan_path_that_is_a_folder_is_one_sentence_and_exit_5(tmp_path: Path) -> None:
    path = story(tmp_path)
    (tmp_path / "small.plan.md").mkdir()
    result = runner.invoke(app, ["apply", str(path)])
    assert result.exit_code == 5
    assert (
        result.output == f"storyplan: error: cannot read {tmp_path}/small.plan.md: is a directory\n"
    )
    assert not (tmp_path / "small.tasks").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_an_unwritable_folder_is_one_sentence_and_exit_5(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "small.md"
    path.write_text(SMALL, encoding="utf-8")
    folder.chmod(0o555)
    try:
        result = runner.invoke(app, ["apply", str(path)])
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 5
    assert result.stderr.splitlines()[-1] == (
        f"storyplan: error: cannot write {folder}/small.tasks: permission denied"
    )


def test_demo_into_a_folder_that_cannot_be_made_is_one_sentence_and_exit_5(
    tmp_path: Path,
) -> None:
    name = "x" * 300  # longer than any file system allows a name to be
    result = runner.invoke(app, ["demo", name])
    assert result.exit_code == 5
    assert result.output == f"storyplan: error: {name}/login.md: file name too long\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_an_empty_story_file_says_the_story_is_empty(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.md"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", "empty.md"])
    assert result.exit_code == 3
    assert result.output == "storyplan: error: empty.md: the story is empty\n"


def test_a_story_that_is_not_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    (tmp_path / "latin.md").write_bytes("# Cafe\n\nabc\nna\xefve\n".encode("latin-1"))
    result = runner.invoke(app, ["check", "latin.md"])
    assert result.exit_code == 3
    assert result.output == (
        "storyplan: error: latin.md:4: the file is not UTF-8 text: "
        "byte 14 (0xef) cannot be decoded\n"
    )


def set_status(task: Path, value: str) -> None:
    text = task.read_text(encoding="utf-8")
    task.write_text(re.sub(r"(?m)^status: .*$", f"status: {value}", text), encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "progress"),
    [
        ("closed", "1 of 3 tasks done"),
        ("Done", "1 of 3 tasks done"),
        ("wip", "0 of 3 tasks done · 1 in progress"),
        ("In Progress", "0 of 3 tasks done · 1 in progress"),
        ("cancelled", "0 of 3 tasks done · 1 not planned"),
        ("to do", "0 of 3 tasks done"),
    ],
)
def test_a_task_files_status_accepts_the_common_words(
    tmp_path: Path, value: str, progress: str
) -> None:
    path = story(tmp_path)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    set_status(tmp_path / "small.tasks" / "T1.md", value)
    result = runner.invoke(app, ["sync", str(path)])
    assert result.exit_code == 0, result.output
    assert f"**Progress**: {progress}" in (tmp_path / "small.plan.md").read_text(encoding="utf-8")


def test_an_unknown_status_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    path = story(tmp_path)
    assert runner.invoke(app, ["apply", str(path)]).exit_code == 0
    set_status(tmp_path / "small.tasks" / "T2.md", "frobbed")
    result = runner.invoke(app, ["plan", "small.md"])
    assert result.exit_code == 3
    assert result.output == (
        "storyplan: error: small.tasks/T2.md:6: status 'frobbed' is not one storyplan "
        "knows; use open, in_progress, blocked, done or not_planned (or a synonym such as "
        "closed, wip, to do or cancelled)\n"
    )


def test_a_task_ticked_in_the_story_but_open_in_its_file_is_said(tmp_path: Path) -> None:
    path = story(
        tmp_path, SMALL.replace("- [ ] Build the CSV writer", "- [x] Build the CSV writer")
    )
    first = runner.invoke(app, ["apply", "small.md"])
    assert first.exit_code == 0, first.output
    result = runner.invoke(app, ["plan", "small.md"])
    assert result.exit_code == 0
    assert result.output == (
        "small.md: up to date, nothing to change.\n"
        "note: Task 1 is ticked in the story but small.tasks/T1.md is open\n"
    )
    set_status(tmp_path / "small.tasks" / "T1.md", "closed")
    runner.invoke(app, ["apply", str(path)])
    assert "ticked" not in runner.invoke(app, ["plan", "small.md"]).output
