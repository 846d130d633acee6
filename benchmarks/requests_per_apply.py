"""Requests and wall time of `storyplan apply` against a fake tracker over loopback: first
apply, a no-op re-apply and an edit, for a story of 20 tasks and 25 dependency edges.

Run from the repository root: python benchmarks/requests_per_apply.py github
(each tracker also has its own script, e.g. benchmarks/github_requests.py).
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import HARNESSES, Harness, environment, run_cli
from tests.e2e.stories import TaskSpec, story_text

# The targets, printed beside each figure (requests are HTTP requests; writes are
# what the tracker carried out: on GitHub one per GraphQL mutation).
TARGETS = {
    ("github", "first apply"): "<= 4 requests, <= 5 s",
    ("github", "no-op re-apply"): "1 request, 0 writes",
    ("github", "edit: reword task 10"): "<= 3 requests",
}
# The harnesses turn pacing off for speed; wall time is measured with the default pacing.
DEFAULT_PACING = {"github": {"STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES": "1.0"}}


def story(rename: bool = False) -> list[TaskSpec]:
    tasks = []
    for n in range(1, 21):
        deps = [n - 1] if n > 1 else []
        if 3 <= n <= 8:
            deps.append(n - 2)  # 19 chain edges + 6 skips = 25
        title = f"Step {n}" + (" (reworded)" if rename and n == 10 else "")
        tasks.append(TaskSpec(n, title, deps))
    return tasks


def measure(name: str, harness: Callable[[], AbstractContextManager[Harness]]) -> int:
    rows = []
    with harness() as tracker, environment(DEFAULT_PACING.get(name, {})):
        for label, tasks in (
            ("first apply", story()),
            ("no-op re-apply", story()),
            ("edit: reword task 10", story(rename=True)),
        ):
            tracker.write_story(story_text(tasks))
            tracker.mark()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = run_cli("apply", "--quiet", "--json", tracker.ref)
            elapsed = time.perf_counter() - start
            if code != 0:
                print(f"{label}: apply failed with exit code {code}", file=sys.stderr)
                return 1
            requests = getattr(tracker, "requests", None)
            sent = requests() if requests else tracker.reads() + tracker.writes()
            rows.append((label, sent, tracker.reads(), tracker.writes(), elapsed))
    edges = sum(len(t.depends_on) for t in story())
    print(f"\n{name}, 20 tasks, {edges} dependency edges (fake server on loopback)")
    print(f"{'run':<24}{'requests':>9}{'reads':>7}{'writes':>8}{'wall s':>9}  target")
    for label, sent, reads, writes, elapsed in rows:
        target = TARGETS.get((name, label), "")
        print(f"{label:<24}{sent:>9}{reads:>7}{writes:>8}{elapsed:>9.2f}  {target}")
    return 0


def main(argv: list[str]) -> int:
    names = argv or [name for name in HARNESSES if name != "files"]
    for name in names:
        if name not in HARNESSES:
            print(f"unknown tracker {name}; known: {', '.join(HARNESSES)}", file=sys.stderr)
            return 2
        if measure(name, HARNESSES[name]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
