"""Markdown tokens → a tree of heading sections with 1-based line numbers, so the parser reads
structure (headings, lists, fences) from markdown-it instead of regular expressions over text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.common.html_blocks import block_names
from markdown_it.rules_block import StateBlock, paragraph
from markdown_it.token import Token

# A template's placeholder line ("<Replace these with the requirements>"): CommonMark reads it
# as an HTML tag and swallows the list under it up to the next blank line. A line that is one
# tag whose name no HTML element has, and that sets no attribute, is text a person wrote.
_PLACEHOLDER = re.compile(r"<(?P<name>[A-Za-z][A-Za-z0-9]{0,40})(?:[ \t][^<>=\"'\n]{0,400})?>")
_INLINE_ELEMENTS = (
    "a abbr area audio b bdi bdo big br button canvas center cite code data datalist del dfn em"
    " embed font i iframe img input ins kbd label map mark math meter object output picture"
    " progress q ruby s samp script select slot small span strike strong sub sup svg template"
    " textarea time tt u var video wbr"
)
_ELEMENTS = frozenset(block_names) | frozenset(_INLINE_ELEMENTS.split())


def _placeholder(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Read a placeholder line as the first line of a paragraph, not as an HTML block."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    text = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]].strip()
    match = _PLACEHOLDER.fullmatch(text)
    if match is None or match["name"].lower() in _ELEMENTS:
        return False
    return paragraph(state, start, end, silent)


# Blocks only: the parser reads a block's source text, never its inline tokens, and inline
# parsing costs most of the time on bracket-heavy text. Heading titles, the one place inline
# markup matters (link text, emphasis), are parsed inline on their own, line by line.
MD = MarkdownIt("commonmark").enable("table").disable("inline")
MD.block.ruler.before("html_block", "placeholder", _placeholder)
INLINE = MarkdownIt("commonmark")
# Text the inline parser would give back as it is: no emphasis, code, link, HTML, entity,
# escape or line break.
_MARKUP_FREE = re.compile(r"[^\\`*_\[\]<>&!~\n]*")
# A paragraph that is only a bold label ("**Acceptance Criteria:**"): when the label names a
# section, what follows belongs to that section, as under a heading one level below all
# others (the next heading of any level, or the next such label, ends it).
_LABEL = re.compile(r"(?:\*\*(?P<a>[^*\n]{1,100})\*\*|__(?P<b>[^_\n]{1,100})__)[ \t]*:?[ \t]*")
LABEL_LEVEL = 7


@dataclass
class Block:
    """One top-level block (paragraph, list, fence, table, ...) of a section's own content."""

    kind: str
    tokens: list[Token]
    line: int  # 1-based first line
    end: int  # 1-based last line, inclusive
    text: str  # the block's source text
    info: str = ""  # a fence's info string

    @property
    def content(self) -> bool:
        """Whether a person wrote something here (rules and HTML comments are not content)."""
        if self.kind == "hr":
            return False
        return self.kind != "html_block" or not self.text.lstrip().startswith("<!--")


@dataclass
class Node:
    """A heading and what lies under it; the root (level 0) holds text before any heading."""

    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    end: int = 0

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


@dataclass
class Doc:
    lines: list[str]
    root: Node
    storyplan: list[Block] = field(default_factory=list)
    tasklists: list[Block] = field(default_factory=list)

    def text(self, first: int, last: int) -> str:
        """Source lines `first`..`last` (1-based, inclusive), trimmed of blank edges."""
        return "\n".join(self.lines[max(first, 1) - 1 : max(last, 0)]).strip("\n")

    def body(self, node: Node) -> str:
        return self.text(node.line + 1, node.end).strip()


def fence_name(info: str) -> str:
    words = info.strip().split()
    return words[0].lower() if words else ""


def plain(inline: Token) -> str:
    """A heading's text without markup: emphasis, links and code reduced to their words."""
    if _MARKUP_FREE.fullmatch(inline.content):  # most headings: nothing to reduce
        return inline.content.strip()
    parts: list[str] = []
    children = [
        child for token in INLINE.parseInline(inline.content) for child in token.children or []
    ]
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return "".join(parts).strip()


def label_of(content: str) -> str | None:
    """The text of a paragraph that is only a bold label ("**Tasks:**" → "Tasks")."""
    match = _LABEL.fullmatch(content.strip())
    return (match["a"] or match["b"]).strip().rstrip(":\uff1a").strip() if match else None


def _heading(
    tokens: list[Token], i: int, sections: Callable[[str], bool] | None
) -> tuple[int, str] | None:
    """(level, title) when token `i` opens a heading, or a bold label that names a section."""
    token = tokens[i]
    if token.type == "heading_open":
        return int(token.tag[1:]), plain(tokens[i + 1])
    if token.type != "paragraph_open" or sections is None:
        return None
    label = label_of(tokens[i + 1].content)
    return (LABEL_LEVEL, label) if label and sections(label) else None


def build(text: str, first_line: int = 1, sections: Callable[[str], bool] | None = None) -> Doc:
    """Parse Markdown into a section tree; `first_line` offsets lines for embedded documents,
    `sections` says which bold labels name a section (read as headings)."""
    lines = text.split("\n")
    root = Node(title="", level=0, line=first_line - 1, end=first_line - 1 + len(lines))
    doc = Doc(lines=[""] * (first_line - 1) + lines, root=root)
    stack = [root]
    tokens = MD.parse(text)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        start, end = (token.map or [0, 0])[:2]
        heading = _heading(tokens, i, sections)
        if heading is not None:
            level, title = heading
            node = Node(title, level, start + first_line)
            while stack[-1].level >= level:
                stack.pop().end = node.line - 1
            stack[-1].children.append(node)
            stack.append(node)
            i += 3
            continue
        j = i
        if token.nesting == 1:  # find the matching close at this level
            depth = 0
            while j < len(tokens):
                depth += tokens[j].nesting
                if depth == 0:
                    break
                j += 1
        kind = token.type.removesuffix("_open")
        block = Block(
            kind=kind,
            tokens=tokens[i : j + 1],
            line=start + first_line,
            end=end + first_line - 1,
            text="",
            info=token.info if kind == "fence" else "",
        )
        block.text = doc.text(block.line, block.end)
        name = fence_name(block.info) if kind == "fence" else ""
        if name == "storyplan":
            doc.storyplan.append(block)
        elif name == "[tasklist]":
            doc.tasklists.append(block)
        else:
            stack[-1].blocks.append(block)
        i = j + 1
    for node in stack:
        node.end = len(doc.lines)
    return doc
