"""Jira wiki markup → Markdown (via jira2markdown), with a map from converted lines back to the
original ones so that problems and task lines still point into the text a person wrote.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from difflib import SequenceMatcher

from storyplan.budget import OutOfTime, time_budget
from storyplan.errors import PlanError, Problem

CONVERT_SECONDS = 30.0  # CPU seconds: 32 KB, the most Jira allows, converts in about 12 s

# Jira has no checkboxes; teams tick list items with the (/) and (x) icons, and storyplan's
# own Jira plans show (/) and ☐: these become Markdown task-list boxes here.
_ICON_BOX = re.compile(r"^([ \t]*(?:[-*+]|\d+[.)])[ \t]+)(\([/x]\)|☐)(?=\s|$)", re.MULTILINE)
_MARKUP = re.compile(r"^\s*(?:h[1-6]\.\s*|[#*\-]+\s+|\d+\.\s+|bq\.\s*)?")


def to_markdown(text: str, source: str) -> tuple[str, Callable[[int], int]]:
    try:
        # jira2markdown (with pyparsing) costs ~50 ms to import: only Jira stories pay it.
        from jira2markdown import convert

        # Its grammar backtracks: some shapes (thousands of `[`) take minutes. A story past
        # the budget is unreadable, and a run over many stories goes on with the next. The
        # line map (difflib, quadratic on many blank lines) is part of the same budget.
        with time_budget(CONVERT_SECONDS):
            converted = _ICON_BOX.sub(
                lambda m: m.group(1) + ("[x]" if m.group(2) == "(/)" else "[ ]"), convert(text)
            )
            to_original = line_map(text.split("\n"), converted.split("\n"))
    except OutOfTime:
        message = (
            f"the Jira markup could not be read within {CONVERT_SECONDS:g} s "
            "(deeply nested or unbalanced markup); simplify or shorten it"
        )
        raise PlanError([Problem(message, 0, source)]) from None
    except Exception as exc:  # a third-party parser failing on odd input is the story's problem
        message = f"the Jira markup could not be converted to Markdown ({type(exc).__name__})"
        raise PlanError([Problem(message, 0, source)]) from exc
    return converted, to_original


def _key(line: str) -> str:
    return re.sub(r"[\W_]+", "", _MARKUP.sub("", line).lower())


def line_map(original: list[str], converted: list[str]) -> Callable[[int], int]:
    """A function from a 1-based converted line to the 1-based original line it came from.

    An approximation: conversion keeps most lines one to one but adds or removes some (a table
    gains a separator row, `{code}` fences move). Lines whose words survive conversion map
    exactly; any other line keeps its distance from the nearest matched line above it.
    """
    matcher = SequenceMatcher(
        None, [_key(x) for x in converted], [_key(x) for x in original], autojunk=False
    )
    anchors: list[tuple[int, int]] = []
    for block in matcher.get_matching_blocks():
        anchors.extend((block.a + k, block.b + k) for k in range(block.size))
    exact = dict(anchors)
    starts = [a for a, _ in anchors]  # ascending: matching blocks come in order

    def to_original(line: int) -> int:
        if line <= 0:
            return line
        index = line - 1
        if index in exact:
            return exact[index] + 1
        above = bisect_left(starts, index)  # the anchors before `index`, found in log time
        mapped = anchors[above - 1][1] + (index - starts[above - 1]) if above else index
        return max(1, min(mapped + 1, len(original)))

    return to_original
