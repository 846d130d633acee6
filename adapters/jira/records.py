"""Jira's JSON to storyplan's types: the story, its sub-tasks (known by their `storyplan`
entity property), their "Blocks" links and their status categories. Pure functions, so the
text normalisation that keeps re-runs write-free lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storyplan.model import Story, TaskStatus
from storyplan.ports import Child, Link

Json = dict[str, Any]
PROPERTY = "storyplan"  # one entity property key, holding a small JSON object
STORY_FIELDS = (
    "summary",
    "description",
    "labels",
    "assignee",
    "reporter",
    "created",
    "updated",
    "status",
    "issuetype",
    "project",
    "parent",
    "comment",  # the plan comment comes inline: no extra request to find it
)
CHILD_FIELDS = (
    "summary",
    "description",
    "status",
    "resolution",
    "labels",
    "issuetype",
    "issuelinks",
)
# Resolutions that mean "dropped", not "done"; the rest of the done category is done.
NOT_PLANNED = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "rejected", "obsolete"}
)


def normalise(text: str | None) -> str:
    """Text as storyplan writes and compares it: LF line ends, no trailing blanks.

    Jira may hand back what it was given with CRLF line ends, without the final newline or
    without trailing spaces; written and read back through this, a body compares equal to
    what storyplan wrote, so an unchanged re-run writes nothing.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def storyplan_property(raw: Json) -> Json:
    value = (raw.get("properties") or {}).get(PROPERTY)
    return value if isinstance(value, dict) else {}


def _user(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    name = raw.get("displayName") or raw.get("name") or raw.get("accountId")
    return str(name) if name else None


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def category(raw: Json) -> str:
    """An issue's status category key: "new", "indeterminate" or "done"."""
    status = (raw.get("fields") or {}).get("status") or {}
    return str((status.get("statusCategory") or {}).get("key") or "new")


def pick_transition(transitions: list[Json], preferred: list[str]) -> Json | None:
    """The transition into a done-category status whose name (or its status's) comes first
    in `preferred`, else the first into any done-category status; None if there is none."""
    done = [t for t in transitions if category({"fields": {"status": t.get("to")}}) == "done"]
    order = [name.casefold() for name in preferred]

    def rank(transition: Json) -> int:
        names = {str(transition.get("name")), str((transition.get("to") or {}).get("name"))}
        return min(
            (order.index(n.casefold()) for n in names if n.casefold() in order), default=len(order)
        )

    return min(done, key=rank) if done else None


def offers_resolution(transition: Json, resolution: str | None) -> bool:
    """Whether `transition`'s screen (read with `expand=transitions.fields`) lets its request
    set the resolution to `resolution`."""
    field = (transition.get("fields") or {}).get("resolution") or {}
    allowed = {str(value.get("name")).casefold() for value in field.get("allowedValues") or []}
    return resolution is not None and resolution.casefold() in allowed


def story_from(raw: Json, key: str, url: str) -> Story:
    fields = raw.get("fields") or {}
    return Story(
        ref=key,
        title=str(fields.get("summary") or ""),
        # Only line ends: the parser's line numbers must point into the text as written.
        body=str(fields.get("description") or "").replace("\r\n", "\n"),
        markup="jira",
        url=url,
        labels=[str(label) for label in fields.get("labels") or []],
        assignees=[name] if (name := _user(fields.get("assignee"))) else [],
        author=_user(fields.get("reporter")),
        created_at=_when(fields.get("created")),
        updated_at=_when(fields.get("updated")),
        state="closed" if category(raw) == "done" else "open",
        source=key,
    )


def task_status(raw: Json) -> TaskStatus:
    key = category(raw)
    if key == "done":
        resolution = (raw.get("fields", {}).get("resolution") or {}).get("name") or ""
        return TaskStatus.NOT_PLANNED if resolution.lower() in NOT_PLANNED else TaskStatus.DONE
    return TaskStatus.IN_PROGRESS if key == "indeterminate" else TaskStatus.OPEN


def task_of(raw: Json, story_key: str, story_id: str) -> str | None:
    """The task id a sub-task serves, if its property says it belongs to this story.

    The story's id counts as well as its key, so a story moved to another project (and so
    given a new key) keeps its sub-tasks.
    """
    mark = storyplan_property(raw)
    task = mark.get("task")
    if task and (mark.get("story") == story_key or (story_id and mark.get("storyId") == story_id)):
        return str(task)
    return None


def child_from(raw: Json, story_key: str, story_id: str, url: str, obsolete_label: str) -> Child:
    fields = raw.get("fields") or {}
    task = task_of(raw, story_key, story_id)
    labels = tuple(str(label) for label in fields.get("labels") or [])
    return Child(
        key=str(raw["key"]),
        task_id=task,
        title=str(fields.get("summary") or "").strip(),
        body=normalise(fields.get("description")),
        url=url,
        status=task_status(raw),
        obsolete=obsolete_label in labels,
        labels=labels,
    )


@dataclass(frozen=True)
class LinkType:
    """An issue link type; storyplan's is the one whose descriptions read like "blocks"."""

    id: str
    name: str
    inward: str
    outward: str

    @classmethod
    def from_json(cls, raw: Json) -> LinkType:
        return cls(
            id=str(raw.get("id") or ""),
            name=str(raw.get("name") or ""),
            inward=str(raw.get("inward") or ""),
            outward=str(raw.get("outward") or ""),
        )

    def means(self, inward: str, outward: str) -> bool:
        return (self.inward.casefold(), self.outward.casefold()) == (
            inward.casefold(),
            outward.casefold(),
        )


def blocks_links(
    children: list[Json], inward: str, outward: str
) -> tuple[dict[str, Link], LinkType | None]:
    """Every "blocks" link the children show, by link id, and the link type if one was seen.

    Jira shows a link on both of its issues: on the blocker under `outwardIssue` (the issue
    it blocks), on the blocked issue under `inwardIssue` (the issue that blocks it).
    """
    found: dict[str, Link] = {}
    seen: LinkType | None = None
    for raw in children:
        for entry in (raw.get("fields") or {}).get("issuelinks") or []:
            link_type = LinkType.from_json(entry.get("type") or {})
            if not link_type.means(inward, outward):
                continue
            seen = link_type
            if "outwardIssue" in entry:
                link = Link(blocker=str(raw["key"]), blocked=str(entry["outwardIssue"]["key"]))
            elif "inwardIssue" in entry:
                link = Link(blocker=str(entry["inwardIssue"]["key"]), blocked=str(raw["key"]))
            else:
                continue
            found[str(entry.get("id"))] = link
    return found, seen
