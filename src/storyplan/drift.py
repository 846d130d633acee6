"""What differs between a story and its sub-issues, in words a person can act on: why sync
leaves a story to apply ("Task 5's sub-issue octo/shop#1066 no longer exists").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from storyplan.model import Plan
from storyplan.ports import (
    AddLink,
    AttachChild,
    Change,
    CloseChild,
    CreateChild,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    UpdateChild,
)

MOST = 3  # differences named before "and N more"


def _old_key(plan_body: str, number: int) -> str | None:
    """The sub-issue the plan last linked for Task `number` (Markdown or Jira link)."""
    line = re.search(rf"Task {number}\b[^\n]*?\(\[(?P<key>[^\]|\n]+)[\]|]", plan_body)
    return line["key"] if line else None


def _weight(change: Change) -> int:
    """Missing and new sub-issues first, then links, then edited text (often a consequence)."""
    if isinstance(change, AddLink | RemoveLink):
        return 1
    return 2 if isinstance(change, UpdateChild) else 0


def describe_drift(
    plan: Plan, previous: PlanComment | None, changes: Sequence[Change], *, links_read: bool
) -> str:
    """One sentence naming what apply would change, most telling first. Without
    `links_read` (sync skipped reading them) link changes are guesses and go unnamed."""
    number = {task.id: task.number for task in plan.tasks}

    def task(task_id: str) -> str:
        return f"Task {number[task_id]}" if task_id in number else task_id

    # A sub-issue made again is linked again: its links are no news of their own.
    created = {c.task_id for c in changes if isinstance(c, CreateChild | AttachChild)}
    parts: list[str] = []
    unnamed = False  # link changes sync could not name, since it did not read the links
    for change in sorted(changes, key=_weight):
        if isinstance(change, AddLink | RemoveLink) and (
            not links_read or {change.blocker_task, change.blocked_task} & created
        ):
            unnamed = unnamed or not links_read
            continue
        if isinstance(change, CreateChild):
            old = _old_key(previous.body, number[change.task_id]) if previous else None
            if old is not None:
                parts.append(f"{task(change.task_id)}'s sub-issue {old} no longer exists")
            else:
                parts.append(f"{task(change.task_id)} is new")
        elif isinstance(change, AttachChild):
            parts.append(f"{task(change.task_id)} is new (existing issue {change.key})")
        elif isinstance(change, UpdateChild):
            changed = " and ".join(change.fields)
            parts.append(f"{task(change.task_id)}'s {changed} changed ({change.key})")
        elif isinstance(change, AddLink):
            parts.append(f"{task(change.blocked_task)} now depends on {task(change.blocker_task)}")
        elif isinstance(change, RemoveLink):
            parts.append(
                f"{task(change.blocked_task)} no longer depends on {task(change.blocker_task)}"
            )
        elif isinstance(change, MarkObsolete | CloseChild):
            parts.append(f"{change.task_id} is no longer in the story ({change.key})")
    if not parts and unnamed:
        return "the tasks' dependencies changed since the last apply"
    if not parts:
        return "the plan differs from the last apply"
    if len(parts) > MOST:
        parts = [*parts[:MOST], f"and {len(parts) - MOST} more"]
    return "; ".join(parts)
