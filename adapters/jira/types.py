"""The issue type and link type storyplan writes with, looked up once and only when needed:
the project's sub-task type (from its create metadata, since its name differs by site and
language) and the link type whose descriptions read "blocks" / "is blocked by".
"""

from __future__ import annotations

from typing import Any

from storyplan.errors import CapabilityError, NotFoundError

from .client import JiraApi, Json
from .records import LinkType
from .settings import JiraSettings


class JiraTypes:
    """Types by project, learnt for free from what was read where possible."""

    def __init__(self, api: JiraApi, settings: JiraSettings) -> None:
        self.api = api
        self.settings = settings
        self._subtasks: dict[str, str] = {}  # project key → sub-task issue type id
        self._blocks: LinkType | None = None
        self._link_types: list[LinkType] | None = None

    def saw_subtask(self, project: str, issuetype: Any) -> None:
        """A sub-task storyplan made says the type, so no metadata read is needed."""
        if project in self._subtasks or not isinstance(issuetype, dict):
            return
        if self.settings.subtask_type in (None, issuetype.get("name")):
            self._subtasks[project] = str(issuetype.get("id"))

    def saw_link_type(self, link_type: LinkType | None) -> None:
        self._blocks = self._blocks or link_type

    def subtask(self, project: str) -> str:
        """The id of the project's sub-task type (or of the one `subtask_type` names)."""
        if project not in self._subtasks:
            types = self._issue_types(project)
            subtasks = [t for t in types if t.get("subtask")]
            wanted = self.settings.subtask_type
            if wanted is not None:
                subtasks = [
                    t for t in subtasks if str(t.get("name")).casefold() == wanted.casefold()
                ]
            if not subtasks:
                names = ", ".join(str(t.get("name")) for t in types if t.get("subtask")) or "none"
                raise CapabilityError(
                    f"project {project} on {self.api.host} has no sub-task issue type"
                    + (f" named '{wanted}' (it has: {names})" if wanted else "")
                    + "; sub-tasks must be turned on for storyplan to add tasks"
                )
            self._subtasks[project] = str(subtasks[0]["id"])
        return self._subtasks[project]

    def _issue_types(self, project: str) -> list[Json]:
        """The project's issue types from its create metadata (Cloud, Data Center 8.4+)."""
        types: list[Json] = []
        what = f"read the issue types of {project}"
        try:
            while True:
                params = {"startAt": str(len(types)), "maxResults": "100"}
                page = self.api.get(
                    f"issue/createmeta/{project}/issuetypes", what=what, params=params
                )
                items = page.get("issueTypes") or page.get("values") or []
                types.extend(items)
                if not items or len(types) >= int(page.get("total") or 0):
                    return types
        except NotFoundError:  # Data Center before 8.4 has only the old, combined resource
            meta = self.api.get("issue/createmeta", what=what, params={"projectKeys": project})
            projects = meta.get("projects") or [{}]
            return list(projects[0].get("issuetypes") or [])

    def blocks(self) -> LinkType:
        """The link type whose descriptions are `blocks_outward` / `blocks_inward`."""
        if self._blocks is None:
            inward, outward = self.settings.blocks_inward, self.settings.blocks_outward
            types = self._all_link_types()
            self._blocks = next((t for t in types if t.means(inward, outward)), None)
            if self._blocks is None:
                raise CapabilityError(
                    f"no issue link type on {self.api.host} reads '{outward}' / '{inward}'; "
                    "set [jira] blocks_outward and blocks_inward to the descriptions of the "
                    "type that means 'blocks'"
                )
        return self._blocks

    def duplicate(self) -> LinkType | None:
        """Jira's "Duplicate" link type (it reads "duplicates"), if the site has it."""
        return next(
            (
                t
                for t in self._all_link_types()
                if t.name.casefold() == "duplicate" or t.outward.casefold() == "duplicates"
            ),
            None,
        )

    def _all_link_types(self) -> list[LinkType]:
        if self._link_types is None:
            read = self.api.get("issueLinkType", what="read the issue link types")
            self._link_types = [LinkType.from_json(raw) for raw in read.get("issueLinkTypes") or []]
        return self._link_types
