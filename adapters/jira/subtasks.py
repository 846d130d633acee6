"""Making a story's sub-tasks: in bulk, 50 a request, each with its `storyplan` property in
the same request; after a bulk create whose answer was lost, the sub-tasks it made are found
by that property instead of being made again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from storyplan.errors import TrackerError
from storyplan.ports import Applied, Child, CreateChild

from . import bulk, reading
from .client import JiraApi, Json
from .records import normalise


@dataclass(frozen=True)
class Parent:
    """The story the sub-tasks are made under, and how the tracker turns issues into children."""

    key: str
    project: str
    type_id: str  # the project's sub-task issue type
    mark: Callable[[str], Json]  # a task's sub-task property, by task id
    child: Callable[[Json], Child]  # a read issue as the tracker knows it
    made: Callable[[CreateChild, str], Child]  # a made issue (by key) as the tracker knows it


def make(
    api: JiraApi, parent: Parent, creates: list[CreateChild], refused: list[str]
) -> Iterator[Applied]:
    """Each sub-task made (or found made after a lost answer); the ones Jira refused are
    added to `refused` as "task T2 (Jira's reason)"."""
    for start in range(0, len(creates), bulk.BULK_LIMIT):
        batch = creates[start : start + bulk.BULK_LIMIT]
        requests = [
            bulk.create_request(
                parent.key, parent.project, parent.type_id, change, parent.mark(change.task_id)
            )
            for change in batch
        ]
        what = f"create {len(batch)} sub-tasks under {parent.key}"
        try:
            outcomes = bulk.create_issues(api, requests, what)
        except TrackerError as err:
            if not err.unknown_outcome:
                raise
            yield from _adopt(api, parent, batch, err)
            continue
        for change, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, bulk.Refused):
                refused.append(f"task {change.task_id} ({outcome.reason})")
            else:
                yield Applied(change=change, child=parent.made(change, str(outcome["key"])))


def _adopt(
    api: JiraApi, parent: Parent, batch: list[CreateChild], lost: TrackerError
) -> Iterator[Applied]:
    """The sub-tasks a bulk create whose answer was lost made; if any is not there, the
    outcome stays unknown and `lost` is raised once the found ones are reported."""
    try:
        found = reading.search_children(api, parent.key)
    except TrackerError:
        raise lost from None
    made: dict[str, Child] = {}
    for raw in found:
        child = parent.child(raw)
        if child.task_id is not None:
            made.setdefault(child.task_id, child)  # the oldest, as a read would keep
    for change in batch:
        if change.task_id in made:
            yield Applied(change=change, child=made[change.task_id])
    if any(change.task_id not in made for change in batch):
        raise lost


def refusal(story: str, refused: list[str], asked: int) -> TrackerError:
    more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
    return TrackerError(
        f"Jira refused {len(refused)} of the {asked} sub-tasks for {story}: "
        f"{'; '.join(refused[:3])}{more}"
    )


def as_made(change: CreateChild, key: str, url: str) -> Child:
    return Child(
        key=key,
        task_id=change.task_id,
        title=change.title,
        body=normalise(change.body),
        url=url,
        labels=change.labels,
    )
