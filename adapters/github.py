"""GitHub: the plan is one issue comment found by its hidden marker, tasks are native
sub-issues, dependencies are native "blocked by" links. PyGithub stays inside this module.

Writes are never repeated by the transport: a POST whose answer is lost (dropped
connection, 502) may have been carried out, so storyplan looks for what it made, by its
marker, before it creates anything again.
"""

from __future__ import annotations

import os
from typing import Any

from github import Auth, Github, GithubException, Issue, PaginatedList, Repository
from github.GithubException import (
    UnknownObjectException,
)
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from urllib3.util.retry import Retry

from storyplan import markers
from storyplan.config import Settings, section
from storyplan.errors import (
    AuthError,
    NotFoundError,
    TrackerError,
)
from storyplan.model import Markup, Story, TaskStatus
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseChild,
    CloseStory,
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
from storyplan.refs import Ref, parse_ref

from .github_errors import translate

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


class GithubSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.github.com"
    timeout: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0)
    # GitHub asks integrations to space out writes to stay clear of secondary limits.
    seconds_between_writes: float = Field(default=1.0, ge=0)
    # Items per page when listing (GitHub's maximum is 100: fewer pages, fewer requests).
    page_size: int = Field(default=100, ge=1, le=100)
    obsolete_comment: str = (
        "storyplan: this task was removed from the plan of {story}; it is kept for its "
        "history. Close it when it is no longer needed."
    )
    # Only ever from STORYPLAN_GITHUB__TOKEN: the config file refuses secrets.
    token: SecretStr | None = None


def read_token(settings: GithubSettings | None = None) -> SecretStr:
    if settings is not None and settings.token is not None:
        return settings.token
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return SecretStr(value)
    raise AuthError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) in the environment")


class GithubTracker:
    name = "github"
    markup: Markup = "markdown"
    limits = Limits(max_children=100, max_comment_chars=65_536)
    capabilities = Capabilities()
    title_format = "{story} · Task {number}: {title}"

    def __init__(self, settings: GithubSettings, token: SecretStr, labels: Any = None) -> None:
        self.settings = settings
        self.host = settings.base_url.split("//", 1)[-1].split("/", 1)[0]
        retry = Retry(
            total=settings.retries,
            backoff_factor=0.5,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=IDEMPOTENT,  # never POST: a lost answer may hide a made issue
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.gh = Github(
            auth=Auth.Token(token.get_secret_value()),
            base_url=settings.base_url,
            timeout=int(settings.timeout),
            per_page=settings.page_size,
            retry=retry,
            seconds_between_requests=None,
            seconds_between_writes=settings.seconds_between_writes or None,
            lazy=True,
        )
        self.task_label: str | None = None
        self.obsolete_label = "storyplan:obsolete"
        self._repos: dict[str, Repository.Repository] = {}
        self._issues: dict[str, Issue.Issue] = {}  # child key → issue, to link by id
        self._stories: dict[str, Issue.Issue] = {}  # story ref → its issue
        self._recent: list[Issue.Issue] | None = None

    # -- helpers ----------------------------------------------------------------------------
    def _repo(self, full_name: str) -> Repository.Repository:
        if full_name not in self._repos:
            self._repos[full_name] = self.gh.get_repo(full_name)
        return self._repos[full_name]

    @staticmethod
    def _key(issue: Issue.Issue) -> str:
        repo = issue.repository_url.rstrip("/").split("/repos/", 1)[-1]
        return f"{repo}#{issue.number}"

    def _child(self, issue: Issue.Issue, story: Story) -> Child:
        body = issue.body or ""
        mark = markers.read_identity(body, "task")
        task_id = mark.get("id") if mark and mark.get("story") == story.ref else None
        labels = tuple(label.name for label in issue.labels)
        if issue.state == "closed":
            status = (
                TaskStatus.NOT_PLANNED if issue.state_reason == "not_planned" else TaskStatus.DONE
            )
        else:
            status = TaskStatus.OPEN
        key = self._key(issue)
        self._issues[key] = issue
        return Child(
            key=key,
            task_id=task_id,
            title=issue.title,
            body=body,
            url=issue.html_url,
            status=status,
            obsolete=self.obsolete_label in labels,
            labels=labels,
        )

    def _story(self, story: Story) -> Issue.Issue:
        if story.ref not in self._stories:
            ref = parse_ref(story.ref, "github")
            self._stories[story.ref] = self._repo(ref.project).get_issue(int(ref.number))
        return self._stories[story.ref]

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        parsed = parse_ref(ref, "github")
        with translate(f"read story {parsed.key}", self.host):
            issue = self._repo(parsed.project).get_issue(int(parsed.number))
            issue.update()  # the one GET that reads the story
            if issue.pull_request is not None:
                raise NotFoundError(f"{parsed.key} is a pull request, not an issue")
        self._stories[parsed.key] = issue
        return Story(
            ref=parsed.key,
            title=issue.title,
            body=issue.body or "",
            url=issue.html_url,
            labels=[label.name for label in issue.labels],
            assignees=[user.login for user in issue.assignees],
            author=issue.user.login if issue.user else None,
            created_at=issue.created_at,
            updated_at=issue.updated_at,
            state=issue.state,
            source=parsed.key,
        )

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        issue = self._story(story)
        with translate(f"read the comments of {story.ref}", self.host):
            plan = None
            for comment in issue.get_comments():
                mark = markers.read_identity(comment.body or "", "plan")
                if mark is not None and mark.get("story") == story.ref:
                    plan = PlanComment(key=str(comment.id), body=comment.body, url=comment.html_url)
                    self._plan_comment = comment
                    break
        with translate(f"list the sub-issues of {story.ref}", self.host, "sub-issues"):
            children = [self._child(sub, story) for sub in issue.get_sub_issues()]
        links: list[Link] = []
        with translate(
            f"list the dependencies of {story.ref}'s sub-issues", self.host, "issue dependencies"
        ):
            for child in children if with_links else []:
                sub = self._issues[child.key]
                # Read the listing's own data: touching a missing attribute would cost a GET.
                summary = sub._rawData.get("issue_dependencies_summary") or {}
                if summary.get("total_blocked_by") == 0:
                    continue  # the listing says there is nothing to read
                for blocker in sub.get_blocked_by():
                    links.append(Link(blocker=self._key(blocker), blocked=child.key))
        return TrackerState(
            plan=plan,
            children=tuple(children),
            links=tuple(links),
            story_labels=tuple(story.labels),
        )

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in `project` (owner/repo) that carries storyplan's label, all pages."""
        query = f'repo:{project} is:issue label:"{label}"'
        with translate(f"search {project} for stories labelled {label}", self.host):
            return [self._key(issue) for issue in self.gh.search_issues(query)]

    # -- what the GitHub Action needs beyond the port ---------------------------------------
    def permission(self, project: str, login: str) -> str:
        """`login`'s access to `project`: admin, write (maintain too), read (triage too) or
        none. Someone GitHub does not know in that repository has none."""
        with translate(f"read the permission of {login} on {project}", self.host):
            try:
                return self._repo(project).get_collaborator_permission(login)
            except UnknownObjectException:
                return "none"

    def reply(self, ref: str, body: str) -> str | None:
        """Post `body` as a new comment on issue `ref` (never the plan comment); its URL."""
        parsed = parse_ref(ref, "github")
        with translate(f"comment on {parsed.key}", self.host):
            issue = self._stories.get(parsed.key) or self._repo(parsed.project).get_issue(
                int(parsed.number)
            )
            return issue.create_comment(body).html_url

    def parent_of(self, ref: str) -> Story | None:
        """The issue `ref` is a sub-issue of, or None: no parent, or no sub-issues here."""
        parsed = parse_ref(ref, "github")
        url = f"{self._repo(parsed.project).url}/issues/{parsed.number}/parent"
        with translate(f"read the parent of {parsed.key}", self.host):
            try:
                _, data = self.gh.requester.requestJsonAndCheck("GET", url)
            except UnknownObjectException:
                return None
        project = str(data["repository_url"]).rstrip("/").split("/repos/", 1)[-1]
        return Story(
            ref=f"{project}#{data['number']}",
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            url=data.get("html_url"),
            labels=[str(label["name"]) for label in data.get("labels") or []],
            state=str(data.get("state") or "open"),
            source=f"{project}#{data['number']}",
        )

    # -- writing ----------------------------------------------------------------------------
    def _recent_children(self, story: Story, refresh: bool = False) -> dict[str, Issue.Issue]:
        """Issues storyplan made for this story lately, by task id: a lost answer's leftovers."""
        if self._recent is None or refresh:
            ref = parse_ref(story.ref, "github")
            listing: PaginatedList.PaginatedList[Issue.Issue] = self._repo(ref.project).get_issues(
                state="all",
                labels=[self.task_label] if self.task_label else [],
                sort="created",
                direction="desc",
            )
            self._recent = list(listing.get_page(0))
        found: dict[str, Issue.Issue] = {}
        for issue in self._recent:
            mark = markers.read_identity(issue.body or "", "task")
            if mark and mark.get("story") == story.ref and mark.get("id"):
                found.setdefault(mark["id"], issue)
        return found

    def _attach(self, story: Story, issue: Issue.Issue, what: str) -> None:
        with translate(f"attach {what} as a sub-issue of {story.ref}", self.host, "sub-issues"):
            try:
                self._story(story).add_sub_issue(issue.id)
            except GithubException as err:
                # A repeated attach (its first answer was lost) is not an error.
                if err.status == 422 and self._is_sub_issue(story, issue):
                    return
                raise

    def _is_sub_issue(self, story: Story, issue: Issue.Issue) -> bool:
        return any(sub.id == issue.id for sub in self._story(story).get_sub_issues())

    def _create(self, story: Story, change: CreateChild) -> Issue.Issue:
        with translate(f"look for the sub-issue of task {change.task_id}", self.host):
            orphan = self._recent_children(story).get(change.task_id)
        if orphan is not None:
            return orphan  # made by a run whose answer was lost; adopt it
        ref = parse_ref(story.ref, "github")
        what = f"create the sub-issue for task {change.task_id} in {ref.project}"
        try:
            with translate(what, self.host):
                return self._repo(ref.project).create_issue(
                    title=change.title, body=change.body, labels=list(change.labels)
                )
        except TrackerError:
            # The answer may be lost while the issue was made: look before giving up.
            with translate(f"look for the sub-issue of task {change.task_id}", self.host):
                orphan = self._recent_children(story, refresh=True).get(change.task_id)
            if orphan is None:
                raise
            return orphan

    def _issue(self, key: str) -> Issue.Issue:
        if key not in self._issues:
            ref = parse_ref(key, "github")
            with translate(f"read issue {key}", self.host):
                issue = self._repo(ref.project).get_issue(int(ref.number))
                issue.update()
            self._issues[key] = issue
        return self._issues[key]

    def apply(self, story: Story, change: Change) -> Applied:
        if isinstance(change, CreateChild):
            issue = self._create(story, change)
            self._attach(story, issue, f"task {change.task_id}")
            return Applied(child=self._child(issue, story))
        if isinstance(change, AttachChild):
            issue = self._issue(change.key)
            self._attach(story, issue, change.key)
            return Applied(child=self._child(issue, story))
        if isinstance(change, UpdateChild):
            issue = self._issue(change.key)
            with translate(f"update {change.key}", self.host):
                issue.edit(title=change.title, body=change.body)
                if "revived" in change.fields:
                    issue.remove_from_labels(self.obsolete_label)
            return Applied(child=self._child(issue, story))
        if isinstance(change, AddLink | RemoveLink):
            assert change.blocker is not None
            assert change.blocked is not None
            blocked, blocker = self._issue(change.blocked), self._issue(change.blocker)
            verb = "link" if isinstance(change, AddLink) else "unlink"
            what = f"{verb} {change.blocked} as blocked by {change.blocker}"
            with translate(what, self.host, "issue dependencies"):
                if isinstance(change, AddLink):
                    blocked.add_blocked_by(blocker)
                else:
                    blocked.remove_blocked_by(blocker)
            return Applied()
        if isinstance(change, MarkObsolete):
            issue = self._issue(change.key)
            with translate(f"mark {change.key} obsolete", self.host):
                issue.add_to_labels(self.obsolete_label)
                issue.create_comment(self.settings.obsolete_comment.format(story=story.ref))
            return Applied()
        if isinstance(change, CloseChild):
            issue = self._issue(change.key)
            with translate(f"close {change.key}", self.host):
                issue.edit(state="closed", state_reason="not_planned")
            return Applied()
        if isinstance(change, UpsertPlan):
            issue = self._story(story)
            with translate(f"write the plan comment on {story.ref}", self.host):
                if change.key is None:
                    comment = issue.create_comment(change.body)
                else:
                    comment = issue.get_comment(int(change.key))
                    comment.edit(change.body)
            return Applied(
                plan=PlanComment(key=str(comment.id), body=change.body, url=comment.html_url)
            )
        if isinstance(change, CloseStory):
            with translate(f"close {story.ref}", self.host):
                self._story(story).edit(state="closed", state_reason="completed")
            return Applied()
        if isinstance(change, LabelStory):
            with translate(f"label {story.ref}", self.host):
                self._story(story).add_to_labels(change.label)
            return Applied()
        raise AssertionError(change)


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> GithubTracker:
    github = section(settings, GithubSettings, "github")
    # The command line wins, then a host named by the story's URL, then the config.
    base_url = options.get("base_url") or ref.base_url
    if base_url:
        github = github.model_copy(update={"base_url": base_url.rstrip("/")})
    tracker = GithubTracker(github, read_token(github))
    tracker.task_label = settings.labels.task[0] if settings.labels.task else None
    tracker.obsolete_label = settings.labels.obsolete
    return tracker
