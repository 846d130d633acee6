"""Fixtures shared by the command-line tests."""

from __future__ import annotations

import os
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
def pacing_without_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """storyplan's pacing waits out short rate limits (a minute where a tracker names no
    time): in tests its clock moves on at once instead, so a test never sleeps in it."""
    from tests.test_github_pacing import paced_by

    paced_by(monkeypatch)
