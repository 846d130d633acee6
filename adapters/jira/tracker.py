"""Jira Cloud and Data Center (REST v2): the plan is one comment on the story, each task a
sub-task of it, each dependency a "Blocks" issue link. Jira text has no hidden markup, so
storyplan's bookkeeping lives in one `storyplan` entity property per issue: on the story,
which comment is the plan; on each sub-task, its story and task id. Both come back with the
story read and the one `parent = KEY` search, so reading a story's state costs two requests.

A sub-task is created with its entity property in the same request, so one made by a run
whose answer was lost is found again by the next read, and is never made twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from storyplan import markers
from storyplan.config import Settings, section
from storyplan.errors import (
    AuthError,
    CapabilityError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    TrackerError,
)
from storyplan.model import Markup, Story
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
    MarkObsolete,
    PlanComment,
    RemoveLink,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.refs import Ref, parse_ref

from .client import JiraApi, Json, translate
from .records import (
    CHILD_FIELDS,
    PROPERTY,
    STORY_FIELDS,
    blocks_links,
    child_from,
    normalise,
    pick_transition,
    story_from,
    storyplan_property,
)
from .settings import JiraSettings, read_credentials, site_url
from .types import JiraTypes

__all__ = ["JiraSettings", "JiraTracker", "create_tracker", "read_credentials"]

COMPLETED = ("Done", "Closed", "Resolved", "Complete", "Completed")
# A refusal that says nothing was made; anything else may hide a create whose answer was lost.
DEFINITE = (AuthError, ForbiddenError, NotFoundError, RateLimitError)


class JiraTracker:
    name = "jira"
    markup: Markup = "jira"
    limits = Limits(max_children=None, max_comment_chars=32_767)
    capabilities = Capabilities()
    title_format = "Task {number}: {title}"  # Jira shows a sub-task's parent beside it

    def __init__(self, settings: JiraSettings, api: JiraApi) -> None:
        self.settings = settings
        self.api = api
        self.site = api.url
        self.obsolete_label = "storyplan:obsolete"
        self._stories: dict[str, Json] = {}  # story key → the story as read, property included
        self._recorded: dict[str, bool] = {}  # story key → its property names its plan comment
        self._children: dict[str, Child] = {}  # by key: what apply reports back
        self._link_ids: dict[tuple[str, str], str] = {}  # (blocker, blocked) → link id
        self.types = JiraTypes(api, settings)

    def _translate(self, what: str) -> AbstractContextManager[None]:
        return translate(what, self.api.host, self.api.hint)

    def _browse(self, key: str) -> str:
        return f"{self.site}/browse/{key}"

    def _story_json(self, story: Story) -> Json:
        if story.ref not in self._stories:
            self.fetch_story(story.ref)
        return self._stories[story.ref]

    def _project(self, story: Story) -> str:
        return str(((self._story_json(story).get("fields") or {}).get("project") or {})["key"])

    def _record(self, story: Story, **values: Any) -> None:
        """Merge `values` into the story's `storyplan` property (one write)."""
        raw = self._story_json(story)
        value = storyplan_property(raw) | values
        with self._translate(f"record storyplan's bookkeeping on {story.ref}"):
            self.api.put(f"issue/{story.ref}/properties/{PROPERTY}", value)
        raw.setdefault("properties", {})[PROPERTY] = value

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        key = parse_ref(ref, "jira").key
        params = {"fields": ",".join(STORY_FIELDS), "properties": PROPERTY}
        with self._translate(f"read story {key}"):
            raw: Json = self.api.get(f"issue/{key}", params)
        fields = raw.get("fields") or {}
        if (fields.get("issuetype") or {}).get("subtask"):
            parent = (fields.get("parent") or {}).get("key")
            instead = f" (such as its parent {parent})" if parent else ""
            raise CapabilityError(
                f"{key} is a sub-task and Jira has only one level of sub-tasks; run storyplan "
                f"on a story that is not a sub-task{instead}"
            )
        self._stories[key] = raw
        return story_from(raw, key, self._browse(key))

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        # Links come with the sub-task search at no extra cost, so `with_links` changes nothing.
        raw = self._story_json(story)
        plan = self._find_plan(story, raw)
        found = self._search_children(story)
        attached = [str(k) for k in storyplan_property(raw).get("attached") or []]
        missing = [k for k in attached if k not in {str(item["key"]) for item in found}]
        if missing:
            found += self._read_issues(missing)
        children = [self._child(item, story) for item in found]
        project = self._project(story)
        for item, child in zip(found, children, strict=True):
            if child.task_id is not None:
                self.types.saw_subtask(project, (item.get("fields") or {}).get("issuetype"))
        links, seen = blocks_links(found, self.settings.blocks_inward, self.settings.blocks_outward)
        self._link_ids = {(link.blocker, link.blocked): id_ for id_, link in links.items()}
        self.types.saw_link_type(seen)
        return TrackerState(
            plan=plan,
            children=tuple(children),
            links=tuple(dict.fromkeys(links.values())),
            story_labels=tuple(story.labels),
        )

    def _read_issues(self, keys: list[str]) -> list[Json]:
        """Existing issues attached as tasks: one search, or one read each if one is gone."""
        fields, wanted = list(CHILD_FIELDS), ", ".join(keys)
        try:
            with self._translate("read the issues attached as tasks"):
                return self.api.search(f"key in ({wanted}) ORDER BY key ASC", fields, [PROPERTY])
        except DEFINITE:
            raise
        except TrackerError:  # JQL refuses a key that no longer exists
            found = []
            for key in keys:
                try:
                    with self._translate(f"read {key}"):
                        found.append(self.api.get(f"issue/{key}", {"fields": ",".join(fields)}))
                except NotFoundError:
                    continue  # deleted or moved out of sight: no longer a task's issue
            return found

    def _child(self, raw: Json, story: Story) -> Child:
        story_id = str(self._stories.get(story.ref, {}).get("id") or "")
        child = child_from(raw, story.ref, story_id, self._browse(raw["key"]), self.obsolete_label)
        self._children[child.key] = child
        return child

    def _search_children(self, story: Story) -> list[Json]:
        with self._translate(f"list the sub-tasks of {story.ref}"):
            return self.api.search(
                f"parent = {story.ref} ORDER BY key ASC", list(CHILD_FIELDS), [PROPERTY]
            )

    def _comment(self, story: Story, raw: Json) -> PlanComment:
        url = f"{self._browse(story.ref)}?focusedCommentId={raw['id']}"
        return PlanComment(key=str(raw["id"]), body=normalise(raw.get("body")), url=url)

    def _find_plan(self, story: Story, raw: Json) -> PlanComment | None:
        """The comment the story's property names, else the one with the plan's anchor."""
        recorded = str(storyplan_property(raw).get("plan") or "")
        page = (raw.get("fields") or {}).get("comment") or {}
        comments: list[Json] = list(page.get("comments") or [])
        complete = len(comments) >= int(page.get("total") or 0)
        found = next((c for c in comments if str(c.get("id")) == recorded), None)
        if found is None and recorded and not complete:
            try:
                with self._translate(f"read the plan comment of {story.ref}"):
                    found = self.api.get(f"issue/{story.ref}/comment/{recorded}")
            except NotFoundError:
                found = None  # deleted by a person: a new plan comment is made
        if found is None:
            # Made by a run that stopped before it recorded it: adopt it.
            if not complete:
                comments = self._all_comments(story)
            found = next((c for c in comments if self._is_plan(c)), None)
        self._recorded[story.ref] = found is not None and str(found.get("id")) == recorded
        return self._comment(story, found) if found is not None else None

    @staticmethod
    def _is_plan(comment: Json) -> bool:
        return markers.read_identity(str(comment.get("body") or ""), "plan", "jira") is not None

    def _all_comments(self, story: Story) -> list[Json]:
        comments: list[Json] = []
        with self._translate(f"read the comments of {story.ref}"):
            while True:
                params = {"startAt": str(len(comments)), "maxResults": "100"}
                page = self.api.get(f"issue/{story.ref}/comment", params)
                comments.extend(page.get("comments") or [])
                if not page.get("comments") or len(comments) >= int(page.get("total") or 0):
                    return comments

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in project `project` (a key) that carries storyplan's label."""
        jql = f'project = "{project}" AND labels = "{label}" ORDER BY key ASC'
        with self._translate(f"search project {project} for stories labelled {label}"):
            return [str(raw["key"]) for raw in self.api.search(jql, ["summary"], [])]

    # -- lookups for writing ----------------------------------------------------------------
    # -- writing ----------------------------------------------------------------------------
    def _create(self, story: Story, change: CreateChild) -> Child:
        project = self._project(story)
        body = normalise(change.body)
        mark = {
            "story": story.ref,
            "storyId": str(self._story_json(story).get("id")),
            "task": change.task_id,
        }
        request = {
            "fields": {
                "project": {"key": project},
                "parent": {"key": story.ref},
                "issuetype": {"id": self.types.subtask(project)},
                "summary": change.title,
                "description": body,
                "labels": list(change.labels),
            },
            # Written with the issue in one request: a made sub-task always says its task.
            "properties": [{"key": PROPERTY, "value": mark}],
        }
        what = f"create the sub-task for task {change.task_id} under {story.ref}"
        try:
            with self._translate(what):
                made = self.api.post("issue", request)
        except DEFINITE:
            raise
        except TrackerError:
            # The answer may be lost while the sub-task was made: look before giving up.
            try:
                found = self._search_children(story)
            except TrackerError:
                found = []
            orphan = [self._child(raw, story) for raw in found]
            adopted = next((c for c in orphan if c.task_id == change.task_id), None)
            if adopted is None:
                raise
            return adopted
        child = Child(
            key=str(made["key"]),
            task_id=change.task_id,
            title=change.title,
            body=body,
            url=self._browse(str(made["key"])),
            labels=change.labels,
        )
        self._children[child.key] = child
        return child

    def _attach(self, story: Story, change: AttachChild) -> Child:
        """An existing issue serves a task as it is: the story's property lists it, so the
        next read finds it (it cannot become a sub-task, and it is a person's to edit)."""
        with self._translate(f"read {change.key} to attach it to {story.ref}"):
            raw = self.api.get(f"issue/{change.key}", {"fields": ",".join(CHILD_FIELDS)})
        listed = [str(k) for k in storyplan_property(self._story_json(story)).get("attached") or []]
        if change.key not in listed:
            self._record(story, attached=[*listed, change.key])
        return self._child(raw, story)

    def _update(self, change: UpdateChild) -> Child:
        body = normalise(change.body)
        request: Json = {"fields": {"summary": change.title, "description": body}}
        if change.revive:
            request["update"] = {"labels": [{"remove": self.obsolete_label}]}
        with self._translate(f"update {change.key}"):
            self.api.put(f"issue/{change.key}", request)
        old = self._children.get(change.key) or Child(
            key=change.key, task_id=change.task_id, title="", url=self._browse(change.key)
        )
        labels = tuple(label for label in old.labels if label != self.obsolete_label)
        child = old.model_copy(
            update={"title": change.title, "body": body, "obsolete": False, "labels": labels}
        )
        self._children[child.key] = child
        return child

    def _finish(self, key: str, preferred: list[str]) -> None:
        """Move `key` to a done-category status by a transition offered from where it is."""
        with self._translate(f"read the transitions of {key}"):
            listed: list[Json] = self.api.get(f"issue/{key}/transitions").get("transitions") or []
        chosen = pick_transition(listed, preferred)
        if chosen is None:
            raise CapabilityError(
                f"{key} has no transition to a done status from where it is; close it by hand"
            )
        with self._translate(f"close {key}"):
            self.api.post(f"issue/{key}/transitions", {"transition": {"id": str(chosen["id"])}})

    def _upsert_plan(self, story: Story, change: UpsertPlan) -> PlanComment:
        body = normalise(change.body)
        what = f"write the plan comment on {story.ref}"
        if change.key is not None:
            with self._translate(what):
                raw = self.api.put(f"issue/{story.ref}/comment/{change.key}", {"body": body})
        else:
            try:
                with self._translate(what):
                    raw = self.api.post(f"issue/{story.ref}/comment", {"body": body})
            except DEFINITE:
                raise
            except TrackerError:
                try:
                    lost = next((c for c in self._all_comments(story) if self._is_plan(c)), None)
                except TrackerError:
                    lost = None
                if lost is None:
                    raise
                raw = lost
            self._recorded[story.ref] = False
        plan = self._comment(story, {"id": raw.get("id", change.key), "body": body})
        if not self._recorded.get(story.ref):
            self._record(story, plan=plan.key)
            self._recorded[story.ref] = True
        return plan

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        for change in changes:
            yield self.apply_one(story, change)

    def apply_one(self, story: Story, change: Change) -> Applied:
        if isinstance(change, CreateChild):
            return Applied(change=change, child=self._create(story, change))
        if isinstance(change, AttachChild):
            return Applied(change=change, child=self._attach(story, change))
        if isinstance(change, UpdateChild):
            return Applied(change=change, child=self._update(change))
        if isinstance(change, AddLink):
            assert change.blocker is not None
            assert change.blocked is not None
            # "Blocks" posted with inwardIssue=A, outwardIssue=B reads "A blocks B".
            request = {
                "type": {"id": self.types.blocks().id},
                "inwardIssue": {"key": change.blocker},
                "outwardIssue": {"key": change.blocked},
            }
            with self._translate(f"link {change.blocked} as blocked by {change.blocker}"):
                self.api.post("issueLink", request)
            return Applied(change=change)
        if isinstance(change, RemoveLink):
            link_id = self._link_ids.get((change.blocker, change.blocked))
            if link_id is not None:
                try:
                    with self._translate(f"unlink {change.blocked} from {change.blocker}"):
                        self.api.delete(f"issueLink/{link_id}")
                except NotFoundError:
                    pass  # already gone
            return Applied(change=change)
        if isinstance(change, MarkObsolete):
            note = change.comment
            edit: Json = {
                "update": {
                    "labels": [{"add": self.obsolete_label}],
                    "comment": [{"add": {"body": note}}],
                }
            }
            with self._translate(f"mark {change.key} obsolete"):
                self.api.put(f"issue/{change.key}", edit)
            return Applied(change=change)
        if isinstance(change, CloseChild):  # dropped: "Won't Do" rather than "Done"
            self._finish(change.key, self.settings.prune_statuses)
            return Applied(change=change)
        if isinstance(change, CloseStory):
            self._finish(story.ref, list(COMPLETED))
            return Applied(change=change)
        if isinstance(change, UpsertPlan):
            return Applied(change=change, plan=self._upsert_plan(story, change))
        if isinstance(change, LabelStory):
            with self._translate(f"label {story.ref}"):
                self.api.put(f"issue/{story.ref}", {"update": {"labels": [{"add": change.label}]}})
            return Applied(change=change)
        raise CapabilityError(f"Jira cannot {change.kind.replace('_', ' ')}")


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> JiraTracker:
    jira = section(settings, JiraSettings, "jira")
    url = site_url(ref, jira, options.get("base_url"))
    api = JiraApi(
        url,
        read_credentials(url, jira.auth),
        timeout=jira.timeout,
        retries=jira.retries,
        max_retry_delay=jira.max_retry_delay,
    )
    tracker = JiraTracker(jira, api)
    tracker.obsolete_label = settings.labels.obsolete
    return tracker
