"""Whose storyplan markers count on GitHub: a marker steers storyplan only in text written by
someone who could have made it, so a stranger's comment never becomes the plan.

The listings already say each author's `author_association`, so the common path costs no
request; the token's own login (`GET /user`) is read once a run, only for an author the
association and `[trust] authors` do not vouch for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Accounts with write access to the repository, as GitHub names them on an issue or comment.
WRITERS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


def author_of(item: Mapping[str, Any]) -> str:
    return str((item.get("user") or {}).get("login") or "")


class Trust:
    """Decides, for one run, whether an issue's or comment's author may speak for storyplan,
    and keeps one note for each marker it ignored."""

    def __init__(self, whoami: Callable[[], str], authors: Iterable[str]) -> None:
        self._whoami = whoami
        self._authors = {login.lower() for login in authors}
        self._me: str | None = None
        self._notes: dict[str, None] = {}

    def trusts(self, item: Mapping[str, Any], where: str) -> bool:
        """Whether `item`'s author is trusted; if not, the marker `where` is noted as ignored."""
        if item.get("author_association") in WRITERS:
            return True
        login = author_of(item)
        if self._vouched(login.lower()):
            return True
        self._notes[f"ignored a storyplan marker in {where} by {login or 'a deleted account'}"] = (
            None
        )
        return False

    def _vouched(self, login: str) -> bool:
        """`[trust] authors` or this run's identity: an app's bot (`x[bot]`) also by its app's
        name, as some settings and GraphQL's `Bot.login` name it; never the other way round,
        so trusting `x[bot]` never trusts a person who took the name `x`."""
        names = {login, login.removesuffix("[bot]")}
        return bool(names & self._authors) or login == self._identity()

    def _identity(self) -> str:
        if self._me is None:
            self._me = self._whoami().lower()
        return self._me

    @property
    def notes(self) -> tuple[str, ...]:
        """Every marker ignored so far this run, each once."""
        return tuple(self._notes)
