"""GitHub's issue and comment JSON as storyplan's models, and back to keys: pure mapping,
no requests. Which task an issue serves is read from its hidden marker, for its story only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from storyplan import markers
from storyplan.model import Story, TaskStatus
from storyplan.ports import Child, PlanComment

Json = dict[str, Any]


def key_of(issue: Mapping[str, Any]) -> str:
    """`owner/repo#12`, from the issue's own repository URL."""
    repo = str(issue.get("repository_url") or "").rstrip("/").split("/repos/", 1)[-1]
    return f"{repo}#{issue.get('number')}"


def label_names(issue: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(label["name"]) for label in issue.get("labels") or [])


def task_of(issue: Mapping[str, Any], story: str) -> str | None:
    """The task id the issue's marker names, when the marker is for `story`."""
    mark = markers.read_identity(str(issue.get("body") or ""), "task")
    if mark and mark.get("story") == story and mark.get("id"):
        return mark["id"]
    return None


def status_of(issue: Mapping[str, Any]) -> TaskStatus:
    if issue.get("state") != "closed":
        return TaskStatus.OPEN
    if issue.get("state_reason") == "not_planned":
        return TaskStatus.NOT_PLANNED
    return TaskStatus.DONE


def child(issue: Mapping[str, Any], story: str, obsolete_label: str) -> Child:
    labels = label_names(issue)
    return Child(
        key=key_of(issue),
        task_id=task_of(issue, story),
        title=str(issue.get("title") or ""),
        body=str(issue.get("body") or ""),
        url=issue.get("html_url"),
        status=status_of(issue),
        obsolete=obsolete_label in labels,
        labels=labels,
    )


def story(issue: Mapping[str, Any], ref: str | None = None) -> Story:
    """The story an issue holds; `ref` as the user wrote it, else the issue's own key."""
    ref = ref or key_of(issue)
    user = issue.get("user") or {}
    return Story(
        ref=ref,
        title=str(issue.get("title") or ""),
        body=str(issue.get("body") or ""),
        url=issue.get("html_url"),
        labels=list(label_names(issue)),
        assignees=[str(user["login"]) for user in issue.get("assignees") or []],
        author=user.get("login"),
        created_at=issue.get("created_at"),
        updated_at=issue.get("updated_at"),
        state=str(issue.get("state") or "open"),
        source=ref,
    )


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    return issue.get("pull_request") is not None


def plan_comment(comment: Mapping[str, Any]) -> PlanComment:
    return PlanComment(
        key=str(comment["id"]), body=str(comment.get("body") or ""), url=comment.get("html_url")
    )


def find_plan(comments: Iterable[Mapping[str, Any]], story: str) -> PlanComment | None:
    """The first comment whose plan marker names `story`; stops reading once found."""
    for comment in comments:
        mark = markers.read_identity(str(comment.get("body") or ""), "plan")
        if mark is not None and mark.get("story") == story:
            return plan_comment(comment)
    return None


def has_no_blockers(issue: Mapping[str, Any]) -> bool:
    """Whether the listing itself says nothing blocks the issue (so there is nothing to read).
    Without GitHub's dependency summary nothing is known and the links must be read."""
    summary = issue.get("issue_dependencies_summary") or {}
    return summary.get("total_blocked_by") == 0


def newest_by_task(issues: Iterable[Mapping[str, Any]], story: str) -> dict[str, Json]:
    """Issues made for `story`'s tasks, by task id, the first (newest) of each."""
    found: dict[str, Json] = {}
    for issue in issues:
        task = task_of(issue, story)
        if task is not None:
            found.setdefault(task, dict(issue))
    return found
