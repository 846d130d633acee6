"""The fake GitHub's `POST /graphql`, executed by graphql-core against GitHub's public schema
over the same state as the REST fake.

Answers as GitHub does: HTTP 200 with `errors` for a document the schema rejects; per alias,
a failed field is null in `data` with an `errors` entry naming its `path` (and GitHub's
`type`: NOT_FOUND, UNPROCESSABLE, FORBIDDEN); connections need `first` or `last` (at most
100); a document may ask for at most 500,000 nodes. Each mutation field carried out is one
write; mutations reuse the REST handlers, so both APIs refuse alike.
"""

from __future__ import annotations

import functools
import json
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
from tests.fakes.github_graphql_views import Views

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGithub

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


class GraphqlEndpoint(Views, Mutations):
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
