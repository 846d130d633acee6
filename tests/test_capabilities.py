"""Capabilities are consulted in one place before anything is written: what a tracker cannot
do is an announced fallback, never a half-applied run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyplan.cli import main
from storyplan.execute import fit_capabilities
from storyplan.ports import AddLink, Capabilities, CloseStory, LabelStory, UpsertPlan

STORY = "# Sign in\n\n## Tasks\n- [ ] Session model\n- [ ] Sign-in endpoint, after Task 1\n"


def test_what_a_tracker_cannot_do_is_dropped_with_one_note_each() -> None:
    changes = [
        LabelStory(label="storyplan"),
        AddLink(blocker_task="T1", blocked_task="T2", blocker="a", blocked="b"),
        CloseStory(),
        UpsertPlan(key=None, body="plan"),
    ]
    caps = Capabilities(labels=False, dependencies=False, close_story=False)
    kept, notes = fit_capabilities(caps, "memory", changes)
    assert kept == [changes[3]]
    assert len(notes) == 3
    assert fit_capabilities(Capabilities(), "memory", changes) == (changes, [])


@pytest.mark.parametrize("mode", ["label", "close"])
def test_sync_when_done_on_the_files_tracker_says_it_cannot_and_succeeds(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    story = tmp_path / "s.md"
    story.write_text(STORY, encoding="utf-8")
    assert main(["apply", str(story)]) == 0
    for task in (tmp_path / "s.tasks").glob("*.md"):
        task.write_text(task.read_text(encoding="utf-8").replace("status: open", "status: done"))
    capsys.readouterr()
    monkeypatch.setenv("STORYPLAN_SYNC__WHEN_DONE", mode)
    assert main(["sync", str(story), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["stories"][0]
    assert result["outcome"] == "updated"  # the ticks, written; the label or close, announced
    assert main(["sync", str(story), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["stories"][0]
    assert again["outcome"] == "unchanged"
    assert "files tracker" in again["detail"]
