"""How `storyplan plan` grows with the number of tasks: a story of N tasks in a dependency
chain, planned with the files tracker (nothing is written). Prints seconds per size beside
the target: linear growth, 500 tasks within 2 s, a 1000-task chain without a crash.

    .venv/bin/python benchmarks/render_scale.py [50 100 200 500 1000]
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

from storyplan.cli import main

TARGET = {500: 2.0}


def chain(count: int) -> str:
    lines = [
        "# Long chain",
        "",
        "## User Story",
        "As a team I want a long plan.",
        "",
        "## Tasks",
        "",
    ]
    for n in range(1, count + 1):
        lines += [f"### Task {n}: Step {n}", "", f"Build step {n} end to end.", ""]
        if n > 1:
            lines += [f"Depends on: Task {n - 1}", ""]
        lines += ["#### Acceptance Criteria", f"- [ ] Step {n} works", ""]
    return "\n".join(lines) + "\n"


def measure(count: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as root:
        story = Path(root) / "chain.md"
        story.write_text(chain(count), encoding="utf-8")
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["plan", str(story)])
        return time.perf_counter() - started, code


def run(sizes: list[int]) -> None:
    measure(5)  # imports and template compilation, paid once per run, are not the figure
    print("tasks   seconds   per task (ms)   exit   target")
    for size in sizes:
        seconds, code = measure(size)
        target = f"<= {TARGET[size]:.1f} s" if size in TARGET else "linear, no crash"
        print(f"{size:5d}   {seconds:7.2f}   {1000 * seconds / size:13.2f}   {code:4d}   {target}")


if __name__ == "__main__":
    run([int(arg) for arg in sys.argv[1:]] or [50, 100, 200, 500, 1000])
