"""Story references and issue references, parsed in one place for every tracker.

A story reference names a story (`octo/shop#42`, `gitlab:group/sub/proj#17`, `jira:SHOP-123`,
an issue URL, or a path to a story file). An issue reference inside a story (`#123`,
`owner/repo#45`, `PROJ-12`, a URL) names an existing issue a task already is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from storyplan.errors import ConfigError
from storyplan.registry import TRACKERS, TrackerName

_PATH = r"[\w.-]+(?:/[\w.-]+)+"
_GITHUB_SHORT = re.compile(r"^(?P<project>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
_GITLAB_SHORT = re.compile(rf"^(?P<project>{_PATH})#(?P<number>\d+)$")
_JIRA_KEY = re.compile(r"^(?P<project>[A-Z][A-Z0-9_]+)-(?P<number>\d+)$")
# A story named for Jira (`jira:shop-1`) may be typed in any case: Jira's keys are upper case.
_JIRA_KEY_ANY_CASE = re.compile(_JIRA_KEY.pattern, re.IGNORECASE)
_LOCAL = re.compile(r"^#(?P<number>\d+)$")
_GITLAB_URL = re.compile(rf"^/(?P<project>{_PATH})/-/(?:issues|work_items)/(?P<number>\d+)/?$")
_GITHUB_URL = re.compile(r"^/(?P<project>[\w.-]+/[\w.-]+)/issues/(?P<number>\d+)/?$")
_PULL_URL = re.compile(r"^https?://[^/]+/.+/(?:pull|-/merge_requests)/\d+")
_JIRA_URL = re.compile(r"^(?P<root>.*)/browse/(?P<key>[A-Z][A-Z0-9_]+-\d+)/?$")

FORMS = "a story file path, owner/repo#42, gitlab:group/project#17, jira:SHOP-123, or an issue URL"


@dataclass(frozen=True)
class Ref:
    """Where a story or issue lives. `base_url` is set when a URL named a host."""

    tracker: TrackerName
    project: str  # owner/repo, group/sub/project, a Jira project key, or a file path
    number: str  # issue number, GitLab iid, Jira issue number; "" for files
    base_url: str | None = None

    @property
    def key(self) -> str:
        """The canonical form, as adapters use it for child keys."""
        if self.tracker == "files":
            return self.project
        if self.tracker == "jira":
            return f"{self.project}-{self.number}"
        return f"{self.project}#{self.number}"

    @property
    def identity(self) -> str:
        """How storyplan's markers name the story: stable wherever the command runs from."""
        return Path(self.project).name if self.tracker == "files" else self.key

    @property
    def short(self) -> str:
        """How the story is named inside its own project (`#42`, `SHOP-123`)."""
        if self.tracker == "files":
            return Path(self.project).stem
        if self.tracker == "jira":
            return self.key
        return f"#{self.number}"


def _from_url(text: str) -> Ref | None:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path
    if match := _JIRA_URL.match(path):
        key = _JIRA_KEY.match(match["key"])
        assert key is not None
        return Ref("jira", key["project"], _number(key["number"]), origin + match["root"])
    if match := _GITLAB_URL.match(path):
        # The project path may sit under a relative URL root we cannot tell apart; the
        # common case (GitLab at the host's root) is assumed, config can say otherwise.
        return Ref("gitlab", match["project"], _number(match["number"]), origin)
    if match := _GITHUB_URL.match(path):
        host = parts.netloc.lower()
        api = "https://api.github.com" if host == "github.com" else f"{origin}/api/v3"
        return Ref("github", match["project"], _number(match["number"]), api)
    return None


def parse_ref(text: str, default: TrackerName | None = None) -> Ref:
    """Read a story reference; `default` decides `owner/repo#N`-style forms (GitHub if None)."""
    raw = text.strip()
    prefix, sep, rest = raw.partition(":")
    if sep and prefix in TRACKERS and not rest.startswith("//"):
        return _parse_for(prefix, rest.strip(), raw)
    if ref := _from_url(raw):
        return ref
    if default is not None and default != "files":
        return _parse_for(default, raw, raw)
    if _GITHUB_SHORT.match(raw):
        return _parse_for("github", raw, raw)
    if _GITLAB_SHORT.match(raw):
        return _parse_for("gitlab", raw, raw)
    if _JIRA_KEY.match(raw) and not Path(raw).exists():
        return _parse_for("jira", raw, raw)
    if not raw:
        raise ConfigError(f"an empty story reference was given; expected {FORMS}")
    if not Path(raw).exists() and ("://" in raw or ("#" in raw and not Path(raw).suffix)):
        raise ConfigError(f"{_unreadable(raw)}; expected {FORMS}")
    return Ref("files", raw, "")


def _unreadable(raw: str) -> str:
    """Why a URL or an issue-like text is no story, in a few words."""
    if _PULL_URL.search(raw):
        return f"'{raw}' is a pull or merge request, not an issue"
    return f"'{raw}' is not a story reference storyplan can read"


def _parse_for(tracker: TrackerName, text: str, raw: str) -> Ref:
    if tracker == "files":
        if not text:
            raise ConfigError(f"'{raw}' names no story file")
        return Ref("files", text, "")
    if ref := _from_url(text):
        if ref.tracker != tracker:
            raise ConfigError(f"'{raw}' is a {ref.tracker} URL, not a {tracker} one")
        return ref
    pattern = {"github": _GITHUB_SHORT, "gitlab": _GITLAB_SHORT, "jira": _JIRA_KEY_ANY_CASE}[
        tracker
    ]
    match = pattern.match(text)
    if not match:
        example = {
            "github": "owner/repo#42",
            "gitlab": "group/project#17",
            "jira": "SHOP-123",
        }[tracker]
        raise ConfigError(f"'{raw}' is not a {tracker} story reference; expected {example}")
    project = match["project"].upper() if tracker == "jira" else match["project"]
    return Ref(tracker, project, _number(match["number"]))


def _number(digits: str) -> str:
    """An issue number as trackers write it: `#007` is issue 7 (no int(): any length)."""
    return digits.lstrip("0") or "0"


def resolve_issue_reference(reference: str, story: Ref) -> Ref:
    """An issue reference read inside `story`, made absolute (`#12` → `octo/shop#12`)."""
    word = reference.strip()
    if match := _LOCAL.match(word):
        return Ref(story.tracker, story.project, match["number"], story.base_url)
    if ref := _from_url(word):
        return ref
    if story.tracker == "jira" and (match := _JIRA_KEY.match(word)):
        return Ref("jira", match["project"], match["number"], story.base_url)
    if story.tracker in ("github", "gitlab") and (match := _GITLAB_SHORT.match(word)):
        return Ref(story.tracker, match["project"], match["number"], story.base_url)
    raise ConfigError(f"'{reference}' is not an issue reference {story.tracker} understands")
