"""Jira Cloud and Data Center (REST v2): the plan is one comment on the story, each task a
sub-task of it, each dependency a "Blocks" issue link. Jira text has no hidden markup, so
storyplan's bookkeeping lives in one `storyplan` entity property per issue: on the story,
which comment is the plan; on each sub-task, its story and task id. Both come back with the
story read and the one `parent = KEY` search, so reading a story's state costs two requests.

A sub-task is created with its entity property in the same request, so one made by a run
whose answer was lost is found again by the next read, and is never made twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from storyplan.config import Settings, section
from storyplan.dispatch import one_by_one
from storyplan.errors import CapabilityError, NotFoundError, TrackerError
from storyplan.model import Markup, Story, TaskStatus
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
    Tracker,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.refs import Ref, parse_ref

from . import closing, plan_comment
from .client import JiraApi, Json
from .records import (
    CHILD_FIELDS,
    PROPERTY,
    STORY_FIELDS,
    blocks_links,
    child_from,
    normalise,
    story_from,
    storyplan_property,
)
from .settings import JiraSettings, read_credentials, site_url
from .trust import Trust
from .types import JiraTypes

__all__ = ["JiraTracker", "create_tracker"]


class JiraTracker:
    name = "jira"
    markup: Markup = "jira"
    limits = Limits(max_children=None, max_comment_chars=32_767)
    capabilities = Capabilities()
    title_format = "Task {number}: {title}"  # Jira shows a sub-task's parent beside it

    def __init__(
        self,
        settings: JiraSettings,
        api: JiraApi,
        obsolete_label: str,
        trusted_authors: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.api = api
        self.site = api.url
        self.obsolete_label = obsolete_label
        self.trust = Trust(api.whoami, trusted_authors)
        self._stories: dict[str, Json] = {}  # story key → the story as read, property included
        self._recorded: dict[str, bool] = {}  # story key → its property names its plan comment
        self._plans: dict[str, str] = {}  # story key → the id of the plan comment it keeps
        self._children: dict[str, Child] = {}  # by key: what apply reports back
        self._link_ids: dict[tuple[str, str], str] = {}  # (blocker, blocked) → link id
        self.types = JiraTypes(api, settings)

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
        what = f"record storyplan's bookkeeping on {story.ref}"
        self.api.put(f"issue/{story.ref}/properties/{PROPERTY}", value, what=what)
        raw.setdefault("properties", {})[PROPERTY] = value

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        key = parse_ref(ref, "jira").key
        params = {"fields": ",".join(STORY_FIELDS), "properties": PROPERTY}
        raw = self.api.get(f"issue/{key}", what=f"read story {key}", params=params)
        fields = raw.get("fields") or {}
        if (fields.get("issuetype") or {}).get("subtask"):
            parent = (fields.get("parent") or {}).get("key")
            instead = f" (such as its parent {parent})" if parent else ""
            raise CapabilityError(
                f"{key} is a sub-task and Jira has only one level of sub-tasks; run storyplan "
                f"on a story that is not a sub-task{instead}"
            )
        # Jira answers with the issue's own key whatever the case it was asked in (and the
        # new key of a moved issue): storyplan's markers and records use that one.
        key = str(raw.get("key") or key)
        self._stories[key] = raw
        return story_from(raw, key, self._browse(key))

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        # Links come with the sub-task search at no extra cost, so `with_links` changes nothing.
        raw = self._story_json(story)
        found_plans = plan_comment.find_plans(self.api, story.ref, raw, self.trust)
        plans = [self._comment(story, comment) for comment in found_plans.comments]
        self._recorded[story.ref] = bool(plans) and plans[0].key == found_plans.recorded
        if plans:
            self._plans[story.ref] = plans[0].key
        found = self._search_children(story)
        attached = [str(k) for k in storyplan_property(raw).get("attached") or []]
        missing = [k for k in attached if k not in {str(item["key"]) for item in found}]
        if missing:
            found += self._read_issues(missing)
        # An attached issue is a person's: whatever its property says, it is no task's child.
        children = [self._child(item, story, str(item["key"]) in attached) for item in found]
        project = self._project(story)
        for item, child in zip(found, children, strict=True):
            if child.task_id is not None:
                self.types.saw_subtask(project, (item.get("fields") or {}).get("issuetype"))
        links, seen = blocks_links(found, self.settings.blocks_inward, self.settings.blocks_outward)
        self._link_ids = {(link.blocker, link.blocked): id_ for id_, link in links.items()}
        self.types.saw_link_type(seen)
        return TrackerState(
            plan=plans[0] if plans else None,
            extra_plans=tuple(plans[1:]),
            children=tuple(children),
            links=tuple(dict.fromkeys(links.values())),
            story_labels=tuple(story.labels),
            notes=self.trust.notes,
        )

    def _read_issues(self, keys: list[str]) -> list[Json]:
        """Existing issues attached as tasks: one search, or one read each if one is gone."""
        jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
        what = "read the issues attached as tasks"
        try:
            return self.api.search(jql, list(CHILD_FIELDS), [PROPERTY], what=what)
        except TrackerError as err:
            if type(err) is not TrackerError:  # refused for a reason a per-key read shares
                raise
        found = []  # JQL refuses a key that no longer exists: read the rest one by one
        params = {"fields": ",".join(CHILD_FIELDS)}
        for key in keys:
            try:
                found.append(self.api.get(f"issue/{key}", what=f"read {key}", params=params))
            except NotFoundError:
                continue  # deleted or moved out of sight: no longer a task's issue
        return found

    def _child(self, raw: Json, story: Story, attached: bool = False) -> Child:
        story_id = str(self._stories.get(story.ref, {}).get("id") or "")
        child = child_from(raw, story.ref, story_id, self._browse(raw["key"]), self.obsolete_label)
        if attached:
            child = child.model_copy(update={"task_id": None})
        self._children[child.key] = child
        return child

    def _search_children(self, story: Story) -> list[Json]:
        """Every sub-task of the story, oldest first (issue ids grow as issues are made)."""
        jql = f"parent = {story.ref} ORDER BY key ASC"
        what = f"list the sub-tasks of {story.ref}"
        found = self.api.search(jql, list(CHILD_FIELDS), [PROPERTY], what=what)
        return sorted(found, key=lambda raw: int(str(raw.get("id") or 0)))

    def _comment(self, story: Story, raw: Json) -> PlanComment:
        url = f"{self._browse(story.ref)}?focusedCommentId={raw['id']}"
        return PlanComment(key=str(raw["id"]), body=normalise(raw.get("body")), url=url)

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in project `project` (a key) that carries storyplan's label."""
        jql = f'project = "{project}" AND labels = "{label}" ORDER BY key ASC'
        what = f"search project {project} for stories labelled {label}"
        return [str(raw["key"]) for raw in self.api.search(jql, ["summary"], [], what=what)]

    # -- writing ----------------------------------------------------------------------------
    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return one_by_one(self, story, changes)

    def create_child(self, story: Story, change: CreateChild) -> Applied:
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
            made = self.api.post("issue", request, what=what)
        except TrackerError as err:
            if not err.unknown_outcome:
                raise
            # The answer was lost, so the sub-task may have been made: look before giving up.
            adopted = self._find_made(story, change.task_id)
            if adopted is None:
                raise
            return Applied(change=change, child=adopted)
        key = str(made["key"])
        child = Child(
            key=key,
            task_id=change.task_id,
            title=change.title,
            body=body,
            url=self._browse(key),
            labels=change.labels,
        )
        self._children[child.key] = child
        return Applied(change=change, child=child)

    def _find_made(self, story: Story, task_id: str) -> Child | None:
        try:
            found = self._search_children(story)
        except TrackerError:
            return None
        return next(
            (c for c in (self._child(r, story) for r in found) if c.task_id == task_id), None
        )

    def attach_child(self, story: Story, change: AttachChild) -> Applied:
        """An existing issue serves a task as it is: the story's property lists it, so the
        next read finds it (it cannot become a sub-task, and it is a person's to edit)."""
        raw = self.api.get(
            f"issue/{change.key}",
            what=f"read {change.key} to attach it to {story.ref}",
            params={"fields": ",".join(CHILD_FIELDS)},
        )
        listed = [str(k) for k in storyplan_property(self._story_json(story)).get("attached") or []]
        if change.key not in listed:
            self._record(story, attached=[*listed, change.key])
        return Applied(change=change, child=self._child(raw, story))

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        body = normalise(change.body)
        request: Json = {"fields": {"summary": change.title, "description": body}}
        if change.revive:
            request["update"] = {"labels": [{"remove": self.obsolete_label}]}
        self.api.put(f"issue/{change.key}", request, what=f"update {change.key}")
        old = self._children.get(change.key) or Child(
            key=change.key, task_id=change.task_id, title="", url=self._browse(change.key)
        )
        labels = tuple(label for label in old.labels if label != self.obsolete_label)
        child = old.model_copy(
            update={"title": change.title, "body": body, "obsolete": False, "labels": labels}
        )
        self._children[child.key] = child
        return Applied(change=change, child=child)

    def add_link(self, story: Story, change: AddLink) -> Applied:
        assert change.blocker is not None
        assert change.blocked is not None
        # "Blocks" posted with inwardIssue=A, outwardIssue=B reads "A blocks B".
        request = {
            "type": {"id": self.types.blocks().id},
            "inwardIssue": {"key": change.blocker},
            "outwardIssue": {"key": change.blocked},
        }
        what = f"link {change.blocked} as blocked by {change.blocker}"
        self.api.post("issueLink", request, what=what)
        return Applied(change=change)

    def remove_link(self, story: Story, change: RemoveLink) -> Applied:
        link_id = self._link_ids.get((change.blocker, change.blocked))
        if link_id is not None:
            what = f"unlink {change.blocked} from {change.blocker}"
            with contextlib.suppress(NotFoundError):  # already gone
                self.api.delete(f"issueLink/{link_id}", what=what)
        return Applied(change=change)

    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied:
        edit: Json = {
            "update": {
                "labels": [{"add": self.obsolete_label}],
                "comment": [{"add": {"body": change.comment}}],
            }
        }
        self.api.put(f"issue/{change.key}", edit, what=f"mark {change.key} obsolete")
        return Applied(change=change)

    def close_child(self, story: Story, change: CloseChild) -> Applied:
        closing.finish(self.api, change.key, self.settings.prune_statuses)  # not "Done"
        return Applied(change=change)

    def close_story(self, story: Story, change: CloseStory) -> Applied:
        closing.finish(self.api, story.ref, list(closing.COMPLETED))
        return Applied(change=change)

    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied:
        body = normalise(change.body)
        what = f"write the plan comment on {story.ref}"
        if change.key is not None:
            path = f"issue/{story.ref}/comment/{change.key}"
            raw = self.api.put(path, {"body": body}, what=what)
        else:
            try:
                raw = self.api.post(f"issue/{story.ref}/comment", {"body": body}, what=what)
            except TrackerError as err:
                if not err.unknown_outcome:
                    raise
                lost = plan_comment.find_posted(self.api, story.ref, self.trust)  # answer lost
                if lost is None:
                    raise
                raw = lost
            self._recorded[story.ref] = False
        plan = self._comment(story, {"id": raw.get("id", change.key), "body": body})
        self._plans[story.ref] = plan.key
        if not self._recorded.get(story.ref):
            self._record(story, plan=plan.key)
            self._recorded[story.ref] = True
        return Applied(change=change, plan=plan)

    def delete_plan(self, story: Story, change: DeletePlan) -> Applied:
        """Delete a second plan comment (a trusted one, so storyplan's own: its ticks were
        carried into the kept one). The story's property comes to name the kept one."""
        what = f"delete the second plan comment {change.key} on {story.ref}"
        with contextlib.suppress(NotFoundError):  # already gone
            self.api.delete(f"issue/{story.ref}/comment/{change.key}", what=what)
        named = str(storyplan_property(self._story_json(story)).get("plan") or "")
        kept = self._plans.get(story.ref)
        if named == change.key and kept:
            self._record(story, plan=kept)
            self._recorded[story.ref] = True
        return Applied(change=change)

    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied:
        child = self._children.get(change.key)
        done = child is not None and child.status in (TaskStatus.DONE, TaskStatus.NOT_PLANNED)
        links = {pair: id_ for pair, id_ in self._link_ids.items() if change.key in pair}
        closing.close_duplicate(
            self.api,
            self.types,
            change,
            links,
            self.obsolete_label,
            done=done,
            preferred=self.settings.prune_statuses,
        )
        self._link_ids = {p: i for p, i in self._link_ids.items() if p not in links}
        return Applied(change=change)

    def label_story(self, story: Story, change: LabelStory) -> Applied:
        edit = {"update": {"labels": [{"add": change.label}]}}
        self.api.put(f"issue/{story.ref}", edit, what=f"label {story.ref}")
        return Applied(change=change)


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    jira = section(settings, JiraSettings, "jira")
    url = site_url(ref, jira, options.get("base_url"))
    api = JiraApi(url, read_credentials(jira, url), timeout=jira.timeout, retries=jira.retries)
    return JiraTracker(jira, api, settings.labels.obsolete, settings.trust.authors)
