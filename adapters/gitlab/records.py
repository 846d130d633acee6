"""GitLab's JSON as typed records, and the pure mapping from those records to storyplan's
story, child and plan comment. No python-gitlab here: the client hands these records over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from storyplan import markers
from storyplan.model import Story, TaskStatus
from storyplan.ports import Child, PlanComment


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserRef(Record):
    id: int
    username: str


class References(Record):
    full: str


class IssueRecord(Record):
    """An issue (or a Task work item, which REST shows as an issue) as GitLab answers it."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str | None = None
    state: str = "opened"
    labels: tuple[str, ...] = ()
    web_url: str = ""
    issue_type: str = "issue"
    references: References
    author: UserRef | None = None
    assignees: tuple[UserRef, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Open issues this one blocks; GitLab lists it with the issue, so links are read only
    # where there are some. None where the instance does not say.
    blocking_issues_count: int | None = None

    @property
    def key(self) -> str:
        """`group/sub/project#17`, as GitLab spells the path."""
        return self.references.full

    @property
    def project(self) -> str:
        return self.key.rpartition("#")[0]

    @property
    def gid(self) -> str:
        # A work item's global id is the issue's id: they are one record in GitLab.
        return f"gid://gitlab/WorkItem/{self.id}"

    def task_id(self, story_ref: str) -> str | None:
        """The task this issue serves in `story_ref`'s plan, by its marker; None without one."""
        mark = markers.read_identity(self.description or "", "task")
        return mark.get("id") if mark and mark.get("story") == story_ref else None


class LinkRow(IssueRecord):
    """The other end of an issue link, as `GET …/issues/:iid/links` lists it."""

    issue_link_id: int
    link_type: str  # relates_to | blocks | is_blocked_by, seen from the issue asked about


class NoteRecord(Record):
    id: int
    body: str
    system: bool = False
    author: UserRef | None = None


def story_of(issue: IssueRecord, source: str) -> Story:
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
        source=source,
    )


def child_of(record: IssueRecord, task_id: str | None, obsolete_label: str) -> Child:
    """`task_id`: the task its marker names, when a trusted author wrote it."""
    obsolete = obsolete_label in record.labels
    if record.state == "opened":
        status = TaskStatus.OPEN
    else:
        status = TaskStatus.NOT_PLANNED if obsolete else TaskStatus.DONE
    return Child(
        key=record.key,
        task_id=task_id,
        title=record.title,
        body=record.description or "",
        url=record.web_url or None,
        status=status,
        obsolete=obsolete,
        labels=record.labels,
    )


def plan_comment(issue: IssueRecord, note_id: int, body: str) -> PlanComment:
    return PlanComment(key=str(note_id), body=body, url=f"{issue.web_url}#note_{note_id}")


def plan_notes(notes: Iterable[NoteRecord], story_ref: str) -> list[NoteRecord]:
    """The notes that carry `story_ref`'s plan marker, oldest first (never a system note);
    whose markers count is for the caller to say."""
    found = []
    for note in notes:
        mark = None if note.system else markers.read_identity(note.body, "plan")
        if mark is not None and mark.get("story") == story_ref:
            found.append(note)
    return found


# -- GraphQL's shapes -----------------------------------------------------------------------
def gid_number(gid: str) -> int:
    """`gid://gitlab/User/5` → 5."""
    return int(str(gid).rsplit("/", 1)[-1])


def user_ref(node: dict[str, Any] | None) -> UserRef | None:
    if not node:
        return None
    return UserRef(id=gid_number(node["id"]), username=node["username"])


def item_record(node: dict[str, Any], project_id: int, labels: tuple[str, ...]) -> IssueRecord:
    """A work item as the story query reads it, in the shape REST would give."""
    return IssueRecord(
        id=gid_number(node["id"]),
        iid=int(node["iid"]),
        project_id=project_id,
        title=node["title"],
        description=node.get("description"),
        state="opened" if node["state"] == "OPEN" else "closed",
        labels=labels,
        web_url=node.get("webUrl") or "",
        issue_type=str((node.get("workItemType") or {}).get("name") or "task").lower(),
        references=References(full=node["reference"]),
        author=user_ref(node.get("author")),
        created_at=node.get("createdAt"),
        updated_at=node.get("updatedAt"),
    )


def note_record(node: dict[str, Any]) -> NoteRecord:
    return NoteRecord(
        id=gid_number(node["id"]),
        body=node["body"],
        system=bool(node.get("system")),
        author=user_ref(node.get("author")),
    )
