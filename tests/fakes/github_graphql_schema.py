"""GitHub's public GraphQL schema, built once per process for the fake GitHub: the published
SDL (`github_schema/`, see its PROVENANCE), plus the issue-dependency definitions it lacks,
with graphql-core's stricter checks waived where GitHub's server does not apply them.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    extend_schema,
    parse,
    print_ast,
    validate_schema,
)
from graphql.language import (
    DocumentNode,
    ObjectTypeExtensionNode,
    TypeDefinitionNode,
)

SCHEMA_DIR = Path(__file__).with_name("github_schema")
BASE = SCHEMA_DIR / "schema.graphql"
DEPENDENCIES = SCHEMA_DIR / "issue-dependencies.graphql"
# The one rule of graphql-core's schema validation GitHub's published SDL breaks (12 times).
WAIVED = re.compile(
    r"^Interface field \S+ is not deprecated, so implementation field \S+ must not be "
    r"deprecated\.$"
)


def _serialize_wide_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Int cannot represent {value!r}")
    return value


# GitHub answers `databaseId` values above 2^31-1 as plain JSON numbers. (graphql-core
# reserves the name Int; the output type's name shows only in introspection.)
WIDE_INT = GraphQLScalarType("WideInt", serialize=_serialize_wide_int)


def missing_definitions(schema: GraphQLSchema, document: DocumentNode) -> DocumentNode | None:
    """The definitions of `document` the schema lacks: new types, and extension fields
    the extended type does not have yet."""
    kept: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode):
            if definition.name.value not in schema.type_map:
                kept.append(definition)
        elif isinstance(definition, ObjectTypeExtensionNode):
            existing = schema.type_map.get(definition.name.value)
            have = existing.fields if isinstance(existing, GraphQLObjectType) else {}
            fields = tuple(f for f in definition.fields or () if f.name.value not in have)
            if fields:
                kept.append(
                    ObjectTypeExtensionNode(
                        name=definition.name,
                        interfaces=definition.interfaces,
                        directives=definition.directives,
                        fields=fields,
                    )
                )
    return DocumentNode(definitions=tuple(kept)) if kept else None


def _widen(schema: GraphQLSchema) -> None:
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        field = named.fields.get("databaseId")
        if field is None:
            continue
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if getattr(inner, "name", None) == "Int":
            field.type = GraphQLNonNull(WIDE_INT) if field.type is not inner else WIDE_INT


def _waive(schema: GraphQLSchema) -> None:
    errors = [e for e in validate_schema(schema) if not WAIVED.match(e.message)]
    if errors:
        raise ValueError("GitHub's schema fails checks not waived: " + errors[0].message)
    schema._validation_errors = []  # checked above: only the waived rule fails


@functools.cache
def github_schema(dependencies: bool = True) -> GraphQLSchema:
    """The schema; `dependencies=False` is an Enterprise Server without issue dependencies."""
    schema = build_schema(BASE.read_text(encoding="utf-8"), assume_valid_sdl=True)
    if dependencies:
        extra = missing_definitions(schema, parse(DEPENDENCIES.read_text(encoding="utf-8")))
        if extra is not None:
            schema = extend_schema(schema, parse(print_ast(extra)), assume_valid_sdl=True)
    _waive(schema)
    _widen(schema)
    return schema
