"""Parsing stays within a time budget whatever the text: long runs of the characters parsers
backtrack on (spaces, brackets, emphasis, list and heading markers, dependency lists) are
fed through the parser in process, and each input's CPU time is measured.
"""

from __future__ import annotations

import contextlib
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.story import parse_story

MAX_CHARS = 65_536
# CPU seconds for one story of at most MAX_CHARS: the parser reads a 64 KB story in well under
# a second, so only super-linear work (a backtracking expression) comes near this.
BUDGET = 1.0

PIECES = st.sampled_from(
    [
        " ",
        "\t",
        "a",
        "[",
        "]",
        "(",
        ")",
        "*",
        "_",
        "`",
        "~",
        "-",
        "#",
        ">",
        "|",
        ":",
        ",",
        "\n",
        "- [ ] ",
        "  - ",
        "1. ",
        "### Task 1: ",
        "## Tasks\n",
        "Depends on: ",
        "Task 2, ",
        "AC1 ",
        "(AC: 1, 2) ",
        "Estimate: ",
        "**Risk**: ",
        "<!-- ",
        "```",
    ]
)
RUNS = st.tuples(PIECES, st.integers(min_value=1, max_value=MAX_CHARS)).map(
    lambda pair: pair[0] * pair[1]
)
BODIES = st.lists(RUNS, min_size=1, max_size=8).map(lambda runs: "".join(runs)[:MAX_CHARS])


def parse_cpu_seconds(body: str) -> float:
    story = Story(ref="fuzz#1", title="Fuzz", body="## Tasks\n\n### Task 1: Do\n\n" + body)
    started = time.process_time()
    with contextlib.suppress(PlanError):  # a story with problems is parsed all the same
        parse_story(story)
    return time.process_time() - started


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
@example(body="a" + " " * (MAX_CHARS - 2) + "b")
@example(body="- [ ] " + " " * (MAX_CHARS - 7) + "x")
@example(body="[" * MAX_CHARS)
@example(body="Depends on: " + "Task 2, " * (MAX_CHARS // 8 - 2))
@example(body="  " * (MAX_CHARS // 4) + "- item")
def test_any_story_is_parsed_within_its_time_budget(body: str) -> None:
    spent = parse_cpu_seconds(body)
    assert spent < BUDGET, f"{len(body)} characters took {spent:.2f} s of CPU: {body[:80]!r}"
