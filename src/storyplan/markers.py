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
_JIRA_ATTR = re.compile(r"(\w+)=([^\s}]*)")
_BOX = re.compile(
    r"^(?P<lead>\s*(?:[-*+]|\d+[.)])\s+\[)(?P<mark>[ xX])(?P<rest>\]\s+(?P<text>.*))$"
)
# Jira wiki has no tickable box: storyplan shows (/) for done and a plain ☐ for open (Jira
# draws (x) as a red cross, "failed"); plans written before show (x), which still reads open.
_JIRA_BOX = re.compile(r"^(?P<lead>\s*[*#-]+\s+)(?P<mark>\(/\)|\(x\)|☐)(?P<rest>\s+(?P<text>.*))$")
# markup → (pattern, marks of an open box, the mark of a ticked one)
_TICKS = {"markdown": (_BOX, (" ",), "x"), "jira": (_JIRA_BOX, ("(x)", "☐"), "(/)")}
_HEADINGS = {
    "markdown": re.compile(r"^ {0,3}(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$"),
    "jira": re.compile(r"^h(?P<level>[1-6])\.\s+(?P<title>.*?)\s*$"),
}
# Text that would read as one of storyplan's own markers: story text must never make one.
_FORGED = {
    "markdown": re.compile(r"(<!--\s*)(storyplan)", re.IGNORECASE),
    "jira": re.compile(r"(anchor:\s*)(storyplan)", re.IGNORECASE),
}
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
    identity="{{anchor:storyplan-{kind}{attrs}}}",
    identity_pattern=re.compile(r"\{anchor:storyplan-(?P<kind>\w+)(?P<attrs>[^}]*)\}"),
    begin="{anchor:storyplan-begin}",
    end="{anchor:storyplan-end}",
)


def flavour(markup: Markup) -> Flavour:
    return JIRA if markup == "jira" else MARKDOWN


def identity(kind: str, markup: Markup = "markdown", **attrs: str) -> str:
    """The identity line: `<!-- storyplan:task story="octo/shop#42" id="T2" -->`.

    In Jira a sub-task's identity is its entity property: its anchor carries only the text
    key of a task known by its text (`{anchor:storyplan-task text=…}`), which the core reads
    back itself; the plan's anchor carries all its attributes (`{anchor:storyplan-plan date=…}`).
    """
    if markup == "jira":
        text = "".join(
            f" {name}={value}"
            for name, value in sorted(attrs.items())
            if kind == "plan" or name == "text"
        )
    else:
        text = " ".join(f'{name}="{value}"' for name, value in sorted(attrs.items()))
    return flavour(markup).identity.format(kind=kind, attrs=text)


def read_identity(body: str, kind: str, markup: Markup = "markdown") -> dict[str, str] | None:
    """The attributes of the first `kind` identity line in `body`, or None without one."""
    attr = _JIRA_ATTR if markup == "jira" else _ATTR
    for match in flavour(markup).identity_pattern.finditer(body):
        if match["kind"] == kind:
            return dict(attr.findall(match["attrs"]))
    return None


def managed(body: str, markup: Markup = "markdown") -> str | None:
    """The text between storyplan's begin and end markers, or None if they are missing."""
    fl = flavour(markup)
    start = body.find(fl.begin)
    end = body.find(fl.end, start + len(fl.begin)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return body[start + len(fl.begin) : end].strip("\n")


def compose(
    existing: str | None,
    header: str,
    content: str,
    markup: Markup = "markdown",
    others: tuple[str, ...] = (),
) -> str:
    """Put `content` in storyplan's part of `existing`, keeping everything else as it was.

    Boxes a person ticked in the old managed part (or in `others`, copies of it that are
    about to be removed) stay ticked when the same item is still there. storyplan also
    records which boxes it ticked itself (from the sub-issues' states), so a
    box it ticked is unticked again when, say, a sub-issue is reopened, while a person's
    tick is kept.
    """
    fl = flavour(markup)
    content = neutralise(content, markup)
    old = managed(existing, markup) if existing else None
    own = _ticked_keys(content, markup)
    for before in (old, *(managed(other, markup) for other in others)):
        if before is not None:  # `others`: copies about to go, whose ticks live on here
            content = carry_ticks(before, content, markup, skip=_recorded(before, markup))
    if own:
        content = content.rstrip("\n") + "\n" + _record(own, markup)
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


# The hidden line that says which boxes storyplan ticked (digests, not text): a comment in
# Markdown, an anchor (which Jira does not show) in Jira wiki.
_RECORDS = {
    "markdown": (
        "<!-- storyplan:ticked {} -->",
        r"<!-- storyplan:ticked (?P<digests>[0-9a-f ]*) -->",
    ),
    "jira": (
        "{{anchor:storyplan-ticked {}}}",
        r"\{anchor:storyplan-ticked (?P<digests>[0-9a-f ]*)\}",
    ),
}
_RECORD = {markup: re.compile(pattern) for markup, (_, pattern) in _RECORDS.items()}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _ticked_keys(text: str, markup: Markup) -> set[str]:
    return {key for key, _, done in keyed_boxes(text, markup) if done}


def _record(keys: set[str], markup: Markup) -> str:
    return _RECORDS[markup][0].format(" ".join(sorted(_digest(k) for k in keys)))


def _recorded(text: str, markup: Markup) -> set[str]:
    match = _RECORD[markup].search(text)
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


def keyed_boxes(text: str, markup: Markup = "markdown") -> list[tuple[str, str, bool]]:
    """Every checklist line as (identity, item text, ticked). The identity is the item's
    text under the path of headings above it, so the same words in two sections (a task line
    and an acceptance criterion) are two items: a tick never moves from one to the other."""
    pattern, open_marks, _ = _TICKS[markup]
    heading = _HEADINGS[markup]
    path: list[tuple[int, str]] = []
    result = []
    for line in text.splitlines():
        if found := heading.match(line):
            level = len(found["level"]) if markup == "markdown" else int(found["level"])
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, item_key(found["title"])))
        elif match := pattern.match(line):
            where = " / ".join(title for _, title in path)
            result.append(
                (
                    f"{where} / {item_key(match['text'])}",
                    match["text"],
                    match["mark"] not in open_marks,
                )
            )
    return result


def neutralise(content: str, markup: Markup = "markdown") -> str:
    """`content` with anything that reads as a storyplan marker broken by a word joiner, so
    text from a story can never end, begin or name storyplan's part of a comment."""
    return _FORGED[markup].sub(lambda m: f"{m[1]}story\u2060plan", content)


def carry_ticks(
    old: str, new: str, markup: Markup = "markdown", skip: set[str] | None = None
) -> str:
    """`new` with the boxes that were ticked in `old` ticked again (matched by identity:
    section path and item text).

    `skip` holds digests of boxes storyplan ticked itself: those follow `new`, not `old`.
    """
    pattern, open_marks, done_mark = _TICKS[markup]
    skip = skip or set()
    ticked = {key for key in _ticked_keys(old, markup) if _digest(key) not in skip}
    if not ticked:
        return new
    keys = iter(keyed_boxes(new, markup))
    lines = []
    for line in new.splitlines(keepends=True):
        match = pattern.match(line.rstrip("\n"))
        if match:
            key, _, _ = next(keys)
            if match["mark"] in open_marks and key in ticked:
                tail = "\n" if line.endswith("\n") else ""
                line = f"{match['lead']}{done_mark}{match['rest']}{tail}"
        lines.append(line)
    return "".join(lines)
