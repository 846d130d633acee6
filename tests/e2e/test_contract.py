"""What every tracker reached over HTTP must do, written once and run on each through the real
CLI: dry runs write nothing, failures are one sentence with their exit code, lost answers and
cut-short runs never duplicate, reads retry while writes never repeat, existing issues are
attached untouched, and `sync --all` finds what apply planned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.harness import HARNESSES, REMOTE, Remote, run_cli
from tests.e2e.stories import TaskSpec, diamond, edges, story_text

# Trackers whose harness does not yet play every fault; each leaves as its adapter learns them.
PENDING: dict[str, str] = {}


@pytest.fixture(
    params=[
        pytest.param(name, marks=pytest.mark.xfail(reason=PENDING[name]))
        if name in PENDING
        else name
        for name in REMOTE
    ]
)
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    with HARNESSES[request.param]() as tracker:
        assert isinstance(tracker, Remote)
        yield tracker


PROGRESS = re.compile(r"^[a-z][a-z -]* \d+/\d+$")  # `creating sub-issues 1/4` on stderr


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The error of the last run: one sentence after any progress lines, no traceback."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0] + "\n"


def test_plan_lists_every_write_and_makes_none(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.write_story(story_text(diamond(4)))
    remote.mark()
    assert run_cli("plan", remote.ref) == 0
    out = capsys.readouterr().out
    assert remote.write_attempts() == 0
    assert out.count("create") >= 5  # four children and the plan
    assert remote.children() == {}


def test_a_revoked_token_is_one_sentence_and_exit_6(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.write_story(story_text(diamond(4)))
    remote.revoke_token()
    assert run_cli("apply", remote.ref) == 6
    assert "rejected the" in one_line_error(capsys)


def test_a_rate_limit_is_one_sentence_that_says_when_and_exit_9(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.write_story(story_text(diamond(4)))
    remote.throttle()
    assert run_cli("apply", remote.ref) == 9
    err = one_line_error(capsys)
    assert "rate limit" in err
    assert "retry in" in err or "resets at" in err


def test_a_create_whose_answer_is_lost_is_not_made_twice(remote: Remote) -> None:
    tasks = diamond(4)
    remote.write_story(story_text(tasks))
    remote.lose_next_create()
    assert run_cli("apply", remote.ref) == 0
    held = remote.children()
    assert sorted(held) == ["T1", "T2", "T3", "T4"]
    assert remote.links() == edges(tasks)
    remote.mark()
    assert run_cli("apply", remote.ref) == 0
    assert remote.writes() == 0


def test_a_refused_write_is_sent_once_and_the_next_run_finishes(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    remote.write_story(story_text(tasks))
    remote.mark()
    remote.refuse_next_write()
    assert run_cli("apply", remote.ref) == 5
    one_line_error(capsys)
    assert remote.write_attempts() == 1  # the transport did not send it again
    assert run_cli("apply", remote.ref) == 0
    assert sorted(remote.children()) == ["T1", "T2", "T3", "T4"]
    assert remote.links() == edges(tasks)
    assert len(remote.plan_bodies()) == 1


def test_reads_that_fail_are_retried(remote: Remote) -> None:
    remote.write_story(story_text(diamond(4)))
    remote.fail_next_reads(2)
    assert run_cli("apply", remote.ref) == 0
    assert sorted(remote.children()) == ["T1", "T2", "T3", "T4"]


@pytest.mark.parametrize("cut", [1, 3, 6])
def test_a_run_cut_short_after_k_writes_is_finished_without_duplicates(
    remote: Remote, cut: int, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    remote.write_story(story_text(tasks))
    remote.fail_writes_after(cut)
    assert run_cli("apply", remote.ref) != 0
    assert "run apply again to finish" in capsys.readouterr().err
    remote.clear_faults()
    assert run_cli("apply", remote.ref) == 0
    assert sorted(remote.children()) == ["T1", "T2", "T3", "T4"]
    assert remote.links() == edges(tasks)
    assert len(remote.plan_bodies()) == 1


def test_an_existing_issue_is_attached_as_it_is(remote: Remote) -> None:
    reference = remote.add_existing("Audit log already exists")
    remote.write_story(
        "## User Story\nAs a shopper I want to sign in so that my cart follows me.\n\n"
        f"## Tasks\n- [ ] Build the session model\n- [ ] {reference}\n"
        "- [ ] Test it, after Task 1 and Task 2\n"
    )
    assert run_cli("apply", remote.ref) == 0
    assert remote.existing_unchanged(reference)
    assert sorted(remote.children()) == ["T1", "T3"]  # the existing issue carries no marker
    remote.mark()
    assert run_cli("apply", remote.ref) == 0
    assert remote.writes() == 0
    assert remote.existing_unchanged(reference)


def test_sync_all_finds_the_planned_story(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.write_story(story_text(diamond(4)))
    assert run_cli("apply", remote.ref) == 0
    capsys.readouterr()
    remote.mark()
    assert run_cli("sync", "--all", remote.scope, "--json") == 0
    out = capsys.readouterr().out
    assert '"checked": 1' in out
    assert remote.writes() == 0


@pytest.fixture
def comment_limit(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Give every tracker the run makes a smaller comment limit, to reach it cheaply."""
    import storyplan.compose as compose

    def lower(chars: int) -> None:
        made = compose.make_tracker

        def limited(*args: Any, **kwargs: Any) -> Any:
            tracker = made(*args, **kwargs)
            tracker.limits = tracker.limits.model_copy(update={"max_comment_chars": chars})
            return tracker

        monkeypatch.setattr(compose, "make_tracker", limited)

    return lower


def test_a_plan_over_the_comment_limit_is_shortened_and_one_still_over_is_refused(
    remote: Remote, comment_limit: Callable[[int], None], capsys: pytest.CaptureFixture[str]
) -> None:
    long = "Long description. " * 40
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 7)]
    remote.write_story(story_text(tasks).replace("end to end.", "end to end. " + long))
    comment_limit(6_000)
    assert run_cli("apply", remote.ref) == 0
    (plan,) = remote.plan_bodies()
    assert len(plan) <= 6_000
    assert "Long description." not in plan  # task detail lives in the sub-issues
    assert all("Long description." in held.body for held in remote.children().values())
    comment_limit(500)
    remote.write_story(story_text([*tasks, TaskSpec(7, "Step 7", [6])]))
    remote.mark()
    assert run_cli("apply", remote.ref) == 3
    assert "over the tracker's comment limit of 500" in one_line_error(capsys)
    assert remote.write_attempts() == 0
