"""Story, tracker and file-name text is printed literally by every command, on a terminal:
rich markup, emoji codes, ANSI colours and OSC-8 hyperlinks in it are shown, never acted on.

The commands run as a user runs them (a subprocess), with rich told that its output is a
terminal (FORCE_COLOR) so that it would style and link if it read the text as markup.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

STORYPLAN = [sys.executable, "-c", "from storyplan.cli import run; run()"]
ESC = "\x1b"
RED = f"{ESC}[31m"
OSC8 = f"{ESC}]8;;https://evil.example{ESC}\\osc{ESC}]8;;{ESC}\\"
LINK = "[link=https://evil.example]click[/link]"
NAME = "[draft] story.md"
STORY = f"""# Add [b]login[/b] {RED}red{ESC}[0m :smile:

## Tasks

### Task 1: {LINK} {OSC8}
Use `list[str]` and a [tasklist] block.

### Task 2: Second [i]x[/i] {RED}
Depends on: Task 1
"""
# rich's own styling (bold table headers, italic titles) is allowed; nothing else.
RICH_STYLE = re.compile(r"\x1b\[(?:[0-9;]*m|\?25[lh]|2K|1A)|\r")


def run(
    args: list[str], cwd: Path, *, terminal: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    skip = ("STORYPLAN_", "GITHUB", "FORCE_COLOR", "TTY_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    environ.update(NO_COLOR="1", COLUMNS="200", **env)
    if terminal:
        environ["FORCE_COLOR"] = "1"
    return subprocess.run(
        [*STORYPLAN, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def assert_literal(result: subprocess.CompletedProcess[str], *shown: str) -> None:
    """Every `shown` piece appears as written, and no escape sequence but rich's own."""
    text = result.stdout + result.stderr
    bare = RICH_STYLE.sub("", text)
    assert ESC not in bare, repr(text)
    assert "\x9b" not in bare
    for piece in shown:
        assert piece in bare, f"{piece!r} not in {bare!r}"


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / NAME
    path.write_text(STORY, encoding="utf-8")
    return path


def test_render_prints_story_text_literally(story: Path) -> None:
    result = run(["render", NAME], story.parent)
    assert result.returncode == 0, result.stderr
    assert_literal(result, "\\x1b[31m", "\\x1b]8;;https://evil.example", "`list[str]`")
    result = run(["render", NAME, "--format", "jira"], story.parent)
    assert result.returncode == 0, result.stderr
    assert_literal(result, "\\x1b]8;;https://evil.example")
    result = run(["render", NAME, "--format", "json"], story.parent)
    assert json.loads(result.stdout)["overview"]["story_title"].startswith("Add [b]login[/b] \x1b")


def test_check_prints_the_file_name_and_notes_literally(story: Path) -> None:
    result = run(["check", NAME], story.parent)
    assert result.returncode == 0, result.stderr
    assert_literal(result, f"{NAME}: ok, 2 task(s), 1 dependency link(s)")


def test_plan_apply_and_sync_print_titles_and_file_names_literally(story: Path) -> None:
    planned = run(["plan", NAME], story.parent)
    assert planned.returncode == 0, planned.stderr
    assert_literal(planned, NAME, LINK, "Second [i]x[/i] \\x1b[31m", "\\x1b]8;;https://evil")
    applied = run(["apply", NAME], story.parent)
    assert applied.returncode == 0, applied.stderr
    assert_literal(applied, f"{NAME}: applied", "[draft] story.plan.md")
    synced = run(["sync", "--all", "."], story.parent)
    assert synced.returncode == 0, synced.stderr
    assert_literal(synced, "1 unchanged", f"synced 1/1: {NAME}")  # the progress bar's text
    one = run(["sync", NAME, "--dry-run"], story.parent)
    assert_literal(one, NAME)


def test_errors_print_file_names_literally(tmp_path: Path) -> None:
    name = f"[red]gone[/red] {RED}.md"
    result = run(["check", name], tmp_path)
    assert result.returncode == 7
    assert_literal(result, "storyplan: error: [red]gone[/red] \\x1b[31m.md: no such story file")


def test_demo_prints_a_folder_name_literally(tmp_path: Path) -> None:
    result = run(["demo", "[b]demo[/b]"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert_literal(result, "copied the example story to [b]demo[/b]/login.md")


def test_the_action_log_prints_event_text_literally(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{}", encoding="utf-8")
    result = run(
        ["action"],
        tmp_path,
        GITHUB_EVENT_NAME=f"push{RED}[b]x[/b]",
        GITHUB_REPOSITORY="octo/shop",
        GITHUB_EVENT_PATH=str(event),
    )
    assert result.returncode == 0, result.stderr
    assert_literal(result, "[b]x[/b]")


def test_progress_lines_print_story_names_literally(tmp_path: Path) -> None:
    name = f"[red]x {RED}.md"
    (tmp_path / name).write_text(STORY, encoding="utf-8")
    assert run(["apply", name], tmp_path, terminal=False).returncode == 0
    plain = run(["sync", "--all", "."], tmp_path, terminal=False)
    assert plain.stderr == "synced 1/1: [red]x \\x1b[31m.md\n"
