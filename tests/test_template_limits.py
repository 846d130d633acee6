"""A user's template folder cannot publish a secret or stall a run: files are read only from
inside it, rendering is bounded in numbers, size and time, and whatever storyplan would write
is checked against the run's secrets. Each case runs `storyplan apply` against the fake GitHub.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2
import pytest

from storyplan import sandbox
from storyplan.cli import main
from storyplan.errors import TemplateError
from storyplan.sandbox import FolderLoader
from tests.e2e.harness_github import GithubHarness, github_harness
from tests.e2e.stories import TaskSpec, diamond, story_text


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[GithubHarness]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    monkeypatch.setenv("STORYPLAN_TEMPLATES", str(tmp_path / "templates"))
    with github_harness() as harness:
        harness.write_story(story_text(diamond(2)))
        yield harness


def apply(github: GithubHarness, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    github.mark()
    code = main(["apply", github.ref])
    out, err = capsys.readouterr()
    return code, out + err


def refused(github: GithubHarness, capsys: pytest.CaptureFixture[str], reason: str) -> str:
    code, printed = apply(github, capsys)
    assert code == 4, printed
    (line,) = printed.strip().splitlines()
    assert reason in line
    assert "Traceback" not in printed
    assert "tok-write" not in printed
    assert github.plan_bodies() == []
    return line


def plan_template(source: str) -> None:
    Path("templates/plan.md.j2").write_text(source, encoding="utf-8")


def test_a_link_to_the_process_environment_is_refused(
    github: GithubHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    os.symlink("/proc/self/environ", "templates/env.j2")
    plan_template("{% include 'env.j2' %}\n")
    refused(github, capsys, "is a system file (/proc/")


@pytest.mark.parametrize(
    ("link", "reason"),
    [(os.symlink, "leads outside the template folder"), (os.link, "hard link")],
)
def test_a_link_to_a_file_outside_the_folder_is_refused(
    github: GithubHarness,
    capsys: pytest.CaptureFixture[str],
    link: Callable[[str, str], None],
    reason: str,
) -> None:
    Path("outside.j2").write_text("secret notes\n")
    link(str(Path("outside.j2").resolve()), "templates/plan.md.j2")
    refused(github, capsys, reason)


def test_a_file_under_proc_is_never_read_even_from_a_template_folder_there() -> None:
    loader = FolderLoader(Path("/proc/self"))
    with pytest.raises(TemplateError, match=r"Template /proc/self/environ is a system file"):
        loader.get_source(jinja2.Environment(), "environ")


def test_a_fifo_is_refused_without_waiting_for_a_writer(
    github: GithubHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo("templates/plan.md.j2")
    refused(github, capsys, "not a regular file")


def test_a_link_that_stays_inside_the_folder_is_read(
    github: GithubHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("templates/parts").mkdir()
    Path("templates/parts/heading.j2").write_text("# Plan of {{ plan.story.title }}\n")
    os.symlink("parts/heading.j2", "templates/heading.j2")
    plan_template("{% include 'heading.j2' %}\n{{ 2**2**2**2**2 }} {{ 'ab' * 3 }}\n")
    code, printed = apply(github, capsys)
    assert code == 0, printed
    (body,) = github.plan_bodies()
    assert "# Plan of Sign in with email" in body
    assert "65536 ababab" in body


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'a' * 10**7 }}", "10,000,000 characters"),
        ("{{ 10**100000 }}", "bits"),
        ("{{ 2**2**2**2**2**2**2**2**2**2**2**2**2**2 }}", "bits"),
        ("{{ 'x'|center(10**9) }}", "over 100,000"),
        ("{{ 'x'.ljust(10**9) }}", "over 100,000"),
        ("{{ '%099999999d' % 1 }}", "over 100,000"),
        ("{{ '{:>999999999}'.format(1) }}", "over 100,000"),
        ("{{ ('x' * 1000)|replace('x', 'x' * 1000)|replace('x', 'x' * 1000) }}", "1,000,000,000"),
        ("{% for i in range(100000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}", "output"),
        (
            "{% set ns = namespace(s='a') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "1,048,576",
        ),
    ],
)
def test_a_template_past_a_size_limit_fails_with_one_sentence(
    github: GithubHarness, capsys: pytest.CaptureFixture[str], source: str, reason: str
) -> None:
    plan_template(source + "\n")
    line = refused(github, capsys, reason)
    assert "went past a limit" in line


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    ],
)
def test_a_template_past_the_time_limit_fails_with_one_sentence(
    github: GithubHarness,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.5)
    plan_template(source + "\n")
    refused(github, capsys, "rendering took longer than 0.5 s")


def test_a_plan_that_would_carry_the_token_is_never_written(
    github: GithubHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    github.write_story(story_text([TaskSpec(1, "Rotate tok-write every week")]))
    code, printed = apply(github, capsys)
    assert code == 4, printed
    assert "refused to write a new sub-issue on octo/shop#1" in printed
    assert "GITHUB_TOKEN" in printed
    assert "tok-write" not in printed
    assert all("tok-write" not in str(entry.request_body) for entry in github.fake.writes())
