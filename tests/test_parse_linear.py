"""Parsing stays linear: long runs of the characters that make regular expressions backtrack
(spaces, brackets, emphasis marks, colons, dependency words) are read within a time budget."""

from __future__ import annotations

import contextlib
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.story import parse_story

# Budgets in CPU seconds of this process, so that other work on the machine does not count.
# Linear parsing of 8 KB takes a few hundredths of a second; 64 KB of brackets or emphasis
# marks costs markdown-it itself about a second (linear, some 15 µs a character). The
# quadratic patterns these tests guard against took minutes at 64 KB.
BUDGET = 1.0  # an input of up to 8 KB
BUDGET_64_KB = 5.0
# The places a story's text is read from: a paragraph, a checklist task, a task heading's body,
# a dependency section, a field value.
CONTEXTS = [
    "{}",
    "## Tasks\n- [ ] {}",
    "## Tasks\n### T1 Build\n{}",
    "## Tasks\n- [ ] T1 a\n\n## Dependencies\n- {}",
    "## Tasks\n### Task 1: A\n**Files**: {}",
    "# Story 1.1: {}\n\n## Story 1.2: b",
    "## Tasks\n- [ ] T1 a\n- [ ] T2 b\n\n## Dependencies\n```\n{}\n```",
    "**Story 1.1: {0}**\n\n**Acceptance Criteria:**\n\n{0}\n\n**Story 1.2: b**",
]
PIECES = [
    " ",
    "\t",
    "[",
    "]",
    "(",
    ")",
    "**",
    "__",
    "`",
    ":",
    "\uff1a",
    "#",
    "-",
    "→",
    ",",
    "T1",
    "Task",
    "after",
    "depends on",
    "blocks",
    "(AC",
    "x",
    "\n",
    "> ",
    "  - ",
    "│",
    "▼",
    "<",
    ">",
    "all other tasks ",
]


def parse_time(body: str) -> float:
    start = time.process_time()
    with contextlib.suppress(PlanError):
        parse_story(Story(ref="s", title="S", body=body), today=date(2025, 1, 1))
    return time.process_time() - start


@st.composite
def runs(draw: st.DrawFn) -> str:
    """A few long runs of one or two pieces each, up to 8 KB in all."""
    text: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        piece = draw(st.sampled_from(PIECES)) + draw(st.sampled_from(["", *PIECES]))
        text.append(piece * draw(st.integers(1, 8192 // (3 * len(piece)))))
    body = "".join(text)
    return draw(st.sampled_from(CONTEXTS)).format(body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_long_runs_of_awkward_characters_parse_within_the_budget(body: str) -> None:
    assert parse_time(body) < BUDGET


@pytest.mark.parametrize(
    ("piece", "budget"),
    [(p, BUDGET / 2) for p in (" ", "x ", ":", "`", "(", "#", "> ", "T1 ", "after ")]
    + [(p, BUDGET_64_KB) for p in ("** ", "_ ", "[")],  # markdown-it's own linear cost
)
@pytest.mark.parametrize("context", CONTEXTS[1:4])
def test_64_kb_of_one_piece_parses_within_the_budget(
    piece: str, budget: float, context: str
) -> None:
    body = context.format("a" + piece * (65536 // len(piece)) + "z")
    assert parse_time(body) < budget


@pytest.mark.parametrize("title", ["## Story 1.1: x\n\n", "**Story 1.1: x**\n\nAs a user.\n\n"])
def test_finding_the_stories_of_a_64_kb_file_stays_linear(title: str) -> None:
    from storyplan.parse.stories import split_stories

    body = title * (65536 // len(title))
    start = time.process_time()
    parts = split_stories(body)
    assert time.process_time() - start < BUDGET
    assert len(parts) == 65536 // len(title)
