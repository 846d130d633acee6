"""How many stories of the public corpus (tests/corpus/) storyplan's parser reads as a person
does: the stories each file holds, and tasks, dependency edges and acceptance criteria within
the ranges of tests/corpus/expected.toml, each miss, and the parse time of every file. Goal:
every story within its range, no crash. A parser error counts as a miss on all four.

Run from the repository root: python benchmarks/corpus_score.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus_reading import Expected, judge, load_table

TARGET_SECONDS = 1.0  # the largest story parses in well under a second


def score(expected: Expected) -> tuple[tuple[bool, ...], list[str], float]:
    """Which readings match (stories, tasks, edges, criteria), the misses, and the seconds
    the file took."""
    start = time.perf_counter()
    try:
        verdict = judge(expected)
    except Exception as err:  # the parser's own errors and its bugs alike count as misses
        seconds = time.perf_counter() - start
        first_line = str(err).splitlines()[0] if str(err) else ""
        failed = [f"parse failed: {type(err).__name__}: {first_line}"]
        return (False, False, False, False), failed, seconds
    seconds = time.perf_counter() - start
    matched = (verdict.stories, verdict.tasks, verdict.edges, verdict.criteria)
    return matched, list(verdict.misses), seconds


def main() -> int:
    table = load_table()
    hits = [0, 0, 0, 0]
    misses: list[str] = []
    slow = 0
    print(f"{'story':34} {'format':44} {'seconds':>8}")
    for expected in table:
        matched, story_misses, seconds = score(expected)
        hits = [h + m for h, m in zip(hits, matched, strict=True)]
        misses += [f"{expected.name}: {miss}" for miss in story_misses]
        over = seconds >= TARGET_SECONDS
        slow += over
        flag = "  over target" if over else ""
        print(f"{expected.name:34} {expected.format[:44]:44} {seconds:8.3f}{flag}")
    total = len(table)
    print()
    print(
        f"stories {hits[0]}/{total}, tasks {hits[1]}/{total}, edges {hits[2]}/{total}, "
        f"criteria {hits[3]}/{total}"
    )
    print(f"target: {total}/{total} each, no crash")
    print(f"files parsed in {TARGET_SECONDS:.0f} s or more: {slow} (target: 0)")
    if misses:
        print("\nmisses (file: expected vs got):")
        print("\n".join(f"  {miss}" for miss in misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
