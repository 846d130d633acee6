"""The "Blocked by" line: how a dependency is kept where the GitLab tier has no blocking links.

The line sits in the blocked task's description just after storyplan's block, outside it, so
re-rendering the task keeps it, and reading it back makes the fallback as idempotent as a
real link: `Blocked by #12, other/project#3 <!-- storyplan:blocked-by -->`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from storyplan import markers
from storyplan.ports import Link

from .records import IssueRecord

MARK = "<!-- storyplan:blocked-by -->"
_LINE = re.compile(r"^Blocked by (?P<refs>.*?)\s*" + re.escape(MARK) + r"[ \t]*\n?", re.MULTILINE)
_REF = re.compile(r"^(?P<project>[\w.-]+(?:/[\w.-]+)+)?#(?P<iid>\d+)$")


def blocked_by(body: str, project: str) -> list[str]:
    """Keys of the issues the line names (`#12` is read in `project`), in order."""
    match = _LINE.search(body)
    if match is None:
        return []
    keys = []
    for word in match["refs"].split(","):
        ref = _REF.match(word.strip())
        if ref:
            keys.append(f"{ref['project'] or project}#{ref['iid']}")
    return keys


def _short(key: str, project: str) -> str:
    path, _, iid = key.rpartition("#")
    return f"#{iid}" if path == project else key


def with_blocked_by(body: str, keys: list[str], project: str) -> str:
    """`body` whose line names exactly `keys`; no line at all when there are none."""
    line = f"Blocked by {', '.join(_short(k, project) for k in keys)} {MARK}\n" if keys else ""
    match = _LINE.search(body)
    if match is not None:
        start, end = match.span()
        if not line:
            # Take the blank line that was put before it along with it.
            start = start - 1 if body[:start].endswith("\n\n") else start
        return body[:start] + line + body[end:]
    if not line:
        return body
    end_mark = markers.MARKDOWN.end
    at = body.find(end_mark)
    if at < 0:
        return body.rstrip("\n") + "\n\n" + line
    cut = at + len(end_mark)
    rest = body[cut:].lstrip("\n")
    return body[:cut] + "\n\n" + line + ("\n" + rest if rest else "")


HOW = (
    'so each dependency is a "relates to" link plus a "Blocked by" line in the blocked '
    "task's description"
)


def line_links(records: Iterable[IssueRecord], keys: set[str]) -> set[Link]:
    """The dependencies the children's Blocked by lines name, among the children `keys`."""
    return {
        Link(blocker=blocker, blocked=record.key)
        for record in records
        for blocker in blocked_by(record.description or "", record.project)
        if blocker in keys
    }


def fallback_note(detected: str | None, host: str) -> str:
    """Why dependencies are not links: `detected` is GitLab's refusal when this run met one,
    None when the story's tasks already kept their dependencies in lines."""
    if detected is not None:
        return f"the GitLab at {host} has no blocking issue links on this tier ({detected}), {HOW}"
    return f"this story's tasks already keep their dependencies without blocking links, {HOW}"
