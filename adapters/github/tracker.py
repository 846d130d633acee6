"""GitHub as a storyplan tracker: the plan is one issue comment found by its hidden marker,
tasks are native sub-issues, dependencies native "blocked by" links.

A create whose answer is lost (no answer, a 5xx) may have been carried out, so storyplan
looks for what it made, by its marker, before it creates anything again. Markers count only
from trusted authors (`trust`). Runs that raced leave extra children and plan comments: the
oldest of each is kept, the others are closed as duplicates or deleted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from storyplan.adapters.shared.settings import choose_base_url
from storyplan.config import Settings, section
from storyplan.dispatch import one_by_one
from storyplan.errors import NotFoundError, TrackerError
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
    Link,
    MarkObsolete,
    RemoveLink,
    Tracker,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.refs import Ref, parse_ref

from . import records
from .action import ActionMethods
from .client import GithubClient
from .records import Json
from .settings import DEFAULT_BASE_URL, GithubSettings, read_token
from .trust import Trust


class GithubTracker(ActionMethods):
    name = "github"
    markup: Markup = "markdown"
    limits = Limits(max_children=100, max_comment_chars=65_536)
    capabilities = Capabilities()
    title_format = "{story} · Task {number}: {title}"

    def __init__(
        self,
        client: GithubClient,
        *,
        task_label: str | None,
        obsolete_label: str,
        trusted_authors: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.task_label = task_label
        self.obsolete_label = obsolete_label
        self.trust = Trust(client.whoami, trusted_authors)
        self._issues: dict[str, Json] = {}  # child key → its JSON, for its id
        self._orphans: dict[str, Json] | None = None

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        key = parse_ref(ref, "github").key
        issue = self.client.issue(key, role="story")
        if records.is_pull_request(issue):
            raise NotFoundError(f"{key} is a pull request, not an issue")
        return records.story(issue)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        plans = [
            records.plan_comment(comment)
            for comment in records.plan_comments(self.client.comments(story.ref), story.ref)
            if self.trust.trusts(comment, "a comment")
        ]
        issues = sorted(self.client.sub_issues(story.ref), key=lambda issue: int(issue["id"]))
        children = []
        for issue in issues:  # by id: oldest first, whatever order a person dragged them in
            child = self._child(story, issue)
            self._issues[child.key] = issue
            children.append(child)
        links: list[Link] = []
        for child in children if with_links else []:
            if records.has_no_blockers(self._issues[child.key]):
                continue  # the listing says so: no request
            links += [
                Link(blocker=records.key_of(blocker), blocked=child.key)
                for blocker in self.client.blocked_by(child.key)
            ]
        return TrackerState(
            plan=plans[0] if plans else None,
            extra_plans=tuple(plans[1:]),
            children=tuple(children),
            links=tuple(links),
            story_labels=tuple(story.labels),
            notes=self.trust.notes,
        )

    def _child(self, story: Story, issue: Json) -> Child:
        """The child an issue is; a task marker by an author storyplan does not trust is
        ignored, so such an issue is never taken for a task's and never edited."""
        trusted = records.task_of(issue, story.ref) is None or self.trust.trusts(
            issue, records.key_of(issue)
        )
        return records.child(issue, story.ref, self.obsolete_label, trusted=trusted)

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in `project` (owner/repo) that carries storyplan's label, all pages."""
        return [records.key_of(issue) for issue in self.client.search(project, label)]

    def _issue(self, key: str) -> Json:
        if key not in self._issues:
            self._issues[key] = self.client.issue(key)
        return self._issues[key]

    # -- making children ---------------------------------------------------------------------
    def _orphan(self, story: Story, task_id: str, refresh: bool = False) -> Json | None:
        """An issue made for the task by a run whose answer was lost and never attached.

        Read once a run (again after a lost answer): every issue with the task label made
        since the story, newest first, page by page until one older than the story, which
        bounds the pages by the issues made since; an orphan cannot be older than its story.
        """
        if self._orphans is None or refresh:
            project = parse_ref(story.ref, "github").project
            since = records.timestamp(story.created_at) if story.created_at else None
            found: dict[str, Json] = {}
            for issue in self.client.issues_since(project, self.task_label, since):
                if story.created_at and records.created_before(issue, story.created_at):
                    break
                task = records.task_of(issue, story.ref)
                if task is None or self.obsolete_label in records.label_names(issue):
                    continue  # not this story's, or a duplicate closed by an earlier run
                if self.trust.trusts(issue, records.key_of(issue)):
                    found[task] = issue  # newest first: the oldest stays
            self._orphans = found
        return self._orphans.get(task_id)

    def _create(self, story: Story, change: CreateChild) -> Json:
        orphan = self._orphan(story, change.task_id)
        if orphan is not None:
            return orphan  # made by a run whose answer was lost; adopt it
        project = parse_ref(story.ref, "github").project
        try:
            return self.client.create_issue(
                project, change.title, change.body, change.labels, change.task_id
            )
        except TrackerError as err:
            if not err.unknown_outcome:
                raise  # refused: nothing was made
            orphan = self._orphan(story, change.task_id, refresh=True)
            if orphan is None:
                raise
            return orphan

    def _attached(self, story: Story, change: Change, issue: Json, name: str) -> Applied:
        self.client.attach_sub_issue(story.ref, int(issue["id"]), name)
        child = records.child(issue, story.ref, self.obsolete_label)
        self._issues[child.key] = issue
        # The orphan look-up may have met a marker it ignored: said with the report's notes.
        return Applied(change=change, child=child, notes=self.trust.notes)

    # -- the changes, one request or two each ------------------------------------------------
    def create_child(self, story: Story, change: CreateChild) -> Applied:
        issue = self._create(story, change)
        return self._attached(story, change, issue, f"task {change.task_id}")

    def attach_child(self, story: Story, change: AttachChild) -> Applied:
        return self._attached(story, change, self._issue(change.key), change.key)

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        if change.revive:  # first, so the edit's answer shows the child as it now is
            self.client.remove_label(change.key, self.obsolete_label, f"update {change.key}")
        issue = self.client.edit_issue(change.key, title=change.title, body=change.body)
        self._issues[change.key] = issue
        return Applied(change=change, child=records.child(issue, story.ref, self.obsolete_label))

    def add_link(self, story: Story, change: AddLink) -> Applied:
        assert change.blocked is not None  # resolved by the core before a link is made
        assert change.blocker is not None
        self.client.add_blocked_by(change.blocked, self._issue(change.blocker))
        return Applied(change=change)

    def remove_link(self, story: Story, change: RemoveLink) -> Applied:
        self.client.remove_blocked_by(change.blocked, self._issue(change.blocker))
        return Applied(change=change)

    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied:
        what = f"mark {change.key} obsolete"
        self.client.add_label(change.key, self.obsolete_label, what)
        self.client.comment(change.key, change.comment, what)
        return Applied(change=change)

    def close_child(self, story: Story, change: CloseChild) -> Applied:
        self.client.close_issue(change.key, "not_planned")
        return Applied(change=change)

    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied:
        """Say which issue it duplicates, label and close it, and detach it last: a run cut
        short before the detach leaves it listed, and so healed, by the next one."""
        what = f"close {change.key} as a duplicate of {change.kept}"
        kept = parse_ref(change.kept, "github")
        same_repo = kept.project.lower() == parse_ref(change.key, "github").project.lower()
        self.client.comment(
            change.key, f"Duplicate of {kept.short if same_repo else kept.key}", what
        )
        self.client.add_label(change.key, self.obsolete_label, what)
        self.client.close_issue(change.key, "duplicate")
        self.client.detach_sub_issue(story.ref, int(self._issue(change.key)["id"]), change.key)
        return Applied(change=change)

    def delete_plan(self, story: Story, change: DeletePlan) -> Applied:
        what = f"delete a second plan comment on {story.ref}"
        self.client.delete_comment(story.ref, int(change.key), what)
        return Applied(change=change)

    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied:
        what = f"write the plan comment on {story.ref}"
        if change.key is None:
            comment = self.client.comment(story.ref, change.body, what)
        else:
            comment = self.client.edit_comment(story.ref, int(change.key), change.body, what)
        return Applied(change=change, plan=records.plan_comment(comment))

    def label_story(self, story: Story, change: LabelStory) -> Applied:
        self.client.add_label(story.ref, change.label, f"label {story.ref}")
        return Applied(change=change)

    def close_story(self, story: Story, change: CloseStory) -> Applied:
        self.client.close_issue(story.ref, "completed")
        return Applied(change=change)

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return one_by_one(self, story, changes)


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    github = section(settings, GithubSettings, "github")
    base_url = choose_base_url(
        option=options.get("base_url"),
        from_ref=ref.base_url,
        configured=github.base_url,
        default=DEFAULT_BASE_URL,
    )
    github = github.model_copy(update={"base_url": base_url})
    return GithubTracker(
        GithubClient(github, read_token(github)),
        task_label=settings.labels.task[0] if settings.labels.task else None,
        obsolete_label=settings.labels.obsolete,
        trusted_authors=settings.trust.authors,
    )
