"""Closing an issue on Jira: a transition into a done-category status, picked from those the
workflow offers where the issue is (names differ by site), and a sub-task that runs raced
to make twice closed as a duplicate of the one kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from storyplan.errors import CapabilityError, NotFoundError
from storyplan.ports import CloseDuplicate

from .client import JiraApi, Json
from .records import offers_resolution, pick_transition
from .types import JiraTypes

COMPLETED = ("Done", "Closed", "Resolved", "Complete", "Completed")
DUPLICATE = "Duplicate"  # the resolution Jira ships for an issue that repeats another


def finish(api: JiraApi, key: str, preferred: list[str], resolution: str | None = None) -> None:
    """Move `key` to a done-category status by a transition offered from where it is; with
    `resolution` where a done transition's screen lets it be set, else without one."""
    what = f"read the transitions of {key}"
    params = {"expand": "transitions.fields"} if resolution else None
    offered = api.get(f"issue/{key}/transitions", what=what, params=params)
    transitions = offered.get("transitions") or []
    resolving = [t for t in transitions if offers_resolution(t, resolution)]
    chosen = pick_transition(resolving, preferred) or pick_transition(transitions, preferred)
    if chosen is None:
        raise CapabilityError(
            f"{key} has no transition to a done status from where it is; close it by hand"
        )
    request: Json = {"transition": {"id": str(chosen["id"])}}
    if chosen in resolving:
        request["fields"] = {"resolution": {"name": resolution}}
    api.post(f"issue/{key}/transitions", request, what=f"close {key}")


def close_duplicate(
    api: JiraApi,
    types: JiraTypes,
    change: CloseDuplicate,
    links: Mapping[tuple[str, str], str],
    obsolete_label: str,
    *,
    done: bool,
    preferred: list[str],
) -> None:
    """A second sub-task of one task: its "Blocks" links (`links`, by id) go, since the kept
    one carries them; it is labelled obsolete, linked as a duplicate of the kept one (or told
    so in a comment where the site has no such link type) and, unless `done` already, moved
    to a done status with the resolution Duplicate where the workflow lets it be set."""
    for link_id in links.values():
        with contextlib.suppress(NotFoundError):  # already gone
            api.delete(f"issueLink/{link_id}", what=f"unlink the duplicate {change.key}")
    link_type = types.duplicate()
    update: Json = {"labels": [{"add": obsolete_label}]}
    if link_type is None:
        update["comment"] = [{"add": {"body": f"Duplicate of {change.kept}"}}]
    api.put(f"issue/{change.key}", {"update": update}, what=f"label {change.key} obsolete")
    if link_type is not None:
        # Posted with inwardIssue=A, outwardIssue=B, the link reads "A duplicates B".
        request = {
            "type": {"id": link_type.id},
            "inwardIssue": {"key": change.key},
            "outwardIssue": {"key": change.kept},
        }
        api.post("issueLink", request, what=f"link {change.key} as a duplicate of {change.kept}")
    if not done:
        finish(api, change.key, [DUPLICATE, *preferred], DUPLICATE)
