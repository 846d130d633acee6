"""Worst parse time per KB over the story shapes known to make parsers backtrack (runs of
spaces, brackets, deep nesting, long dependency lists, many headings, many list items), in
Markdown and in Jira markup, at several sizes. Goal: linear, under 0.1 s for a 64 KB story.

Run from the repository root: .venv/bin/python benchmarks/parse_worst.py [max KB] [markup]
Figures are CPU seconds of this process (the parser's own cost, however busy the machine); a
quick parse is repeated and averaged, as the CPU clock may tick in milliseconds. Each parse
runs within a time budget (CAP seconds), so a super-linear shape shows as "> CAP" instead of
stalling the benchmark; "budget" marks Jira markup storyplan refuses as unreadable (the
converter's own budget, `storyplan.parse.jira.CONVERT_SECONDS`). Jira rows also show the
conversion to Markdown alone at the largest size: a Jira story's parse is that plus the
Markdown parse of the converted text.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyplan.budget import OutOfTime, time_budget
from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.jira import CONVERT_SECONDS, to_markdown
from storyplan.parse.story import parse_story

GOAL_SECONDS = 0.1  # for a 64 KB story
CAP = 20.0
REPEAT_UNDER = 0.05  # seconds: a parse quicker than this is repeated to measure it
SIZES_KB = (1, 4, 16, 64)
HEAD = {
    "markdown": "## User Story\nAs a shopper I want to sign in.\n\n## Tasks\n\n",
    "jira": "h2. User Story\nAs a shopper I want to sign in.\n\nh2. Tasks\n\n",
}


def fill(unit: Callable[[int], str], size: int) -> str:
    """Units numbered from 1 until the text reaches `size` characters."""
    parts, total, index = [], 0, 1
    while total < size:
        parts.append(unit(index))
        total += len(parts[-1])
        index += 1
    return "".join(parts)[:size]


def one_run(text: str) -> Callable[[int], str]:
    return lambda n: text


# Each shape: markup → (size in characters → body after the heading scaffold).
SHAPES: dict[str, dict[str, Callable[[int], str]]] = {
    "spaces in a line": {
        "markdown": lambda n: "### Task 1: Do\n\na" + " " * n + "b\n",
        "jira": lambda n: "h3. Task 1: Do\n\na" + " " * n + "b\n",
    },
    "spaces in a task item": {
        "markdown": lambda n: "- [ ] " + " " * n + "x\n",
        "jira": lambda n: "* " + " " * n + "x\n",
    },
    "brackets": {
        "markdown": lambda n: "### Task 1: Do\n\n" + "[" * n + "\n",
        "jira": lambda n: "h3. Task 1: Do\n\n" + "[" * n + "\n",
    },
    "braces and stars": {
        "markdown": lambda n: "### Task 1: Do\n\n" + fill(one_run("*_`{"), n) + "\n",
        "jira": lambda n: "h3. Task 1: Do\n\n" + fill(one_run("*_{-+"), n) + "\n",
    },
    "nesting": {
        "markdown": lambda n: (
            "### Task 1: Do\n\n" + fill(lambda i: "  " * (i % 200) + "- item\n", n)
        ),
        "jira": lambda n: "h3. Task 1: Do\n\n" + fill(lambda i: "*" * (1 + i % 50) + " item\n", n),
    },
    "long dependency list": {
        "markdown": lambda n: (
            "### Task 1: Do\n\nDepends on: " + fill(lambda i: f"Task {i + 1}, ", n) + "\n"
        ),
        "jira": lambda n: (
            "h3. Task 1: Do\n\nDepends on: " + fill(lambda i: f"Task {i + 1}, ", n) + "\n"
        ),
    },
    "many headings": {
        "markdown": lambda n: fill(lambda i: f"### Task {i}: Step {i}\n\nDo step {i}.\n\n", n),
        "jira": lambda n: fill(lambda i: f"h3. Task {i}: Step {i}\n\nDo step {i}.\n\n", n),
    },
    "many list items": {
        "markdown": lambda n: "### Task 1: Do\n\n" + fill(lambda i: f"- [ ] Check {i}\n", n),
        "jira": lambda n: "h3. Task 1: Do\n\n" + fill(lambda i: f"* Check {i}\n", n),
    },
}


def cpu_seconds(work: Callable[[], object]) -> float:
    """CPU seconds of one `work()`, averaged over enough runs to measure a quick one."""
    runs, started = 0, time.process_time()
    while True:
        work()
        runs += 1
        spent = time.process_time() - started
        if spent >= REPEAT_UNDER or runs >= 50:
            return spent / runs


def parse_seconds(markup: str, body: str) -> float | str:
    """Seconds to parse `body`, or why there is no figure: past the cap, or refused by the
    Jira converter's own budget (storyplan reports such a story as unreadable)."""
    story = Story(ref="bench#1", title="Bench", body=body, markup=markup)

    def parse() -> None:
        try:
            parse_story(story)
        except PlanError as err:
            if "could not be read within" in str(err):
                raise
            # a story with problems is parsed all the same; the time is what counts

    try:
        with time_budget(CAP):
            return cpu_seconds(parse)
    except PlanError:
        return "budget"
    except OutOfTime:
        return f"> {CAP:g}"


def convert_seconds(body: str) -> float:
    """Seconds to convert Jira `body` to Markdown, the part of its parse that is Jira's own
    (at least the converter's budget, if that refuses it)."""
    try:
        return cpu_seconds(lambda: to_markdown(body, "bench"))
    except PlanError:
        return CONVERT_SECONDS


def main(argv: list[str]) -> int:
    sizes = [kb for kb in SIZES_KB if kb <= int(argv[0])] if argv else list(SIZES_KB)
    markups = argv[1:] or ["markdown", "jira"]
    largest = sizes[-1]
    goal = GOAL_SECONDS * largest / 64  # linear: the 64 KB goal scaled to the largest size
    print(f"goal: linear, < {GOAL_SECONDS} s for a 64 KB story (each parse capped at {CAP:g} s)")
    header = "".join(f"{f'{kb} KB':>10}" for kb in sizes)
    print(f"{'markup':9} {'shape':24}{header}{'s/KB max':>11}{'convert':>10}   goal")
    worst: dict[str, tuple[float, str]] = {}  # per markup: the most seconds per KB, its shape
    slowest: dict[str, tuple[float, str]] = {}  # per markup: the most seconds at the largest size
    converts: list[tuple[float, str]] = []
    for markup in markups:
        parse_seconds(markup, HEAD[markup])  # imports and first-use costs are not the parser's
        for shape, makers in SHAPES.items():
            cells, per_kb, at_largest = [], 0.0, float(CAP)
            for kb in sizes:
                body = HEAD[markup] + makers[markup](kb * 1024 - len(HEAD[markup]))
                seconds = parse_seconds(markup, body)
                if isinstance(seconds, str):
                    cells.append(f"{seconds:>10}")
                    spent = CONVERT_SECONDS if seconds == "budget" else CAP
                    per_kb = max(per_kb, spent / kb)  # at least
                    break  # larger sizes only take longer
                cells.append(f"{seconds:>10.3f}")
                per_kb = max(per_kb, seconds / kb)
                at_largest = seconds
            cells += [f"{'-':>10}"] * (len(sizes) - len(cells))
            convert = "-"
            if markup == "jira":
                body = HEAD[markup] + makers[markup](largest * 1024 - len(HEAD[markup]))
                converts.append((convert_seconds(body), shape))
                convert = f"{converts[-1][0]:.3f}"
            verdict = "meets" if at_largest < goal else "misses"
            print(
                f"{markup:9} {shape:24}{''.join(cells)}{per_kb:>11.4f}{convert:>10}   "
                f"< {goal:.3g} s at {largest} KB: {verdict}"
            )
            worst[markup] = max(worst.get(markup, (-1.0, "")), (per_kb, shape))
            slowest[markup] = max(slowest.get(markup, (-1.0, "")), (at_largest, shape))
    for markup, (per_kb, shape) in worst.items():
        seconds, name = slowest[markup]
        verdict = "meets" if seconds < goal else "misses"
        print(
            f"worst {markup}: {per_kb:.4f} s/KB ({shape}); slowest at {largest} KB "
            f"{seconds:.3f} s ({name}): {verdict} the goal of < {goal:.3g} s"
        )
    if converts:
        seconds, name = max(converts)
        verdict = "meets" if seconds < goal else "misses"
        print(
            f"worst Jira conversion at {largest} KB: {seconds:.3f} s ({name}): "
            f"{verdict} the goal of < {goal:.3g} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
