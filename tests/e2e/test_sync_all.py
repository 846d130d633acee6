"""sync --all over many planned stories: every page of the search, one broken story."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyplan.cli import main
from tests.e2e.harness_github import github_harness
from tests.e2e.stories import TaskSpec, story_text

STORIES = 121


def test_sync_all_on_github_pages_through_every_story_and_reports_the_broken_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with github_harness() as gh:
        fake = gh.fake
        refs = []
        for index in range(STORIES):
            issue = fake.add_issue("octo/shop", f"Story {index}", story_text([TaskSpec(1, "Do")]))
            refs.append(f"octo/shop#{issue.number}")
            assert main(["apply", refs[-1]]) == 0
        fake.add_issue("octo/shop", "Not planned", "no label")
        first = fake.sub_issues("octo/shop", int(refs[0].split("#")[1]))[0]
        with fake.lock:
            first.state, first.state_reason = "closed", "completed"
        broken = int(refs[7].split("#")[1])
        with fake.lock:
            comment = next(
                c for c in fake.comments_on("octo/shop", broken) if "storyplan" in c.body
            )
            comment.body = comment.body.replace("<!-- storyplan:end -->", "")
        capsys.readouterr()
        fake.clear_log()
        code = main(["sync", "--all", "github:octo/shop", "--json"])
        result = json.loads(capsys.readouterr().out)
        assert code == 1  # some story failed
        assert result["checked"] == STORIES
        assert (result["updated"], result["failed"]) == (1, 1)
        assert result["unchanged"] == STORIES - 2
        failed = [s for s in result["stories"] if s["outcome"] == "failed"]
        assert failed[0]["story"] == refs[7]
        assert "lost storyplan's begin/end markers" in failed[0]["detail"]
        searches = [e for e in fake.log if e.path.endswith("/search/issues")]
        assert len(searches) == 2  # 121 results, 100 a page
        assert len(fake.writes()) == 1


def test_sync_all_on_files_finds_every_planned_story_under_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(3):
        story = tmp_path / "team" / f"story{index}.md"
        story.parent.mkdir(exist_ok=True)
        story.write_text(f"# Story {index}\n\n" + story_text([TaskSpec(1, "Do")]))
        assert main(["apply", str(story)]) == 0
    (tmp_path / "team" / "draft.md").write_text("# Draft\n\nnot planned yet\n")
    capsys.readouterr()
    assert main(["sync", "--all", f"files:{tmp_path / 'team'}", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["checked"] == 3
    assert result["unchanged"] == 3


def test_sync_all_without_scopes_is_one_clear_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sync", "--all"]) == 2
    assert "sync --all needs scopes to search" in capsys.readouterr().err
