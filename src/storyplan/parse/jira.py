"""Jira wiki markup → Markdown for the parser, with a map from converted lines back to the
original ones so that problems and task lines still point into the text a person wrote.
"""

from __future__ import annotations

from collections.abc import Callable

from storyplan.budget import OutOfTime, time_budget
from storyplan.errors import PlanError, Problem
from storyplan.parse.jirawiki import convert

# CPU seconds. Conversion is linear: 256 KB, the most storyplan reads, of the worst shape known
# converts in well under a second. The budget is a safety net for a shape nobody has found.
CONVERT_SECONDS = 5.0


def to_markdown(text: str, source: str) -> tuple[str, Callable[[int], int]]:
    try:
        with time_budget(CONVERT_SECONDS):
            lines, origins = convert(text)
    except OutOfTime:
        message = (
            f"the Jira markup could not be read within {CONVERT_SECONDS:g} s "
            "(deeply nested or unbalanced markup); simplify or shorten it"
        )
        raise PlanError([Problem(message, 0, source)]) from None
    return "\n".join(lines), line_map(origins, text.count("\n") + 1)


def line_map(origins: list[int], count: int) -> Callable[[int], int]:
    """A function from a 1-based converted line to the 1-based original line it came from;
    `origins` holds that line for each converted one, and `count` is the original's length."""

    def to_original(line: int) -> int:
        if line <= 0:
            return line
        if line <= len(origins):
            return origins[line - 1]
        return max(1, min(line - len(origins) + (origins[-1] if origins else 0), count))

    return to_original
