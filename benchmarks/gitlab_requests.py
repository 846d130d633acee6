"""HTTP requests (and the writes they carry) of apply and sync against the fake GitLab, for a
story of 20 tasks and 25 dependency edges, on a Premium tier (blocking links) and on Free (the
"relates to" + "Blocked by" line fallback), each figure beside its target.

Run from the repository root: python benchmarks/gitlab_requests.py
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from requests_per_apply import story

from tests.e2e.harness import run_cli
from tests.e2e.harness_gitlab import GitlabHarness, gitlab_harness
from tests.e2e.stories import story_text

# Issue 14's targets; an edit has none of its own (it is a first apply's two write requests).
TARGETS: dict[str, int | None] = {
    "first apply": 6,
    "no-op apply": 2,
    "edit: reword task 10": None,
    "sync, 1 closed": 2,
}


def steps(tracker: GitlabHarness) -> list[tuple[str, list[str]]]:
    return [
        ("first apply", ["apply", "--quiet", "--json", tracker.ref]),
        ("no-op apply", ["apply", "--quiet", "--json", tracker.ref]),
        ("edit: reword task 10", ["apply", "--quiet", "--json", tracker.ref]),
        ("sync, 1 closed", ["sync", "--json", tracker.ref]),
    ]


def measure(free: bool) -> int:
    name = "gitlab-free" if free else "gitlab"
    rows = []
    with gitlab_harness(free=free) as tracker:
        for label, args in steps(tracker):
            tracker.write_story(
                story_text(story(rename=label != "first apply" and label != "no-op apply"))
            )
            if label.startswith("sync"):
                tracker.close_child("T3")
            tracker.mark()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = run_cli(*args)
            elapsed = time.perf_counter() - start
            if code != 0:
                print(f"{name} {label}: exit code {code}", file=sys.stderr)
                return 1
            rows.append((label, tracker.requests(), tracker.reads(), tracker.writes(), elapsed))
    print(f"\n{name}, 20 tasks, 25 dependency edges (fake GitLab on loopback)")
    print(f"{'run':<24}{'requests':>9}{'target':>8}{'reads':>7}{'writes':>8}{'wall s':>8}")
    for label, requests, reads, writes, elapsed in rows:
        most = TARGETS[label]
        target = "-" if most is None else f"<= {most}"
        mark = "  over target" if most is not None and requests > most else ""
        print(f"{label:<24}{requests:>9}{target:>8}{reads:>7}{writes:>8}{elapsed:>8.2f}{mark}")
    return 0


def main() -> int:
    return measure(free=False) or measure(free=True)


if __name__ == "__main__":
    sys.exit(main())
