"""What `plan` shows of a changed body: a few `-`/`+` lines, as a reviewer reads a diff,
rather than only "changed: body"; and the one-line summary `Plan: 3 to create, ...`.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence

from storyplan.ports import Change, TrackerState, UpdateChild, UpsertPlan

_MARKER = re.compile(r"<!-- storyplan:|\{anchor:storyplan-")  # bookkeeping, not content
MOST_LINES = 8  # changed lines shown per body before "... N more"
SUMMARY = {  # change kind → the words of the summary line, in its order
    "create_child": "to create",
    "attach_child": "to attach",
    "update_child": "to update",
    "add_link": "to link",
    "remove_link": "to unlink",
    "mark_obsolete": "to mark obsolete",
    "close_child": "to close",
    "close_duplicate": "to close as duplicates",
    "delete_plan": "to delete",
    "label_story": "to label",
    "close_story": "to close",
}
ALWAYS = ("to create", "to update", "to link")


def short_diff(old: str, new: str, most: int = MOST_LINES) -> list[str]:
    """The changed lines of `old` → `new`, without context, at most `most` of them."""
    lines = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@")) and not _MARKER.search(line)
    ]
    if len(lines) > most:
        lines = [*lines[:most], f"... {len(lines) - most} more changed line(s)"]
    return lines


def body_diffs(state: TrackerState, changes: Sequence[Change]) -> list[tuple[str, list[str]]]:
    """(what, diff lines) for every body an update would change."""
    bodies = {child.key: child.body for child in state.children}
    found = []
    for change in changes:
        if isinstance(change, UpdateChild) and "body" in change.fields:
            old = bodies.get(change.key, "")
            found.append((f"{change.task_id} ({change.key})", short_diff(old, change.body)))
        elif isinstance(change, UpsertPlan) and state.plan is not None:
            diff = short_diff(state.plan.body, change.body)
            if diff:
                found.append(("plan", diff))
    return found


def plan_summary(changes: Sequence[Change]) -> str:
    """`Plan: 3 to create, 1 to update, 2 to link.` (the plan itself counts as one)."""
    counts: Counter[str] = Counter()
    for change in changes:
        if isinstance(change, UpsertPlan):
            counts["to update" if change.key else "to create"] += 1
        else:
            counts[SUMMARY[change.kind]] += 1
    words = list(ALWAYS) + [w for w in dict.fromkeys(SUMMARY.values()) if w not in ALWAYS]
    parts = [f"{counts[w]} {w}" for w in words if w in ALWAYS or counts[w]]
    return f"Plan: {', '.join(parts)}."
