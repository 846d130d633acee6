"""Turn drafted tasks into final ones once all are known: order and numbers, ids (explicit ids
win, then "Task N", then position for a task known by its text), duplicate ids, dependencies
and acceptance-criteria links.
"""

from __future__ import annotations

from storyplan.model import ChecklistItem
from storyplan.parse.depends import PHRASE, Resolver, phrases_in
from storyplan.parse.edges import link_statements
from storyplan.parse.heads import ac_refs_in
from storyplan.parse.state import State


def number_tasks(state: State) -> None:
    """Order tasks as written, give each its number and id, and report duplicate ids."""
    state.drafts.sort(key=lambda d: d.task.line)
    written: dict[str, int] = {}  # id → position of the task that wrote it first
    for position, draft in enumerate(state.drafts, start=1):
        task = draft.task
        # The author's number ("### Task 8") is the task's number: deleting Task 7 leaves
        # Task 8 as it is, and its sub-issue untouched. Unnumbered tasks count by position.
        task.number = draft.label if draft.label is not None else position
        task.description = "\n\n".join(p for p in draft.description if p.strip()).strip()
        found = ac_refs_in(task.description)[0]  # "(AC: 1, 2)" in a description links too
        task.ac_refs = list(dict.fromkeys([*task.ac_refs, *found]))
        for line in task.description.split("\n"):
            if PHRASE.match(line.strip()):  # "Blocked by T003." on a line of its own
                draft.refs = list(dict.fromkeys([*draft.refs, *phrases_in(line)[0]]))
        if not task.id and draft.label is not None:
            task.id = f"T{draft.label}"
        if task.id:
            first = written.setdefault(task.id.upper(), position)
            if first != position:
                first_line = state.original(state.drafts[first - 1].task.line)
                state.problem(
                    f"duplicate task id {task.id} (first at line {first_line})", task.line
                )
    taken = set(written)
    for position, draft in enumerate(state.drafts, start=1):
        if not draft.task.id:
            # Known by its text: this id and number hold until the tracker is read, where the
            # task takes the id of the sub-issue that carries its text (storyplan.identity).
            draft.task.by_text = True
            number = position
            while f"T{number}" in taken:  # an inferred id never takes one the story wrote
                number += 1
            draft.task.id = f"T{number}"
            taken.add(draft.task.id)
        if not draft.task.title:
            draft.task.title = f"Task {position}"


def resolve_dependencies(state: State) -> None:
    """Known references become task ids; unknown ones stay as written for graph checks."""
    ids = [d.task.id for d in state.drafts]
    resolver = Resolver(
        ids, [d.label for d in state.drafts], [d.task.existing for d in state.drafts]
    )
    for draft in state.drafts:
        found: dict[str, None] = {}  # in order, each once
        waits: list[str] = []  # joined once: many outside issues stay linear
        for ref in draft.refs:
            index = resolver.find(ref)
            if index is None and ref.issue and ref.number is None:
                # "blocked by octo/api#7": an issue outside the plan, not a task to link
                waits.append(f"Waits for {ref.issue}.")
                continue
            found.setdefault(ids[index] if index is not None else ref.text)
        draft.task.depends_on = list(found)
        if waits:
            draft.task.notes = "\n\n".join(p for p in (draft.task.notes, *waits) if p)
    link_statements(state, resolver.find)


def link_criteria(state: State) -> None:
    """A task's `(AC: 1, 3)` copies those story criteria into its own acceptance criteria."""
    by_ref = {ref: item for item in state.plan.acceptance_criteria for ref in item.refs}
    for draft in state.drafts:
        task = draft.task
        for ref in task.ac_refs:
            story_item = by_ref.get(ref)
            if story_item is None:
                state.plan.notes.append(
                    f"Task {task.id} refers to acceptance criterion {ref}, "
                    "which the story does not have."
                )
            elif all(item.text != story_item.text for item in task.acceptance_criteria):
                task.acceptance_criteria.append(ChecklistItem(text=story_item.text, refs=[ref]))
