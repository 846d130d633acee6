"""Each change storyplan makes on GitLab as the mutations that carry it out (a `Unit`), and
what their outcomes mean. A unit may stand for several changes (every link change of one
blocked task shares its mutations) and may answer a failure with a follow-up unit (the
Free-tier fallback, or a new plan note where GitLab will not let this token edit the old one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from storyplan.errors import TrackerError
from storyplan.ports import Applied, Change

from .client import GitlabClient
from .mutations import ERRORS, NOTE, WORK_ITEM, Op, Outcome, requests, send

MAX_IDS = 10  # GitLab's Mutations::WorkItems::LinkedItems::Base::MAX_WORK_ITEMS
ALREADY_LINKED = "already linked"
NOTHING_TO_UNLINK = "No items found"
UNLICENSED = "not available for the current subscription tier"
UNLICENSED_MESSAGE = "Blocked work items are not available for the current subscription tier"
NOT_AVAILABLE = "does not exist or you don't have permission"

# What a unit's outcomes come to: the changes carried out, a unit to send next, or why not.
Finish = Callable[[list[Outcome]], "list[Applied] | Unit | str"]


@dataclass
class Unit:
    changes: list[Change]
    ops: list[Op]
    finish: Finish
    what: str  # for the error when it fails
    outcomes: list[Outcome] = field(default_factory=list)


def failure(outcomes: Sequence[Outcome], *, tolerate: tuple[str, ...] = ()) -> str | None:
    """The first error among `outcomes` that is not one of the tolerated kinds."""
    for outcome in outcomes:
        if outcome.error and not any(phrase in outcome.error for phrase in tolerate):
            return outcome.error
    return None


def all_or_nothing(
    changes: list[Change], ops: list[Op], what: str, done: Callable[[list[Outcome]], list[Applied]]
) -> Unit:
    """A unit whose changes are made when every one of its mutations is."""

    def finish(outcomes: list[Outcome]) -> list[Applied] | Unit | str:
        error = failure(outcomes)
        return error if error else done(outcomes)

    return Unit(changes, ops, finish, what)


# -- the mutations storyplan sends ----------------------------------------------------------
def create_task(
    project: str, task_type: str, parent: str, title: str, body: str, labels: list[str]
) -> Op:
    request: dict[str, Any] = {
        "namespacePath": project,  # a task is made in its story's project, under it: no orphan
        "workItemTypeId": task_type,
        "title": title,
        "descriptionWidget": {"description": body},
        "hierarchyWidget": {"parentId": parent},
    }
    if labels:
        request["labelsWidget"] = {"labelIds": labels}
    return Op("workItemCreate", "WorkItemCreateInput", request, WORK_ITEM)


def update_item(gid: str, **fields: Any) -> Op:
    return Op("workItemUpdate", "WorkItemUpdateInput", {"id": gid, **fields}, ERRORS)


def add_links(gid: str, others: list[str], link_type: str) -> list[Op]:
    """`gid` linked to each of `others`, ten a mutation."""
    return [
        Op(
            "workItemAddLinkedItems",
            "WorkItemAddLinkedItemsInput",
            {"id": gid, "workItemsIds": others[at : at + MAX_IDS], "linkType": link_type},
        )
        for at in range(0, len(others), MAX_IDS)
    ]


def remove_links(gid: str, others: list[str]) -> list[Op]:
    return [
        Op(
            "workItemRemoveLinkedItems",
            "WorkItemRemoveLinkedItemsInput",
            {"id": gid, "workItemsIds": others[at : at + MAX_IDS]},
        )
        for at in range(0, len(others), MAX_IDS)
    ]


def create_note(noteable: str, body: str) -> Op:
    return Op("createNote", "CreateNoteInput", {"noteableId": noteable, "body": body}, NOTE)


def update_note(note_id: str, body: str) -> Op:
    return Op("updateNote", "UpdateNoteInput", {"id": note_gid(note_id), "body": body}, NOTE)


def destroy_note(note_id: str) -> Op:
    return Op("destroyNote", "DestroyNoteInput", {"id": note_gid(note_id)}, ERRORS)


def create_label(project: str, title: str, color: str) -> Op:
    request = {"projectPath": project, "title": title, "color": color}
    return Op("labelCreate", "LabelCreateInput", request, "label { id title } errors")


def note_gid(note_id: str) -> str:
    return f"gid://gitlab/Note/{note_id}"


def send_units(client: GitlabClient, units: Sequence[Unit], what: str) -> TrackerError | None:
    """Send every unit's mutations, as few requests as the complexity limit allows, filling
    each unit's outcomes. A request that fails as a whole stops the rest: its error is
    returned, and the units it carried (and those after) are left without all outcomes."""
    pairs = [(unit, op) for unit in units for op in unit.ops]
    start = 0
    for chunk in requests([op for _, op in pairs]):
        batch = pairs[start : start + len(chunk)]
        start += len(chunk)
        try:
            outcomes = send(client, chunk, what)
        except TrackerError as err:
            return err
        for (unit, _), outcome in zip(batch, outcomes, strict=True):
            unit.outcomes.append(outcome)
    return None


def complete(unit: Unit) -> bool:
    return len(unit.outcomes) == len(unit.ops)
