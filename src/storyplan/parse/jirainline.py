"""Jira wiki inline markup (`*bold*`, `-strike-`, `+ins+`, `{{mono}}`, links, mentions, colour,
escapes) → Markdown, in one left-to-right pass over a line: each construct's end is found by
`str.find` or a precomputed list of closers, so every character is looked at a bounded number of
times whatever the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left

# Jira's span marks and their Markdown (`_italic_` is the same in both and passes through).
_SPANS = {"*": ("**", "**"), "-": ("~~", "~~"), "+": ("<u>", "</u>")}
# Where a span can close: its mark after a non-space, not followed by a word character.
_CLOSERS = {mark: re.compile(rf"(?<=\S){re.escape(mark)}(?!\w)") for mark in _SPANS}
# The characters where a construct can start; everything between them is copied as it is.
_NEXT = re.compile(r"[\\{\[(*+-]|(?:https?|ftp)://", re.IGNORECASE)
_WORD = re.compile(r"\w")
_COLOR = re.compile(r"\{color(?::[^{}\n]*)?\}")  # the class stops at the next brace: no rescans
_ICON = re.compile(r"\((?:[/x!?*ynio+-]|on|off|flag|flagoff|[*][rgby])\)")
_NON_SPACE = re.compile(r"\S*")
_URL = re.compile(r"(?:https?|ftp|file)://|www\.", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


class Finder:
    """The next `needle` at or after a position that only grows, within `text[:end]`: the text is
    searched once in all, and a miss is remembered as "none further"."""

    def __init__(self, text: str, needle: str, end: int | None = None) -> None:
        self.text, self.needle, self.end = text, needle, len(text) if end is None else end
        self.found = -2  # not searched yet

    def at_or_after(self, start: int) -> int:
        if self.found == -1 or self.found >= start:
            return self.found
        self.found = self.text.find(self.needle, start, self.end)
        return self.found


def inline(text: str, *, links: bool = True) -> str:
    """One line of Jira inline markup as Markdown; `\\\\` line breaks become newlines."""
    if not _NEXT.search(text):
        return text  # plain words, most lines
    closers = {
        mark: [m.start() for m in pattern.finditer(text)]
        for mark, pattern in _CLOSERS.items()
        if mark in text
    }
    finders = {needle: Finder(text, needle) for needle in ("}}", "]")}
    out: list[str] = []
    ends: list[tuple[int, str]] = []  # open spans, innermost last: (closer position, closing mark)
    pos = 0
    while True:
        limit = ends[-1][0] if ends else len(text)  # nothing inside a span may pass its closer
        found = _NEXT.search(text, pos, limit + 1 if ends else limit)
        if found is None:
            out.append(text[pos:])
            return "".join(out)
        at = found.start()
        out.append(text[pos:at])
        char = text[at]
        if ends and at == limit:
            out.append(ends.pop()[1])
            pos = at + 1
            continue
        if char in _SPANS and (closer := _closer(text, at, closers, limit)) is not None:
            opening, closing = _SPANS[char]
            out.append(opening)
            ends.append((closer, closing))
            pos = at + 1
            continue
        markdown, end = _construct(text, at, finders, limit, links=links)
        if markdown is None or end > limit:
            markdown, end = _literal(text, at), at + 1
        out.append(markdown)
        pos = end


def _closer(text: str, at: int, closers: dict[str, list[int]], limit: int) -> int | None:
    """The closer of a span opening at `at`, or None: a mark opens after a non-word character
    and before a character that is neither a space nor the mark itself."""
    mark = text[at]
    after = text[at + 1 : at + 2]
    if (at and _WORD.match(text[at - 1])) or not after.strip() or after == mark:
        return None
    candidates = closers[mark]
    index = bisect_left(candidates, at + 2)
    if index < len(candidates) and candidates[index] < limit:
        return candidates[index]
    return None


def _construct(
    text: str, at: int, finders: dict[str, Finder], limit: int, *, links: bool
) -> tuple[str | None, int]:
    """The Markdown for the construct starting at `at` and where it ends, or None; one that
    would end past `limit` (an open span's closer) is refused by the caller, but a bare URL
    ends there."""
    char = text[at]
    if char == "\\":
        if text.startswith("\\\\", at):
            return "\n", at + 2
        # An escaped character stays escaped: Markdown reads `\*` and `\[` the same way.
        return (text[at : at + 2], at + 2) if at + 1 < len(text) else (None, at)
    if char == "{":
        if text.startswith("{{", at):
            close = finders["}}"].at_or_after(at + 2)
            if close > at + 2:
                return code_span(text[at + 2 : close]), close + 2
            return None, at
        if color := _COLOR.match(text, at):
            return "", color.end()  # colour is presentation only: the words stay
        return None, at
    if char == "[":
        close = finders["]"].at_or_after(at + 1)
        if not links or close <= at + 1:
            return None, at
        return link(text[at + 1 : close]), close + 1
    if char == "(":
        icon = _ICON.match(text, at)
        return (icon.group(), icon.end()) if icon else (None, at)
    if char in _SPANS:
        return None, at
    # A bare URL is copied whole, so that its `-`, `*` and `+` open no span.
    found = _NON_SPACE.match(text, at)  # always matches; mypy cannot know
    end = min(found.end() if found else at + 1, limit)
    return text[at:end], end


def _literal(text: str, at: int) -> str:
    """A character that starts no construct; a `*`, which Markdown could read as emphasis, is
    escaped."""
    return "\\*" if text[at] == "*" else text[at]


def code_span(content: str) -> str:
    """`{{content}}` as a Markdown code span, fenced with more backticks than it holds."""
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(content)), default=0) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


def link(content: str) -> str:
    """`[content]`: a link, a mention, an attachment, or (an issue key, an anchor) as written."""
    if content.startswith("~"):
        name = content[1:]
        return "@" + (name[len("accountid:") :] if name.lower().startswith("accountid:") else name)
    if content.startswith("^"):
        return content[1:]
    label, bar, target = content.partition("|")
    if not bar:
        label, target = "", content
    target = target.partition("|")[0].strip()  # a third part is a tooltip
    if target.lower().startswith("mailto:"):
        address = target[len("mailto:") :]
        if not label.strip() or label.strip() == address:
            return f"<{address}>"
        return f"[{inline(label, links=False)}](mailto:{address})"
    if _URL.match(target):
        url = "https://" + target if target.lower().startswith("www.") else target
        if not label.strip():
            return f"<{url}>" if not any(c in url for c in " <>") else url
        destination = f"<{url}>" if " " in url and "<" not in url and ">" not in url else url
        return f"[{inline(label, links=False)}]({destination})"
    # Not a web address (an issue key, a page, an anchor, a "[ ]" box): kept as written, its
    # bar escaped so that a table cell does not split there.
    return f"[{label}\\|{target}]" if bar else f"[{content}]"
