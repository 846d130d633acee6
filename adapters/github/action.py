"""What the GitHub Action asks of GitHub beyond the Tracker port (`storyplan.action`'s
`ActionTracker`): who may command it, where it replies, and which story a sub-issue serves.
"""

from __future__ import annotations

from storyplan.model import Story
from storyplan.refs import parse_ref

from . import records
from .client import GithubClient


class ActionMethods:
    """Mixed into the GitHub tracker, over its client."""

    client: GithubClient

    def permission(self, project: str, login: str) -> str:
        """`login`'s access to `project`: admin, write (maintain too), read (triage too) or
        none. Someone GitHub does not know in that repository has none."""
        return self.client.permission(project, login)

    def reply(self, ref: str, body: str) -> str | None:
        """Post `body` as a new comment on issue `ref` (never the plan comment); its URL."""
        key = parse_ref(ref, "github").key
        url = self.client.comment(key, body, f"comment on {key}").get("html_url")
        return str(url) if url else None

    def parent_of(self, ref: str) -> Story | None:
        """The issue `ref` is a sub-issue of, or None: no parent, or no sub-issues here."""
        parent = self.client.parent(parse_ref(ref, "github").key)
        return None if parent is None else records.story(parent)
