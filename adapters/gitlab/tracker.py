"""GitLab: the plan is one note found by its hidden marker, tasks are child Task work items of
the story (or, by config, issues related to it), dependencies are `blocks` issue links.
python-gitlab (REST and GraphQL) stays inside the gitlab_* modules.

Where the tier has no blocking links, the first refused link switches the run to `relates_to`
links plus a "Blocked by" line in the blocked task, and the run says so once. A create whose
answer is lost is looked for by its marker before anything is created again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from storyplan import markers
from storyplan.adapters.shared.settings import choose_base_url
from storyplan.config import Settings, section
from storyplan.errors import CapabilityError, NotFoundError
from storyplan.model import Markup, Story, TaskStatus
from storyplan.ports import (
    Applied,
    Capabilities,
    Change,
    Child,
    Limits,
    Link,
    PlanComment,
    TrackerState,
)
from storyplan.refs import Ref, parse_ref

from .blocked_by import blocked_by
from .client import (
    Endpoint,
    IssueRecord,
    LinkRow,
    Rest,
    translate,
)
from .settings import DEFAULT_BASE_URL, Credentials, GitlabSettings, read_credentials
from .work_items import WorkItems
from .writer import Writer

NOTE_MAX_CHARS = 1_000_000  # GitLab's Note::MAX_NOTE_LENGTH
MAX_CHILD_TASKS = 5000  # GitLab's WorkItems::ParentLink::MAX_CHILDREN


class GitlabTracker:
    name = "gitlab"
    markup: Markup = "markdown"
    title_format = "{story} · Task {number}: {title}"

    def __init__(
        self,
        settings: GitlabSettings,
        credentials: Credentials,
        *,
        task_label: str | None = None,
        obsolete_label: str = "storyplan:obsolete",
        aliases: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.where = Endpoint(settings.base_url or DEFAULT_BASE_URL, credentials.variable)
        self.rest = Rest(
            self.where, credentials, timeout=settings.timeout, retries=settings.retries
        )
        self.tasks = settings.children == "tasks"
        self.limits = Limits(
            max_children=MAX_CHILD_TASKS if self.tasks else None,
            max_comment_chars=NOTE_MAX_CHARS,
        )
        # Issues mode has no native nesting: its children are related issues.
        self.capabilities = Capabilities(sub_issues=self.tasks)
        self.task_label = task_label
        self.obsolete_label = obsolete_label
        self._aliases = dict(aliases or {})
        self._work_items: WorkItems | None = None
        self._stories: dict[str, IssueRecord] = {}  # story ref → its issue
        self.issues: dict[str, IssueRecord] = {}  # child key → the issue as last seen
        self.links: dict[str, list[LinkRow]] = {}  # issue key → its links as last read
        self.task_type: str | None = None
        self.by_task: dict[str, str] = {}  # task id → its child's key
        self.lines_in_use = False  # a child keeps its dependencies in a Blocked by line
        self._writer = Writer(self)

    @property
    def work_items(self) -> WorkItems:
        if self._work_items is None:
            self._work_items = WorkItems(
                self.where,
                self.credentials,
                timeout=self.settings.timeout,
                retries=self.settings.retries,
            )
        return self._work_items

    # -- helpers ----------------------------------------------------------------------------
    def story_issue(self, story: Story) -> IssueRecord:
        if story.ref not in self._stories:
            parsed = parse_ref(story.ref, "gitlab")
            with translate(f"read story {story.ref}", self.where):
                self._stories[story.ref] = self.rest.issue(parsed.project, parsed.number)
        return self._stories[story.ref]

    def issue(self, key: str) -> IssueRecord:
        if key not in self.issues:
            parsed = parse_ref(key, "gitlab")
            with translate(f"read issue {key}", self.where):
                self.issues[key] = self.rest.issue(parsed.project, parsed.number)
        return self.issues[key]

    def links_of(self, record: IssueRecord, *, fresh: bool = False) -> list[LinkRow]:
        if fresh or record.key not in self.links:
            with translate(f"read the links of {record.key}", self.where):
                self.links[record.key] = self.rest.links(record.project, record.iid)
        return self.links[record.key]

    def child(self, record: IssueRecord, story: Story) -> Child:
        body = record.description or ""
        mark = markers.read_identity(body, "task")
        task_id = mark.get("id") if mark and mark.get("story") == story.ref else None
        obsolete = self.obsolete_label in record.labels
        if record.state == "opened":
            status = TaskStatus.OPEN
        else:
            status = TaskStatus.NOT_PLANNED if obsolete else TaskStatus.DONE
        self.issues[record.key] = record
        if task_id is not None:
            self.by_task[task_id] = record.key
        return Child(
            key=record.key,
            task_id=task_id,
            title=record.title,
            body=body,
            url=record.web_url or None,
            status=status,
            obsolete=obsolete,
            labels=record.labels,
        )

    def plan_comment(self, issue: IssueRecord, note_id: int, body: str) -> PlanComment:
        return PlanComment(key=str(note_id), body=body, url=f"{issue.web_url}#note_{note_id}")

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        parsed = parse_ref(self._aliases.get(ref, ref), "gitlab")
        with translate(f"read story {parsed.key}", self.where):
            issue = self.rest.issue(parsed.project, parsed.number)
        # GitLab's own spelling of the path names the story, whatever form the ref took.
        self._stories[issue.key] = issue
        return Story(
            ref=issue.key,
            title=issue.title,
            body=issue.description or "",
            url=issue.web_url or None,
            labels=list(issue.labels),
            assignees=[user.username for user in issue.assignees],
            author=issue.author.username if issue.author else None,
            created_at=issue.created_at,
            updated_at=issue.updated_at,
            state="open" if issue.state == "opened" else "closed",
            source=parsed.key,
        )

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        issue = self.story_issue(story)
        plan = self.read_plan(story, issue)
        records = self._read_children(story, issue)
        children = tuple(self.child(record, story) for record in records)
        found = self._read_links(records) if with_links else set()
        return TrackerState(
            plan=plan,
            children=children,
            links=tuple(sorted(found, key=lambda k: (k.blocker, k.blocked))),
            story_labels=tuple(story.labels),
        )

    def read_plan(self, story: Story, issue: IssueRecord) -> PlanComment | None:
        with translate(f"read the notes of {story.ref}", self.where):
            for note in self.rest.notes(issue.project, issue.iid):
                mark = None if note.system else markers.read_identity(note.body, "plan")
                if mark is not None and mark.get("story") == story.ref:
                    return self.plan_comment(issue, note.id, note.body)
        return None

    def _related(self, issue: IssueRecord) -> list[LinkRow]:
        return [row for row in self.links_of(issue) if row.link_type == "relates_to"]

    def _read_children(self, story: Story, issue: IssueRecord) -> list[IssueRecord]:
        if not self.tasks:
            return list(self._related(issue))
        records = self.child_tasks(story, issue)
        # An existing issue a task names is related to the story: GitLab nests only tasks.
        known = {record.key for record in records}
        records.extend(row for row in self._related(issue) if row.key not in known)
        return records

    def child_tasks(self, story: Story, issue: IssueRecord) -> list[IssueRecord]:
        with translate(f"list the child tasks of {story.ref}", self.where, "work items"):
            hierarchy = self.work_items.hierarchy(issue.project, issue.gid)
        if not hierarchy.story_found:
            raise NotFoundError(
                f"could not list the child tasks of {story.ref}: GitLab's GraphQL API at "
                f"{self.where.host} does not show it to this token ({self.credentials.variable}; "
                "a CI job token may not reach GraphQL)"
            )
        if hierarchy.task_type is None:
            raise CapabilityError(
                f"Task work items are not available in {issue.project} on the GitLab at "
                f'{self.where.host}; set [gitlab] children = "issues" '
                "(STORYPLAN_GITLAB__CHILDREN=issues) to plan with issues related to the story"
            )
        self.task_type = hierarchy.task_type
        by_project: dict[str, list[int]] = {}
        for project, iid in hierarchy.children:
            by_project.setdefault(project, []).append(iid)
        records: list[IssueRecord] = []
        with translate(f"read the child tasks of {story.ref}", self.where):
            for project, iids in by_project.items():
                records.extend(self.rest.issues(project, iids))
        return records

    def _read_links(self, records: list[IssueRecord]) -> set[Link]:
        keys = {record.key for record in records}
        found: set[Link] = set()
        for record in records:
            for blocker in blocked_by(record.description or "", record.project):
                if blocker in keys:
                    found.add(Link(blocker=blocker, blocked=record.key))
                    self.lines_in_use = True
            if self.settings.blocking_links == "relates_to":
                continue  # configured: every dependency is a line, no blocking links to read
            # GitLab counts the open issues each one blocks: a link to an open issue is read
            # from its blocker, one to a closed issue from the closed issue itself.
            if record.blocking_issues_count == 0 and record.state == "opened":
                continue
            for row in self.links_of(record):
                if row.key not in keys:
                    continue
                if row.link_type == "blocks":
                    found.add(Link(blocker=record.key, blocked=row.key))
                elif row.link_type == "is_blocked_by":
                    found.add(Link(blocker=row.key, blocked=record.key))
        return found

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in `project` (group/sub/project) that carries storyplan's label."""
        with translate(f"list the issues of {project} labelled {label}", self.where):
            return [record.key for record in self.rest.labelled(project, label)]

    # -- writing ----------------------------------------------------------------------------
    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return self._writer.apply(story, changes)


def base_url_for(option: str | None, ref: Ref, configured: GitlabSettings) -> str:
    """The instance's root, by the shared precedence, without an API suffix."""
    base = choose_base_url(
        option=option,
        from_ref=ref.base_url,
        configured=configured.base_url,
        default=DEFAULT_BASE_URL,
    )
    return base.removesuffix("/api/v4").removesuffix("/api/graphql")


def aliases_for(ref: Ref, base_url: str) -> dict[str, str]:
    """A URL ref under a relative URL root names the project with the root in front."""
    root = urlsplit(base_url).path.strip("/")
    if not (root and ref.base_url and ref.number and ref.project.startswith(root + "/")):
        return {}
    project = ref.project[len(root) + 1 :]
    return {ref.key: f"{project}#{ref.number}"}


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> GitlabTracker:
    gitlab = section(settings, GitlabSettings, "gitlab")
    base_url = base_url_for(options.get("base_url"), ref, gitlab)
    gitlab = gitlab.model_copy(update={"base_url": base_url})
    return GitlabTracker(
        gitlab,
        read_credentials(gitlab),
        task_label=settings.labels.task[0] if settings.labels.task else None,
        obsolete_label=settings.labels.obsolete,
        aliases=aliases_for(ref, base_url),
    )
