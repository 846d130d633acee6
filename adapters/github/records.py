"""GitHub's issue and comment JSON as storyplan's models, and back to keys: pure mapping,
no requests. Which task an issue serves is read from its hidden marker, for its story only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
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


def child(
    issue: Mapping[str, Any], story: str, obsolete_label: str, *, trusted: bool = True
) -> Child:
    """The child an issue is; its marker names its task only when its author is `trusted`."""
    labels = label_names(issue)
    return Child(
        key=key_of(issue),
        task_id=task_of(issue, story) if trusted else None,
        title=str(issue.get("title") or ""),
        body=str(issue.get("body") or ""),
        url=issue.get("html_url"),
        status=status_of(issue),
        obsolete=obsolete_label in labels,
        labels=labels,
    )


def story(issue: Mapping[str, Any]) -> Story:
    """The story an issue holds, named by its own key as GitHub spells it (`Octo/Shop#01`
    typed by a user is `octo/shop#1` here), so every marker names it one way."""
    ref = key_of(issue)
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


def plan_comments(comments: Iterable[Mapping[str, Any]], story: str) -> Iterator[Json]:
    """The comments whose plan marker names `story`, oldest first (as GitHub lists them)."""
    for comment in comments:
        mark = markers.read_identity(str(comment.get("body") or ""), "plan")
        if mark is not None and mark.get("story") == story:
            yield dict(comment)


def has_no_blockers(issue: Mapping[str, Any]) -> bool:
    """Whether the listing itself says nothing blocks the issue (so there is nothing to read).
    Without GitHub's dependency summary nothing is known and the links must be read."""
    summary = issue.get("issue_dependencies_summary") or {}
    return summary.get("total_blocked_by") == 0


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def created_before(issue: Mapping[str, Any], moment: datetime) -> bool:
    made = issue.get("created_at")
    return bool(made) and _utc(datetime.fromisoformat(str(made))) < _utc(moment)


def timestamp(moment: datetime) -> str:
    """GitHub's ISO 8601 form, in UTC."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- GraphQL nodes in the REST shape the functions above read ---------------------------------
def _login(node: Mapping[str, Any]) -> Json | None:
    """The author as REST names it: GraphQL gives an app's bot as `github-actions`, REST
    (and `[trust] authors`) as `github-actions[bot]`."""
    author = node.get("author")
    if not isinstance(author, Mapping):
        return None
    login = str(author.get("login") or "")
    if author.get("__typename") == "Bot" and login and not login.endswith("[bot]"):
        login += "[bot]"
    return {"login": login}


def issue_of_node(node: Mapping[str, Any]) -> Json:
    """A GraphQL `Issue` as REST's issue JSON (the fields storyplan reads), its node id kept."""
    reason = node.get("stateReason")
    issue: Json = {
        "id": node.get("databaseId"),
        "node_id": node.get("id"),
        "number": node.get("number"),
        "repository_url": "/repos/" + str((node.get("repository") or {}).get("nameWithOwner")),
        "title": node.get("title"),
        "body": node.get("body"),
        "html_url": node.get("url"),
        "state": str(node.get("state") or "open").lower(),
        "state_reason": str(reason).lower() if reason else None,
        "user": _login(node),
        "author_association": node.get("authorAssociation"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "labels": [{"name": label["name"]} for label in _nodes(node, "labels")],
    }
    if "assignees" in node:
        issue["assignees"] = [{"login": user["login"]} for user in _nodes(node, "assignees")]
    return issue


def comment_of_node(node: Mapping[str, Any]) -> Json:
    """A GraphQL `IssueComment` as REST's comment JSON."""
    return {
        "id": node.get("databaseId"),
        "node_id": node.get("id"),
        "body": node.get("body"),
        "html_url": node.get("url"),
        "user": _login(node),
        "author_association": node.get("authorAssociation"),
        "created_at": node.get("createdAt"),
    }


def _nodes(node: Mapping[str, Any], connection: str) -> list[Json]:
    return [item for item in (node.get(connection) or {}).get("nodes") or [] if item]
