"""Parse time of a 134-task spec-kit tasks.md and of 64 KB adversarial inputs, beside targets.

Run from the repository root: python benchmarks/parse_speed.py
"""

from __future__ import annotations

import sys
import time
from datetime import date

from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.story import parse_story

TASKS_TARGET = 1.0  # seconds: "well under a second"
ADVERSARIAL_TARGET = 3.0  # seconds for 64 KB; markdown-it alone spends about 1 s on brackets


def spec_kit(count: int) -> str:
    """A tasks.md shaped like spec-kit's: phases, stories, [P]/[US] markers, inline and
    section dependencies."""
    lines = ["# Tasks: Benchmark", ""]
    for n in range(1, count + 1):
        if n % 20 == 1:
            phase = n // 20 + 1
            lines += ["", f"## Phase {phase}: User Story {phase}", ""]
        marker = "[P] " if n % 3 else ""
        after = f" (depends on T{n - 1:03d})" if n % 5 == 0 else ""
        lines.append(f"- [ ] T{n:03d} {marker}[US{n // 20 + 1}] Step {n} in src/m{n}.py{after}")
    lines += ["", "## Dependencies & Execution Order", ""]
    lines += [f"- T{n:03d} blocks T{n + 1:03d}" for n in range(10, count, 10)]
    lines += ["- Phase 2 depends on Phase 1", "- US3 depends on US1 & US2"]
    return "\n".join(lines) + "\n"


def seconds(body: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        tasks = len(parse_story(Story(ref="b", title="B", body=body), today=date(2025, 1, 1)).tasks)
    except PlanError:
        tasks = 0
    return time.perf_counter() - start, tasks


def main() -> int:
    failed = False
    took, tasks = min(seconds(spec_kit(134)) for _ in range(3))
    ok = took < TASKS_TARGET and tasks == 134
    failed |= not ok
    print(f"spec-kit tasks.md, {tasks} tasks: {took:.3f} s (target < {TASKS_TARGET} s)")
    for name, piece in [("spaces", " "), ("brackets", "["), ("emphasis", "** "), ("colons", ":")]:
        body = "## Tasks\n- [ ] a" + piece * (65536 // len(piece)) + "z"
        took, _ = seconds(body)
        failed |= took >= ADVERSARIAL_TARGET
        print(f"64 KB of {name!r}: {took:.3f} s (target < {ADVERSARIAL_TARGET} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
