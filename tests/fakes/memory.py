"""An in-memory tracker for testing the core: it implements the port and records writes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from storyplan.dispatch import one_by_one
from storyplan.model import Markup, Story, TaskStatus
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseChild,
    CloseDuplicate,
    CloseStory,
    CreateChild,
    DeletePlan,
    LabelStory,
    Limits,
    Link,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)


@dataclass
class MemoryTracker:
    story: Story
    name: str = "memory"
    markup: Markup = "markdown"
    limits: Limits = field(default_factory=Limits)
    capabilities: Capabilities = field(default_factory=Capabilities)
    title_format: str = "{story} · Task {number}: {title}"
    children: dict[str, Child] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)
    plan: PlanComment | None = None
    extra_plans: list[PlanComment] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    writes: list[Change] = field(default_factory=list)
    reads: int = 0
    fail_after: int | None = None  # raise on the write after this many
    next_number: int = 100
    existing: dict[str, str] = field(default_factory=dict)  # key → title of issues that exist

    def fetch_story(self, ref: str) -> Story:
        self.reads += 1
        return self.story

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        self.reads += 1
        return TrackerState(
            plan=self.plan,
            extra_plans=tuple(self.extra_plans),
            children=tuple(self.children.values()),
            links=tuple(Link(blocker=a, blocked=b) for a, b in sorted(self.links)),
            story_labels=tuple(sorted(self.labels)),
        )

    def find_planned(self, project: str, label: str) -> list[str]:
        return [self.story.ref] if label in self.labels else []

    def add_existing(self, key: str, title: str) -> None:
        self.existing[key] = title

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return one_by_one(self, story, changes)

    def _write(self, change: Change) -> None:
        from storyplan.errors import TrackerError

        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise TrackerError("the connection was lost")
        self.writes.append(change)

    def _set(self, change: Change, key: str, **update: object) -> Applied:
        self._write(change)
        self.children[key] = self.children[key].model_copy(update=update)
        return Applied(change=change, child=self.children[key])

    def create_child(self, story: Story, change: CreateChild) -> Applied:
        self._write(change)
        self.next_number += 1
        key = f"o/r#{self.next_number}"
        child = Child(key=key, task_id=change.task_id, title=change.title, body=change.body)
        self.children[key] = child
        return Applied(change=change, child=child)

    def attach_child(self, story: Story, change: AttachChild) -> Applied:
        self._write(change)
        title = self.existing.get(change.key, change.key)
        self.children[change.key] = Child(key=change.key, task_id=None, title=title)
        return Applied(change=change, child=self.children[change.key])

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        return self._set(change, change.key, title=change.title, body=change.body, obsolete=False)

    def add_link(self, story: Story, change: AddLink) -> Applied:
        self._write(change)
        assert change.blocker
        assert change.blocked
        self.links.add((change.blocker, change.blocked))
        return Applied(change=change)

    def remove_link(self, story: Story, change: RemoveLink) -> Applied:
        self._write(change)
        self.links.discard((change.blocker, change.blocked))
        return Applied(change=change)

    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied:
        return self._set(change, change.key, obsolete=True)

    def close_child(self, story: Story, change: CloseChild) -> Applied:
        return self._set(change, change.key, status=TaskStatus.NOT_PLANNED)

    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied:
        return self._set(change, change.key, status=TaskStatus.NOT_PLANNED, obsolete=True)

    def delete_plan(self, story: Story, change: DeletePlan) -> Applied:
        self._write(change)
        self.extra_plans = [plan for plan in self.extra_plans if plan.key != change.key]
        return Applied(change=change)

    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied:
        self._write(change)
        self.plan = PlanComment(key=change.key or "c1", body=change.body)
        return Applied(change=change, plan=self.plan)

    def label_story(self, story: Story, change: LabelStory) -> Applied:
        self._write(change)
        self.labels.add(change.label)
        return Applied(change=change)

    def close_story(self, story: Story, change: CloseStory) -> Applied:
        self._write(change)
        return Applied(change=change)
