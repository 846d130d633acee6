"""Changes dispatched by type in one place, for trackers that carry them out one at a time.

An adapter that cannot batch implements `ChangeHandlers` and answers `Tracker.apply` with
`one_by_one`; one that can (GraphQL aliases, bulk create) writes its own `apply` and may
still hand the changes it cannot batch to `dispatch`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Change,
    CloseChild,
    CloseDuplicate,
    CloseStory,
    CreateChild,
    DeletePlan,
    LabelStory,
    MarkObsolete,
    RemoveLink,
    UpdateChild,
    UpsertPlan,
)


class ChangeHandlers(Protocol):
    """One method a change kind; each carries out its change or raises."""

    def create_child(self, story: Story, change: CreateChild) -> Applied: ...
    def attach_child(self, story: Story, change: AttachChild) -> Applied: ...
    def update_child(self, story: Story, change: UpdateChild) -> Applied: ...
    def add_link(self, story: Story, change: AddLink) -> Applied: ...
    def remove_link(self, story: Story, change: RemoveLink) -> Applied: ...
    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied: ...
    def close_child(self, story: Story, change: CloseChild) -> Applied: ...
    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied: ...
    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied: ...
    def delete_plan(self, story: Story, change: DeletePlan) -> Applied: ...
    def label_story(self, story: Story, change: LabelStory) -> Applied: ...
    def close_story(self, story: Story, change: CloseStory) -> Applied: ...


def dispatch(handlers: ChangeHandlers, story: Story, change: Change) -> Applied:
    """The handler for `change`'s kind; a new kind fails type checking here, nowhere else."""
    match change:
        case CreateChild():
            return handlers.create_child(story, change)
        case AttachChild():
            return handlers.attach_child(story, change)
        case UpdateChild():
            return handlers.update_child(story, change)
        case AddLink():
            return handlers.add_link(story, change)
        case RemoveLink():
            return handlers.remove_link(story, change)
        case MarkObsolete():
            return handlers.mark_obsolete(story, change)
        case CloseChild():
            return handlers.close_child(story, change)
        case CloseDuplicate():
            return handlers.close_duplicate(story, change)
        case UpsertPlan():
            return handlers.upsert_plan(story, change)
        case DeletePlan():
            return handlers.delete_plan(story, change)
        case LabelStory():
            return handlers.label_story(story, change)
        case CloseStory():
            return handlers.close_story(story, change)


def one_by_one(
    handlers: ChangeHandlers, story: Story, changes: Sequence[Change]
) -> Iterator[Applied]:
    """`Tracker.apply` for a tracker that writes one change per request."""
    for change in changes:
        yield dispatch(handlers, story, change)
