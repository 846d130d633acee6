"""Requests of storyplan against the fake Jira, Cloud and Data Center, with their targets:
apply (20 tasks, 25 edges: first, no-op, edit), sync of one story whose sub-task progressed,
and `sync --all` over many planned stories, counting the stories it parsed (converted from
wiki markup) beside its requests.

Run from the repository root: python benchmarks/jira_requests.py [jira-cloud|jira-dc ...]
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from requests_per_apply import main as apply_rows
from requests_per_apply import story

import storyplan.service
from storyplan.parse.story import parse_story
from tests.e2e.harness import run_cli
from tests.e2e.harness_jira import jira_harness, wiki_story
from tests.e2e.stories import diamond, story_text

MODES = {"jira-cloud": "cloud", "jira-dc": "server"}
SYNC_TARGET = 2  # requests to sync one story whose progress changed
STORIES, CHANGED = 20, 5  # sync --all: planned stories, of which some progressed


class Parses:
    """Counts the stories parsed (and so converted) while it is entered."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> Parses:
        def counting(story: Any, **options: Any) -> Any:
            self.count += 1
            return parse_story(story, **options)

        storyplan.service.parse_story = counting  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        storyplan.service.parse_story = parse_story


def quiet(*args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return run_cli(*args)


def sync_rows(name: str) -> int:
    with jira_harness(MODES[name]) as jira:
        jira.write_story(story_text(story()))
        if quiet("apply", "--quiet", jira.ref) != 0:
            print(f"{name}: seeding apply failed", file=sys.stderr)
            return 1
        jira.close_child("T1")
        jira.mark()
        with Parses() as one:
            code = quiet("sync", "--quiet", jira.ref)
        single = (jira.reads(), jira.writes(), one.count)
        fake = jira.fake
        for index in range(STORIES):
            issue = fake.add_issue(f"Story {index}", issuetype="Story")
            with fake.lock:
                issue.description = wiki_story(story_text(diamond(8)))
            code |= quiet("apply", "--quiet", f"jira:{issue.key}")
            if index < CHANGED:
                fake.set_status(fake.children(issue.key)[0].key, "Done")  # its T1
        jira.mark()
        start = time.perf_counter()
        with Parses() as every:
            code |= quiet("sync", "--all", "--quiet", jira.scope) not in (0, 11)
        elapsed = time.perf_counter() - start
        many = (jira.reads(), jira.writes(), every.count)
    if code:
        print(f"{name}: a run failed", file=sys.stderr)
        return 1
    total = STORIES + 1  # the benchmark story is planned too
    print(f"\n{name}, sync (fake server on loopback)")
    print(f"{'run':<40}{'reads':>7}{'writes':>8}{'parsed':>8}{'target':>22}")
    reads, writes, parsed = single
    print(
        f"{'sync one story (T1 closed)':<40}{reads:>7}{writes:>8}{parsed:>8}{'<= 2 requests':>22}"
    )
    reads, writes, parsed = many
    label = f"sync --all, {total} stories, {CHANGED} progressed"
    goal = f"0 parsed, {CHANGED} writes"
    print(f"{label:<40}{reads:>7}{writes:>8}{parsed:>8}{goal:>22}")
    print(f"{'':<40}{elapsed:>7.2f} s wall, {reads / total:.2f} reads a story")
    return 0


def known(names: list[str]) -> list[str] | None:
    unknown = [name for name in names if name not in MODES]
    if unknown:
        print(f"unknown tracker {unknown[0]}; known: {', '.join(MODES)}", file=sys.stderr)
        return None
    return names or list(MODES)


def sync_only(argv: list[str]) -> int:
    names = known(argv)
    return 2 if names is None else max(sync_rows(name) for name in names)


def main(argv: list[str]) -> int:
    names = known(argv)
    if names is None:
        return 2
    if apply_rows(names) != 0:
        return 1
    return max(sync_rows(name) for name in names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
