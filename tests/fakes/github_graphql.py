"""The fake GitHub's `POST /graphql`, executed by graphql-core against GitHub's public schema
over the same state as the REST fake.

Answers as GitHub does: HTTP 200 with `errors` for a document the schema rejects; per alias,
a failed field is null in `data` with an `errors` entry naming its `path` (and GitHub's
`type`: NOT_FOUND, UNPROCESSABLE, FORBIDDEN); connections need `first` or `last` (at most
100); a document may ask for at most 500,000 nodes. Each mutation field carried out is one
write; mutations reuse the REST handlers, so both APIs refuse alike.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    execute,
    parse,
    validate,
    visit,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
)

from tests.fakes.base import Logged, Request, Response
from tests.fakes.github_graphql_mutations import Mutations
from tests.fakes.github_graphql_schema import github_schema

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGithub, Issue

MAX_NODES = 500_000
SUB_ISSUE_FIELDS = {
    ("Issue", "subIssues"),
    ("Issue", "parent"),
    ("Issue", "subIssuesSummary"),
    ("Mutation", "addSubIssue"),
    ("Mutation", "removeSubIssue"),
    ("Mutation", "reprioritizeSubIssue"),
}
DEPENDENCY_FIELDS = {
    ("Issue", "blockedBy"),
    ("Issue", "blocking"),
    ("Issue", "issueDependenciesSummary"),
    ("Mutation", "addBlockedBy"),
    ("Mutation", "removeBlockedBy"),
}
MAX_PAGE = 100


class Cut(Exception):
    """The request's write budget ran out: the rest of it is not carried out."""


@functools.lru_cache(maxsize=512)
def operation_of(query: str) -> tuple[str, tuple[str, ...]]:
    """("query" | "mutation" | "", root field names) of a GraphQL document."""
    try:
        document = parse(query)
    except GraphQLError:
        return "", ()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            names = tuple(
                sel.name.value
                for sel in definition.selection_set.selections
                if isinstance(sel, FieldNode)
            )
            return definition.operation.value, names
    return "", ()


def is_graphql(entry: Logged) -> bool:
    return entry.path.endswith("/graphql")


def kind_of(entry: Logged) -> str:
    body = entry.request_body
    if not isinstance(body, dict):
        return ""
    return operation_of(str(body.get("query") or ""))[0]


def writes_of(entry: Logged) -> int:
    """Writes one logged request made: REST writes one, a GraphQL request one per mutation
    field carried out (non-null in its answer)."""
    if not is_graphql(entry):
        return 1 if entry.is_write else 0
    if kind_of(entry) != "mutation" or not isinstance(entry.response_body, dict):
        return 0
    data = entry.response_body.get("data") or {}
    return sum(1 for value in data.values() if value is not None)


def is_write_request(entry: Logged) -> bool:
    """A REST write, or a GraphQL request carrying mutations (carried out or not)."""
    return kind_of(entry) == "mutation" if is_graphql(entry) else entry.is_write


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


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = variables.get(value.name.value)
                return found if isinstance(found, int) else None
    return None


def requested_nodes(
    selections: SelectionSetNode,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    """GitHub's node count: each connection asks for its page size times its parents'."""
    total = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            size = _page_size(selection, variables)
            inner = multiplier if size is None else multiplier * size
            total += 0 if size is None else inner
            if selection.selection_set:
                total += requested_nodes(selection.selection_set, inner, fragments, variables)
        elif isinstance(selection, InlineFragmentNode):
            total += requested_nodes(selection.selection_set, multiplier, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += requested_nodes(fragment.selection_set, multiplier, fragments, variables)
    return total


def _github_error(error: GraphQLError) -> dict[str, Any]:
    """graphql-core's error in GitHub's shape (its `type` beside the message; GitHub's
    wording and code for a field the schema does not have)."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.pop("extensions", None) or {})
    if "type" in extensions:
        formatted["type"] = extensions.pop("type")
    message = formatted["message"]
    if message.startswith("Cannot query field '"):
        field, type_name = message.split("'")[1], message.split("'")[3]
        formatted["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        extensions = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
    if extensions:
        formatted["extensions"] = extensions
    return formatted


class GraphqlEndpoint(Mutations):
    """`POST /graphql` for one FakeGithub."""

    def __init__(self, fake: FakeGithub) -> None:
        self.fake = fake
        self.budget: int | None = None  # writes left before a request is cut (None: no cut)

    def answer(self, request: Request) -> Response:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return Response(400, {"message": "Problems parsing JSON"})
        if not isinstance(payload, dict) or not payload.get("query"):
            return Response(200, {"errors": [{"message": "A query attribute must be specified"}]})
        variables = payload.get("variables") or {}
        try:
            document = parse(str(payload["query"]))
        except GraphQLError as err:
            return Response(200, {"errors": [_github_error(err)]})
        schema = github_schema()
        errors = validate(schema, document) or self._hidden(schema, document)
        if errors:
            return Response(200, {"errors": [_github_error(e) for e in errors]})
        nodes = self._nodes(document, variables)
        if nodes > MAX_NODES:
            message = (
                f"This query requests up to {nodes:,} possible nodes which exceeds the "
                f"maximum limit of {MAX_NODES:,}."
            )
            return Response(
                200, {"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": message}]}
            )
        result = execute(
            schema,
            document,
            root_value=self._root(),
            variable_values=variables,
            operation_name=payload.get("operationName"),
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_github_error(e) for e in result.errors]
        return Response(200, body)

    def _hidden(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        """A field this instance lacks (an Enterprise Server without sub-issues or issue
        dependencies), refused as a schema without it would refuse it."""
        hidden: set[tuple[str, str]] = set()
        if not self.fake.sub_issues_enabled:
            hidden |= SUB_ISSUE_FIELDS
        if not (self.fake.dependencies_enabled and self.fake.graphql_dependencies):
            hidden |= DEPENDENCY_FIELDS
        if not hidden:
            return []
        info = TypeInfo(schema)
        found: list[GraphQLError] = []

        class Finder(Visitor):
            def enter_field(self, node: FieldNode, *_: Any) -> None:
                parent = info.get_parent_type()
                if parent is not None and (parent.name, node.name.value) in hidden:
                    found.append(
                        GraphQLError(
                            f"Cannot query field '{node.name.value}' on type '{parent.name}'.",
                            node,
                        )
                    )

        visit(document, TypeInfoVisitor(info, Finder()))
        return found

    @staticmethod
    def _nodes(document: DocumentNode, variables: dict[str, Any]) -> int:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return sum(
            requested_nodes(d.selection_set, 1, fragments, variables)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        )

    def _root(self) -> dict[str, Any]:
        root: dict[str, Any] = {
            "repository": self._repository,
            "node": lambda info, id: self._node(id),
            "viewer": lambda info: self.actor(self.fake._actor),
        }
        root.update(self.mutation_root())
        return root

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
        return {
            "__typename": "Bot" if user.type == "Bot" else "User",
            "login": user.login,
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
