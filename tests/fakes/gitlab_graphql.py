"""The fake GitLab's work-item widgets and mutations beyond create/update: linked items
(`workItemAddLinkedItems`, `workItemRemoveLinkedItems`, the LINKED_ITEMS widget), notes
(`createNote`, `updateNote`, `destroyNote`, the NOTES widget), `labelCreate`, `Project.label`,
and how mutations are counted and made to fail one by one.

Messages follow GitLab's source: `Mutations::WorkItems::LinkedItems::Base` (at most 10 ids),
`EE::WorkItems::RelatedWorkItemLinks::CreateService` (blocking links need a licence),
`Mutations::Notes::*` (a note is edited only by its author; GitLab answers the standard
"resource not available" error), `Mutations::Labels::Create`.

Every mutation field that is carried out counts one write (`GraphQLCall.writes`); a payload
with `errors` made nothing and counts none. Faults: `writes_before_failing` counts mutation
fields (the first N run, the rest do not, and the whole answer is a 502, as a connection cut
mid-request), `fail_mutations(field, ...)` makes chosen occurrences of one mutation fail
alone, as a top-level error with its path or as a payload error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from graphql import GraphQLError

from tests.fakes.base import take_fault

RESOURCE_NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)
BLOCKED_WORK_ITEMS = "Blocked work items are not available for the current subscription tier"
ALREADY_LINKED = "Items are already linked"
MAX_LINKED = 10
NOTE_GID = "gid://gitlab/Note/"
LINK_TYPES = {"RELATED": "relates_to", "BLOCKS": "blocks", "BLOCKED_BY": "is_blocked_by"}
MUTATIONS = (
    "workItemCreate",
    "workItemUpdate",
    "workItemAddLinkedItems",
    "workItemRemoveLinkedItems",
    "createNote",
    "updateNote",
    "destroyNote",
    "labelCreate",
)


class Cut(GraphQLError):
    """A mutation not carried out because the connection was cut before it."""


@dataclass
class MutationFault:
    field: str
    skip: int  # occurrences that still succeed first
    times: int
    how: Literal["error", "payload"]


class GraphqlWidgets:
    """Mixed into FakeGitlab: resolvers over its records (issues, notes, links, labels)."""

    # -- faults and counting --------------------------------------------------------------
    def fail_mutations(
        self, field: str, *, times: int = 1, skip: int = 0, how: str = "error"
    ) -> None:
        """The `skip`+1-th to `skip`+`times`-th `field` mutations from now fail alone."""
        assert how in ("error", "payload")
        with self.lock:  # type: ignore[attr-defined]
            self.mutation_faults.append(MutationFault(field, skip, times, how))  # type: ignore[arg-type]

    def _fault_for(self, field: str) -> MutationFault | None:
        return take_fault(self.mutation_faults, lambda fault: fault.field == field)

    def _counted(self, field: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
        def run(root: Any, info: Any, **args: Any) -> Any:
            context: dict[str, Any] = info.context
            if context.get("cut") or self._cut_here():
                context["cut"] = True
                raise Cut("502 Bad Gateway")
            fault = self._fault_for(field)
            if fault is not None and fault.how == "error":
                raise GraphQLError("Internal server error")
            if fault is not None:
                return {"errors": ["Something went wrong"], "clientMutationId": None}
            result = resolve(root, info, **args)
            if not (isinstance(result, dict) and result.get("errors")):
                context["writes"] = context.get("writes", 0) + 1
            return result

        return run

    def _cut_here(self) -> bool:
        """`writes_before_failing`, counted in mutation fields."""
        left = self.writes_before_failing
        if left is None:
            return False
        if left == 0:
            return True
        self.writes_before_failing = left - 1
        return False

    # -- views ----------------------------------------------------------------------------
    def _user_core(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id, self.user)
        return {
            "id": f"gid://gitlab/User/{user['id']}",
            "name": user["name"],
            "username": user["username"],
            "state": "active",
            "webUrl": self._web(user["username"]),
        }

    def _note_view(self, note: Any) -> dict[str, Any]:
        issue = self.issues[note.issue_id]
        return {
            "id": f"{NOTE_GID}{note.id}",
            "body": note.body,
            "author": lambda _info: self._user_core(note.author_id),
            "system": note.system,
            "internal": note.internal,
            "createdAt": note.created_at,
            "updatedAt": note.updated_at,
            "url": f"{self.issue_web_url(issue)}#note_{note.id}",
        }

    def _discussions(self, issue: Any, args: dict[str, Any]) -> dict[str, Any]:
        kind = args.get("filter") or "ALL_NOTES"
        notes = sorted(
            (n for n in self.notes.values() if n.issue_id == issue.id),
            key=lambda n: (n.created_at, n.id),
        )
        if kind == "ONLY_COMMENTS":
            notes = [n for n in notes if not n.system]
        elif kind == "ONLY_ACTIVITY":
            notes = [n for n in notes if n.system]

        def discussion(note: Any) -> dict[str, Any]:
            digest = hashlib.sha1(f"note-{note.id}".encode()).hexdigest()
            return {
                "id": f"gid://gitlab/Discussion/{digest}",
                "createdAt": note.created_at,
                "notes": lambda _info, **a: self._connection([note], a, self._note_view),
                "resolvable": False,
                "resolved": False,
            }

        return self._connection(notes, args, discussion)

    def _linked_rows(self, issue: Any) -> list[tuple[Any, str, Any]]:
        """(link, type seen from `issue`, other work item) for each of its links."""
        rows = []
        for link in sorted(self.links.values(), key=lambda lk: lk.id):
            if link.source_id == issue.id:
                rows.append((link, link.link_type, self.issues[link.target_id]))
            elif link.target_id == issue.id:
                seen = "is_blocked_by" if link.link_type == "blocks" else link.link_type
                rows.append((link, seen, self.issues[link.source_id]))
        return rows

    def _linked_items_widget(self, issue: Any) -> dict[str, Any]:
        def linked_items(_info: Any, **args: Any) -> dict[str, Any]:
            rows = self._linked_rows(issue)
            if args.get("filter"):
                rows = [r for r in rows if r[1] == LINK_TYPES[args["filter"]]]

            def view(row: tuple[Any, str, Any]) -> dict[str, Any]:
                link, link_type, other = row
                return {
                    "linkCreatedAt": link.created_at,
                    "linkId": f"gid://gitlab/WorkItems::RelatedWorkItemLink/{link.id}",
                    "linkType": link_type,
                    "linkUpdatedAt": link.updated_at,
                    "workItem": lambda _info: self._work_item_view(other),
                }

            return self._connection(rows, args, view, key=lambda row: row[0].id)

        rows = self._linked_rows(issue)
        blocked_by = [r for r in rows if r[1] == "is_blocked_by" and r[2].state == "opened"]
        return {
            "__typename": "WorkItemWidgetLinkedItems",
            "type": "LINKED_ITEMS",
            "blocked": bool(blocked_by),
            "blockedByCount": len(blocked_by),
            "blockingCount": sum(1 for r in rows if r[1] == "blocks"),
            "linkedItems": linked_items,
        }

    def _notes_widget(self, issue: Any) -> dict[str, Any]:
        return {
            "__typename": "WorkItemWidgetNotes",
            "type": "NOTES",
            "discussionLocked": False,
            "discussions": lambda _info, **args: self._discussions(issue, args),
        }

    def _project_label(self, project: Any) -> Callable[..., Any]:
        def label(_info: Any, title: str) -> dict[str, Any] | None:
            found = project.labels.get(title)
            return self._label_view(found) if found else None

        return label

    # -- mutations ------------------------------------------------------------------------
    def _writable_item(self, info: Any, gid: str) -> Any:
        issue = self._issue_by_gid(gid)
        if issue is None or self._access_of(info) != "write":
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        return issue

    def _items(self, gids: list[str]) -> list[Any]:
        if len(gids) > MAX_LINKED:
            raise GraphQLError(
                f"No more than {MAX_LINKED} work items can be modified at the same time."
            )
        found = []
        for gid in gids:
            item = self._issue_by_gid(gid)
            if item is None:
                raise GraphQLError(f"Couldn't find WorkItem with 'id'={gid.rsplit('/', 1)[-1]}")
            found.append(item)
        return found

    def _gql_add_linked_items(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        item = self._writable_item(info, input["id"])
        others = self._items(input["workItemsIds"])
        link_type = LINK_TYPES[input.get("linkType") or "RELATED"]
        client_id = input.get("clientMutationId")
        payload: dict[str, Any] = {"workItem": self._work_item_view(item), "message": ""}
        if link_type != "relates_to" and not self.blocking_links_available:
            return {**payload, "errors": [BLOCKED_WORK_ITEMS], "clientMutationId": client_id}
        linked = {r[2].id for r in self._linked_rows(item)}
        fresh = [o for o in others if o.id not in linked and o.id != item.id]
        if not fresh:
            return {**payload, "errors": [ALREADY_LINKED], "clientMutationId": client_id}
        for other in fresh:
            if link_type == "is_blocked_by":
                self._create_link(other, item, "blocks")
            else:
                self._create_link(item, other, link_type)
        ids = " and ".join(str(o.id) for o in fresh)
        payload["message"] = f"Successfully linked ID(s): {ids}."
        return {**payload, "errors": [], "clientMutationId": client_id}

    def _gql_remove_linked_items(
        self, _root: Any, info: Any, input: dict[str, Any]
    ) -> dict[str, Any]:
        item = self._writable_item(info, input["id"])
        if not input["workItemsIds"]:
            raise GraphQLError("workItemsIds cannot be empty")
        others = {o.id for o in self._items(input["workItemsIds"])}
        gone = [
            link
            for link in list(self.links.values())
            if {link.source_id, link.target_id} & others
            and item.id in (link.source_id, link.target_id)
        ]
        client_id = input.get("clientMutationId")
        payload: dict[str, Any] = {"workItem": self._work_item_view(item), "message": ""}
        if not gone:
            return {**payload, "errors": ["No items found"], "clientMutationId": client_id}
        for link in gone:
            del self.links[link.id]
        ids = ", ".join(str(link.target_id ^ link.source_id ^ item.id) for link in gone)
        payload["message"] = f"Successfully unlinked IDs: {ids}."
        return {**payload, "errors": [], "clientMutationId": client_id}

    def _note_errors(self, body: str | None) -> list[str]:
        if body is None or not body.strip():
            return ["Note can't be blank"]
        if len(body) > self.note_max_chars:
            return [f"Note is too long (maximum is {self.note_max_chars} characters)"]
        return []

    def _gql_create_note(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._writable_item(info, input["noteableId"])
        client_id = input.get("clientMutationId")
        errors = self._note_errors(input.get("body"))
        if errors:
            return {"note": None, "errors": errors, "clientMutationId": client_id}
        note = self._create_note(issue, input["body"], internal=bool(input.get("internal")))
        return {"note": self._note_view(note), "errors": [], "clientMutationId": client_id}

    def _note_by_gid(self, info: Any, gid: str) -> Any:
        raw = gid[len(NOTE_GID) :] if gid.startswith(NOTE_GID) else ""
        note = self.notes.get(int(raw)) if raw.isdigit() else None
        if note is None or note.system or self._access_of(info) != "write":
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        return note

    def _gql_update_note(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        note = self._note_by_gid(info, input["id"])
        if note.author_id != self.user["id"]:  # only its author edits a note
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        client_id = input.get("clientMutationId")
        if input.get("body") is not None:
            errors = self._note_errors(input["body"])
            if errors:
                return {"note": None, "errors": errors, "clientMutationId": client_id}
            note.body = input["body"]
            note.updated_at = self._now()
        return {"note": self._note_view(note), "errors": [], "clientMutationId": client_id}

    def _gql_destroy_note(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        note = self._note_by_gid(info, input["id"])  # a Maintainer may delete anyone's note
        del self.notes[note.id]
        return {"note": None, "errors": [], "clientMutationId": input.get("clientMutationId")}

    def _gql_label_create(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        project = self.find_project(input.get("projectPath") or "")
        if project is None or self._access_of(info) != "write":
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        client_id = input.get("clientMutationId")
        title = input["title"].strip()
        if title in project.labels:
            return {
                "label": None,
                "errors": ["Title has already been taken"],
                "clientMutationId": client_id,
            }
        (name,) = self._ensure_labels(project, [title])
        label = project.labels[name]
        label.color = input.get("color") or label.color
        return {"label": self._label_view(label), "errors": [], "clientMutationId": client_id}

    def _mutation_resolvers(self) -> dict[str, Callable[..., Any]]:
        return {
            "workItemCreate": self._gql_work_item_create,
            "workItemUpdate": self._gql_work_item_update,
            "workItemAddLinkedItems": self._gql_add_linked_items,
            "workItemRemoveLinkedItems": self._gql_remove_linked_items,
            "createNote": self._gql_create_note,
            "updateNote": self._gql_update_note,
            "destroyNote": self._gql_destroy_note,
            "labelCreate": self._gql_label_create,
        }
