"""What a tracker event asks storyplan to do, as one decision: the table the GitHub Action
and the webhook service share. One module per tracker turns its payload into a decision;
the types here say what was decided. Pure functions only: no tracker is asked anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# A command is the first non-empty line of a comment: `/storyplan plan`, `/storyplan apply`.
# Plain ASCII only: Unicode case folding (U+017F, long s, folds to s) and Unicode spaces
# (NBSP, EM SPACE) would make lookalikes commands; only ASCII letters fold, spaces separate.
_COMMAND = re.compile(
    r"^/storyplan(?:[ \t]+(?P<word>[^ \t]+))?(?:[ \t]|$)", re.IGNORECASE | re.ASCII
)
_BLANKS = " \t"
COMMANDS = ("plan", "apply")


@dataclass(frozen=True)
class Apply:
    """Plan `story` for real: the trigger label was added by `sender`."""

    story: str
    sender: str
    sender_is_bot: bool


@dataclass(frozen=True)
class SyncParent:
    """A sub-issue was closed or reopened: sync its parent story, once the parent is known.

    `story` is the story the issue's hidden task marker names (None without a marker: an
    existing issue attached as a task), to be checked against the issue's real parent.
    """

    issue: str
    story: str | None


@dataclass(frozen=True)
class SyncStory:
    """Sync `story`, whose parent link the tracker's event already named (or a sweep)."""

    story: str


@dataclass(frozen=True)
class Command:
    """`/storyplan WORD` commented on `story` by `login`; `word` None: no word was given."""

    story: str
    login: str
    word: str | None

    @property
    def known(self) -> bool:
        return self.word in COMMANDS


@dataclass(frozen=True)
class SyncAll:
    """Sync every planned story of `project` (owner/repo)."""

    project: str


@dataclass(frozen=True)
class Ignore:
    """Nothing to do; `reason` is the one line the log shows."""

    reason: str


Decision = Apply | SyncParent | SyncStory | Command | SyncAll | Ignore


def command_word(body: str) -> str | Literal[False] | None:
    """The word after `/storyplan` on the comment's first non-empty line (lower-cased), None
    for a bare `/storyplan`, False when the comment is no command at all."""
    for line in body.splitlines():
        if line.strip(_BLANKS):
            match = _COMMAND.match(line.strip(_BLANKS))
            if match is None:
                return False
            word = match["word"]
            return (word.lower() if word.isascii() else word) if word else None
    return False
