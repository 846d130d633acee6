"""Reading stories through GitHub's GraphQL API: one query reads a story (or 20 of them, by
alias), its comments, its sub-issues with each one's blockers and labels, and the node ids
the mutations need; a connection longer than its first page is read on, page by page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from storyplan.adapters.shared.transport import Failure
from storyplan.errors import TrackerError

from . import queries, records
from .client import GithubClient, split_key
from .records import Json

TYPES = {"NOT_FOUND": 404, "FORBIDDEN": 403}


class Undefined(Exception):
    """GitHub's schema lacks a field storyplan asks for (an older Enterprise Server)."""


@dataclass
class StoryRead:
    """One story as GitHub holds it, in REST's JSON shape (`records` reads it)."""

    story: Json
    repo_id: str
    labels: dict[str, str]  # label name, lower case -> node id (those that exist)
    asked: frozenset[str] = frozenset()  # label names (lower case) the read asked for
    found: frozenset[str] = frozenset()  # … and those it found
    comments: list[Json] = field(default_factory=list)
    children: list[Json] = field(default_factory=list)  # each with its "blocked_by"


def undefined_field(errors: list[Json]) -> str | None:
    """The field GitHub says its schema does not have, if that is what it answered."""
    for error in errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "undefinedField":
            return f"{extensions.get('typeName')}.{extensions.get('fieldName')}"
    return None


def refused(client: GithubClient, what: str, errors: list[Json]) -> TrackerError:
    """GitHub's answer to a whole document (no `data`), as one of storyplan's errors."""
    message = str(errors[0].get("message") or "") if errors else ""
    status = TYPES.get(str(errors[0].get("type"))) if errors else None
    return client.service.error(what, Failure(status or 422, message))


def by_alias(errors: list[Json]) -> dict[str, Json]:
    """Each error under the alias its `path` starts with (the first one of each)."""
    found: dict[str, Json] = {}
    for error in errors:
        path = error.get("path") or []
        if path:
            found.setdefault(str(path[0]), error)
    return found


def read_stories(
    client: GithubClient, keys: list[str], labels: list[str]
) -> dict[str, StoryRead | TrackerError]:
    """Each story by its key: what GitHub holds, or the error reading it met."""
    out: dict[str, StoryRead | TrackerError] = {}
    step = queries.STORIES_PER_QUERY
    for start in range(0, len(keys), step):
        chunk = keys[start : start + step]
        specs = []
        for key in chunk:
            project, number = split_key(key)
            owner, _, name = project.partition("/")
            specs.append((owner, name, number))
        query, variables = queries.story_query(specs, labels)
        what = f"read story {chunk[0]}" if len(chunk) == 1 else f"read {len(chunk)} stories"
        data, errors = client.graphql(query, variables, what)
        missing = undefined_field(errors)
        if missing:
            raise Undefined(missing)
        if not data and errors:
            raise refused(client, what, errors)
        failed = by_alias(errors)
        for n, key in enumerate(chunk):
            repo = data.get(f"s{n}") or {}
            issue = repo.get("issue")
            if issue is None:
                error = failed.get(f"s{n}", {})
                failure = Failure(TYPES.get(str(error.get("type")), 404), str(error.get("message")))
                out[key] = client.service.error(f"read story {key}", failure)
                continue
            out[key] = _complete(client, repo, issue, labels)
    return out


def _complete(
    client: GithubClient, repo: Mapping[str, Any], issue: Json, labels: list[str]
) -> StoryRead:
    names = {}
    for n in range(len(labels)):
        label = repo.get(f"l{n}")
        if label:
            names[str(label["name"]).lower()] = str(label["id"])
    key = records.key_of(records.issue_of_node(issue))
    comments = _all(client, issue, "comments", key)
    children = []
    for node in _all(client, issue, "subIssues", key):
        child = records.issue_of_node(node)
        blockers = _all(client, node, "blockedBy", records.key_of(child))
        child["blocked_by"] = [records.issue_of_node(b) for b in blockers]
        children.append(child)
    return StoryRead(
        story=records.issue_of_node(issue),
        repo_id=str(repo["id"]),
        labels=names,
        asked=frozenset(name.lower() for name in labels),
        found=frozenset(names),
        comments=[records.comment_of_node(c) for c in comments],
        children=children,
    )


def _all(client: GithubClient, node: Json, connection: str, key: str) -> list[Json]:
    """Every node of `connection`: the first page read already, then page by page."""
    page = node.get(connection) or {}
    items = [item for item in page.get("nodes") or [] if item]
    info = page.get("pageInfo") or {}
    while info.get("hasNextPage"):
        what = f"read the {connection} of {key}"
        variables = {"id": node["id"], "after": info.get("endCursor")}
        data, errors = client.graphql(queries.page_query(connection), variables, what)
        if not data.get("node"):
            raise refused(client, what, errors)
        page = data["node"].get(connection) or {}
        items += [item for item in page.get("nodes") or [] if item]
        info = page.get("pageInfo") or {}
    return items
