"""GitLab's GraphQL query limits, for the fake: complexity and depth, computed before a query
runs, and the error graphql-ruby answers when a query is over either.

The rule follows GitLab's `Types::BaseField` and `Resolvers::BaseResolver`: every field costs
1 plus what is selected under it (a field with its own `complexity:` costs that instead of 1);
a connection adds 1% of its cost per item it may return (`first`/`last`, at most the page
size of 100), so a full page doubles it. Fragments on the types a list may hold count the most
expensive of them. Limits are GitLab's: 250 for an authenticated user, 200 anonymous; depth
20 and 15.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
)
from graphql.utilities import value_from_ast_untyped

AUTHENTICATED_COMPLEXITY = 250
ANONYMOUS_COMPLEXITY = 200
AUTHENTICATED_DEPTH = 20
ANONYMOUS_DEPTH = 15
PAGE_SIZE = 100
PER_ITEM = 0.01
# Fields GitLab declares with their own complexity (`complexity: 5` on linkedItems).
OWN_COMPLEXITY = {("WorkItemWidgetLinkedItems", "linkedItems"): 5}


class Limits:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _fields(
        self, selection_set: SelectionSetNode, type_name: str
    ) -> list[tuple[FieldNode, str]]:
        """The fields selected on `type_name`, through fragments that apply to it."""
        found: list[tuple[FieldNode, str]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append((selection, type_name))
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition.name.value, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else ""
                inner = selection.selection_set
            else:
                continue
            if not condition or self._applies(condition, type_name):
                found.extend(self._fields(inner, condition or type_name))
        return found

    def _applies(self, condition: str, type_name: str) -> bool:
        if condition == type_name:
            return True
        outer = self.schema.get_type(condition)
        inner = self.schema.get_type(type_name)
        if isinstance(outer, GraphQLInterfaceType | GraphQLUnionType) and isinstance(
            inner, GraphQLObjectType
        ):
            return self.schema.is_sub_type(outer, inner)
        return False

    def _possible(self, type_name: str) -> list[str]:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return [t.name for t in self.schema.get_possible_types(named)]
        return [type_name]

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def cost(self, selection_set: SelectionSetNode | None, type_name: str) -> float:
        """The most any of the types `type_name` may be costs."""
        if selection_set is None:
            return 0.0
        return max(self._cost_on(selection_set, concrete) for concrete in self._possible(type_name))

    def _cost_on(self, selection_set: SelectionSetNode, type_name: str) -> float:
        total = 0.0
        for node, owner in self._fields(selection_set, type_name):
            name = node.name.value
            if name.startswith("__"):
                continue
            parent = self.schema.get_type(owner)
            fields = getattr(parent, "fields", {})
            if name not in fields:
                continue  # validation reports it
            child_type = get_named_type(fields[name].type).name
            own = OWN_COMPLEXITY.get((owner, name), 1)
            cost = own + self.cost(node.selection_set, child_type)
            if child_type.endswith("Connection"):
                sizes = [self._argument(node, "first"), self._argument(node, "last"), PAGE_SIZE]
                limit = min(int(size) for size in sizes if isinstance(size, int))
                cost += cost * limit * PER_ITEM
            total += cost
        return total

    def depth(self, selection_set: SelectionSetNode | None, type_name: str) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for concrete in self._possible(type_name):
            for node, owner in self._fields(selection_set, concrete):
                fields = getattr(self.schema.get_type(owner), "fields", {})
                if node.name.value not in fields:
                    continue
                child_type = get_named_type(fields[node.name.value].type).name
                deepest = max(deepest, 1 + self.depth(node.selection_set, child_type))
        return deepest


def over_limits(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    *,
    authenticated: bool,
) -> str | None:
    """graphql-ruby's message when the operation is too complex or too deep; None if it fits."""
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    assert root is not None
    limits = Limits(schema, fragments, variables)
    complexity = round(limits.cost(operation.selection_set, root.name))
    most = AUTHENTICATED_COMPLEXITY if authenticated else ANONYMOUS_COMPLEXITY
    if complexity > most:
        return f"Query has complexity of {complexity}, which exceeds max complexity of {most}"
    depth = limits.depth(operation.selection_set, root.name)
    deepest = AUTHENTICATED_DEPTH if authenticated else ANONYMOUS_DEPTH
    if depth > deepest:
        return f"Query has depth of {depth}, which exceeds max depth of {deepest}"
    return None


def query_complexity(schema: GraphQLSchema, source: str, variables: dict[str, Any]) -> float:
    """The complexity of a document's (first) operation, for tests and benchmarks."""
    document = parse(source)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    assert root is not None
    return Limits(schema, fragments, variables).cost(operation.selection_set, root.name)
