"""GitLab's work-item GraphQL, which is the only way to make a Task and give it a parent: the
Task type's id (it differs per instance), a story's children, creating a child task. The
documents and their typed answers only: the client sends them and maps their errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import GitlabClient
from .records import IssueRecord, task_record

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


CLOSE_DUPLICATE = """
mutation StoryplanCloseDuplicate($input: WorkItemUpdateInput!) {
  workItemUpdate(input: $input) {
    workItem { id iid title description state webUrl reference(full: true) }
    errors
  }
}
"""


@dataclass(frozen=True)
class Hierarchy:
    task_type: str | None  # gid of the Task type; None where the instance has no tasks
    children: list[tuple[str, int]]  # (project path, iid) of each child work item
    story_found: bool = True


def _task_type(data: dict[str, Any]) -> str | None:
    types = ((data.get("project") or {}).get("workItemTypes") or {}).get("nodes") or []
    return str(types[0]["id"]) if types else None


class WorkItems:
    """storyplan's few work-item operations, typed."""

    def __init__(self, client: GitlabClient) -> None:
        self.client = client

    def hierarchy(self, project: str, story_gid: str, what: str) -> Hierarchy:
        """The Task type and every child of the story, a hundred a request."""
        children: list[tuple[str, int]] = []
        after: str | None = None
        while True:
            variables = {"project": project, "story": story_gid, "after": after}
            data = self.client.query(CHILDREN, variables, what)
            task_type = _task_type(data)
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

    def task_type(self, project: str, what: str) -> str | None:
        return _task_type(self.client.query(TASK_TYPE, {"project": project}, what))

    def create_task(
        self,
        parent: IssueRecord,
        *,
        task_type: str,
        title: str,
        description: str,
        labels: list[str],
        what: str,
    ) -> IssueRecord:
        """One mutation that makes the task in its story's project and gives it its parent:
        no orphan in between."""
        request: dict[str, Any] = {
            "namespacePath": parent.project,
            "workItemTypeId": task_type,
            "title": title,
            "descriptionWidget": {"description": description},
            "hierarchyWidget": {"parentId": parent.gid},
        }
        if labels:
            request["labelsWidget"] = {"labelIds": labels}
        variables = {"input": request}
        item = self.client.mutate(CREATE_TASK, variables, "workItemCreate", "workItem", what)
        return task_record(item, parent.project_id)

    def close_duplicate(self, task: IssueRecord, label: str, what: str) -> None:
        """One mutation that takes the task out of its story's hierarchy, closes it and adds
        the label (a global id)."""
        request = {
            "id": task.gid,
            "hierarchyWidget": {"parentId": None},
            "stateEvent": "CLOSE",
            "labelsWidget": {"addLabelIds": [label]},
        }
        variables = {"input": request}
        self.client.mutate(CLOSE_DUPLICATE, variables, "workItemUpdate", "workItem", what)
