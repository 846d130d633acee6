"""storyplan's markers inside text it shares with people: an identity line that says what a
comment or issue body is, and a begin/end pair around the part storyplan owns. Everything
outside that pair is a person's and survives every re-render, and so do boxes they ticked.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from storyplan.model import Markup

_ATTR = re.compile(r'(\w+)="([^"]*)"')
_BOX = re.compile(
    r"^(?P<lead>\s*(?:[-*+]|\d+[.)])\s+\[)(?P<mark>[ xX])(?P<rest>\]\s+(?P<text>.*))$"
)
# Jira wiki has no tickable box: storyplan shows (/) for done and a plain ☐ for open (Jira
# draws (x) as a red cross, "failed"); plans written before show (x), which still reads open.
_JIRA_BOX = re.compile(r"^(?P<lead>\s*[*#-]+\s+)(?P<mark>\(/\)|\(x\)|☐)(?P<rest>\s+(?P<text>.*))$")
# markup → (pattern, marks of an open box, the mark of a ticked one)
_TICKS = {"markdown": (_BOX, (" ",), "x"), "jira": (_JIRA_BOX, ("(x)", "☐"), "(/)")}
_LINK_TAIL = re.compile(r"\s*\((?:\[[^\]]*\]\([^)]*\)|[^()]*)\)\s*$")


@dataclass(frozen=True)
class Flavour:
    """How markers are written in one markup: hidden in Markdown, invisible anchors in Jira."""

    identity: str  # format string with {kind} and {attrs}
    identity_pattern: re.Pattern[str]
    begin: str
    end: str


MARKDOWN = Flavour(
    identity="<!-- storyplan:{kind} {attrs} -->",
    identity_pattern=re.compile(r"<!-- storyplan:(?P<kind>\w+)(?P<attrs>[^>]*?)\s*-->"),
    begin="<!-- storyplan:begin -->",
    end="<!-- storyplan:end -->",
)
JIRA = Flavour(
    identity="{{anchor:storyplan-{kind}}}",
    identity_pattern=re.compile(r"\{anchor:storyplan-(?P<kind>\w+)(?P<attrs>)\}"),
    begin="{anchor:storyplan-begin}",
    end="{anchor:storyplan-end}",
)


def flavour(markup: Markup) -> Flavour:
    return JIRA if markup == "jira" else MARKDOWN


def identity(kind: str, markup: Markup = "markdown", **attrs: str) -> str:
    """The identity line: `<!-- storyplan:task story="octo/shop#42" id="T2" -->`."""
    text = " ".join(f'{name}="{value}"' for name, value in sorted(attrs.items()))
    return flavour(markup).identity.format(kind=kind, attrs=text)


def read_identity(body: str, kind: str, markup: Markup = "markdown") -> dict[str, str] | None:
    """The attributes of the first `kind` identity line in `body`, or None without one."""
    for match in flavour(markup).identity_pattern.finditer(body):
        if match["kind"] == kind:
            return dict(_ATTR.findall(match["attrs"]))
    return None


def managed(body: str, markup: Markup = "markdown") -> str | None:
    """The text between storyplan's begin and end markers, or None if they are missing."""
    fl = flavour(markup)
    start = body.find(fl.begin)
    end = body.find(fl.end, start + len(fl.begin)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return body[start + len(fl.begin) : end].strip("\n")


def compose(existing: str | None, header: str, content: str, markup: Markup = "markdown") -> str:
    """Put `content` in storyplan's part of `existing`, keeping everything else as it was.

    Boxes a person ticked in the old managed part stay ticked when the same item is still
    there. In Markdown storyplan also records which boxes it ticked itself (from the
    sub-issues' states), so a box it ticked is unticked again when, say, a sub-issue is
    reopened, while a person's tick is kept.
    """
    fl = flavour(markup)
    old = managed(existing, markup) if existing else None
    own = _ticked_keys(content, markup)
    if old is not None:
        content = carry_ticks(old, content, markup, skip=_recorded(old))
    if markup == "markdown" and own:
        content = content.rstrip("\n") + "\n" + _record(own)
    block = f"{fl.begin}\n{content.strip(chr(10))}\n{fl.end}"
    if existing is None or old is None:
        parts = [header, block]
        if existing and existing.strip():
            parts.append(existing.strip("\n"))
        return "\n".join(parts) + "\n"
    start = existing.find(fl.begin)
    end = existing.find(fl.end, start) + len(fl.end)
    return _with_header(existing[:start], header, fl) + block + existing[end:]


def _with_header(prefix: str, header: str, fl: Flavour) -> str:
    """`prefix` with its identity line of `header`'s kind brought up to date (attributes change)."""
    new = fl.identity_pattern.search(header)
    if new is None:
        return prefix
    for old in fl.identity_pattern.finditer(prefix):
        if old["kind"] == new["kind"]:
            return prefix[: old.start()] + new.group(0) + prefix[old.end() :]
    return prefix


_RECORD = re.compile(r"<!-- storyplan:ticked (?P<digests>[0-9a-f ]*) -->")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _ticked_keys(text: str, markup: Markup) -> set[str]:
    return {item_key(item) for item, done in checkboxes(text, markup) if done}


def _record(keys: set[str]) -> str:
    """The hidden line that says which boxes storyplan ticked (digests, not text)."""
    return f"<!-- storyplan:ticked {' '.join(sorted(_digest(k) for k in keys))} -->"


def _recorded(text: str) -> set[str]:
    match = _RECORD.search(text)
    return set(match["digests"].split()) if match else set()


def item_key(text: str) -> str:
    # A trailing "(#43)" or "([#43](url))" is storyplan's annotation; people tick the item.
    return " ".join(_LINK_TAIL.sub("", text).split()).casefold()


def checkboxes(text: str, markup: Markup = "markdown") -> list[tuple[str, bool]]:
    """Every checklist line in `text` as (item text, ticked), in order."""
    pattern, open_marks, _ = _TICKS[markup]
    result = []
    for line in text.splitlines():
        if match := pattern.match(line):
            result.append((match["text"], match["mark"] not in open_marks))
    return result


def carry_ticks(
    old: str, new: str, markup: Markup = "markdown", skip: set[str] | None = None
) -> str:
    """`new` with the boxes that were ticked in `old` ticked again (matched by item text).

    `skip` holds digests of boxes storyplan ticked itself: those follow `new`, not `old`.
    """
    pattern, open_marks, done_mark = _TICKS[markup]
    skip = skip or set()
    ticked = {key for key in _ticked_keys(old, markup) if _digest(key) not in skip}
    if not ticked:
        return new
    lines = []
    for line in new.splitlines(keepends=True):
        match = pattern.match(line.rstrip("\n"))
        if match and match["mark"] in open_marks and item_key(match["text"]) in ticked:
            tail = "\n" if line.endswith("\n") else ""
            line = f"{match['lead']}{done_mark}{match['rest']}{tail}"
        lines.append(line)
    return "".join(lines)
