"""Whose storyplan markers count on GitLab: this run's own user, a member of the story's
project with Developer access or more, or a login in `[trust] authors`. Authors come with the
listings, and the run's user with the story's GraphQL query (`currentUser`), so the common path
asks nothing more; a membership is asked for only for an author who is none of these (and,
where the run's user is not known yet, `GET /user` once).
"""

from __future__ import annotations

from collections.abc import Iterable

from .client import GitlabClient
from .records import UserRef

DEVELOPER = 30  # GitLab's access level that may write to a project's issues


class Trust:
    def __init__(self, client: GitlabClient, authors: Iterable[str]) -> None:
        self.client = client
        self.authors = frozenset(name.lower() for name in authors)
        self._me: UserRef | None = None
        self._asked_me = False
        self._levels: dict[tuple[str, int], bool] = {}
        self.ignored: dict[str, None] = {}  # what the run says about markers it ignored, once

    def trusted(self, author: UserRef | None, project: str) -> bool:
        """Whether a marker written by `author` in `project` counts."""
        if author is None:
            return False
        if author.username.lower() in self.authors or author.id == self._my_id():
            return True
        key = (project, author.id)
        if key not in self._levels:
            what = f"check whether {author.username} may write to {project}"
            self._levels[key] = self.client.access_level(project, author.id, what) >= DEVELOPER
        return self._levels[key]

    def know(self, me: UserRef | None) -> None:
        """The run's own user, as a read that came anyway said (None: GitLab did not say)."""
        if me is not None:
            self._me, self._asked_me = me, True

    @property
    def me(self) -> UserRef | None:
        return self._me

    def _my_id(self) -> int | None:
        if not self._asked_me:
            self._asked_me = True
            self._me = self.client.me("read the token's user")
        return self._me.id if self._me else None

    def ignore(self, where: str, author: UserRef | None) -> None:
        who = author.username if author else "an unknown author"
        self.ignored[f"ignored a storyplan marker in {where} by {who}"] = None
