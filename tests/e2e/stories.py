"""Story texts for the end-to-end scenarios, written the way teams write them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TaskSpec:
    number: int
    title: str
    depends_on: list[int] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)


def story_text(tasks: list[TaskSpec], extra: str = "") -> str:
    lines = [
        "## User Story",
        "As a shopper I want to sign in with my email so that my cart follows me.",
        "",
        "## Acceptance Criteria",
        "- [ ] A registered shopper can sign in",
        "- [ ] A wrong password is refused with a clear message",
        "",
        "## Tasks",
        "",
    ]
    for task in tasks:
        lines.append(f"### Task {task.number}: {task.title}")
        lines.append("")
        lines.append(f"Build {task.title.lower()} end to end.")
        lines.append("")
        if task.depends_on:
            lines.append("Depends on: " + ", ".join(f"Task {n}" for n in task.depends_on))
            lines.append("")
        lines.append("#### Acceptance Criteria")
        for criterion in task.criteria or [f"{task.title} works", f"{task.title} is tested"]:
            lines.append(f"- [ ] {criterion}")
        lines.append("")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def diamond(count: int = 8) -> list[TaskSpec]:
    """Task 1 fans out to 2 and 3, which meet again in 4; the rest follow in a line."""
    tasks = [
        TaskSpec(1, "Session model"),
        TaskSpec(2, "Password hashing", [1]),
        TaskSpec(3, "Rate limiter", [1]),
        TaskSpec(4, "Sign-in endpoint", [2, 3]),
    ]
    for number in range(5, count + 1):
        tasks.append(TaskSpec(number, f"Step {number}", [number - 1]))
    return tasks


def edges(tasks: list[TaskSpec]) -> set[tuple[str, str]]:
    """(blocker id, blocked id) for every dependency."""
    return {(f"T{dep}", f"T{task.number}") for task in tasks for dep in task.depends_on}


def checklist_text(items: list[str], criteria: tuple[str, ...] = ()) -> str:
    """A story whose tasks are checklist items with no ids or numbers, as many teams write."""
    lines = [
        "## User Story",
        "As a shopper I want to sign in with my email so that my cart follows me.",
        "",
        "## Acceptance Criteria",
        *(f"- [ ] {c}" for c in criteria or ("A registered shopper can sign in",)),
        "",
        "## Tasks",
        *(f"- [ ] {item}" for item in items),
    ]
    return "\n".join(lines) + "\n"
