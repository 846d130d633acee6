"""The mutations of the fake GitHub's GraphQL endpoint, carried out by the REST fake's own
handlers (so both APIs refuse alike), each a write that the request's budget may cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.base import Request, Response
from tests.fakes.github_graphql_views import Cut, decode_id, failure, no_node

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGithub, Issue, Label, Repo

KINDS = {404: "NOT_FOUND", 410: "NOT_FOUND", 403: "FORBIDDEN", 422: "UNPROCESSABLE"}


def _message(response: Response) -> str:
    body = response.body if isinstance(response.body, dict) else {}
    for entry in body.get("errors") or []:
        if isinstance(entry, dict) and entry.get("message"):
            return str(entry["message"])
        if isinstance(entry, str):
            return entry
    return str(body.get("message") or "failed")


class Mutations:
    """Mixed into the endpoint: one resolver per mutation storyplan may send."""

    fake: FakeGithub
    budget: int | None
    issue: Callable[[Issue], dict[str, Any]]
    comment: Callable[[Any], dict[str, Any]]
    label: Callable[[Label], dict[str, Any]]
    lookup: Callable[[str], dict[str, Any] | None]

    def mutation_root(self) -> dict[str, Any]:
        resolvers: dict[str, Callable[..., Any]] = {
            "createIssue": self._create_issue,
            "createLabel": self._create_label,
            "updateIssue": self._update_issue,
            "closeIssue": self._close_issue,
            "addComment": self._add_comment,
            "updateIssueComment": self._update_comment,
            "deleteIssueComment": self._delete_comment,
            "addLabelsToLabelable": self._add_labels,
            "removeLabelsFromLabelable": self._remove_labels,
            "addSubIssue": self._add_sub_issue,
            "removeSubIssue": self._remove_sub_issue,
            "addBlockedBy": self._add_blocked_by,
            "removeBlockedBy": self._remove_blocked_by,
        }
        return {name: self._write(resolver) for name, resolver in resolvers.items()}

    def _write(self, resolver: Callable[..., Any]) -> Callable[..., Any]:
        def carried_out(info: Any, input: dict[str, Any]) -> Any:

            if self.budget is not None:
                if self.budget <= 0:
                    raise Cut()
                self.budget -= 1
            if self.fake._actor_level == "read":
                raise failure("Resource not accessible by personal access token", "FORBIDDEN")
            return resolver(input)

        return carried_out

    # -- the REST handlers, called in-process -------------------------------------------
    def _rest(
        self, handler: Callable[[Request], Response], params: dict[str, str], body: Any = None
    ) -> Response:
        from tests.fakes.fake_github import HttpError

        raw = b"" if body is None else json.dumps(body).encode()
        request = Request("POST", "", {}, {}, raw, params)
        try:
            return handler(request)
        except HttpError as err:
            kind = KINDS.get(err.response.status, "UNPROCESSABLE")
            raise failure(_message(err.response), kind) from None

    def _issue_of(self, value: str) -> Issue:

        decoded = decode_id(value)
        fake = self.fake
        if decoded is None or decoded[0] != "I" or decoded[1] not in fake.issues:
            raise failure(
                f"Could not resolve to a node with the global id of '{value}'", "NOT_FOUND"
            )
        issue = fake.issues[decoded[1]]
        if issue.deleted:
            raise failure(
                f"Could not resolve to a node with the global id of '{value}'", "NOT_FOUND"
            )
        return issue

    def _params(self, issue: Issue) -> dict[str, str]:
        repo = self.fake.repos[issue.repo]
        return {"owner": repo.owner, "repo": repo.name, "number": str(issue.number)}

    def _repo_of(self, value: str) -> Repo:

        decoded = decode_id(value)
        for repo in self.fake.repos.values():
            if decoded == ("R", repo.id):
                return repo
        raise no_node(value)

    def _label_names(self, repo: Repo, ids: list[str]) -> list[str]:

        by_id = {label.id: label.name for label in repo.labels.values()}
        names = []
        for value in ids:
            decoded = decode_id(value)
            if decoded is None or decoded[0] != "LA" or decoded[1] not in by_id:
                raise no_node(value)
            names.append(by_id[decoded[1]])
        return names

    def _issue_answer(self, response: Response) -> Issue:
        return self.fake.issues[int(response.body["id"])]

    # -- mutations ----------------------------------------------------------------------
    def _create_issue(self, data: dict[str, Any]) -> dict[str, Any]:

        fake = self.fake
        repo = self._repo_of(data["repositoryId"])
        parent = self._issue_of(data["parentIssueId"]) if data.get("parentIssueId") else None
        if parent is not None and len(fake.children.get(parent.id, [])) >= fake.max_sub_issues:
            raise failure(
                f"Parent cannot have more than {fake.max_sub_issues} sub-issues", "UNPROCESSABLE"
            )
        labels = self._label_names(repo, data.get("labelIds") or [])
        params = {"owner": repo.owner, "repo": repo.name}
        body = {"title": data["title"], "body": data.get("body"), "labels": labels}
        made = self._issue_answer(self._rest(fake._create_issue, params, body))
        if parent is not None:
            self._rest(fake._add_sub_issue, self._params(parent), {"sub_issue_id": made.id})
        return {"issue": self.issue(made)}

    def _create_label(self, data: dict[str, Any]) -> dict[str, Any]:

        repo = self._repo_of(data["repositoryId"])
        if data["name"].lower() in repo.labels:
            raise failure("Name has already been taken", "UNPROCESSABLE")
        label = self.fake._label(repo, data["name"], data["color"], data.get("description"))
        return {"label": self.label(label)}

    def _update_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_of(data["id"])
        fields = {k: data[k] for k in ("title", "body") if data.get(k) is not None}
        if data.get("state"):
            fields["state"] = data["state"].lower()
        self._rest(self.fake._edit_issue, self._params(issue), fields)
        return {"issue": self.issue(issue)}

    def _close_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_of(data["issueId"])
        if data.get("duplicateIssueId"):
            self._issue_of(data["duplicateIssueId"])
        reason = str(data.get("stateReason") or "COMPLETED").lower()
        body = {"state": "closed", "state_reason": reason}
        self._rest(self.fake._edit_issue, self._params(issue), body)
        return {"issue": self.issue(issue)}

    def _add_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_of(data["subjectId"])
        answer = self._rest(self.fake._create_comment, self._params(issue), {"body": data["body"]})
        comment = self.fake.comments[int(answer.body["id"])]
        node = self.comment(comment)
        return {"commentEdge": {"node": node, "cursor": ""}, "subject": self.issue(issue)}

    def _comment_params(self, value: str) -> tuple[Any, dict[str, str]]:

        decoded = decode_id(value)
        comment = self.fake.comments.get(decoded[1]) if decoded and decoded[0] == "IC" else None
        if comment is None:
            raise failure(
                f"Could not resolve to a node with the global id of '{value}'", "NOT_FOUND"
            )
        params = self._params(self.fake.issues[comment.issue_id])
        return comment, {**params, "comment_id": str(comment.id)}

    def _update_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        comment, params = self._comment_params(data["id"])
        self._rest(self.fake._edit_comment, params, {"body": data["body"]})
        return {"issueComment": self.comment(comment)}

    def _delete_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        _, params = self._comment_params(data["id"])
        self._rest(self.fake._delete_comment, params)
        return {"clientMutationId": data.get("clientMutationId")}

    def _add_labels(self, data: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_of(data["labelableId"])
        names = self._label_names(self.fake.repos[issue.repo], data["labelIds"])
        self._rest(self.fake._add_labels, self._params(issue), {"labels": names})
        return {"labelable": self.issue(issue)}

    def _remove_labels(self, data: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_of(data["labelableId"])
        for name in self._label_names(self.fake.repos[issue.repo], data["labelIds"]):
            if name in issue.labels:
                self._rest(self.fake._remove_label, {**self._params(issue), "name": name})
        return {"labelable": self.issue(issue)}

    def _add_sub_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        parent, child = self._issue_of(data["issueId"]), self._issue_of(data["subIssueId"])
        body = {"sub_issue_id": child.id, "replace_parent": bool(data.get("replaceParent"))}
        self._rest(self.fake._add_sub_issue, self._params(parent), body)
        return {"issue": self.issue(parent), "subIssue": self.issue(child)}

    def _remove_sub_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        parent, child = self._issue_of(data["issueId"]), self._issue_of(data["subIssueId"])
        self._rest(self.fake._remove_sub_issue, self._params(parent), {"sub_issue_id": child.id})
        return {"issue": self.issue(parent), "subIssue": self.issue(child)}

    def _add_blocked_by(self, data: dict[str, Any]) -> dict[str, Any]:
        issue, blocker = self._issue_of(data["issueId"]), self._issue_of(data["blockingIssueId"])
        self._rest(self.fake._add_blocked_by, self._params(issue), {"issue_id": blocker.id})
        return {"issue": self.issue(issue), "blockingIssue": self.issue(blocker)}

    def _remove_blocked_by(self, data: dict[str, Any]) -> dict[str, Any]:
        issue, blocker = self._issue_of(data["issueId"]), self._issue_of(data["blockingIssueId"])
        params = {**self._params(issue), "issue_id": str(blocker.id)}
        self._rest(self.fake._remove_blocked_by, params)
        return {"issue": self.issue(issue), "blockingIssue": self.issue(blocker)}
