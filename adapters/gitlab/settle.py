"""After a request whose answer was lost: which of its changes GitLab did carry out, judged
from a fresh read of the story, so that a run finishes what it can see is done and leaves the
rest (made or not) for the next run, which reads it back. Tasks are found by their marker.
"""

from __future__ import annotations

from storyplan.ports import (
    AddLink,
    Applied,
    Change,
    CreateChild,
    LabelStory,
    RemoveLink,
    UpsertPlan,
)

from .blocked_by import blocked_by
from .records import IssueRecord, NoteRecord, child_of, plan_comment, plan_notes
from .story_read import StoryRead


class Settled:
    def __init__(
        self, fresh: StoryRead, tasks: dict[str, IssueRecord], obsolete_label: str
    ) -> None:
        self.fresh = fresh
        self.tasks = tasks  # task id → its oldest child with a trusted marker, as read now
        self.obsolete = obsolete_label

    def applied(self, change: Change) -> Applied | None:
        """`change` as carried out, when the fresh read shows it is; None when it does not."""
        fresh = self.fresh
        if isinstance(change, CreateChild):
            record = self.tasks.get(change.task_id)
            if record is None:
                return None
            return Applied(change=change, child=child_of(record, change.task_id, self.obsolete))
        if isinstance(change, UpsertPlan):
            note = self._plan(change)
            return (
                None
                if note is None
                else Applied(change=change, plan=plan_comment(fresh.story, note.id, note.body))
            )
        if isinstance(change, LabelStory):
            return Applied(change=change) if change.label in fresh.story.labels else None
        if isinstance(change, AddLink | RemoveLink):
            assert change.blocker is not None
            assert change.blocked is not None
            linked = self._linked(change.blocker, change.blocked)
            return Applied(change=change) if linked == isinstance(change, AddLink) else None
        return None

    def _plan(self, change: UpsertPlan) -> NoteRecord | None:
        for note in plan_notes(self.fresh.notes, self.fresh.story.key):
            mine = self.fresh.me is not None and note.author == self.fresh.me
            if note.body == change.body and (mine or str(note.id) == change.key):
                return note
        return None

    def _linked(self, blocker: str, blocked: str) -> bool:
        rows = dict(self.fresh.links.get(blocked, []))
        if rows.get(blocker) == "is_blocked_by":
            return True
        record = next((r for r in self.fresh.children if r.key == blocked), None)
        line = blocked_by(record.description or "", record.project) if record else []
        return rows.get(blocker) == "relates_to" and blocker in line
