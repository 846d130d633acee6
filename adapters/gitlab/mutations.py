"""Many GitLab mutations in one GraphQL request, as aliases, each with its own outcome.

A request holds as many mutations as GitLab's complexity limit lets it (250 for a signed-in
user; a field costs 1 plus what is selected under it), so a batch is split only where the
limit forces it. GitLab runs a request's mutations one after another; one that fails (a
GraphQL error with its alias as path, or the payload's own `errors`) fails alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .client import GitlabClient

MAX_COMPLEXITY = 250  # GitlabSchema::AUTHENTICATED_COMPLEXITY
WORK_ITEM = "workItem { id iid webUrl reference(full: true) } errors"
NOTE = "note { id } errors"
LABEL = "label { id title } errors"
ERRORS = "errors"
_ARGUMENTS = re.compile(r"\([^)]*\)")
_NAME = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Op:
    """One mutation: `field(input: $n) { selection }`."""

    field: str
    input_type: str
    input: dict[str, Any]
    selection: str = ERRORS

    @property
    def cost(self) -> int:
        """Its complexity by GitLab's rule: 1 for the field, 1 for each field under it."""
        return 1 + len(_NAME.findall(_ARGUMENTS.sub("", self.selection)))


@dataclass(frozen=True)
class Outcome:
    """What became of one mutation: its payload, or why it failed (nothing was made)."""

    payload: dict[str, Any] | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def requests(ops: Sequence[Op], budget: int = MAX_COMPLEXITY) -> Iterator[list[Op]]:
    """The ops in order, cut into requests that each fit the complexity limit."""
    chunk: list[Op] = []
    spent = 0
    for op in ops:
        if chunk and spent + op.cost > budget:
            yield chunk
            chunk, spent = [], 0
        chunk.append(op)
        spent += op.cost
    if chunk:
        yield chunk


def document(ops: Sequence[Op]) -> tuple[str, dict[str, Any]]:
    names = ", ".join(f"$i{n}: {op.input_type}!" for n, op in enumerate(ops))
    fields = "\n  ".join(
        f"m{n}: {op.field}(input: $i{n}) {{ {op.selection} }}" for n, op in enumerate(ops)
    )
    variables = {f"i{n}": op.input for n, op in enumerate(ops)}
    return f"mutation StoryplanBatch({names}) {{\n  {fields}\n}}", variables


def send(client: GitlabClient, ops: Sequence[Op], what: str) -> list[Outcome]:
    """One request carrying `ops` (which must fit the limit); an outcome for each, in order.
    A request that fails as a whole raises, with `unknown_outcome` where it may have run."""
    text, variables = document(ops)
    data, errors = client.mutate_many(text, variables, what)
    by_alias: dict[str, str] = {}
    for error in errors:
        path = error.get("path") or []
        if path:
            by_alias.setdefault(str(path[0]), str(error.get("message") or "failed"))
    outcomes = []
    for n, _ in enumerate(ops):
        alias = f"m{n}"
        payload = data.get(alias)
        if alias in by_alias:
            outcomes.append(Outcome(None, by_alias[alias]))
        elif not isinstance(payload, dict):
            outcomes.append(Outcome(None, "GitLab answered nothing for it"))
        elif payload.get("errors"):
            outcomes.append(Outcome(payload, "; ".join(str(e) for e in payload["errors"])))
        else:
            outcomes.append(Outcome(payload))
    return outcomes
