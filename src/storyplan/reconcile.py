"""Desired state against what the tracker holds, to an ordered list of changes. Pure: the
same function serves `plan` (print the list), `apply` (carry it out) and the Action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from storyplan import markers
from storyplan.model import Markup, TaskStatus
from storyplan.ports import (
    AddLink,
    AttachChild,
    Change,
    Child,
    CloseChild,
    CloseDuplicate,
    CreateChild,
    DeletePlan,
    LabelStory,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)

PlanBody = Callable[[Mapping[str, Child]], str]


@dataclass(frozen=True)
class DesiredChild:
    """One task as storyplan wants its sub-issue; `existing` is the key of an issue it is."""

    task_id: str
    title: str
    content: str  # storyplan's part of the body
    header: str  # the identity line
    depends_on: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    existing: str | None = None


@dataclass(frozen=True)
class Desired:
    """What the story should look like in its tracker once apply is done."""

    children: Sequence[DesiredChild]  # dependencies first
    plan_header: str
    plan_body: PlanBody  # storyplan's part of the plan comment, given the children's keys
    markup: Markup = "markdown"
    shape: str = ""  # digest of the children as apply makes them (recorded in the plan)
    story_label: str | None = None
    obsolete_comment: str = ""  # said once on a child whose task was removed
    prune: bool = False


@dataclass
class Reconciled:
    changes: list[Change]
    matched: dict[str, Child] = field(default_factory=dict)  # task id → its child


def match_children(desired: Desired, state: TrackerState) -> dict[str, Child]:
    """Each task's child: by the task id in its marker, or by the existing issue it names.
    An issue the story names as existing is that task's only, whatever marker its body holds."""
    existing = {want.existing for want in desired.children if want.existing is not None}
    by_task: dict[str, Child] = {}
    for one in state.children:  # oldest first: the oldest child of a task is its child
        if one.task_id is not None and one.key not in existing:
            by_task.setdefault(one.task_id, one)
    by_key = {c.key: c for c in state.children}
    matched: dict[str, Child] = {}
    for want in desired.children:
        if want.existing is not None:
            child = by_key.get(want.existing)
        else:
            child = by_task.get(want.task_id)
        if child is not None:
            matched[want.task_id] = child
    return matched


def plan_comment_body(
    existing: PlanComment | None,
    desired: Desired,
    children: Mapping[str, Child],
    extras: Sequence[PlanComment] = (),
) -> str:
    old = existing.body if existing else None
    others = tuple(extra.body for extra in extras)
    return markers.compose(
        old, desired.plan_header, desired.plan_body(children), desired.markup, others
    )


def reconcile(desired: Desired, state: TrackerState) -> Reconciled:
    matched = match_children(desired, state)
    changes: list[Change] = []
    updates: list[Change] = []
    for want in desired.children:
        child = matched.get(want.task_id)
        if want.existing is not None:
            if child is None:
                changes.append(AttachChild(task_id=want.task_id, key=want.existing))
            continue  # an existing issue is a person's: attached as it is, never edited
        if child is None:
            body = markers.compose(None, want.header, want.content, desired.markup)
            changes.append(
                CreateChild(
                    task_id=want.task_id,
                    title=want.title,
                    body=body,
                    labels=want.labels,
                    depends_on=want.depends_on,
                )
            )
            continue
        body = markers.compose(child.body, want.header, want.content, desired.markup)
        fields = tuple(
            name
            for name, differs in (
                ("title", child.title != want.title),
                ("body", child.body != body),
                ("revived", child.obsolete),
            )
            if differs
        )
        if fields:
            updates.append(
                UpdateChild(
                    task_id=want.task_id,
                    key=child.key,
                    title=want.title,
                    body=body,
                    fields=fields,
                    revive=child.obsolete,  # the task is back: lift the obsolete mark
                )
            )
    changes.extend(updates)
    changes.extend(_duplicate_changes(state, matched))
    changes.extend(_link_changes(desired, state, matched))
    changes.extend(_obsolete_changes(desired, state, matched))
    if desired.story_label and desired.story_label not in state.story_labels:
        changes.append(LabelStory(label=desired.story_label))
    body = plan_comment_body(state.plan, desired, matched, state.extra_plans)
    adds_children = any(isinstance(c, CreateChild | AttachChild) for c in changes)
    # New children change the plan (it names their keys); execute renders it with them.
    if state.plan is None or state.plan.body != body or adds_children:
        changes.append(UpsertPlan(key=state.plan.key if state.plan else None, body=body))
    changes.extend(DeletePlan(key=extra.key) for extra in state.extra_plans)
    return Reconciled(changes, matched)


def _duplicate_changes(state: TrackerState, matched: Mapping[str, Child]) -> list[Change]:
    """Every child of a task but the one it keeps, unless already closed as a duplicate."""
    kept = {child.key for child in matched.values()}
    keeper = {child.task_id: child.key for child in matched.values() if child.task_id}
    changes: list[Change] = []
    for child in state.children:
        if child.task_id is None or child.key in kept or child.task_id not in keeper:
            continue
        if child.obsolete and child.status in (TaskStatus.DONE, TaskStatus.NOT_PLANNED):
            continue  # healed by an earlier run
        changes.append(
            CloseDuplicate(
                task_id=child.task_id, key=child.key, title=child.title, kept=keeper[child.task_id]
            )
        )
    return changes


def _link_changes(
    desired: Desired, state: TrackerState, matched: Mapping[str, Child]
) -> list[Change]:
    task_of = {child.key: task_id for task_id, child in matched.items()}
    # Children no task keeps (a removed task's, a duplicate): every link between them and
    # the story's other children goes, in both directions.
    stale: dict[str, str] = {}
    for child in state.children:
        if child.task_id is not None and child.key not in task_of:
            stale[child.key] = child.task_id
    wanted = {(dep, want.task_id) for want in desired.children for dep in want.depends_on}
    have: dict[tuple[str, str], tuple[str, str]] = {}
    removals: list[Change] = []
    for link in state.links:
        if link.blocker in task_of and link.blocked in task_of:
            have[(task_of[link.blocker], task_of[link.blocked])] = (link.blocker, link.blocked)
        elif {link.blocker, link.blocked} <= task_of.keys() | stale.keys():
            removals.append(
                RemoveLink(
                    blocker_task=task_of.get(link.blocker) or stale[link.blocker],
                    blocked_task=task_of.get(link.blocked) or stale[link.blocked],
                    blocker=link.blocker,
                    blocked=link.blocked,
                )
            )
    removals += [
        RemoveLink(blocker_task=a, blocked_task=b, blocker=keys[0], blocked=keys[1])
        for (a, b), keys in sorted(have.items())
        if (a, b) not in wanted
    ]
    additions: list[Change] = []
    for want in desired.children:
        for dep in want.depends_on:
            if (dep, want.task_id) in have:
                continue
            blocker, blocked = matched.get(dep), matched.get(want.task_id)
            additions.append(
                AddLink(
                    blocker_task=dep,
                    blocked_task=want.task_id,
                    blocker=blocker.key if blocker else None,
                    blocked=blocked.key if blocked else None,
                )
            )
    return removals + additions


def _obsolete_changes(
    desired: Desired, state: TrackerState, matched: Mapping[str, Child]
) -> list[Change]:
    wanted = {want.task_id for want in desired.children}
    first: dict[str, str] = {}
    for child in state.children:
        if child.task_id is not None:
            first.setdefault(child.task_id, child.key)
    changes: list[Change] = []
    for child in state.children:
        if child.task_id is None or child.task_id in wanted:
            continue
        if first[child.task_id] != child.key:
            continue  # a removed task's duplicate: its first child speaks for it
        if not child.obsolete:
            changes.append(
                MarkObsolete(
                    task_id=child.task_id,
                    key=child.key,
                    title=child.title,
                    comment=desired.obsolete_comment,
                )
            )
        if desired.prune and child.status not in (TaskStatus.DONE, TaskStatus.NOT_PLANNED):
            changes.append(CloseChild(task_id=child.task_id, key=child.key, title=child.title))
    return changes
