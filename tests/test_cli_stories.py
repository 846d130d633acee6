"""Files with several stories and stories without tasks, through the command line: each story
is planned on its own, and a story with no task stops with exit code 3 unless allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyplan.cli import app

runner = CliRunner()

EPIC = """\
# Epic 1: Photo sharing

## Story 1.1: Upload photos

As a member, I want to upload photos, so that I can share them.

### Tasks
- [ ] Add the upload form
- [x] Store the file (after Task 1)

## Story 1.2: Share an album

### Tasks
- [ ] Make a share link
- [ ] Send the invitation email
- [ ] Expire old links (depends on Task 1)

## Story 1.3: Notes only

Nothing to build yet.
"""

FENCED = """\
# Stories for the sprint

```markdown
## Story: Export to CSV
As an analyst, I want a CSV export, so that I can use a spreadsheet.
- [ ] Add the export button
```

```markdown
## Story: Import from CSV
As an analyst, I want to import a CSV file.
- [ ] Parse the file
- [ ] Show the errors
```
"""


pytestmark = pytest.mark.usefixtures("isolated_cli")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_counts_the_stories_and_checks_each(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(write(tmp_path, "epic.md", EPIC))])
    assert "3 stories (1. Story 1.1: Upload photos; 2. Story 1.2: Share an album;" in result.output
    assert "story 1: ok, 2 task(s), 1 dependency link(s)" in result.output
    assert "story 2: ok, 3 task(s), 1 dependency link(s)" in result.output
    assert "no tasks were found" in result.output  # story 1.3 has none
    assert result.exit_code == 3


def test_render_with_story_plans_that_story_only(tmp_path: Path) -> None:
    path = write(tmp_path, "epic.md", EPIC)
    result = runner.invoke(app, ["render", str(path), "--story", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["story"]["title"] == "Story 1.2: Share an album"
    assert [t["title"] for t in plan["tasks"]] == [
        "Make a share link",
        "Send the invitation email",
        "Expire old links",
    ]
    assert plan["tasks"][2]["depends_on"] == ["T1"]
    assert plan["tasks"][0]["line"] == 14  # lines still point into the whole file


@pytest.mark.parametrize("command", ["render", "plan", "apply"])
def test_planning_the_whole_file_never_merges_its_stories(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "epic.md", EPIC)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 3
    assert "holds 3 stories" in result.output
    assert "--story N" in result.output
    assert not (tmp_path / "epic.plan.md").exists()


def test_apply_with_story_writes_that_storys_plan_beside_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "epic.md", EPIC)
    first = runner.invoke(app, ["apply", str(path), "--story", "1"])
    second = runner.invoke(app, ["apply", str(path), "--story", "2"])
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert "Upload photos" in (tmp_path / "epic.story-1.plan.md").read_text(encoding="utf-8")
    assert len(list((tmp_path / "epic.story-2.tasks").glob("*.md"))) == 3
    again = runner.invoke(app, ["plan", str(path), "--story", "2"])
    assert "up to date" in again.output


def test_stories_in_fenced_blocks_are_stories(tmp_path: Path) -> None:
    path = write(tmp_path, "sprint.md", FENCED)
    result = runner.invoke(app, ["render", str(path), "--story", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert [t["title"] for t in plan["tasks"]] == ["Parse the file", "Show the errors"]
    assert plan["business"]["user_value"].startswith("As an analyst, I want to import")


def test_a_story_number_out_of_range_is_one_sentence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(write(tmp_path, "epic.md", EPIC)), "--story", "9"])
    assert result.exit_code == 3
    assert "--story 9 is out of range: the file holds 3 stories" in result.output


NO_TASKS = (
    "# Photo albums\n\nAs a member, I want albums.\n\n## Acceptance Criteria\n- Albums exist\n"
)


@pytest.mark.parametrize("command", ["check", "render", "plan", "apply"])
def test_a_story_without_tasks_stops_with_exit_3(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "albums.md", NO_TASKS)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 3
    assert "no tasks were found" in result.output
    assert '"- [ ] Add the login form"' in result.output
    assert "--allow-empty" in result.output
    assert len(result.output.strip().split("\n")) == 1
    assert not (tmp_path / "albums.plan.md").exists()


def test_allow_empty_plans_a_story_without_tasks(tmp_path: Path) -> None:
    path = write(tmp_path, "albums.md", NO_TASKS)
    checked = runner.invoke(app, ["check", str(path), "--allow-empty"])
    applied = runner.invoke(app, ["apply", str(path), "--allow-empty"])
    assert (checked.exit_code, applied.exit_code) == (0, 0), checked.output + applied.output
    assert "ok, 0 task(s)" in checked.output
    assert (tmp_path / "albums.plan.md").exists()
