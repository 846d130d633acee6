"""Fixtures shared by the command-line tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def cli_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, with no STORYPLAN_ setting from the environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("STORYPLAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def isolated_cli(cli_sandbox: None) -> None:
    """The same sandbox, by the name the parser's CLI tests use."""


@pytest.fixture(autouse=True)
def pacing_without_sleep() -> Iterator[None]:
    """storyplan's pacing waits out short rate limits (a minute where a tracker names no
    time): in tests its clock moves on at once instead, so a test never sleeps in it. Its
    own MonkeyPatch: an autouse one shared with the test would be undone last, after the
    test's other fixtures had put the environment back."""
    from tests.test_github_pacing import paced_by

    with pytest.MonkeyPatch.context() as patch:
        paced_by(patch)
        yield
