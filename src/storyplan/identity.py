"""Which sub-issue a task its author gave no id keeps. Such a task (a checklist item, a bare
heading) is known by its text, whose key its sub-issue's marker records; a reworded one by its
place between unchanged neighbours. Its id and number are its sub-issue's, never its position.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storyplan import markers
from storyplan.model import Markup, Plan, Task
from storyplan.ports import Child, TrackerState

TEXT = "text"  # the task marker's attribute: the key of the text it was made or reworded for
ORDER = "order"  # the plan marker's attribute: task ids in the order the story lists them
_NUMBERED = re.compile(r"^T(\d{1,9})$")
_PLAIN = re.compile(r"^[\w.-]{1,64}$")


def text_key(title: str) -> str:
    """The key of a task's text: letter case, spacing and a link tail do not change it."""
    return hashlib.sha256(markers.item_key(title).encode()).hexdigest()[:10]


def task_attrs(task: Task) -> dict[str, str]:
    """What a task's marker records beyond its id: the key of its text, if it is known by it."""
    return {TEXT: text_key(task.title)} if task.by_text and not task.existing else {}


def plan_attrs(plan: Plan) -> dict[str, str]:
    """The order of the tasks, recorded in the plan's marker when a task is known by its text:
    the next run finds the place of each sub-issue whose task was reworded."""
    if not any(task.by_text for task in plan.tasks):
        return {}
    if not all(_PLAIN.match(task.id) for task in plan.tasks):
        return {}  # an id no marker attribute can hold: the order is told by number instead
    return {ORDER: ",".join(task.id for task in plan.tasks)}


@dataclass(frozen=True)
class _Held:
    """The first child of one task id, as the text matching sees it."""

    task_id: str
    child: Child
    text: str | None  # the recorded text key; None in a marker written before it was recorded


def settle_ids(plan: Plan, state: TrackerState, markup: Markup) -> tuple[Plan, list[str]]:
    """`plan` with each task known by its text under the id of the sub-issue it keeps, and a
    note for each sub-issue kept on a guess (several reworded tasks at one place)."""
    by_text = [task for task in plan.tasks if task.by_text]
    if not by_text:
        return plan, []
    explicit = {task.id for task in plan.tasks if not task.by_text}
    held: dict[str, _Held] = {}
    for child in state.children:  # oldest first: a task's first child is the one it keeps
        if child.task_id is not None and child.task_id not in held:
            mark = markers.read_identity(child.body, "task", markup) or {}
            held[child.task_id] = _Held(child.task_id, child, mark.get(TEXT))
    free = {task_id: one for task_id, one in held.items() if task_id not in explicit}
    order = _recorded_order(state, markup, held)
    rank = {task_id: index for index, task_id in enumerate(order)}
    chosen: dict[int, str] = {}  # index in by_text → the child id it keeps

    # 1. By text: an unchanged item keeps its sub-issue wherever it moved (a live one first,
    # then one marked obsolete, which comes back).
    for index, task in enumerate(by_text):
        if task.existing:
            continue
        key = text_key(task.title)
        found = [one for one in free.values() if one.text == key]
        found.sort(key=lambda one: (one.child.obsolete, rank.get(one.task_id, len(rank))))
        if found:
            chosen[index] = found[0].task_id
            del free[found[0].task_id]
    # 2. A marker that records no text (written before texts were recorded): by the title
    # the sub-issue shows (`#42 · Task 2: Store refresh tokens`), then by its id.
    legacy = [one for one in free.values() if one.text is None]
    for index, task in enumerate(by_text):
        words = markers.item_key(task.title)
        one = next((o for o in legacy if _titled(o.child.title, words)), None)
        if index not in chosen and not task.existing and one is not None:
            chosen[index] = one.task_id
            legacy.remove(free.pop(one.task_id))
    for index, task in enumerate(by_text):
        one = free.get(task.id)
        if index not in chosen and not task.existing and one is not None and one.text is None:
            chosen[index] = task.id
            del free[task.id]
    # 3. By place: what is left between the same two kept neighbours pairs up in order.
    notes = _pair_by_place(plan, by_text, chosen, free, order)
    return _renamed(plan, by_text, chosen, set(held) | explicit), notes


def _recorded_order(state: TrackerState, markup: Markup, held: Mapping[str, _Held]) -> list[str]:
    """Task ids in the order the last apply listed them; without that record, by number."""
    mark = (markers.read_identity(state.plan.body, "plan", markup) or {}) if state.plan else {}
    if mark.get(ORDER):
        return [task_id for task_id in mark[ORDER].split(",") if task_id]
    return sorted(held, key=lambda task_id: (_number(task_id) or 0, task_id))


def _pair_by_place(
    plan: Plan,
    by_text: Sequence[Task],
    chosen: dict[int, str],
    free: dict[str, _Held],
    order: Sequence[str],
) -> list[str]:
    index_of = {id(task): index for index, task in enumerate(by_text)}
    settled = [chosen.get(index_of[id(task)]) if task.by_text else task.id for task in plan.tasks]
    anchors = {task_id for task_id in settled if task_id is not None} & set(order)
    items: dict[tuple[str | None, str | None], list[int]] = {}
    for at, task in enumerate(plan.tasks):
        index = index_of.get(id(task))
        if index is None or index in chosen or task.existing:
            continue
        items.setdefault(_gap(settled, at, anchors), []).append(index)
    children: dict[tuple[str | None, str | None], list[str]] = {}
    for at, task_id in enumerate(order):
        one = free.get(task_id)
        if one is not None and one.text is not None and not one.child.obsolete:
            children.setdefault(_gap(list(order), at, anchors), []).append(task_id)
    notes = []
    for gap, waiting in items.items():
        left = children.get(gap, [])
        guess = len(waiting) > 1 or len(left) > 1
        for index, task_id in zip(waiting, left, strict=False):
            chosen[index] = task_id
            child = free.pop(task_id).child
            if guess:
                notes.append(
                    f'"{by_text[index].title}" keeps {child.key} ("{child.title}"), a guess by '
                    "place: several tasks there were reworded; edit the story if another "
                    "should keep it"
                )
    return notes


def _gap(
    sequence: Sequence[str | None], at: int, anchors: set[str]
) -> tuple[str | None, str | None]:
    """The kept neighbours around position `at`: the nearest anchor before it and after it."""
    before = next((s for s in reversed(sequence[:at]) if s in anchors), None)
    after = next((s for s in sequence[at + 1 :] if s in anchors), None)
    return before, after


def _titled(title: str, words: str) -> bool:
    """Whether a sub-issue's title shows these words as its task's (`#42 · Task 2: words`)."""
    shown = markers.item_key(title)
    return bool(words) and (shown == words or shown.endswith((f": {words}", f" · {words}")))


def _number(task_id: str) -> int | None:
    match = _NUMBERED.match(task_id)
    return int(match[1]) if match else None


def _renamed(
    plan: Plan, by_text: Sequence[Task], chosen: Mapping[int, str], used: set[str]
) -> Plan:
    """The plan with every task known by its text under its settled id and number. A task with
    no sub-issue yet keeps the id it was given unless a sub-issue already has it; then it takes
    the next number after every one in use, so no number ever names two tasks."""
    taken = set(used) | set(chosen.values())
    rename: dict[str, str] = {}
    for index, task in enumerate(by_text):
        settled = chosen.get(index)
        if settled is None:
            settled = task.id
            if settled in taken:
                settled = f"T{max((_number(t) or 0) for t in taken) + 1}"
            taken.add(settled)
        rename[task.id] = settled
    if all(old == new for old, new in rename.items()):
        return plan
    tasks = []
    for task in plan.tasks:
        update: dict[str, object] = {
            "depends_on": [rename.get(dep, dep) for dep in task.depends_on],
            "blocked_by": [rename.get(dep, dep) for dep in task.blocked_by],
        }
        if task.by_text:
            update["id"] = rename[task.id]
            update["number"] = _number(rename[task.id]) or task.number
        tasks.append(task.model_copy(update=update))
    return plan.model_copy(update={"tasks": tasks})
