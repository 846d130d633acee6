"""Requests and wall time of `storyplan apply` against a fake tracker over loopback: first
apply, a no-op re-apply and an edit, for a story of 20 tasks and 25 dependency edges.

Run from the repository root: python benchmarks/requests_per_apply.py github
(each tracker also has its own script, e.g. benchmarks/github_requests.py). With --edits it
prints instead the write requests of each kind of edit, one column per tracker.
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
from tests.e2e.stories import TaskSpec, checklist_text, diamond, story_text

# The targets, printed beside each figure (requests are HTTP requests; writes are
# what the tracker carried out: on GitHub and GitLab one per GraphQL mutation).
TARGETS = {
    ("github", "first apply"): "<= 4 requests, <= 5 s",
    ("github", "no-op re-apply"): "1 request, 0 writes",
    ("github", "edit: reword task 10"): "<= 3 requests",
    ("gitlab", "first apply"): "<= 6 requests",
    ("gitlab", "no-op re-apply"): "<= 2 requests",
    ("gitlab-free", "first apply"): "<= 6 requests",
    ("gitlab-free", "no-op re-apply"): "<= 2 requests",
    ("jira-cloud", "first apply"): "<= 30 requests",
    ("jira-cloud", "no-op re-apply"): "<= 2 requests",
    ("jira-dc", "first apply"): "<= 30 requests",
    ("jira-dc", "no-op re-apply"): "<= 2 requests",
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


# -- writes per edit kind -------------------------------------------------------------------
# Each edit starts from a story already applied (8 tasks in a diamond, or 4 checklist items)
# and is applied once; the figure is the write requests that apply sent. "expected" is what
# the edit needs: a create, an update, a link each is one change, which a tracker may carry
# out in more than one request (GitHub attaches a made issue in a second one; marking a task
# obsolete is a label and a comment; GitLab Free keeps a dependency as a line in a body too).
EDITS: list[tuple[str, str]] = [  # (edit, the changes it needs)
    ("next-day no-op", "0"),
    ("delete a middle task", "5: obsolete, 2 unlinks, 1 link, plan"),
    ("insert a checklist item at top", "2: 1 create, plan"),
    ("rename one task", "2: 1 update, plan"),
    ("rename the story", "1 at most: plan"),
    ("drop one dependency", "2: 1 unlink, plan"),
    ("add one dependency", "2: 1 link, plan"),
]
CHECKLIST = ["Add the session model", "Hash passwords", "Add the rate limiter", "Sign-in API"]
DAY, NEXT_DAY = "1796083200", "1796169600"  # 2026-12-01 and the day after


def _edited(kind: str, tracker: Harness) -> None:
    """Put the story as it is after the edit `kind` (the tracker holds the story before it)."""
    tasks = diamond(8)
    if kind == "delete a middle task":  # Task 7 goes; Task 8 waits for Task 6 instead
        tracker.write_story(story_text([*tasks[:6], TaskSpec(8, "Step 8", [6])]))
    elif kind == "insert a checklist item at top":
        tracker.write_story(checklist_text(["Write the design note", *CHECKLIST]))
    elif kind == "rename one task":
        tasks[5] = TaskSpec(6, "Step six, reworded", [5])
        tracker.write_story(story_text(tasks))
    elif kind == "rename the story":
        tracker.rename_story("Sign in with email or a passkey")
    elif kind == "drop one dependency":
        tasks[3] = TaskSpec(4, "Sign-in endpoint", [2])
        tracker.write_story(story_text(tasks))
    elif kind == "add one dependency":
        tasks[7] = TaskSpec(8, "Step 8", [7, 1])
        tracker.write_story(story_text(tasks))


def _quiet_apply(tracker: Harness) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return run_cli("apply", "--quiet", tracker.ref)


def edit_writes(name: str) -> dict[str, int | None]:
    """The write requests of each edit kind on one tracker (None: apply failed)."""
    found: dict[str, int | None] = {}
    for kind, _ in EDITS:
        with HARNESSES[name]() as tracker, environment({"SOURCE_DATE_EPOCH": DAY}):
            checklist = kind == "insert a checklist item at top"
            tracker.write_story(checklist_text(CHECKLIST) if checklist else story_text(diamond(8)))
            if _quiet_apply(tracker) != 0:
                found[kind] = None
                continue
            _edited(kind, tracker)
            tracker.mark()
            with environment({"SOURCE_DATE_EPOCH": NEXT_DAY}):
                code = _quiet_apply(tracker)
            found[kind] = tracker.writes() if code == 0 else None
    return found


def print_edit_table(names: list[str]) -> None:
    """One table: a row per edit kind, a column per tracker, the expected writes beside."""
    columns = {name: edit_writes(name) for name in names}
    width = max(len(kind) for kind, _ in EDITS) + 2
    expected_width = max(len(expected) for _, expected in EDITS) + 2
    print("\nwrite requests of one apply after each edit (8 tasks; 4 checklist items)")
    header = f"{'edit':<{width}}{'expected':<{expected_width}}"
    print(header + "".join(f"{name:>13}" for name in names))
    for kind, expected in EDITS:
        cells = []
        for name in names:
            writes = columns[name][kind]
            cells.append(f"{'failed' if writes is None else writes:>13}")
        print(f"{kind:<{width}}{expected:<{expected_width}}" + "".join(cells))


def edits_main(argv: list[str]) -> int:
    """`--edits [tracker ...]`: the table of writes per edit kind (every tracker by default)."""
    names = [arg for arg in argv if arg != "--edits"]
    unknown = [name for name in names if name not in HARNESSES]
    if unknown:
        print(f"unknown tracker {unknown[0]}; known: {', '.join(HARNESSES)}", file=sys.stderr)
        return 2
    print_edit_table(names or list(HARNESSES))
    return 0


def main(argv: list[str]) -> int:
    if "--edits" in argv:
        return edits_main(argv)
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
