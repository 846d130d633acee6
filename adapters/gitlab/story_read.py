"""Everything storyplan reads about a GitLab story in one GraphQL query: the story, the run's
own user (so trust costs no `GET /user`), its notes, its child tasks with their labels and
linked items, the issues related to it, the Task type and the ids of storyplan's labels.
Connections past a page of 100 are read by smaller follow-up queries, only when there are more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .client import GitlabClient
from .records import IssueRecord, NoteRecord, UserRef, item_record, note_record, user_ref

PAGE = "pageInfo { hasNextPage endCursor }"
# What a child (or a related issue) is read with; its links name the other end only.
ITEM = f"""
fragment StoryplanItem on WorkItem {{
  id iid title description state webUrl createdAt updatedAt reference(full: true)
  author {{ id username }}
  workItemType {{ name }}
  widgets {{
    ... on WorkItemWidgetLabels {{ labels(first: 100) {{ nodes {{ title }} }} }}
    ... on WorkItemWidgetLinkedItems {{
      linkedItems(first: 100) {{
        nodes {{ linkType workItem {{ id reference(full: true) }} }} {PAGE}
      }}
    }}
  }}
}}
"""
NOTES = f"""
    ... on WorkItemWidgetNotes {{
      discussions(filter: ONLY_COMMENTS, first: 100, after: $notes) {{
        nodes {{ notes(first: 1) {{ nodes {{ id body system author {{ id username }} }} }} }}
        {PAGE}
      }}
    }}"""
CHILDREN = f"""
    ... on WorkItemWidgetHierarchy {{
      children(first: 100, after: $children) {{ nodes {{ ...StoryplanItem }} {PAGE} }}
    }}"""

MORE_CHILDREN = f"""
query StoryplanChildren($story: WorkItemID!, $children: String) {{
  workItem(id: $story) {{ widgets {{ {CHILDREN} }} }}
}}
{ITEM}"""
MORE_NOTES = f"""
query StoryplanNotes($story: WorkItemID!, $notes: String) {{
  workItem(id: $story) {{ widgets {{ {NOTES} }} }}
}}"""
MORE_LINKS = f"""
query StoryplanLinks($item: WorkItemID!, $after: String) {{
  workItem(id: $item) {{
    widgets {{
      ... on WorkItemWidgetLinkedItems {{
        linkedItems(first: 100, after: $after) {{
          nodes {{ linkType workItem {{ id reference(full: true) }} }} {PAGE}
        }}
      }}
    }}
  }}
}}"""


ONE_ITEM = f"""
query StoryplanItem($item: WorkItemID!) {{ workItem(id: $item) {{ ...StoryplanItem }} }}
{ITEM}"""


ONE_BY_IID = f"""
query StoryplanExisting($project: ID!, $iid: String!) {{
  project(fullPath: $project) {{ id }}
  namespace(fullPath: $project) {{ workItem(iid: $iid) {{ ...StoryplanItem }} }}
}}
{ITEM}"""
LABEL = """
query StoryplanLabel($project: ID!, $title: String!) {
  project(fullPath: $project) { label(title: $title) { id } }
}"""


def story_document(labels: int) -> str:
    """The one query; `labels`: how many label titles ($l0, $l1...) to find the ids of."""
    names = "".join(f", $l{n}: String!" for n in range(labels))
    found = " ".join(f"l{n}: label(title: $l{n}) {{ id title }}" for n in range(labels))
    return f"""
query StoryplanStory($project: ID!, $iid: String!, $children: String, $notes: String{names}) {{
  currentUser {{ id username }}
  project(fullPath: $project) {{ id workItemTypes(name: TASK) {{ nodes {{ id }} }} {found} }}
  namespace(fullPath: $project) {{
    workItem(iid: $iid) {{
      ...StoryplanItem
      widgets {{
        ... on WorkItemWidgetAssignees {{ assignees(first: 100) {{ nodes {{ id username }} }} }}
        ... on WorkItemWidgetLinkedItems {{
          related: linkedItems(filter: RELATED, first: 100) {{
            nodes {{ workItem {{ ...StoryplanItem }} }} {PAGE}
          }}
        }}
        {NOTES}
        {CHILDREN}
      }}
    }}
  }}
}}
{ITEM}"""


@dataclass
class StoryRead:
    """What the story query found, typed."""

    story: IssueRecord
    me: UserRef | None
    task_type: str | None
    labels: dict[str, str]  # title → global id, for the titles asked about that exist
    notes: list[NoteRecord] = field(default_factory=list)  # oldest first
    children: list[IssueRecord] = field(default_factory=list)  # the hierarchy's
    related: list[IssueRecord] = field(default_factory=list)  # linked to the story
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key → (other, type)
    gids: dict[str, str] = field(default_factory=dict)  # key → global id


def _widget(node: dict[str, Any], name: str) -> dict[str, Any]:
    return next((w for w in node.get("widgets") or [] if w and name in w), {})


def _labels(node: dict[str, Any]) -> tuple[str, ...]:
    rows = (_widget(node, "labels").get("labels") or {}).get("nodes") or []
    return tuple(row["title"] for row in rows)


class StoryReader:
    """Reads one story with as few queries as its size allows."""

    def __init__(self, client: GitlabClient, label_titles: tuple[str, ...]) -> None:
        self.client = client
        self.label_titles = tuple(dict.fromkeys(label_titles))

    def read(self, project: str, iid: int | str, what: str) -> StoryRead | None:
        """The story and all around it; None when GitLab shows no such work item."""
        variables: dict[str, Any] = {"project": project, "iid": str(iid)}
        variables.update({f"l{n}": title for n, title in enumerate(self.label_titles)})
        data = self.client.query(story_document(len(self.label_titles)), variables, what)
        node = (data.get("namespace") or {}).get("workItem")
        project_node = data.get("project") or {}
        if node is None or not project_node:
            return None
        project_id = int(str(project_node["id"]).rsplit("/", 1)[-1])
        types = (project_node.get("workItemTypes") or {}).get("nodes") or []
        labels = {}
        for n in range(len(self.label_titles)):
            label = project_node.get(f"l{n}")
            if label:
                labels[label["title"]] = label["id"]
        assignees = (_widget(node, "assignees").get("assignees") or {}).get("nodes") or []
        story = item_record(node, project_id, _labels(node))
        people = tuple(user for row in assignees if (user := user_ref(row)) is not None)
        read = StoryRead(
            story=story.model_copy(update={"assignees": people}),
            me=user_ref(data.get("currentUser")),
            task_type=str(types[0]["id"]) if types else None,
            labels=labels,
        )
        read.gids[read.story.key] = node["id"]
        self._links(read, node, what)
        self._related(read, project_id, _widget(node, "related").get("related"), what)
        self._notes(read, _widget(node, "discussions").get("discussions"), what)
        self._children(read, project_id, _widget(node, "children").get("children"), what)
        return read

    def item(self, project: str, iid: int | str, what: str) -> tuple[IssueRecord, str] | None:
        """One work item (an existing issue a task names) and its global id."""
        data = self.client.query(ONE_BY_IID, {"project": project, "iid": str(iid)}, what)
        node = (data.get("namespace") or {}).get("workItem")
        if node is None or not data.get("project"):
            return None
        project_id = int(str(data["project"]["id"]).rsplit("/", 1)[-1])
        return item_record(node, project_id, _labels(node)), node["id"]

    def label(self, project: str, title: str, what: str) -> str | None:
        data = self.client.query(LABEL, {"project": project, "title": title}, what)
        label = (data.get("project") or {}).get("label")
        return str(label["id"]) if label else None

    def _notes(self, read: StoryRead, page: dict[str, Any] | None, what: str) -> None:
        while page:
            for discussion in page.get("nodes") or []:
                rows = (discussion.get("notes") or {}).get("nodes") or []
                read.notes.extend(note_record(row) for row in rows[:1])
            if not page["pageInfo"]["hasNextPage"]:
                return
            variables = {"story": read.gids[read.story.key], "notes": page["pageInfo"]["endCursor"]}
            data = self.client.query(MORE_NOTES, variables, what)
            page = _widget(data.get("workItem") or {}, "discussions").get("discussions")

    def _children(
        self, read: StoryRead, project_id: int, page: dict[str, Any] | None, what: str
    ) -> None:
        while page:
            for node in page.get("nodes") or []:
                read.children.append(self._item(read, node, project_id, what))
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]
            variables = {"story": read.gids[read.story.key], "children": after}
            data = self.client.query(MORE_CHILDREN, variables, what)
            page = _widget(data.get("workItem") or {}, "children").get("children")

    def _related(
        self, read: StoryRead, project_id: int, page: dict[str, Any] | None, what: str
    ) -> None:
        """Issues related to the story: existing issues its tasks name. Past the first page
        (a hundred of them) only their keys are known; their details are read one by one."""
        for row in (page or {}).get("nodes") or []:
            node = row.get("workItem")
            if node is not None:
                read.related.append(self._item(read, node, project_id, what))
        known = {record.key for record in read.related}
        for key, link_type in read.links.get(read.story.key, []):
            if link_type == "relates_to" and key not in known:
                node = self.client.query(ONE_ITEM, {"item": read.gids[key]}, what).get("workItem")
                if node is not None:
                    read.related.append(self._item(read, node, project_id, what))

    def _item(
        self, read: StoryRead, node: dict[str, Any], project_id: int, what: str
    ) -> IssueRecord:
        record = item_record(node, project_id, _labels(node))
        read.gids[record.key] = node["id"]
        if record.key not in read.links:
            self._links(read, node, what)
        return record

    def _links(self, read: StoryRead, node: dict[str, Any], what: str) -> None:
        key = node["reference"]
        rows = read.links.setdefault(key, [])
        for row in self._link_rows(node, what):
            other = row["workItem"]
            if other is None:
                continue  # a linked item this token may not see
            rows.append((other["reference"], row["linkType"]))
            read.gids.setdefault(other["reference"], other["id"])

    def _link_rows(self, node: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
        page = _widget(node, "linkedItems").get("linkedItems")
        while page:
            yield from page.get("nodes") or []
            if not page["pageInfo"]["hasNextPage"]:
                return
            variables = {"item": node["id"], "after": page["pageInfo"]["endCursor"]}
            data = self.client.query(MORE_LINKS, variables, what)
            page = _widget(data.get("workItem") or {}, "linkedItems").get("linkedItems")
