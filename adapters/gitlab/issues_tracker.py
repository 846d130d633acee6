"""GitLab where a story's children are issues related to it (`[gitlab] children = "issues"`,
for instances without Task work items), through REST one change at a time: the plan is one
note, dependencies `blocks` links (`dependencies` has the Free-tier fallback). A create whose
answer is lost is looked for by its marker before anything is created again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from storyplan.dispatch import one_by_one
from storyplan.errors import TrackerError
from storyplan.model import Markup, Story
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
    MarkObsolete,
    PlanComment,
    RemoveLink,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.refs import parse_ref

from .blocked_by import with_blocked_by
from .client import GitlabClient
from .dependencies import Dependencies
from .records import IssueRecord, child_of, plan_comment, plan_notes, story_of
from .seen import Seen
from .settings import Credentials, GitlabSettings
from .trust import Trust


class IssuesTracker:
    name = "gitlab"
    markup: Markup = "markdown"
    title_format = "{story} · Task {number}: {title}"

    def __init__(
        self,
        settings: GitlabSettings,
        credentials: Credentials,
        *,
        note_max_chars: int,
        obsolete_label: str = "storyplan:obsolete",
        aliases: dict[str, str] | None = None,
        trusted_authors: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.client = GitlabClient.for_settings(settings, credentials)
        self.limits = Limits(max_comment_chars=note_max_chars)
        # Issues have no native nesting here: the children are related issues.
        self.capabilities = Capabilities(sub_issues=False)
        self.obsolete_label = obsolete_label
        self._aliases = dict(aliases or {})
        self.seen = Seen(self.client)
        self.dependencies = Dependencies(self.seen, settings.blocking_links)
        self.trust = Trust(self.client, trusted_authors)
        self._recent: dict[str, IssueRecord] | None = None  # issues made lately, by task id

    def _child(self, record: IssueRecord, task_id: str | None) -> Child:
        return child_of(self.seen.remember(record), task_id, self.obsolete_label)

    def _task_id(self, record: IssueRecord, story: Story) -> str | None:
        """The task `record` serves, when its marker is for this story and a trusted author
        wrote it; a stranger's marker is ignored, and its issue never edited as a task."""
        task_id = record.task_id(story.ref)
        project = self.seen.story_issue(story.ref).project
        if task_id is None or self.trust.trusted(record.author, project):
            return task_id
        self.trust.ignore(f"issue {record.key}", record.author)
        self.seen.untrusted.add(record.key)
        return None

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        parsed = parse_ref(self._aliases.get(ref, ref), "gitlab")
        issue = self.client.issue(parsed.project, parsed.number, f"read story {parsed.key}")
        # GitLab's own spelling of the path names the story, whatever form the ref took.
        self.seen.stories[issue.key] = issue
        return story_of(issue, parsed.key)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        issue = self.seen.story_issue(story.ref)
        # Oldest first (GitLab lists the hierarchy newest first): a task keeps its oldest child.
        records = sorted(self._read_children(story, issue), key=lambda record: record.id)
        children = tuple(self._child(record, self._task_id(record, story)) for record in records)
        found = self.dependencies.read(records) if with_links else set()
        plans = self.read_plans(story, issue)
        return TrackerState(
            plan=plans[0] if plans else None,
            extra_plans=tuple(plans[1:]),
            children=children,
            links=tuple(sorted(found, key=lambda k: (k.blocker, k.blocked))),
            story_labels=tuple(story.labels),
            notes=tuple(self.trust.ignored),
        )

    def read_plans(self, story: Story, issue: IssueRecord) -> list[PlanComment]:
        """Every plan note for the story by a trusted author, oldest first."""
        plans = []
        notes = self.client.notes(issue, f"read the notes of {story.ref}")
        for note in plan_notes(notes, story.ref):
            if self.trust.trusted(note.author, issue.project):
                plans.append(plan_comment(issue, note.id, note.body))
            else:
                self.trust.ignore("a comment", note.author)
        return plans

    def _related(self, issue: IssueRecord) -> list[IssueRecord]:
        return [row for row in self.seen.links_of(issue) if row.link_type == "relates_to"]

    def _read_children(self, story: Story, issue: IssueRecord) -> list[IssueRecord]:
        return self._related(issue)

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in `project` (group/sub/project) that carries storyplan's label."""
        return [record.key for record in self.client.labelled(project, label)]

    # -- writing: one handler a change kind -------------------------------------------------
    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return one_by_one(self, story, changes)

    def create_child(self, story: Story, change: CreateChild) -> Applied:
        record = self._orphans(story).get(change.task_id) or self._create_issue(story, change)
        what = f"relate the issue of task {change.task_id} to {story.ref}"
        self._relate(story, record, what)
        return Applied(change=change, child=self._child(record, change.task_id))

    def attach_child(self, story: Story, change: AttachChild) -> Applied:
        record = self.seen.issue(change.key)
        self._relate(story, record, f"relate {change.key} to {story.ref}")
        return Applied(change=change, child=self._child(record, None))

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        fields = {"title": change.title, "description": change.body}
        if change.revive:
            fields["remove_labels"] = self.obsolete_label
        record = self.seen.update(self.seen.issue(change.key), f"update {change.key}", **fields)
        return Applied(change=change, child=self._child(record, change.task_id))

    def add_link(self, story: Story, change: AddLink) -> Applied:
        return Applied(change=change, notes=self.dependencies.add(change))

    def remove_link(self, story: Story, change: RemoveLink) -> Applied:
        self.dependencies.remove(change)
        return Applied(change=change)

    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied:
        what = f"mark {change.key} obsolete"
        record = self.seen.update(self.seen.issue(change.key), what, add_labels=self.obsolete_label)
        self.client.create_note(record, change.comment, f"comment on {change.key}")
        return Applied(change=change)

    def close_child(self, story: Story, change: CloseChild) -> Applied:
        self.seen.update(self.seen.issue(change.key), f"close {change.key}", state_event="close")
        return Applied(change=change)

    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied:
        """Say which child the task keeps, then detach, close and label the duplicate."""
        record, kept = self.seen.issue(change.key), self.seen.issue(change.kept)
        what = f"close {change.key} as a duplicate of {change.kept}"
        name = f"#{kept.iid}" if kept.project == record.project else kept.key
        self.client.create_note(record, f"Duplicate of {name}", what)
        row = self.seen.row(self.seen.story_issue(story.ref), record, fresh=False)
        if row is not None and row.link_type == "relates_to":
            self.client.delete_link(self.seen.story_issue(story.ref), row.issue_link_id, what)
        self.seen.update(record, what, state_event="close", add_labels=self.obsolete_label)
        return Applied(change=change)

    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied:
        issue = self.seen.story_issue(story.ref)
        what = f"write the plan note on {story.ref}"
        if change.key is not None:
            note = self.client.update_note(issue, int(change.key), change.body, what)
            return Applied(change=change, plan=plan_comment(issue, note.id, change.body))
        try:
            note = self.client.create_note(issue, change.body, what)
        except TrackerError as err:
            found = self.read_plans(story, issue) if err.unknown_outcome else []
            if not found:
                raise
            return Applied(change=change, plan=found[0])
        return Applied(change=change, plan=plan_comment(issue, note.id, change.body))

    def delete_plan(self, story: Story, change: DeletePlan) -> Applied:
        issue = self.seen.story_issue(story.ref)
        self.client.delete_note(issue, int(change.key), f"delete a second plan note on {story.ref}")
        return Applied(change=change)

    def label_story(self, story: Story, change: LabelStory) -> Applied:
        issue = self.seen.story_issue(story.ref)
        self.seen.update(issue, f"label {story.ref}", add_labels=change.label)
        return Applied(change=change)

    def close_story(self, story: Story, change: CloseStory) -> Applied:
        issue = self.seen.story_issue(story.ref)
        self.seen.update(issue, f"close {story.ref}", state_event="close")
        return Applied(change=change)

    # -- children ---------------------------------------------------------------------------
    def _body(self, story: Story, change: CreateChild, project: str) -> str:
        if not (self.dependencies.fallback and change.depends_on):
            return change.body
        by_task = self.seen.by_task(story.ref)
        blockers = [by_task[dep] for dep in change.depends_on if dep in by_task]
        return with_blocked_by(change.body, blockers, project) if blockers else change.body

    def _orphans(self, story: Story, refresh: bool = False) -> dict[str, IssueRecord]:
        """Issues made for this story, by task id, found by their marker however many issues
        came since: a lost answer's leftovers. The oldest serves its task."""
        if self._recent is None or refresh:
            project = self.seen.story_issue(story.ref).project
            what = f"look for the issues made for {story.ref}"
            self._recent = {}
            marker = f'story="{story.ref}"'
            for record in self.client.marked_issues(project, marker, what):
                task_id = self._task_id(record, story)
                if task_id:
                    self._recent.setdefault(task_id, record)
        return self._recent

    def _create_issue(self, story: Story, change: CreateChild) -> IssueRecord:
        project = self.seen.story_issue(story.ref).project
        what = f"create the issue for task {change.task_id} in {project}"
        body = self._body(story, change, project)
        try:
            return self.client.create_issue(project, change.title, body, change.labels, what)
        except TrackerError as err:
            orphan = self._orphans(story, refresh=True) if err.unknown_outcome else {}
            if change.task_id not in orphan:
                raise
            return orphan[change.task_id]

    def _relate(self, story: Story, record: IssueRecord, what: str) -> None:
        # "exists": related already (a repeated run).
        self.client.create_link(self.seen.story_issue(story.ref), record, "relates_to", what)
