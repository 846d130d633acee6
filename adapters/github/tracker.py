"""GitHub as a storyplan tracker: the plan is one issue comment found by its hidden marker,
tasks are native sub-issues, dependencies native "blocked by" links.

Reads and writes go through GraphQL (`reading`, `batch`): one query reads a story and all
it holds, a batch of changes is a few requests of aliased mutations. Where GitHub's schema
lacks a field storyplan needs (an older Enterprise Server), the REST API does it all
instead, said once on stderr.

A create whose answer is lost (no answer, a 5xx) may have been carried out, so storyplan
looks for what it made, by its marker, before it creates anything again. Markers count only
from trusted authors (`trust`). Runs that raced leave extra children and plan comments: the
oldest of each is kept, the others are closed as duplicates or deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from storyplan.adapters.shared import transport
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
from .batch import GraphqlApply
from .client import GithubClient
from .reading import StoryRead, Undefined, read_stories
from .records import Json
from .settings import DEFAULT_BASE_URL, GithubSettings, read_token
from .trust import Trust


class GithubTracker(ActionMethods, GraphqlApply):
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
        story_label: str | None = None,
        label_names: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.task_label = task_label
        self.obsolete_label = obsolete_label
        self.story_label = story_label
        # Labels whose node ids the story read asks for: those storyplan writes.
        names = [*label_names, task_label, story_label, obsolete_label]
        self._label_names = list(dict.fromkeys(n for n in names if n))
        self.trust = Trust(client.whoami, trusted_authors)
        self._issues: dict[str, Json] = {}  # child key → its JSON, for its id
        self._orphans: dict[str, dict[str, Json]] = {}  # story → task → orphan
        self._reads: dict[str, StoryRead] = {}  # story key → what the last read found
        self._prefetched: dict[str, StoryRead | TrackerError] = {}
        self._comment_nodes: dict[str, str] = {}  # comment id → its node id
        self.rest = False  # GraphQL lacks what storyplan needs here: REST does it all

    # -- reading ----------------------------------------------------------------------------
    def _graphql_read(self, keys: list[str]) -> dict[str, StoryRead | TrackerError] | None:
        """The stories read through GraphQL, or None where the schema lacks a field (the
        REST API is then used for the rest of the run, and that is said once)."""
        if self.rest:
            return None
        try:
            return read_stories(self.client, keys, self._label_names)
        except Undefined as missing:
            self.rest = True
            transport.on_wait(
                f"GitHub at {self.client.host} has no {missing} in its GraphQL API (an "
                "older Enterprise Server?); using its REST API, with more requests"
            )
            return None

    def prefetch(self, keys: Sequence[str]) -> None:
        """Read many stories in few requests, for `fetch_story` to take them from."""
        found = self._graphql_read([parse_ref(key, "github").key for key in keys])
        self._prefetched.update(found or {})

    def _remember(self, read: StoryRead) -> StoryRead:
        key = records.key_of(read.story)
        self._reads[key] = read
        for comment in read.comments:
            self._comment_nodes[str(comment["id"])] = str(comment["node_id"])
        for child in read.children:
            self._issues[records.key_of(child)] = child
        return read

    def _reread(self, story: Story) -> StoryRead:
        found = (self._graphql_read([story.ref]) or {}).get(story.ref)
        if found is None:
            raise TrackerError(f"could not read {story.ref} again from GitHub")
        if isinstance(found, TrackerError):
            raise found
        return self._remember(found)

    def fetch_story(self, ref: str) -> Story:
        key = parse_ref(ref, "github").key
        found = self._prefetched.pop(key, None)
        if found is None and not self.rest:
            found = (self._graphql_read([key]) or {}).get(key)
        if isinstance(found, TrackerError):
            raise found
        if found is not None:
            return records.story(self._remember(found).story)
        issue = self.client.issue(key, role="story")
        if records.is_pull_request(issue):
            raise NotFoundError(f"{key} is a pull request, not an issue")
        return records.story(issue)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        if self.rest:
            comments = list(self.client.comments(story.ref))
            issues = list(self.client.sub_issues(story.ref))
        else:
            read = self._reads.get(story.ref) or self._reread(story)
            comments, issues = read.comments, read.children
        plans = [
            records.plan_comment(comment)
            for comment in records.plan_comments(comments, story.ref)
            if self.trust.trusts(comment, "a comment")
        ]
        issues = sorted(issues, key=lambda issue: int(issue["id"]))
        children = []
        for issue in issues:  # by id: oldest first, whatever order a person dragged them in
            child = self._child(story, issue)
            self._issues[child.key] = issue
            children.append(child)
        links: list[Link] = []
        for child in children if with_links else []:
            issue = self._issues[child.key]
            if "blocked_by" in issue:  # read with the story
                blockers: Iterable[Json] = issue["blocked_by"]
            elif records.has_no_blockers(issue):
                continue  # the listing says so: no request
            else:
                blockers = self.client.blocked_by(child.key)
            links += [Link(blocker=records.key_of(b), blocked=child.key) for b in blockers]
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
        read = self._reads.get(story.ref)
        if read is not None and self.task_label and self.task_label.lower() not in read.found:
            return None  # the repository had no task label: no issue can carry it
        if story.ref not in self._orphans or refresh:
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
            self._orphans[story.ref] = found
        return self._orphans[story.ref].get(task_id)

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
        if self.rest:
            return one_by_one(self, story, changes)
        return self.apply_graphql(story, changes)


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
        story_label=settings.labels.story,
        label_names=settings.labels.task,
    )
