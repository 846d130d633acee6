"""Where a story's plan comment is: the one its `storyplan` property names, else the one that
carries the plan's anchor (made by a run that stopped, or whose answer was lost, before the
property was written). Read with the story where Jira sends every comment inline.
"""

from __future__ import annotations

from storyplan import markers
from storyplan.errors import NotFoundError, TrackerError

from .client import JiraApi, Json
from .records import storyplan_property


def is_plan(comment: Json) -> bool:
    return markers.read_identity(str(comment.get("body") or ""), "plan", "jira") is not None


def all_comments(api: JiraApi, key: str) -> list[Json]:
    comments: list[Json] = []
    what = f"read the comments of {key}"
    while True:
        params = {"startAt": str(len(comments)), "maxResults": "100"}
        page = api.get(f"issue/{key}/comment", what=what, params=params)
        comments.extend(page.get("comments") or [])
        if not page.get("comments") or len(comments) >= int(page.get("total") or 0):
            return comments


def find_plan(api: JiraApi, key: str, story: Json) -> tuple[Json | None, bool]:
    """The plan comment of the story read as `story`, and whether its property names it."""
    recorded = str(storyplan_property(story).get("plan") or "")
    page = (story.get("fields") or {}).get("comment") or {}
    comments: list[Json] = list(page.get("comments") or [])
    complete = len(comments) >= int(page.get("total") or 0)
    found = next((c for c in comments if str(c.get("id")) == recorded), None)
    if found is None and recorded and not complete:
        what = f"read the plan comment of {key}"
        try:
            found = api.get(f"issue/{key}/comment/{recorded}", what=what)
        except NotFoundError:
            found = None  # deleted by a person: a new plan comment is made
    if found is None:
        # Made by a run that stopped before it recorded it: adopt it.
        if not complete:
            comments = all_comments(api, key)
        found = next((c for c in comments if is_plan(c)), None)
    return found, found is not None and str(found.get("id")) == recorded


def find_posted(api: JiraApi, key: str) -> Json | None:
    """The plan comment a post whose answer was lost made, if it was made."""
    try:
        return next((c for c in all_comments(api, key) if is_plan(c)), None)
    except TrackerError:
        return None
