"""Task lines that name an issue which already exists (`#123`, `owner/repo#45`, `PROJ-12`, an
issue URL): such a task is that issue, so storyplan links it instead of creating a new one.
"""

from __future__ import annotations

import re

# Issue and work-item URLs of GitHub, GitLab and Jira (cloud or server).
_URL = (
    r"https?://[^\s)>\]]+?(?:/issues/\d+|/-/work_items/\d+|/work_items/\d+"
    r"|/browse/[A-Z][A-Z0-9_]+-\d+|[?&]selectedIssue=[A-Z][A-Z0-9_]+-\d+)/?"
)
# A bare Jira key must stand alone or be followed by ":" or a dash, so that "UTF-8 support" or
# "SHA-256 hashing" stay titles; `TASK-3` is a task id (see depends.py), not a Jira key.
_REF = (
    r"(?P<ref><" + _URL + r">|" + _URL + r"|(?:[\w.-]+/)+[\w.-]+#\d+|#\d+"
    r"|(?!TASK-)[A-Z][A-Z0-9_]+-\d+(?=$|\s*[:—\u2013]|\s+-\s))"
)
_PLAIN = re.compile(r"^" + _REF + r"(?=$|[\s:,.;)\]—\u2013-])")
_LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\((?P<ref>" + _URL + r")\)")


def existing_of(text: str) -> tuple[str, str] | None:
    """(reference, title) when a task line starts with an issue reference; the title is the
    text after the reference, or the reference itself when nothing follows."""
    text = text.strip()
    link = _LINK.match(text)
    if link:
        rest = text[link.end() :].strip(" \t:—\u2013-")
        return link.group("ref"), (link.group("title") + (" " + rest if rest else "")).strip()
    match = _PLAIN.match(text)
    if match is None:
        return None
    ref = match.group("ref").strip("<>")
    rest = text[match.end() :].strip(" \t:—\u2013-")
    return ref, rest or ref
