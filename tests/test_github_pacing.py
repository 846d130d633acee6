"""storyplan's pacing as GitHub's client uses it, on a clock that does not sleep: writes
spaced, creations kept under a minute's budget (one line a wait), rate limits waited out
only when short, failed reads picked up with a backoff."""

from __future__ import annotations

import pytest

from storyplan.adapters.shared import pacing, transport
from storyplan.adapters.shared.pacing import Pacer


class Clock:
    """storyplan's pacing clock: sleeping moves it on at once."""

    def __init__(self) -> None:
        self.now = 500.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def paced_by(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock that pacing reads and sleeps on, for this test."""
    fake = Clock()
    monkeypatch.setattr(pacing, "clock", fake)
    monkeypatch.setattr(pacing, "sleep", fake.sleep)
    return fake


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return paced_by(monkeypatch)


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(transport, "on_wait", lines.append)
    return lines


def test_reads_never_wait_and_writes_are_spaced_a_second_apart(
    clock: Clock, said: list[str]
) -> None:
    pacer = Pacer("GitHub")
    pacer.before_write()
    pacer.after_write()
    clock.now += 0.25  # the next write is ready a quarter second later
    pacer.before_write()
    pacer.after_write()
    assert clock.sleeps == [0.75]
    clock.now += 5
    pacer.before_write()
    assert clock.sleeps == [0.75]
    assert said == []  # spacing is not news


def test_creations_past_80_a_minute_wait_for_the_window_and_say_so_once(
    clock: Clock, said: list[str]
) -> None:
    pacer = Pacer("GitHub", spacing=0)
    pacer.before_write(creations=50)
    clock.now += 10
    pacer.before_write(creations=50)
    assert clock.sleeps == [50.0]  # until the first 50 are a minute old
    assert len(said) == 1
    assert "50 issues and comments made in the last minute, 80 a minute at most" in said[0]
    pacer.before_write(creations=30)
    assert len(said) == 1  # 50 + 30 fit the minute


def test_a_short_rate_limit_is_waited_out_and_a_long_one_is_left_to_the_error(
    clock: Clock, said: list[str]
) -> None:
    pacer = Pacer("GitHub", longest_wait=60)
    assert pacer.rate_limited(7, "write 3 changes")
    assert clock.sleeps == [7.0]
    assert said == ["GitHub rate limit reached while trying to write 3 changes; waiting 7.0 s"]
    assert pacer.rate_limited(None, "read")  # a secondary limit that names no time: a minute
    assert clock.sleeps == [7.0, 60.0]
    assert not pacer.rate_limited(600, "read")
    assert clock.sleeps == [7.0, 60.0]


def test_a_failed_read_is_tried_again_at_once_then_after_a_growing_wait(
    clock: Clock, said: list[str]
) -> None:
    pacer = Pacer("GitHub")
    for attempt in (1, 2, 3):
        pacer.pick_up(attempt, "read story octo/shop#1")
    assert clock.sleeps == [0.5, 1.0]
    assert len(said) == 2
