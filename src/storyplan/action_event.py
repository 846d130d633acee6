"""What a GitHub Actions event asks storyplan to do: the workflow's environment and event
payload in, one decision out. Pure functions only, so every row of the decision table is
tested without a server; `action.py` carries the decision out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from storyplan import markers
from storyplan.errors import ConfigError
from storyplan.refs import parse_ref

_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")
# A command is the first non-empty line of a comment: `/storyplan plan`, `/storyplan apply`.
# Plain ASCII only: Unicode case folding (U+017F, long s, folds to s) and Unicode spaces
# (NBSP, EM SPACE) would make lookalikes commands; only ASCII letters fold, spaces separate.
_COMMAND = re.compile(
    r"^/storyplan(?:[ \t]+(?P<word>[^ \t]+))?(?:[ \t]|$)", re.IGNORECASE | re.ASCII
)
_BLANKS = " \t"
COMMANDS = ("plan", "apply")


@dataclass(frozen=True)
class Event:
    """One workflow run's event: GITHUB_EVENT_NAME, the payload and the repository."""

    name: str
    payload: Mapping[str, Any]
    repository: str  # owner/repo the workflow runs in
    api_url: str | None = None  # GITHUB_API_URL: api.github.com, or GHE's /api/v3

    @property
    def action(self) -> str:
        return str(self.payload.get("action") or "")


def read_event(env: Mapping[str, str]) -> Event:
    """The event GitHub Actions describes in the environment of a workflow step."""
    name = env.get("GITHUB_EVENT_NAME", "").strip()
    if not name:
        raise ConfigError(
            "storyplan action runs as a step of a GitHub Actions workflow: "
            "GITHUB_EVENT_NAME is not set (use plan, apply or sync elsewhere)"
        )
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if not _REPOSITORY.match(repository):
        raise ConfigError(f"GITHUB_REPOSITORY must be owner/repo, not '{repository}'")
    payload: Any = {}
    path = env.get("GITHUB_EVENT_PATH", "").strip()
    if path:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(
                f"{path}: the event payload cannot be read ({err.strerror})"
            ) from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: the event payload is not JSON ({err.msg})") from None
    if not isinstance(payload, dict):
        raise ConfigError(f"{path}: the event payload is not a JSON object")
    api_url = env.get("GITHUB_API_URL", "").strip().rstrip("/") or None
    return Event(name=name, payload=payload, repository=repository, api_url=api_url)


# -- decisions ---------------------------------------------------------------------------


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


Decision = Apply | SyncParent | Command | SyncAll | Ignore


def _login(user: Any) -> tuple[str, bool]:
    """(login, is a bot) of a payload's user object; ("", False) when it has none."""
    if not isinstance(user, Mapping):
        return "", False
    return str(user.get("login") or ""), user.get("type") == "Bot"


def _issue_ref(event: Event) -> str | None:
    """`owner/repo#N` of the payload's issue, in the repository the payload names."""
    issue = event.payload.get("issue")
    if not isinstance(issue, Mapping) or not isinstance(issue.get("number"), int):
        return None
    repository = event.payload.get("repository")
    project = repository.get("full_name") if isinstance(repository, Mapping) else None
    return f"{project or event.repository}#{issue['number']}"


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


def decide(event: Event, trigger_label: str) -> Decision:
    """The one thing to do for `event`; see the table in README "GitHub Action"."""
    if event.name in ("schedule", "workflow_dispatch"):
        return SyncAll(event.repository)
    if event.name == "issues":
        return _decide_issue(event, trigger_label)
    if event.name == "issue_comment":
        return _decide_comment(event)
    return Ignore(f"the {event.name} event is not one storyplan acts on")


def _decide_issue(event: Event, trigger_label: str) -> Decision:
    ref = _issue_ref(event)
    if ref is None:
        return Ignore(f"the issues.{event.action} event names no issue")
    if event.action == "labeled":
        label = event.payload.get("label")
        name = str(label.get("name") or "") if isinstance(label, Mapping) else ""
        if name.casefold() != trigger_label.casefold():
            return Ignore(f"{ref} was labelled '{name}', not '{trigger_label}'")
        sender, is_bot = _login(event.payload.get("sender"))
        return Apply(ref, sender, is_bot)
    if event.action in ("closed", "reopened"):
        issue = event.payload["issue"]
        mark = markers.read_identity(str(issue.get("body") or ""), "task")
        story = mark.get("story") if mark else None
        if story is not None:
            try:
                story = parse_ref(story, "github").key
            except ConfigError:
                return Ignore(f"{ref}'s task marker names no GitHub story ('{story}')")
        return SyncParent(ref, story or None)
    return Ignore(f"issues.{event.action} is not an event storyplan acts on")


def _decide_comment(event: Event) -> Decision:
    if event.action != "created":
        return Ignore(f"issue_comment.{event.action} is not an event storyplan acts on")
    ref = _issue_ref(event)
    comment = event.payload.get("comment")
    if ref is None or not isinstance(comment, Mapping):
        return Ignore("the issue_comment event names no issue or comment")
    word = command_word(str(comment.get("body") or ""))
    if word is False:
        return Ignore(f"the new comment on {ref} is not a /storyplan command")
    login, is_bot = _login(comment.get("user"))
    if is_bot or not login:
        return Ignore(f"a /storyplan command on {ref} from a bot is not acted on")
    if isinstance(event.payload["issue"].get("pull_request"), Mapping):
        return Ignore(f"{ref} is a pull request; storyplan plans issues")
    return Command(ref, login, word)
