"""An in-memory tracker for testing the core: it implements the port and records writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from storyplan.model import Markup, Story, TaskStatus
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseChild,
    CreateChild,
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
            children=tuple(self.children.values()),
            links=tuple(Link(blocker=a, blocked=b) for a, b in sorted(self.links)),
            story_labels=tuple(sorted(self.labels)),
        )

    def add_existing(self, key: str, title: str) -> None:
        self.existing[key] = title

    def apply(self, story: Story, change: Change) -> Applied:
        from storyplan.errors import TrackerError

        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise TrackerError("the connection was lost")
        self.writes.append(change)
        if isinstance(change, CreateChild):
            self.next_number += 1
            key = f"o/r#{self.next_number}"
            child = Child(key=key, task_id=change.task_id, title=change.title, body=change.body)
            self.children[key] = child
            return Applied(child=child)
        if isinstance(change, AttachChild):
            title = self.existing.get(change.key, change.key)
            child = Child(key=change.key, task_id=None, title=title)
            self.children[change.key] = child
            return Applied(child=child)
        if isinstance(change, UpdateChild):
            child = self.children[change.key].model_copy(
                update={"title": change.title, "body": change.body, "obsolete": False}
            )
            self.children[change.key] = child
            return Applied(child=child)
        if isinstance(change, AddLink):
            assert change.blocker
            assert change.blocked
            self.links.add((change.blocker, change.blocked))
        elif isinstance(change, RemoveLink):
            self.links.discard((change.blocker, change.blocked))
        elif isinstance(change, MarkObsolete):
            child = self.children[change.key].model_copy(update={"obsolete": True})
            self.children[change.key] = child
        elif isinstance(change, CloseChild):
            child = self.children[change.key].model_copy(update={"status": TaskStatus.NOT_PLANNED})
            self.children[change.key] = child
        elif isinstance(change, UpsertPlan):
            self.plan = PlanComment(key=change.key or "c1", body=change.body)
            return Applied(plan=self.plan)
        elif isinstance(change, LabelStory):
            self.labels.add(change.label)
        return Applied()
