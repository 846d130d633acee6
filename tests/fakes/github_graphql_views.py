"""The fake GitHub's GraphQL objects: views over the REST fake's state (dicts whose callables
graphql-core's default resolver calls lazily), connections with GitHub's paging rules, and
GitHub's node ids and errors.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGithub, Issue

MAX_PAGE = 100


class Cut(Exception):
    """The request's write budget ran out: the rest of it is not carried out."""


def cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def uncursor(value: str) -> int:
    try:
        text = base64.b64decode(value.encode()).decode()
        return int(text.removeprefix("cursor:v2:"))
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError(f"`{value}` does not appear to be a valid cursor.") from None


def decode_id(value: str) -> tuple[str, int] | None:
    """The fake's node id `I_…` as (kind, number)."""
    kind, _, rest = str(value).partition("_")
    try:
        text = base64.urlsafe_b64decode(rest + "=" * (-len(rest) % 4)).decode()
        decoded_kind, _, number = text.partition(":")
        if decoded_kind == kind and number.isdigit():
            return kind, int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    return None


def failure(message: str, kind: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": kind})


def no_node(value: str) -> GraphQLError:
    return failure(f"Could not resolve to a node with the global id of '{value}'", "NOT_FOUND")


class Views:
    """Mixed into the endpoint: each GraphQL object the fake serves, as a view."""

    fake: FakeGithub

    # -- views: dicts whose callables graphql-core's default resolver calls -------------
    def connection(
        self, name: str, items: list[Any], args: dict[str, Any], view: Callable[[Any], Any]
    ) -> dict[str, Any]:
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise failure(
                f"You must provide a `first` or `last` value to properly paginate the "
                f"`{name}` connection.",
                "MISSING_PAGINATION_BOUNDARIES",
            )
        for key, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= MAX_PAGE:
                raise failure(
                    f"Requesting {value} records on the `{name}` connection exceeds the "
                    f"`{key}` limit of {MAX_PAGE} records.",
                    "EXCESSIVE_PAGINATION",
                )
        start, end = 0, len(items)
        if args.get("after"):
            start = uncursor(args["after"]) + 1
        if args.get("before"):
            end = min(end, uncursor(args["before"]))
        if first is not None:
            end = min(end, start + first)
        if last is not None:
            start = max(start, end - last)
        window = range(start, max(start, end))
        nodes = [view(items[i]) for i in window]
        return {
            "nodes": nodes,
            "edges": [{"cursor": cursor(i), "node": n} for i, n in zip(window, nodes, strict=True)],
            "totalCount": len(items),
            "pageInfo": {
                "hasNextPage": end < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": cursor(window[0]) if window else None,
                "endCursor": cursor(window[-1]) if window else None,
            },
        }

    def actor(self, login: str) -> dict[str, Any]:
        user = self.fake.user(login)
        bot = user.type == "Bot"
        return {
            "__typename": "Bot" if bot else "User",
            # GitHub's GraphQL names an app's bot without the `[bot]` its REST API adds.
            "login": user.login.removesuffix("[bot]") if bot else user.login,
            "id": f"U_{user.id}",
            "databaseId": user.id,
            "url": self.fake.web(f"/{user.login}"),
        }

    def label(self, label: Any) -> dict[str, Any]:
        from tests.fakes.fake_github import node_id

        return {
            "__typename": "Label",
            "id": node_id("LA", label.id),
            "name": label.name,
            "color": label.color,
            "description": label.description,
        }

    def repository(self, key: str) -> dict[str, Any]:
        from tests.fakes.fake_github import node_id

        fake = self.fake
        repo = fake.repos[key]

        def issue(info: Any, number: int) -> dict[str, Any]:
            issue_id = repo.numbers.get(number)
            if issue_id is None or fake.issues[issue_id].deleted:
                raise failure(
                    f"Could not resolve to an Issue with the number of {number}.", "NOT_FOUND"
                )
            return self.issue(fake.issues[issue_id])

        def labels(info: Any, **args: Any) -> dict[str, Any]:
            found = sorted(repo.labels.values(), key=lambda label: label.name.lower())
            query = str(args.get("query") or "").lower()
            found = [label for label in found if query in label.name.lower()]
            return self.connection("labels", found, args, self.label)

        def label(info: Any, name: str) -> dict[str, Any] | None:
            found = repo.labels.get(name.lower())
            return None if found is None else self.label(found)

        return {
            "__typename": "Repository",
            "id": node_id("R", repo.id),
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "url": fake.web(f"/{repo.full_name}"),
            "owner": self.actor(repo.owner),
            "issue": issue,
            "labels": labels,
            "label": label,
        }

    def _repository(self, info: Any, owner: str, name: str, **_: Any) -> dict[str, Any]:
        key = f"{owner}/{name}".lower()
        if key not in self.fake.repos:
            raise failure(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
            )
        return self.repository(key)

    def issue(self, issue: Issue) -> dict[str, Any]:
        from tests.fakes.fake_github import node_id

        fake = self.fake
        repo = fake.repos[issue.repo]

        def issues(ids: list[int]) -> list[Issue]:
            return [fake.issues[i] for i in ids if not fake.issues[i].deleted]

        def sub_issues(info: Any, **args: Any) -> dict[str, Any]:
            if not fake.sub_issues_enabled:
                raise failure("Sub-issues are not available on this instance.", "FORBIDDEN")
            return self.connection(
                "subIssues", issues(fake.children.get(issue.id, [])), args, self.issue
            )

        def blocked_by(info: Any, **args: Any) -> dict[str, Any]:
            return self.connection(
                "blockedBy", issues(fake.blockers.get(issue.id, [])), args, self.issue
            )

        def blocking(info: Any, **args: Any) -> dict[str, Any]:
            return self.connection(
                "blocking", issues(fake._blocking_ids(issue.id)), args, self.issue
            )

        def comments(info: Any, **args: Any) -> dict[str, Any]:
            found = sorted(
                (c for c in fake.comments.values() if c.issue_id == issue.id), key=lambda c: c.id
            )
            return self.connection("comments", found, args, self.comment)

        def labels(info: Any, **args: Any) -> dict[str, Any]:
            found = [repo.labels[name.lower()] for name in issue.labels]
            return self.connection("labels", found, args, self.label)

        def assignees(info: Any, **args: Any) -> dict[str, Any]:
            return self.connection("assignees", issue.assignees, args, self.actor)

        def parent(info: Any) -> dict[str, Any] | None:
            parent_id = fake.parent_of.get(issue.id)
            return None if parent_id is None else self.issue(fake.issues[parent_id])

        def summary(info: Any) -> dict[str, int]:
            blockers = issues(fake.blockers.get(issue.id, []))
            blocked = issues(fake._blocking_ids(issue.id))
            return {
                "blockedBy": sum(1 for b in blockers if b.state == "open"),
                "blocking": sum(1 for b in blocked if b.state == "open"),
                "totalBlockedBy": len(blockers),
                "totalBlocking": len(blocked),
            }

        return {
            "__typename": "Issue",
            "id": node_id("I", issue.id),
            "databaseId": issue.id,
            "fullDatabaseId": str(issue.id),
            "number": issue.number,
            "title": issue.title,
            "body": issue.body or "",
            "url": fake.web(f"/{repo.full_name}/issues/{issue.number}"),
            "state": issue.state.upper(),
            "stateReason": issue.state_reason.upper() if issue.state_reason else None,
            "closed": issue.state == "closed",
            "createdAt": fake.timestamp(issue.created),
            "updatedAt": fake.timestamp(issue.updated),
            "closedAt": fake.timestamp(issue.closed),
            "repository": lambda info: self.repository(issue.repo),
            "author": lambda info: self.actor(issue.user),
            "authorAssociation": fake._association(repo, issue.user),
            "labels": labels,
            "assignees": assignees,
            "comments": comments,
            "subIssues": sub_issues,
            "parent": parent,
            "blockedBy": blocked_by,
            "blocking": blocking,
            "issueDependenciesSummary": summary,
        }

    def comment(self, comment: Any) -> dict[str, Any]:
        from tests.fakes.fake_github import node_id

        fake = self.fake
        issue = fake.issues[comment.issue_id]
        repo = fake.repos[issue.repo]
        return {
            "__typename": "IssueComment",
            "id": node_id("IC", comment.id),
            "databaseId": comment.id,
            "fullDatabaseId": str(comment.id),
            "body": comment.body,
            "url": fake.web(f"/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}"),
            "createdAt": fake.timestamp(comment.created),
            "updatedAt": fake.timestamp(comment.updated),
            "author": lambda info: self.actor(comment.user),
            "authorAssociation": fake._association(repo, comment.user),
            "issue": lambda info: self.issue(issue),
        }

    def _node(self, value: str) -> dict[str, Any]:
        found = self.lookup(value)
        if found is None:
            raise failure(
                f"Could not resolve to a node with the global id of '{value}'", "NOT_FOUND"
            )
        return found

    def lookup(self, value: str) -> dict[str, Any] | None:
        """The view of the object a node id names, or None."""
        decoded = decode_id(value)
        if decoded is None:
            return None
        kind, number = decoded
        fake = self.fake
        if kind == "I" and number in fake.issues and not fake.issues[number].deleted:
            return self.issue(fake.issues[number])
        if kind == "IC" and number in fake.comments:
            return self.comment(fake.comments[number])
        if kind == "R":
            for key, repo in fake.repos.items():
                if repo.id == number:
                    return self.repository(key)
        if kind == "LA":
            for repo in fake.repos.values():
                for label in repo.labels.values():
                    if label.id == number:
                        return self.label(label)
        return None
