"""Where a story's plan comments are: every comment that carries the plan's anchor and that a
trusted hand wrote (the one the story's `storyplan` property names, or one by a trusted
author, see `trust`), oldest first. Runs that raced may have left several; the oldest is the
plan and apply deletes the others. Read with the story where Jira sends every comment inline.
"""

from __future__ import annotations

from dataclasses import dataclass

from storyplan import markers
from storyplan.errors import TrackerError

from .client import JiraApi, Json
from .records import storyplan_property
from .trust import Trust


def is_plan(comment: Json) -> bool:
    return markers.read_identity(str(comment.get("body") or ""), "plan", "jira") is not None


def _oldest_first(comments: list[Json]) -> list[Json]:
    return sorted(comments, key=lambda c: int(str(c.get("id") or 0)))


def all_comments(api: JiraApi, key: str) -> list[Json]:
    comments: list[Json] = []
    what = f"read the comments of {key}"
    while True:
        params = {"startAt": str(len(comments)), "maxResults": "100"}
        page = api.get(f"issue/{key}/comment", what=what, params=params)
        comments.extend(page.get("comments") or [])
        if not page.get("comments") or len(comments) >= int(page.get("total") or 0):
            return comments


@dataclass(frozen=True)
class Plans:
    comments: list[Json]  # the trusted plan comments, oldest first
    recorded: str  # the id the story's property names ("" if none)


def find_plans(api: JiraApi, key: str, story: Json, trust: Trust) -> Plans:
    """The trusted plan comments of the story read as `story` (its other comments are read
    only when the story did not bring them all)."""
    recorded = str(storyplan_property(story).get("plan") or "")
    page = (story.get("fields") or {}).get("comment") or {}
    comments: list[Json] = list(page.get("comments") or [])
    if len(comments) < int(page.get("total") or 0):
        comments = all_comments(api, key)
    where = f"a comment on {key}"
    plans = [
        c
        for c in comments
        if is_plan(c) and (str(c.get("id")) == recorded or trust.trusts(c, where))
    ]
    return Plans(_oldest_first(plans), recorded)


def find_posted(api: JiraApi, key: str, trust: Trust) -> Json | None:
    """The plan comment a post whose answer was lost made, if it was made: the newest plan
    comment by a trusted author."""
    try:
        comments = _oldest_first(all_comments(api, key))
    except TrackerError:
        return None
    where = f"a comment on {key}"
    return next((c for c in reversed(comments) if is_plan(c) and trust.trusts(c, where)), None)
