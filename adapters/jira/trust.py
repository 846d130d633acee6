"""Whose storyplan plan anchors count on Jira: an anchor steers storyplan only in a comment
written by someone who could have made it, so a stranger's comment never becomes the plan.

The story's entity property names storyplan's own plan comment, and only an account that can
edit the story can set it, so that comment is trusted as it is. Any other comment with the
anchor counts only if its author is the account this run signs in as (which every answer's
X-AACCOUNTID or X-AUSERNAME header names, so it costs no request) or is listed in
`[trust] authors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# The fields that name an account for good: Cloud's accountId, Data Center's name and key,
# and the address. Never the display name, which every user may set to anything.
NAMES = ("accountId", "name", "key", "emailAddress")


def names_of(user: Any) -> set[str]:
    if not isinstance(user, dict):
        return set()
    return {str(user[field]).casefold() for field in NAMES if user.get(field)}


class Trust:
    """Decides, for one run, whether a comment's author may speak for storyplan, and keeps
    one note for each author whose anchor it ignored."""

    def __init__(self, whoami: Callable[[], set[str]], authors: Iterable[str]) -> None:
        self._whoami = whoami
        self._authors = {name.casefold() for name in authors}
        self._me: set[str] | None = None
        self._notes: dict[str, None] = {}

    def trusts(self, comment: dict[str, Any], where: str) -> bool:
        """Whether `comment`'s author is trusted; if not, its anchor is noted as ignored."""
        author = comment.get("author")
        names = names_of(author)
        if names & self._authors or names & self._identity():
            return True
        shown = (author or {}).get("displayName") if isinstance(author, dict) else None
        self._notes[f"ignored a storyplan marker in {where} by {shown or 'an unknown account'}"] = (
            None
        )
        return False

    def _identity(self) -> set[str]:
        if self._me is None:
            self._me = {name.casefold() for name in self._whoami()}
        return self._me

    @property
    def notes(self) -> tuple[str, ...]:
        """Every anchor ignored so far this run, each once."""
        return tuple(self._notes)
