"""Input that used to end in an internal error (exit 70) now gets one sentence and the right
exit code, or is read as well as it can be, through the real CLI against the fakes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from storyplan.cli import main
from tests.e2e.harness import HARNESSES
from tests.e2e.harness_github import github_harness
from tests.e2e.stories import TaskSpec, diamond, story_text
from tests.fakes.base import Fault

TRACKERS = ("github", "gitlab", "jira-cloud", "jira-dc")
TOKENS = ("GITHUB_TOKEN", "GITLAB_TOKEN", "JIRA_API_TOKEN", "JIRA_PAT")


# What a run says on its way (progress, a retry after a failed answer), not its error.
PASSING = re.compile(r"^[a-z][a-z -]* \d+/\d+$|^storyplan: .* retrying in [\d.]+ s$")


def one_sentence(printed: str) -> str:
    assert "Traceback" not in printed
    assert "internal error" not in printed
    (line,) = [line for line in printed.strip().splitlines() if not PASSING.match(line)]
    assert line.startswith("storyplan: error: ")
    return line


@pytest.mark.parametrize(
    "title_format", ["{title.nope}", "{number[0]}", "{title.__class__}", "{title:>999999999}"]
)
def test_a_title_format_that_reaches_into_its_values_is_a_config_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    title_format: str,
) -> None:
    monkeypatch.setenv("STORYPLAN_TITLE_FORMAT", title_format)
    story = tmp_path / "login.md"
    story.write_text("# Sign in\n\n" + story_text(diamond(2)), encoding="utf-8")
    code = main(["apply", str(story)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "title_format" in one_sentence(out + err)
    assert not (tmp_path / "login.tasks").exists()


@pytest.mark.parametrize("tracker", TRACKERS)
def test_a_token_with_a_character_no_token_has_is_an_auth_error(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with HARNESSES[tracker]() as harness:
        harness.write_story(story_text(diamond(2)))
        name = next(name for name in TOKENS if os.environ.get(name))
        os.environ[name] = "tok€n-of-mine"
        code = main(["plan", harness.ref])
    out, err = capsys.readouterr()
    assert code == 6, out + err
    line = one_sentence(out + err)
    assert name in line
    assert "tok€n-of-mine" not in line


@pytest.mark.parametrize("tracker", TRACKERS)
def test_a_lone_surrogate_in_a_story_is_replaced_and_every_command_runs(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with HARNESSES[tracker]() as harness:
        harness.write_story(story_text([TaskSpec(1, "Sign \ud800 in"), TaskSpec(2, "Log out")]))
        codes = [main([command, harness.ref]) for command in ("plan", "apply", "sync")]
        titles = [held.title for held in harness.children().values()]
    out, err = capsys.readouterr()
    assert codes == [0, 0, 0], out + err
    assert any("Sign \ufffd in" in title for title in titles)


@pytest.mark.parametrize("mode", [[], ["--debug"]])
def test_a_github_that_keeps_failing_the_issue_listing_is_a_tracker_error(
    capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    with github_harness() as github:
        github.write_story(story_text(diamond(2)))
        os.environ["STORYPLAN_GITHUB__RETRIES"] = "3"  # the default; the harness removes it
        github.fake.echo_headers = True
        # Issues with the task label may be orphans to look for only where the label exists.
        github.fake.add_label("octo/shop", "storyplan:task")
        github.fake.faults.append(
            Fault("GET", r"^/repos/octo/shop/issues$", status=502, after=False, times=4)
        )
        code = main([*mode, "apply", github.ref])
        listings = github.fake.count("GET", r"^/repos/octo/shop/issues$")
    out, err = capsys.readouterr()
    assert code == 5, out + err
    assert listings >= 4
    assert "tok-write" not in out + err
    if not mode:
        assert "look for the issues storyplan made lately in octo/shop" in one_sentence(out + err)
