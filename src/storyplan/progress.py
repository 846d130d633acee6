"""Progress from the sub-issues into the plan: task states, acceptance boxes ticked inside
each sub-issue, what follows from them (completion lines), and a one-line summary with a bar.

apply and sync render the plan through the same function, so neither undoes the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from storyplan import markers
from storyplan.model import ChecklistItem, Markup, Plan, TaskStatus

FINISHED = (TaskStatus.DONE, TaskStatus.NOT_PLANNED)
BAR_WIDTH = 20
ALL_TASKS_DONE = ("All development tasks completed",)
ALL_CRITERIA_MET = ("All tasks completed with acceptance criteria met",)


class Tracked(Protocol):
    @property
    def status(self) -> TaskStatus: ...

    @property
    def body(self) -> str: ...


def _ticked(body: str, markup: Markup) -> set[str]:
    text = markers.managed(body, markup) or body
    return {markers.item_key(item) for item, done in markers.checkboxes(text, markup) if done}


def with_progress(plan: Plan, children: Mapping[str, Tracked], markup: Markup) -> Plan:
    """The plan with each task's state, its ticked criteria and the summary line filled in."""
    if not children:
        return plan
    status = {task.id: children[task.id].status for task in plan.tasks if task.id in children}
    tasks = []
    for task in plan.tasks:
        state = status.get(task.id)
        ticked = _ticked(children[task.id].body, markup) if task.id in children else set()
        criteria = [
            item.model_copy(update={"checked": True})
            if markers.item_key(item.text) in ticked
            else item
            for item in task.acceptance_criteria
        ]
        open_deps = [dep for dep in task.depends_on if status.get(dep) not in FINISHED]
        if state == TaskStatus.OPEN and open_deps and all(dep in status for dep in open_deps):
            state = TaskStatus.BLOCKED
        tasks.append(
            task.model_copy(
                update={
                    "status": state,
                    "done": task.done or state == TaskStatus.DONE,
                    "acceptance_criteria": criteria,
                    "blocked_by": open_deps if state == TaskStatus.BLOCKED else [],
                }
            )
        )
    updated = plan.model_copy(update={"tasks": tasks})
    all_done = bool(tasks) and all(t.done or t.status == TaskStatus.NOT_PLANNED for t in tasks)
    all_met = all_done and all(item.checked for t in tasks for item in t.acceptance_criteria)
    numbers = {f"Task {t.number} progress and blockers": t.done for t in tasks}
    progress = updated.progress.model_copy(
        update={
            "summary": summarize(updated),
            "daily_checkpoints": _tick(updated.progress.daily_checkpoints, numbers),
            "success_indicators": _tick(
                updated.progress.success_indicators, dict.fromkeys(ALL_CRITERIA_MET, all_met)
            ),
        }
    )
    completion = updated.completion.model_copy(
        update={
            "technical": _tick(
                updated.completion.technical, dict.fromkeys(ALL_TASKS_DONE, all_done)
            )
        }
    )
    return updated.model_copy(update={"progress": progress, "completion": completion})


def _tick(items: list[ChecklistItem], done: Mapping[str, bool]) -> list[ChecklistItem]:
    return [
        item.model_copy(update={"checked": True}) if done.get(item.text) else item for item in items
    ]


def summarize(plan: Plan) -> str:
    """`5 of 8 tasks done · 2 in progress · 1 blocked by Task 3` and a text progress bar."""
    total = len(plan.tasks)
    if not total:
        return ""
    number = {task.id: task.number for task in plan.tasks}
    done = sum(1 for t in plan.tasks if t.done)
    parts = [f"{done} of {total} tasks done"]
    working = sum(1 for t in plan.tasks if t.status == TaskStatus.IN_PROGRESS)
    if working:
        parts.append(f"{working} in progress")
    blocked = [t for t in plan.tasks if t.status == TaskStatus.BLOCKED]
    if blocked:
        # Name the tasks that hold the others up, not the ones merely waiting in line.
        waiting = {t.id for t in blocked}
        blockers = sorted(
            {dep for t in blocked for dep in t.blocked_by if dep not in waiting},
            key=number.__getitem__,
        )
        names = ", ".join(f"Task {number[dep]}" for dep in blockers)
        parts.append(f"{len(blocked)} blocked by {names}")
    dropped = sum(1 for t in plan.tasks if t.status == TaskStatus.NOT_PLANNED)
    if dropped:
        parts.append(f"{dropped} not planned")
    filled = round(BAR_WIDTH * done / total)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    return f"{' · '.join(parts)}  {bar} {round(100 * done / total)}%"
