"""List tokens → nested items with their checkbox state, because markdown-it's CommonMark preset
has no task-list rule and every section (tasks, criteria, checklists, risks) reads lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.token import Token

from storyplan.parse.tree import Block, Doc

CHECKBOX = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")


@dataclass
class Item:
    text: str  # the item's first paragraph (inline Markdown), checkbox removed
    line: int
    checked: bool | None = None  # None: not a checkbox item
    children: list[Item] = field(default_factory=list)
    more: list[str] = field(default_factory=list)  # source of further blocks inside the item

    def flat(self) -> list[Item]:
        """Every item below this one, depth first."""
        found: list[Item] = []
        for child in self.children:
            found.append(child)
            found.extend(child.flat())
        return found


def items_of(block: Block, doc: Doc) -> list[Item]:
    """The top-level items of a list block (empty for any other block)."""
    if block.kind not in {"bullet_list", "ordered_list"}:
        return []
    first = (block.tokens[0].map or [0, 0])[0]
    offset = block.line - 1 - first
    items, _ = _parse_list(block.tokens, 0, doc, offset)
    return [_hoist(item) for item in items]


def _hoist(item: Item) -> Item:
    """`1. - [ ] Write it`: a numbered item holding only a checkbox item is that checkbox item
    (GitHub epics number their task lists this way); what follows it lies under it."""
    if item.text or item.checked is not None or not item.children:
        return item
    first, *rest = item.children
    if first.checked is None:
        return item
    first.children.extend(rest)
    first.more.extend(item.more)
    return first


def _line(token: Token, offset: int) -> int:
    return (token.map or [0, 0])[0] + 1 + offset


def _close(tokens: list[Token], i: int) -> int:
    """Index of the token that closes the one opened at `i`."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _parse_list(tokens: list[Token], i: int, doc: Doc, offset: int) -> tuple[list[Item], int]:
    end = _close(tokens, i)
    items: list[Item] = []
    j = i + 1
    while j < end:
        if tokens[j].type == "list_item_open":
            item_end = _close(tokens, j)
            items.append(_parse_item(tokens, j, item_end, doc, offset))
            j = item_end + 1
        else:
            j += 1
    return items, end + 1


def _parse_item(tokens: list[Token], i: int, end: int, doc: Doc, offset: int) -> Item:
    item = Item(text="", line=_line(tokens[i], offset))
    first = True
    j = i + 1
    while j < end:
        token = tokens[j]
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            children, j = _parse_list(tokens, j, doc, offset)
            item.children.extend(children)
            first = False
            continue
        if token.type == "paragraph_open" and first:
            inline = tokens[j + 1]
            match = CHECKBOX.match(inline.content)
            if match:
                item.checked = match.group(1) != " "
                item.text = inline.content[match.end() :].strip()
            else:
                item.text = inline.content.strip()
        elif token.map is not None:
            start = _line(token, offset)
            item.more.append(doc.text(start, token.map[1] + offset))
        first = False
        j = _close(tokens, j) + 1 if token.nesting == 1 else j + 1
    return item
