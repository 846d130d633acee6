"""A hostile story cannot stall a run: one over the documented size is refused with one
sentence, Jira markup that the converter cannot read within its budget is reported as
unreadable, and `sync --all` goes on with the other stories. Through the real CLI.

The converter is linear and no known markup comes near its budget, so a converter that spins
on one story stands in for a shape nobody has found yet: the budget around it is real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyplan.cli import main
from storyplan.parse import jira
from storyplan.parse.story import MAX_STORY_BYTES
from tests.e2e.harness_jira import jira_harness, wiki_story
from tests.e2e.stories import TaskSpec, diamond, story_text

HOSTILE_JIRA = "h2. Tasks\n" + "[" * 3000 + "\n"


def spin_on_hostile_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    convert = jira.convert

    def slow_convert(text: str) -> tuple[list[str], list[int]]:
        while text == HOSTILE_JIRA:
            pass
        return convert(text)

    monkeypatch.setattr(jira, "convert", slow_convert)


def test_a_story_over_the_size_limit_is_refused_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "huge.md"
    text = story_text(diamond(2))
    story.write_text(text + "\n" + "a" * (MAX_STORY_BYTES - len(text)) + "\n", encoding="utf-8")
    code = main(["check", str(story)])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    (line,) = err.strip().splitlines()
    assert f"{story}: the story is {MAX_STORY_BYTES + 2:,} bytes, over the 256 KB" in line


def test_a_story_at_the_size_limit_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "large.md"
    text = "# Sign in\n\n" + story_text(diamond(2)) + "\nNotes:\n\n"
    filler = ("A line of notes about the story. " * 3 + "\n") * (MAX_STORY_BYTES // 100)
    story.write_text((text + filler)[: MAX_STORY_BYTES - 1] + "\n", encoding="utf-8")
    assert main(["check", str(story)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_jira_markup_over_the_time_budget_is_reported_as_unreadable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(jira, "CONVERT_SECONDS", 0.5)
    spin_on_hostile_markup(monkeypatch)
    with jira_harness("cloud") as harness:
        with harness.fake.lock:
            harness.story.description = HOSTILE_JIRA
        code = main([command, harness.ref])
        harness.mark()
        assert harness.writes() == 0
    out, err = capsys.readouterr()
    assert code == 3, out + err
    (line,) = err.strip().splitlines()
    assert "the Jira markup could not be read within 0.5 s" in line


def test_sync_all_reports_the_unreadable_story_and_syncs_the_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with jira_harness("cloud") as harness:
        fake = harness.fake
        harness.write_story(story_text([TaskSpec(1, "Do")]))
        other = fake.add_issue("Sign out", issuetype="Story")
        with fake.lock:
            other.description = wiki_story(story_text([TaskSpec(1, "Undo")]))
        assert main(["apply", harness.ref]) == 0
        assert main(["apply", f"jira:{other.key}"]) == 0
        with fake.lock:
            harness.story.description = HOSTILE_JIRA
        monkeypatch.setattr(jira, "CONVERT_SECONDS", 0.5)
        spin_on_hostile_markup(monkeypatch)
        capsys.readouterr()
        code = main(["sync", "--all", "jira:SHOP", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    outcomes = {story["story"]: story for story in result["stories"]}
    assert outcomes[harness.story.key]["outcome"] == "failed"
    assert "could not be read within 0.5 s" in outcomes[harness.story.key]["detail"]
    assert outcomes[other.key]["outcome"] == "unchanged", outcomes[other.key]
