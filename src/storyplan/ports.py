"""The port every tracker implements, and the state and changes that cross it.

Everything here is in storyplan's own types: an adapter never leaks its SDK's objects.
Changes name tasks by id and children by their tracker key (`octo/shop#43`, `SHOP-124`,
`stories/login.tasks/T2.md`); a key is None only for a child that is still to be created.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from storyplan.model import Markup, Story, TaskStatus, Text


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Child(Frozen):
    """An issue that serves one task of the plan, as the tracker holds it."""

    key: str
    task_id: str | None  # None: attached as an existing issue, it carries no marker
    title: Text
    body: Text = ""
    url: str | None = None
    status: TaskStatus = TaskStatus.OPEN
    obsolete: bool = False
    labels: tuple[Text, ...] = ()


class PlanComment(Frozen):
    key: str
    body: Text
    url: str | None = None


class Link(Frozen):
    """`blocker` must be done before `blocked`; both are child keys."""

    blocker: str
    blocked: str


class TrackerState(Frozen):
    """What storyplan wrote to a story before, read back in as few requests as the API allows.

    Children come oldest first. Runs that raced (or lost an answer) may have left several
    children for one task and several plan comments: `plan` is the oldest plan comment and
    `extra_plans` the others, so that apply keeps one of each and heals the rest.
    """

    plan: PlanComment | None = None
    extra_plans: tuple[PlanComment, ...] = ()
    children: tuple[Child, ...] = ()
    links: tuple[Link, ...] = ()
    story_labels: tuple[Text, ...] = ()
    # What the person running storyplan should hear about what was read: a storyplan marker
    # in text by an author it does not trust, which it ignored (said once a run).
    notes: tuple[Text, ...] = ()


class Limits(Frozen):
    max_children: int | None = None  # per story, closed ones included
    max_comment_chars: int | None = None


class Capabilities(Frozen):
    """What a tracker can do natively. The core consults these before the first write of a
    run (`storyplan.capable`): a missing one is an announced fallback, never a no-op."""

    sub_issues: bool = True  # children are nested under the story (else: related issues)
    dependencies: bool = True  # dependency links between children
    labels: bool = True  # can label a story so scheduled sync finds it
    close_story: bool = True  # can close the story once every task is done
    attach_existing: bool = True  # a task can be an issue that already exists


# -- changes -------------------------------------------------------------------------------


class CreateChild(Frozen):
    kind: Literal["create_child"] = "create_child"
    task_id: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()  # task ids, for trackers that store them with the child


class AttachChild(Frozen):
    kind: Literal["attach_child"] = "attach_child"
    task_id: str
    key: str


class UpdateChild(Frozen):
    kind: Literal["update_child"] = "update_child"
    task_id: str
    key: str
    title: str
    body: str
    fields: tuple[str, ...]  # which of title/body changed, for the report
    revive: bool = False  # the child was marked obsolete and its task is back: lift the mark


class AddLink(Frozen):
    kind: Literal["add_link"] = "add_link"
    blocker_task: str
    blocked_task: str
    blocker: str | None = None
    blocked: str | None = None


class RemoveLink(Frozen):
    kind: Literal["remove_link"] = "remove_link"
    blocker_task: str
    blocked_task: str
    blocker: str
    blocked: str


class MarkObsolete(Frozen):
    kind: Literal["mark_obsolete"] = "mark_obsolete"
    task_id: str
    key: str
    title: str
    comment: str  # the one comment that says why, in the tracker's markup


class CloseChild(Frozen):
    kind: Literal["close_child"] = "close_child"
    task_id: str
    key: str
    title: str


class CloseDuplicate(Frozen):
    """A second child of one task, left by runs that raced: closed as a duplicate of the one
    kept (detached, labelled obsolete and linked or referenced to it where the tracker can)."""

    kind: Literal["close_duplicate"] = "close_duplicate"
    task_id: str
    key: str
    title: str
    kept: str  # the key of the child the task keeps


class DeletePlan(Frozen):
    """A second plan comment storyplan wrote for the story; its ticks live on in the kept one."""

    kind: Literal["delete_plan"] = "delete_plan"
    key: str


class UpsertPlan(Frozen):
    kind: Literal["upsert_plan"] = "upsert_plan"
    key: str | None  # None: create the plan comment
    body: str


class LabelStory(Frozen):
    kind: Literal["label_story"] = "label_story"
    label: str


class CloseStory(Frozen):
    """Close the story as completed (sync, when every task is done and config asks for it)."""

    kind: Literal["close_story"] = "close_story"


Change = Annotated[
    CreateChild
    | AttachChild
    | UpdateChild
    | AddLink
    | RemoveLink
    | MarkObsolete
    | CloseChild
    | CloseDuplicate
    | UpsertPlan
    | DeletePlan
    | LabelStory
    | CloseStory,
    Field(discriminator="kind"),
]


class Applied(Frozen):
    """What an adapter reports back for one change it carried out: the change itself, and the
    child or comment it touched."""

    change: Change
    child: Child | None = None
    plan: PlanComment | None = None
    # What the person running storyplan should hear about how it was done: a fallback the
    # tracker had to take (said once per run, not per change).
    notes: tuple[str, ...] = ()


class Tracker(Protocol):
    """A place stories live.

    `apply` gets a batch of changes whose child keys are all resolved and yields one
    `Applied` per change it carried out, in the batch's order; a tracker that cannot batch
    carries them out one by one (`storyplan.dispatch.one_by_one`). It stops at the first
    failure by raising; what it yielded before that was made.
    """

    name: str
    markup: Markup
    limits: Limits
    capabilities: Capabilities
    title_format: str  # how a child is titled unless config says otherwise

    def fetch_story(self, ref: str) -> Story: ...

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        """`with_links=False` may skip reading dependency links (sync trusts the plan's record)."""
        ...

    def find_planned(self, project: str, label: str) -> list[str]:
        """The keys of every story in `project` that carries storyplan's story label."""
        ...

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]: ...
