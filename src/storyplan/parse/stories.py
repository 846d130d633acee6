"""Files that hold several stories (`## Story 1.1: …`, `## Story 1.2: …`, or one story per
fenced block): found here so that one is planned at a time and never two are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyplan.errors import PlanError, Problem
from storyplan.model import Story
from storyplan.parse.block import split_front_matter
from storyplan.parse.tree import MD, plain

# "Story 1.1: Login", "Story M1.2: Review", "User Story 2 - Share", "Historia 3:", "ストーリー 1",
# "스토리 2", "故事 1".
_STORY = re.compile(
    r"^\W{0,4}(?:user\s+story|story|historia(?:\s+de\s+usuario)?|história|histoire"
    r"|ストーリー|스토리|故事|用户故事)\s*#?\s{0,2}[A-Z]{0,3}\d{1,4}(?:\.\d{1,4}){0,3}"
    r"(?=$|[\s:.)\-\u2013—])",
    re.IGNORECASE,
)
# A paragraph that is only bold text ("**Story 1.1: Add the flag**"): a title, as a heading.
_BOLD = re.compile(r"\*\*(?P<a>[^*\n]{1,200})\*\*|__(?P<b>[^_\n]{1,200})__")
_BOLD_LEVEL = 7  # below every heading: the next heading of any level ends it
_AS_A = re.compile(r"\W{0,4}as\s{1,4}an?\s", re.IGNORECASE)
_FENCES = frozenset({"markdown", "md", "story", "gherkin", "text", ""})


@dataclass(frozen=True)
class Part:
    """One story of a file: its title and its lines (1-based, inclusive)."""

    title: str
    first: int
    last: int
    heading: int = 0  # the line of the heading that names it, blanked once it is the title


def split_stories(text: str) -> list[Part]:
    """The stories a Markdown text holds; fewer than two means the text is one story."""
    _, text = split_front_matter(text)
    tokens = MD.parse(text)
    lines = text.split("\n")
    heads: list[tuple[int, int, str]] = []  # (level, line, title)
    bolds: list[tuple[int, int, str]] = []  # stories titled by a bold paragraph
    fences: list[Part] = []
    for i, token in enumerate(tokens):
        start, end = (token.map or [0, 0])[:2]
        if token.type == "heading_open":
            heads.append((int(token.tag[1:]), start + 1, plain(tokens[i + 1])))
        elif token.type == "paragraph_open" and (bold := _BOLD.fullmatch(tokens[i + 1].content)):
            title = (bold["a"] or bold["b"]).strip()
            if _STORY.match(title):
                bolds.append((_BOLD_LEVEL, start + 1, title))
        elif token.type == "fence" and token.info.strip().lower() in _FENCES:
            title, named = _fenced_title(token.content)
            if title:
                heading = start + 2 + named if named >= 0 else 0
                fences.append(Part(title, start + 2, end - 1, heading))
    stories = [(level, line, title) for level, line, title in heads if _STORY.match(title)]
    if len(stories) < 2 and len(bolds) >= 2:
        stories, heads = bolds, sorted(heads + bolds, key=lambda head: head[1])
    levels = {level for level, _, _ in stories}
    if len(stories) >= 2 and len(levels) == 1:
        # One pass: a story runs to the next heading at its level or above (or the next story).
        level = levels.pop()
        titled = {line: title for _, line, title in stories}
        parts: list[Part] = []
        opened: tuple[int, str] | None = None
        for head_level, line, _ in heads:
            if head_level > level:
                continue
            if opened is not None:
                parts.append(Part(opened[1], opened[0], line - 1, opened[0]))
            opened = (line, titled[line]) if line in titled else None
        if opened is not None:
            parts.append(Part(opened[1], opened[0], len(lines), opened[0]))
        return parts
    return fences if len(fences) >= 2 else []


def _fenced_title(content: str) -> tuple[str, int]:
    """(title, offset of its heading line or -1) when a fenced block is a story: it opens with
    a story heading, or holds an "As a …" line."""
    lines = content.split("\n")
    offset = next((i for i, line in enumerate(lines) if line.strip()), -1)
    first = lines[offset].strip() if offset >= 0 else ""
    heading = first.lstrip("#").strip()
    wish = any(_AS_A.match(line.strip()) for line in lines)
    if first.startswith("#") and (_STORY.match(heading) or wish):
        return heading, offset
    return (first[:80], -1) if wish else ("", -1)


def describe(parts: list[Part]) -> str:
    return "; ".join(f"{n}. {part.title}" for n, part in enumerate(parts, start=1))


def select_story(story: Story, number: int | None) -> Story:
    """The story to plan: the file itself, or its story `number` (1-based) when it holds
    several. Several stories and no number is an error that lists them."""
    parts = split_stories(story.body) if story.markup == "markdown" else []
    source = story.source or story.ref
    if len(parts) < 2:
        if number not in (None, 1):
            message = f"--story {number} was given, but the story holds only one story"
            raise PlanError([Problem(message, 0, source)])
        return story
    if number is None:
        message = (
            f"the file holds {len(parts)} stories ({describe(parts)}); "
            "plan one at a time with --story N"
        )
        raise PlanError([Problem(message, 0, source)])
    if not 1 <= number <= len(parts):
        message = f"--story {number} is out of range: the file holds {len(parts)} stories"
        raise PlanError([Problem(message, 0, source)])
    part = parts[number - 1]
    lines = story.body.split("\n")
    # Lines outside the story are blanked, so every line number still points into the file.
    kept = [
        line if part.first <= n <= part.last and n != part.heading else ""
        for n, line in enumerate(lines, start=1)
    ]
    return story.model_copy(update={"title": part.title, "body": "\n".join(kept), "part": number})
