"""GitLab's work-item GraphQL, which is the only way to make a Task and give it a parent: the
Task type's id (it differs per instance), a story's children, creating a child task.

Queries are retried after a dropped connection or a 5xx; mutations never are.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import gitlab
import gitlab.const
import httpx
from gql.transport.exceptions import TransportError, TransportQueryError

from .client import (
    TRANSIENT,
    Endpoint,
    IssueRecord,
    References,
    backoff,
)
from .settings import Credentials

CHILDREN = """
query StoryplanChildren($project: ID!, $story: WorkItemID!, $after: String) {
  project(fullPath: $project) { workItemTypes(name: TASK) { nodes { id } } }
  workItem(id: $story) {
    widgets {
      ... on WorkItemWidgetHierarchy {
        children(first: 100, after: $after) {
          nodes { iid reference(full: true) }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}
"""

TASK_TYPE = """
query StoryplanTaskType($project: ID!) {
  project(fullPath: $project) { workItemTypes(name: TASK) { nodes { id } } }
}
"""

CREATE_TASK = """
mutation StoryplanCreateTask($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) {
    workItem { id iid title description state webUrl reference(full: true) }
    errors
  }
}
"""

SET_PARENT = """
mutation StoryplanSetParent($input: WorkItemUpdateInput!) {
  workItemUpdate(input: $input) { workItem { id } errors }
}
"""


class MutationError(Exception):
    """GitLab answered a mutation with errors in its payload (nothing was changed)."""


@dataclass(frozen=True)
class Hierarchy:
    task_type: str | None  # gid of the Task type; None where the instance has no tasks
    children: list[tuple[str, int]]  # (project path, iid) of each child work item
    story_found: bool = True


def _number(gid: str) -> int:
    return int(gid.rsplit("/", 1)[-1])


class WorkItems:
    """python-gitlab's GraphQL client, with storyplan's few operations typed."""

    def __init__(
        self, where: Endpoint, credentials: Credentials, *, timeout: float, retries: int
    ) -> None:
        secret = credentials.token.get_secret_value()
        headers = {"User-Agent": gitlab.const.USER_AGENT}
        if credentials.job:
            headers["JOB-TOKEN"] = secret
        else:
            headers["Authorization"] = f"Bearer {secret}"

        def remember(response: httpx.Response) -> None:
            where.remember(response.headers)

        client = httpx.Client(
            headers=headers, timeout=timeout, event_hooks={"response": [remember]}
        )
        self.retries = retries
        self.client = gitlab.GraphQL(
            url=where.base_url,
            client=client,
            max_retries=0,
            obey_rate_limit=False,  # a 429 becomes a RateLimitError, never a long sleep
            retry_transient_errors=False,  # would repeat a mutation whose answer was lost
        )

    def _run(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        with warnings.catch_warnings():
            # python-gitlab passes variables the way gql 4 deprecates; nothing to act on here.
            warnings.filterwarnings("ignore", "Using variable_values", DeprecationWarning)
            result: dict[str, Any] = self.client.execute(document, variable_values=variables)
        return result

    def _query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return self._run(document, variables)
            except (TransportError, gitlab.GitlabHttpError) as err:
                if isinstance(err, TransportQueryError) or attempt >= self.retries:
                    raise
                if isinstance(err, gitlab.GitlabHttpError) and err.response_code not in TRANSIENT:
                    raise
                backoff(attempt)
                attempt += 1

    def hierarchy(self, project: str, story_gid: str) -> Hierarchy:
        """The Task type and every child of the story, a hundred a request."""
        children: list[tuple[str, int]] = []
        after: str | None = None
        task_type: str | None = None
        while True:
            data = self._query(CHILDREN, {"project": project, "story": story_gid, "after": after})
            types = ((data.get("project") or {}).get("workItemTypes") or {}).get("nodes") or []
            task_type = str(types[0]["id"]) if types else None
            item = data.get("workItem")
            if item is None:
                return Hierarchy(task_type, [], story_found=False)
            widget = next((w for w in item.get("widgets") or [] if w and "children" in w), None)
            if widget is None:
                return Hierarchy(task_type, children)
            page = widget["children"]
            for node in page["nodes"]:
                path, _, iid = str(node["reference"]).rpartition("#")
                children.append((path or project, int(iid or node["iid"])))
            if not page["pageInfo"]["hasNextPage"]:
                return Hierarchy(task_type, children)
            after = page["pageInfo"]["endCursor"]

    def task_type(self, project: str) -> str | None:
        data = self._query(TASK_TYPE, {"project": project})
        types = ((data.get("project") or {}).get("workItemTypes") or {}).get("nodes") or []
        return str(types[0]["id"]) if types else None

    def create_task(
        self,
        project: str,
        project_id: int,
        *,
        task_type: str,
        title: str,
        description: str,
        parent: str,
        labels: list[str],
    ) -> IssueRecord:
        """One mutation that makes the task and gives it its parent: no orphan in between."""
        request: dict[str, Any] = {
            "namespacePath": project,
            "workItemTypeId": task_type,
            "title": title,
            "descriptionWidget": {"description": description},
            "hierarchyWidget": {"parentId": parent},
        }
        if labels:
            request["labelsWidget"] = {"labelIds": labels}
        answer = self._run(CREATE_TASK, {"input": request})["workItemCreate"]
        if answer["errors"] or answer["workItem"] is None:
            raise MutationError("; ".join(answer["errors"]) or "no work item was returned")
        item = answer["workItem"]
        return IssueRecord(
            id=_number(item["id"]),
            iid=int(item["iid"]),
            project_id=project_id,
            title=item["title"],
            description=item["description"],
            state="opened" if item["state"] == "OPEN" else "closed",
            web_url=item["webUrl"] or "",
            issue_type="task",
            references=References(full=item["reference"]),
            blocking_issues_count=0,
        )

    def set_parent(self, child_gid: str, parent_gid: str) -> None:
        request = {"id": child_gid, "hierarchyWidget": {"parentId": parent_gid}}
        answer = self._run(SET_PARENT, {"input": request})["workItemUpdate"]
        if answer["errors"]:
            raise MutationError("; ".join(answer["errors"]))
