"""The `status:` a person writes in a task file, read generously (`closed`, `wip`, `to do`)
and strictly (anything else is refused with its file and line, never read as "open").
"""

from __future__ import annotations

import re

from storyplan.errors import PlanError, Problem
from storyplan.model import TaskStatus

SYNONYMS: dict[TaskStatus, tuple[str, ...]] = {
    TaskStatus.OPEN: ("open", "todo", "to do", "new", "pending", "backlog", "ready", "reopened"),
    TaskStatus.IN_PROGRESS: (
        "in_progress",
        "in progress",
        "wip",
        "doing",
        "started",
        "active",
        "in review",
        "review",
    ),
    TaskStatus.BLOCKED: ("blocked", "waiting", "on hold"),
    TaskStatus.DONE: (
        "done",
        "closed",
        "complete",
        "completed",
        "finished",
        "resolved",
        "fixed",
        "merged",
    ),
    TaskStatus.NOT_PLANNED: (
        "not_planned",
        "not planned",
        "won't do",
        "wont do",
        "wontfix",
        "won't fix",
        "cancelled",
        "canceled",
        "dropped",
        "rejected",
        "obsolete",
    ),
}
_BY_WORD = {word: status for status, words in SYNONYMS.items() for word in words}


def _normal(value: str) -> str:
    return " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())


_NORMAL = {_normal(word): status for word, status in _BY_WORD.items()}


def read_status(value: object, text: str, source: str) -> TaskStatus:
    """`value` of the `status:` key in the task file `source` whose text is `text`."""
    if value is None:
        return TaskStatus.OPEN
    status = _NORMAL.get(_normal(str(value)))
    if status is not None:
        return status
    found = re.search(r"^status\s*:", text, re.MULTILINE)
    line = text.count("\n", 0, found.start()) + 1 if found else 0
    *most, last = [status.value for status in TaskStatus]
    known = f"{', '.join(most)} or {last}"
    message = (
        f"status '{value}' is not one storyplan knows; use {known} "
        "(or a synonym such as closed, wip, to do or cancelled)"
    )
    raise PlanError([Problem(message, line, source)])
