"""The GraphQL documents storyplan sends to GitHub, as text: the story read (one story or many
by alias), the follow-up pages of its connections, and aliased mutations. Pure: no requests.

Page sizes keep a read of `STORIES_PER_QUERY` stories under GitHub's 500,000-node limit
(per story: 100 comments, 100 sub-issues, each with 100 labels and 50 blockers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STORIES_PER_QUERY = 20
FIELDS_PER_MUTATION = 50  # mutations in one request; GitHub answers large ones slowly
BLOCKERS_PAGE = 50  # GitHub allows 50 dependencies per issue and relationship

REF = "id databaseId number repository { nameWithOwner }"
ISSUE = f"""{REF} title body url state stateReason createdAt updatedAt
  author {{ __typename login }} authorAssociation labels(first: 100) {{ nodes {{ name }} }}"""
PAGE = "pageInfo { hasNextPage endCursor }"
COMMENT = "id databaseId body url createdAt author { __typename login } authorAssociation"
BLOCKERS = f"blockedBy(first: {BLOCKERS_PAGE}) {{ {PAGE} nodes {{ {REF} }} }}"
CHILD = f"{ISSUE} {BLOCKERS}"

STORY = f"""{ISSUE} assignees(first: 100) {{ nodes {{ login }} }}
  comments(first: 100) {{ {PAGE} nodes {{ ...Comment }} }}
  subIssues(first: 100) {{ {PAGE} nodes {{ ...Child }} }}"""


def fragments_for(text: str) -> str:
    """The fragments `text` spreads (GraphQL refuses a document with an unused one)."""
    out = ""
    if "...Story" in text:
        out += f"\nfragment Story on Issue {{ {STORY} }}"
        text += STORY
    if "...Child" in text:
        out += f"\nfragment Child on Issue {{ {CHILD} }}"
    if "...Comment" in text:
        out += f"\nfragment Comment on IssueComment {{ {COMMENT} }}"
    return out


def story_query(
    stories: list[tuple[str, str, int]], labels: list[str]
) -> tuple[str, dict[str, Any]]:
    """Many stories (owner, repo, number) in one query, each under alias `sN`, with the node
    ids of `labels` in each story's repository (`lN` under `sN`)."""
    params: list[str] = []
    variables: dict[str, Any] = {}
    parts: list[str] = []
    for n, name in enumerate(labels):
        params.append(f"$l{n}: String!")
        variables[f"l{n}"] = name
    label_fields = " ".join(f"l{n}: label(name: $l{n}) {{ id name }}" for n in range(len(labels)))
    for n, (owner, repo, number) in enumerate(stories):
        params += [f"$o{n}: String!", f"$r{n}: String!", f"$i{n}: Int!"]
        variables.update({f"o{n}": owner, f"r{n}": repo, f"i{n}": number})
        parts.append(
            f"s{n}: repository(owner: $o{n}, name: $r{n}) {{ id {label_fields} "
            f"issue(number: $i{n}) {{ ...Story }} }}"
        )
    query = f"query Stories({', '.join(params)}) {{ {' '.join(parts)} }}"
    return query + fragments_for(query), variables


def page_query(connection: str) -> str:
    """The next page of one connection of an issue (`comments`, `subIssues`, `blockedBy`)."""
    nodes = {"comments": "...Comment", "subIssues": "...Child", "blockedBy": REF}[connection]
    query = (
        "query Page($id: ID!, $after: String) { node(id: $id) { ... on Issue { "
        f"{connection}(first: 100, after: $after) {{ {PAGE} nodes {{ {nodes} }} }} }} }} }}"
    )
    return query + fragments_for(query)


def labels_query(owner: str, repo: str, labels: list[str]) -> tuple[str, dict[str, Any]]:
    params = ", ".join(f"$l{n}: String!" for n in range(len(labels)))
    fields = " ".join(f"l{n}: label(name: $l{n}) {{ id name }}" for n in range(len(labels)))
    query = (
        f"query Labels($owner: String!, $name: String!, {params}) "
        f"{{ repository(owner: $owner, name: $name) {{ id {fields} }} }}"
    )
    variables = {"owner": owner, "name": repo} | {f"l{n}": v for n, v in enumerate(labels)}
    return query, variables


# What each mutation answers that storyplan reads back.
SELECTIONS = {
    "createIssue": "issue { ...Child }",
    "updateIssue": "issue { ...Child }",
    "addComment": "commentEdge { node { ...Comment } }",
    "updateIssueComment": "issueComment { ...Comment }",
    "createLabel": "label { id name }",
}


@dataclass
class Mutation:
    """Aliased mutation fields, in order; each field's input travels as a variable."""

    fields: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, name: str, data: dict[str, Any]) -> str:
        alias = f"m{len(self.fields)}"
        self.fields.append((alias, name, data))
        return alias

    def document(self) -> tuple[str, dict[str, Any]]:
        params, parts, variables = [], [], {}
        for alias, name, data in self.fields:
            kind = name[0].upper() + name[1:] + "Input"
            params.append(f"${alias}: {kind}!")
            parts.append(
                f"{alias}: {name}(input: ${alias}) {{ {SELECTIONS.get(name, 'clientMutationId')} }}"
            )
            variables[alias] = data
        text = f"mutation Changes({', '.join(params)}) {{ {' '.join(parts)} }}"
        return text + fragments_for(text), variables
