"""The task dependency graph: checked before anything is written, ordered for creation,
and drawn for the plan (a Mermaid graph for Markdown, rows of a table for Jira).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from typing import Protocol

from storyplan.errors import PlanError, Problem
from storyplan.model import Plan, Task


class _Linked(Protocol):
    @property
    def key(self) -> str: ...


def check_graph(plan: Plan) -> list[Problem]:
    """Every unknown reference, duplicate id and cycle, each naming the tasks and lines."""
    source = plan.story.source or plan.story.ref
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for task in plan.tasks:
        if task.id in first_line:
            problems.append(
                Problem(
                    f"duplicate task id {task.id} (first at line {first_line[task.id]})",
                    task.line,
                    source,
                )
            )
        else:
            first_line[task.id] = task.line
    for task in plan.tasks:
        for dep in task.depends_on:
            if dep == task.id:
                problems.append(Problem(f"task {task.id} depends on itself", task.line, source))
            elif dep not in first_line:
                problems.append(
                    Problem(f"task {task.id} depends on unknown task {dep}", task.line, source)
                )
    cycle = find_cycle(plan)
    if cycle:
        path = " → ".join(cycle)
        line = plan.task(cycle[0]).line
        problems.append(Problem(f"dependency cycle {path}", line, source))
    return problems


def validate_graph(plan: Plan) -> None:
    problems = check_graph(plan)
    if problems:
        raise PlanError(problems)


def _edges(plan: Plan) -> dict[str, list[str]]:
    known = {task.id for task in plan.tasks}
    return {
        task.id: [dep for dep in task.depends_on if dep in known and dep != task.id]
        for task in plan.tasks
    }


def find_cycle(plan: Plan) -> list[str]:
    """The first cycle in story order as a closed path (`T1 → T2 → T1`), or [] if none.

    Iterative, so a chain of thousands of tasks cannot exhaust the interpreter's stack.
    """
    deps = _edges(plan)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished
    for task in plan.tasks:
        if task.id in state:
            continue
        stack: list[str] = [task.id]
        todo: list[list[str]] = [list(reversed(deps.get(task.id, [])))]
        state[task.id] = 1
        while stack:
            if not todo[-1]:
                state[stack.pop()] = 2
                todo.pop()
                continue
            dep = todo[-1].pop()
            if state.get(dep) == 1:
                found = [*stack[stack.index(dep) :], dep]
                # Read the cycle in the direction work flows: dependency first.
                return list(reversed(found))
            if dep not in state:
                state[dep] = 1
                stack.append(dep)
                todo.append(list(reversed(deps.get(dep, []))))
    return []


def topological_order(plan: Plan) -> list[Task]:
    """Tasks with every dependency before its dependents; ties keep story order. Kahn's
    algorithm with a heap by story position: O((n + e) log n)."""
    deps = _edges(plan)
    position = {task.id: index for index, task in enumerate(plan.tasks)}
    waiting = {task.id: len(set(deps[task.id])) for task in plan.tasks}
    after: dict[str, list[str]] = {task.id: [] for task in plan.tasks}
    for task_id, needs in deps.items():
        for dep in set(needs):
            after[dep].append(task_id)
    ready = [position[t] for t, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[Task] = []
    placed: set[str] = set()
    while len(order) < len(plan.tasks):
        if not ready:  # a cycle: check_graph reports it; keep story order for the rest
            rest = min(position[t] for t in waiting if t not in placed)
            heapq.heappush(ready, rest)
        task = plan.tasks[heapq.heappop(ready)]
        if task.id in placed:
            continue
        placed.add(task.id)
        order.append(task)
        for later in after[task.id]:
            waiting[later] -= 1
            if waiting[later] == 0 and later not in placed:
                heapq.heappush(ready, position[later])
    return order


def dependents(plan: Plan) -> dict[str, list[str]]:
    """For each task id, the ids of the tasks that wait for it."""
    result: dict[str, list[str]] = {task.id: [] for task in plan.tasks}
    for task_id, deps in _edges(plan).items():
        for dep in deps:
            result[dep].append(task_id)
    return result


def _node_id(task_id: str) -> str:
    return "t_" + re.sub(r"\W", "_", task_id)


def _label(text: str) -> str:
    # Mermaid labels are quoted; quotes and brackets inside would end them early.
    return re.sub(r'["\[\]{}<>]', "", text).replace("`", "'").strip()


def mermaid(plan: Plan, children: Mapping[str, _Linked] | None = None) -> str:
    """The body of a ```mermaid block: one node per task, an arrow per dependency."""
    children = children or {}
    lines = ["graph TD"]
    for task in plan.tasks:
        label = f"{task.id}: {task.title}"
        if task.id in children:
            label += f" ({children[task.id].key})"
        lines.append(f'    {_node_id(task.id)}["{_label(label)}"]')
    edges = _edges(plan)
    for task in plan.tasks:
        for dep in edges[task.id]:
            lines.append(f"    {_node_id(dep)} --> {_node_id(task.id)}")
    return "\n".join(lines)
