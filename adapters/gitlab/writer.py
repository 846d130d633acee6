"""Carrying out one change on GitLab, each in as few writes as the API allows.

Creates are never repeated blindly: when a create's answer is lost, what storyplan made is
looked for by its marker. Dependencies become `blocks` links; where the tier refuses them
(403 "Blocked issues not available for current license") the run falls back, once and
announced, to a `relates_to` link plus a "Blocked by" line in the blocked task.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import gitlab
import httpx
import requests
from gql.transport.exceptions import TransportError, TransportQueryError

from storyplan import markers
from storyplan.errors import CapabilityError, TrackerError
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Change,
    CloseChild,
    CloseStory,
    CreateChild,
    LabelStory,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    UpdateChild,
    UpsertPlan,
)

from .blocked_by import blocked_by, with_blocked_by
from .client import IssueRecord, LinkRow, translate
from .work_items import MutationError

if TYPE_CHECKING:
    from .tracker import GitlabTracker

UNLICENSED = "Blocked issues not available for current license"
LABEL_COLOR = "#6699cc"


class Unlicensed(Exception):
    """The tier refused a blocking link; the caller falls back."""


def lost(err: TrackerError) -> bool:
    """Whether the failure may hide a write that was made: no answer at all, or a 5xx.

    `translate` raises from None, which hides the SDK's exception from tracebacks but keeps
    it as the context; a 4xx or a GraphQL error is a definite refusal and is not looked into.
    """
    cause = err.__context__
    if isinstance(cause, gitlab.GitlabError):
        return cause.response_code is not None and cause.response_code >= 500
    return isinstance(cause, requests.RequestException | httpx.HTTPError | TransportError) and (
        not isinstance(cause, TransportQueryError)
    )


class Writer:
    def __init__(self, tracker: GitlabTracker) -> None:
        self.t = tracker
        self.detected = False  # this run's first blocking link was refused
        self.announced = False
        self._labels: dict[tuple[str, str], str] = {}
        self._recent: dict[str, IssueRecord] | None = None

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        for change in changes:
            yield self.apply_one(story, change)

    def apply_one(self, story: Story, change: Change) -> Applied:
        t = self.t
        if isinstance(change, CreateChild):
            record = self._create(story, change)
            return Applied(change=change, child=t.child(record, story))
        if isinstance(change, AttachChild):
            record = t.issue(change.key)
            self._relate(story, record, f"relate {change.key} to {story.ref}")
            return Applied(change=change, child=t.child(record, story))
        if isinstance(change, UpdateChild):
            record = t.issue(change.key)
            fields: dict[str, str] = {"title": change.title, "description": change.body}
            if change.revive:
                fields["remove_labels"] = t.obsolete_label
            record = self._update(record, f"update {change.key}", **fields)
            return Applied(change=change, child=t.child(record, story))
        if isinstance(change, AddLink):
            return self._add_link(change)
        if isinstance(change, RemoveLink):
            self._remove_link(change)
            return Applied(change=change)
        if isinstance(change, MarkObsolete):
            record = self._update(
                t.issue(change.key), f"mark {change.key} obsolete", add_labels=t.obsolete_label
            )
            with translate(f"comment on {change.key}", t.where):
                comment = change.comment
                t.rest.create_note(record.project, record.iid, comment)
            return Applied(change=change)
        if isinstance(change, CloseChild):
            self._update(t.issue(change.key), f"close {change.key}", state_event="close")
            return Applied(change=change)
        if isinstance(change, UpsertPlan):
            return Applied(change=change, plan=self._upsert_plan(story, change))
        if isinstance(change, LabelStory):
            self._update(t.story_issue(story), f"label {story.ref}", add_labels=change.label)
            return Applied(change=change)
        if isinstance(change, CloseStory):
            self._update(t.story_issue(story), f"close {story.ref}", state_event="close")
            return Applied(change=change)
        raise AssertionError(change)

    @property
    def fallback(self) -> bool:
        """Whether dependencies are written as related links with a Blocked by line."""
        mode = self.t.settings.blocking_links
        if mode == "auto":
            # A story whose tasks already use the line keeps using it: one form per story.
            return self.detected or self.t.lines_in_use
        return mode == "relates_to"

    def _body(self, change: CreateChild, project: str) -> str:
        """A new child's description, with its Blocked by line when the fallback is known."""
        keys = [self.t.by_task[dep] for dep in change.depends_on if dep in self.t.by_task]
        if not self.fallback or not keys:
            return change.body
        return with_blocked_by(change.body, keys, project)

    def _update(self, record: IssueRecord, what: str, **fields: str) -> IssueRecord:
        with translate(what, self.t.where):
            updated = self.t.rest.update_issue(record.project, record.iid, **fields)
        self.t.issues[updated.key] = updated
        return updated

    # -- children ---------------------------------------------------------------------------
    def _create(self, story: Story, change: CreateChild) -> IssueRecord:
        if self.t.tasks:
            record = self._create_task(story, change)
        else:
            record = self._orphans(story).get(change.task_id) or self._create_issue(story, change)
            what = f"relate the issue of task {change.task_id} to {story.ref}"
            self._relate(story, record, what)
        self.t.by_task[change.task_id] = record.key
        return record

    def _create_task(self, story: Story, change: CreateChild) -> IssueRecord:
        t = self.t
        issue = t.story_issue(story)
        what = f"create the task for {change.task_id} under {story.ref}"
        with translate(what, t.where, "work items"):
            task_type = t.task_type or t.work_items.task_type(issue.project)
        if task_type is None:
            raise CapabilityError(f"Task work items are not available in {issue.project}")
        labels = [self._label(issue.project, name) for name in change.labels]
        try:
            with translate(what, t.where, "work items"):
                record = t.work_items.create_task(
                    issue.project,
                    issue.project_id,  # a task is made in its story's project
                    task_type=task_type,
                    title=change.title,
                    description=self._body(change, issue.project),
                    parent=issue.gid,
                    labels=labels,
                )
        except MutationError as err:
            raise TrackerError(f"GitLab refused to {what} ({err})") from None
        except TrackerError as err:
            if not lost(err):
                raise
            # The answer may be lost while the task was made: it is a child already.
            found = self._adopt_task(story, issue, change.task_id)
            if found is None:
                raise
            return found
        return record.model_copy(update={"labels": tuple(change.labels)})

    def _adopt_task(self, story: Story, issue: IssueRecord, task_id: str) -> IssueRecord | None:
        for record in self.t.child_tasks(story, issue):
            mark = markers.read_identity(record.description or "", "task")
            if mark and mark.get("story") == story.ref and mark.get("id") == task_id:
                return record
        return None

    def _orphans(self, story: Story, refresh: bool = False) -> dict[str, IssueRecord]:
        """Issues storyplan made for this story lately, by task id: a lost answer's leftovers."""
        if self._recent is None or refresh:
            issue = self.t.story_issue(story)
            with translate(f"look for the issues made for {story.ref}", self.t.where):
                recent = self.t.rest.recent_issues(issue.project, self.t.task_label, "issue")
            self._recent = {}
            for record in recent:
                mark = markers.read_identity(record.description or "", "task")
                if mark and mark.get("story") == story.ref and mark.get("id"):
                    self._recent.setdefault(mark["id"], record)
        return self._recent

    def _create_issue(self, story: Story, change: CreateChild) -> IssueRecord:
        project = self.t.story_issue(story).project
        what = f"create the issue for task {change.task_id} in {project}"
        try:
            with translate(what, self.t.where):
                body = self._body(change, project)
                return self.t.rest.create_issue(project, change.title, body, change.labels)
        except TrackerError as err:
            if not lost(err):
                raise
            orphan = self._orphans(story, refresh=True).get(change.task_id)
            if orphan is None:
                raise
            return orphan

    def _relate(self, story: Story, record: IssueRecord, what: str) -> None:
        issue = self.t.story_issue(story)
        with translate(what, self.t.where):
            try:
                self.t.rest.create_link(issue, record, "relates_to")
            except gitlab.GitlabHttpError as err:
                if err.response_code != 409:  # 409: related already (a repeated run)
                    raise

    def _label(self, project: str, name: str) -> str:
        """The global id of a label, made if the project has none of that name."""
        if (project, name) not in self._labels:
            rest = self.t.rest
            with translate(f"find or make the label {name} in {project}", self.t.where):
                label = rest.label(project, name)
                if label is None:
                    try:
                        label = rest.create_label(project, name, LABEL_COLOR)
                    except gitlab.GitlabHttpError as err:
                        if err.response_code != 409 or (label := rest.label(project, name)) is None:
                            raise
            self._labels[(project, name)] = label.gid
        return self._labels[(project, name)]

    # -- plan -------------------------------------------------------------------------------
    def _upsert_plan(self, story: Story, change: UpsertPlan) -> PlanComment:
        t = self.t
        issue = t.story_issue(story)
        what = f"write the plan note on {story.ref}"
        if change.key is not None:
            with translate(what, t.where):
                note = t.rest.update_note(issue.project, issue.iid, int(change.key), change.body)
            return t.plan_comment(issue, note.id, change.body)
        try:
            with translate(what, t.where):
                note = t.rest.create_note(issue.project, issue.iid, change.body)
        except TrackerError as err:
            found = t.read_plan(story, issue) if lost(err) else None
            if found is None:
                raise
            return found
        return t.plan_comment(issue, note.id, change.body)

    # -- dependencies -----------------------------------------------------------------------
    def _add_link(self, change: AddLink) -> Applied:
        t = self.t
        assert change.blocker is not None
        assert change.blocked is not None
        blocker, blocked = t.issue(change.blocker), t.issue(change.blocked)
        what = f"link {change.blocked} as blocked by {change.blocker}"
        if not self.fallback:
            try:
                self._block(blocker, blocked, what)
                return Applied(change=change)
            except Unlicensed:
                if t.settings.blocking_links == "blocks":
                    raise CapabilityError(
                        f"blocking issue links are not available on the GitLab at {t.where.host} "
                        f'(403: {UNLICENSED}); set [gitlab] blocking_links = "auto" to fall '
                        "back to related links with a Blocked by line"
                    ) from None
                self.detected = True
        self._line_link(blocker, blocked, what)
        return Applied(change=change, notes=self._announce())

    def _announce(self) -> tuple[str, ...]:
        """Once a run, unless config chose the fallback: why dependencies are not links."""
        if self.announced or self.t.settings.blocking_links == "relates_to":
            return ()
        self.announced = True
        how = (
            'so each dependency is a "relates to" link plus a "Blocked by" line in the '
            "blocked task's description"
        )
        if self.detected:
            return (
                f"the GitLab at {self.t.where.host} has no blocking issue links on this tier "
                f"(403: {UNLICENSED}), {how}",
            )
        return (
            f"this story's tasks already keep their dependencies without blocking links, {how}",
        )

    def _block(self, blocker: IssueRecord, blocked: IssueRecord, what: str) -> None:
        t = self.t
        with translate(what, t.where):
            try:
                t.rest.create_link(blocker, blocked, "blocks")
                return
            except gitlab.GitlabHttpError as err:
                if err.response_code == 403 and UNLICENSED in str(err.error_message):
                    raise Unlicensed from None
                if err.response_code != 409:
                    raise
            # 409: the two are linked already; make sure it is this link, in this direction.
            row = self._row(blocker, blocked, fresh=True)
            if row is not None and row.link_type == "blocks":
                return
            if row is not None:
                t.rest.delete_link(blocker, row.issue_link_id)
            t.rest.create_link(blocker, blocked, "blocks")

    def _row(self, one: IssueRecord, other: IssueRecord, *, fresh: bool) -> LinkRow | None:
        return next((r for r in self.t.links_of(one, fresh=fresh) if r.key == other.key), None)

    def _line_link(self, blocker: IssueRecord, blocked: IssueRecord, what: str) -> None:
        t = self.t
        with translate(f"{what} (as related, with a Blocked by line)", t.where):
            try:
                t.rest.create_link(blocked, blocker, "relates_to")
            except gitlab.GitlabHttpError as err:
                if err.response_code != 409:
                    raise
        keys = blocked_by(blocked.description or "", blocked.project)
        if blocker.key not in keys:
            body = with_blocked_by(blocked.description or "", [*keys, blocker.key], blocked.project)
            self._update(blocked, f"add the Blocked by line to {blocked.key}", description=body)

    def _remove_link(self, change: RemoveLink) -> None:
        t = self.t
        blocker, blocked = t.issue(change.blocker), t.issue(change.blocked)
        what = f"unlink {change.blocked} from its blocker {change.blocker}"
        keys = blocked_by(blocked.description or "", blocked.project)
        if blocker.key in keys:
            rest = [key for key in keys if key != blocker.key]
            body = with_blocked_by(blocked.description or "", rest, blocked.project)
            self._update(blocked, f"update the Blocked by line of {blocked.key}", description=body)
            row = self._row(blocked, blocker, fresh=True)
            if row is None or row.link_type != "relates_to":
                return
        else:
            row = self._row(blocker, blocked, fresh=blocker.key not in t.links)
            if row is None:
                row = self._row(blocked, blocker, fresh=True)
            if row is None:
                return  # gone already
        with translate(what, t.where):
            try:
                t.rest.delete_link(blocked, row.issue_link_id)
            except gitlab.GitlabHttpError as err:
                if err.response_code != 404:  # 404: removed already (a repeated run)
                    raise
