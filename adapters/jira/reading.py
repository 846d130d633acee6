"""The searches that read a story's state: the story with its sub-tasks in one search, the
sub-tasks alone (after a create whose answer was lost), and existing issues attached as tasks.
Each asks for the fields and the `storyplan` property the tracker needs, nothing more.
"""

from __future__ import annotations

from storyplan.errors import NotFoundError, TrackerError

from .client import JiraApi, Json
from .records import CHILD_FIELDS, PROPERTY, STORY_FIELDS


def _oldest_first(found: list[Json]) -> list[Json]:
    """Issue ids grow as issues are made."""
    return sorted(found, key=lambda raw: int(str(raw.get("id") or 0)))


def search_story(api: JiraApi, key: str) -> tuple[Json, list[Json]] | None:
    """The story and its sub-tasks (oldest first) in one search, or None where the search
    cannot tell (a key Jira knows only as an old one: JQL refuses it, an issue read not)."""
    jql = f"key = {key} OR parent = {key} ORDER BY key ASC"
    fields = list(dict.fromkeys((*STORY_FIELDS, *CHILD_FIELDS)))
    try:
        found = api.search(jql, fields, [PROPERTY], what=f"read story {key} and its sub-tasks")
    except TrackerError as err:
        if type(err) is not TrackerError or err.unknown_outcome:  # an issue read would share it
            raise
        return None
    stories = [raw for raw in found if str(raw.get("key")) == key]
    if len(stories) != 1:
        return None
    story_id = str(stories[0].get("id"))
    children = [
        raw
        for raw in found
        if str(((raw.get("fields") or {}).get("parent") or {}).get("id")) == story_id
    ]
    return stories[0], _oldest_first(children)


def search_children(api: JiraApi, key: str) -> list[Json]:
    """Every sub-task of story `key`, oldest first."""
    jql = f"parent = {key} ORDER BY key ASC"
    what = f"list the sub-tasks of {key}"
    return _oldest_first(api.search(jql, list(CHILD_FIELDS), [PROPERTY], what=what))


def read_issues(api: JiraApi, keys: list[str]) -> list[Json]:
    """Existing issues attached as tasks: one search, or one read each if one is gone."""
    jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
    what = "read the issues attached as tasks"
    try:
        return api.search(jql, list(CHILD_FIELDS), [PROPERTY], what=what)
    except TrackerError as err:
        if type(err) is not TrackerError:  # refused for a reason a per-key read shares
            raise
    found = []  # JQL refuses a key that no longer exists: read the rest one by one
    params = {"fields": ",".join(CHILD_FIELDS)}
    for key in keys:
        try:
            found.append(api.get(f"issue/{key}", what=f"read {key}", params=params))
        except NotFoundError:
            continue  # deleted or moved out of sight: no longer a task's issue
    return found
