"""Jira Cloud and Data Center (REST v2): the plan is one comment on the story, each task a
sub-task of it, each dependency a "Blocks" issue link. Jira text has no hidden markup, so
storyplan's bookkeeping lives in one `storyplan` entity property per issue: on the story,
which comment is the plan (and the plan record sync reads, see `bookkeeping`); on each
sub-task, its story and task id. One search (`key = KEY OR parent = KEY`) reads the story,
its comments, its sub-tasks, their links and every property: reading a story's state costs
one request.

Sub-tasks are made in bulk, 50 a request, each with its entity property in the same request,
so one made by a run whose answer was lost is found again by the next read, and is never
made twice. One Jira refused is reported as failed; the others are kept and the next run
makes the rest.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from storyplan.config import Settings, section
from storyplan.dispatch import dispatch
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

from . import closing, plan_comment, reading, subtasks
from .bookkeeping import StoryBook, carried, plan_record, same_record
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
        self._found: dict[str, list[Json]] = {}  # story key → its sub-tasks, read with it
        self._records: dict[str, list[Mapping[str, str]]] = {}  # story key → plan records
        self._carry: dict[str, dict[str, str]] = {}  # story key → record for a sub-task write
        self.types = JiraTypes(api, settings)
        self.book = StoryBook(api)

    def _browse(self, key: str) -> str:
        return f"{self.site}/browse/{key}"

    def _story_json(self, story: Story) -> Json:
        if story.ref not in self._stories:
            self.fetch_story(story.ref)
        return self._stories[story.ref]

    def _project(self, story: Story) -> str:
        return str(((self._story_json(story).get("fields") or {}).get("project") or {})["key"])

    # -- the plan record (storyplan.planrecord.PlanRecords) ---------------------------------
    def plan_records(self, story: Story) -> list[Mapping[str, str]]:
        """The story's record and those its sub-tasks carry (an edit's sub-task write)."""
        if story.ref not in self._records:
            self._records[story.ref] = [plan_record(self._story_json(story))]
        return [record for record in self._records[story.ref] if record]

    def keep_plan_record(self, story: Story, record: Mapping[str, str]) -> None:
        """Kept with the story's write, if the run makes one; else with its first sub-task
        write (an edit), if any. A story whose plan comment is not recorded yet is written."""
        if not any(same_record(kept, record) for kept in self.plan_records(story)):
            self.book.keep(story.ref, record=dict(record))
            if self._recorded.get(story.ref):
                self._carry[story.ref] = dict(record)

    def _carry_with(self, edit: Json, story: Story, task_id: str) -> None:
        """The plan record rides on this sub-task's edit if no write of the run carried it."""
        if story.ref in self._carry:
            edit["properties"] = [{"key": PROPERTY, "value": self._mark(story, task_id)}]

    def _mark(self, story: Story, task_id: str) -> Json:
        """A sub-task's property: its story and task (and the plan record, once a run)."""
        story_id = str(self._story_json(story).get("id"))
        mark = {"story": story.ref, "storyId": story_id, "task": task_id}
        return carried(mark, self._carry.pop(story.ref, None))

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        key = parse_ref(ref, "jira").key
        searched = reading.search_story(self.api, key)
        if searched is None:
            params = {"fields": ",".join(STORY_FIELDS), "properties": PROPERTY}
            raw = self.api.get(f"issue/{key}", what=f"read story {key}", params=params)
        else:
            raw = searched[0]
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
        if searched is not None:
            self._found[key] = searched[1]
            self._records[key] = [plan_record(i) for i in (raw, *searched[1])]
        return story_from(raw, key, self._browse(key))

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        # Links come with the sub-task search at no extra cost, so `with_links` changes nothing.
        raw = self._story_json(story)
        found_plans = plan_comment.find_plans(self.api, story.ref, raw, self.trust)
        plans = [self._comment(story, comment) for comment in found_plans.comments]
        self._recorded[story.ref] = bool(plans) and plans[0].key == found_plans.recorded
        if plans:
            self._plans[story.ref] = plans[0].key
        found = self._found.pop(story.ref, None)
        if found is None:
            found = reading.search_children(self.api, story.ref)
        attached = [str(k) for k in storyplan_property(raw).get("attached") or []]
        missing = [k for k in attached if k not in {str(item["key"]) for item in found}]
        if missing:
            found += reading.read_issues(self.api, missing)
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

    def _child(self, raw: Json, story: Story, attached: bool = False) -> Child:
        story_id = str(self._stories.get(story.ref, {}).get("id") or "")
        child = child_from(raw, story.ref, story_id, self._browse(raw["key"]), self.obsolete_label)
        if attached:
            child = child.model_copy(update={"task_id": None})
        self._children[child.key] = child
        return child

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
        """Sub-tasks first, in bulk; then the other changes one by one; then one write to
        the story for its label and its property. Sub-tasks Jira refused are reported at
        the end, once everything else of the batch was made."""
        refused: list[str] = []
        creates = [c for c in changes if isinstance(c, CreateChild)]
        yield from self._create_children(story, creates, refused)
        labels = [c for c in changes if isinstance(c, LabelStory)]
        for change in changes:
            if not isinstance(change, CreateChild | LabelStory):
                yield dispatch(self, story, change)
        if labels or self.book.waiting(story.ref):
            label = labels[0].label if labels else None
            self.book.write(story.ref, self._story_json(story), label)
        yield from (Applied(change=change) for change in labels)
        if refused:
            raise subtasks.refusal(story.ref, refused, len(creates))

    def create_child(self, story: Story, change: CreateChild) -> Applied:
        refused: list[str] = []
        made = list(self._create_children(story, [change], refused))
        if refused:
            raise subtasks.refusal(story.ref, refused, 1)
        return made[0]

    def _create_children(
        self, story: Story, creates: list[CreateChild], refused: list[str]
    ) -> Iterator[Applied]:
        if not creates:
            return
        project = self._project(story)
        parent = subtasks.Parent(
            key=story.ref,
            project=project,
            type_id=self.types.subtask(project),
            mark=lambda task_id: self._mark(story, task_id),
            child=lambda raw: self._child(raw, story),
            made=self._made,
        )
        yield from subtasks.make(self.api, parent, creates, refused)

    def _made(self, change: CreateChild, key: str) -> Child:
        child = subtasks.as_made(change, key, self._browse(key))
        self._children[child.key] = child
        return child

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
            self.book.keep(story.ref, attached=[*listed, change.key])
        return Applied(change=change, child=self._child(raw, story))

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        body = normalise(change.body)
        request: Json = {"fields": {"summary": change.title, "description": body}}
        if change.revive:
            request["update"] = {"labels": [{"remove": self.obsolete_label}]}
        self._carry_with(request, story, change.task_id)
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
        self._carry_with(edit, story, change.task_id)
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
            self.book.keep(story.ref, plan=plan.key)  # written at the batch's end
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
            self.book.keep(story.ref, plan=kept)
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
        self.book.write(story.ref, self._story_json(story), change.label)
        return Applied(change=change)


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    jira = section(settings, JiraSettings, "jira")
    url = site_url(ref, jira, options.get("base_url"))
    api = JiraApi(
        url,
        read_credentials(jira, url),
        timeout=jira.timeout,
        retries=jira.retries,
        deployment=jira.deployment,
    )
    return JiraTracker(jira, api, settings.labels.obsolete, settings.trust.authors)
