"""Acceptance criteria (checklists, numbered lists, "AC1:" lines, Given/When/Then scenarios) and
the checklists that are not work (Definition of Done, Definition of Ready, QA lists).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from storyplan.model import Checklist, ChecklistItem
from storyplan.parse.items import Item, items_of
from storyplan.parse.slots import Piece, keep, read_fields
from storyplan.parse.state import State
from storyplan.parse.tree import Block, Node

_NUMBERED = re.compile(
    r"^\s*(?:\*\*|__)?AC\s*(?:[-#]\s*)?(\d{1,9})(?:\*\*|__)?\s*[:.)\-\u2013—]\s*(?:(?:\*\*|__)\s*)?",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"\(AC\s*(?:[-#]\s*)?(\d{1,9})\)\s*$", re.IGNORECASE)  # "… (AC3)" as rendered
_GHERKIN = re.compile(
    r"^\s*(?:\*\*|__)?(?:scenario|scenario outline|given|when|then|and|but|dado|cuando|entonces"
    r"|dada|quando|então|étant donné|soit|quand|alors|angenommen|gegeben sei|wenn|dann"
    r"|假如|假设|当|那么|前提|もし|ならば|조건|만약|그러면)\b",
    re.IGNORECASE,
)
_STARTS = re.compile(
    r"^\s*(?:\*\*|__)?(?:scenario|given|dado|dada|étant donné|soit|angenommen|假如|假设|前提)\b",
    re.I,
)


def read_criteria(node: Node, state: State, other: Callable[[Node], None]) -> None:
    left = _read_blocks(node.blocks, state)
    keep(node, left, state)
    for child in node.children:
        key = state.headings.classify(child.title)
        if key not in {None, "acceptance_criteria"}:
            other(child)
            continue
        before = len(state.plan.acceptance_criteria)
        left = _read_blocks(child.blocks, state)
        added = state.plan.acceptance_criteria[before:]
        if len(added) <= 1 and key is None:  # "### AC2: Wrong password" + its scenario
            del state.plan.acceptance_criteria[before:]
            text = child.title + (": " + added[0].text if added else "")
            _add(state, text, added[0].checked if added else False, child.line)
        keep(child, left, state)
        for grandchild in child.children:
            read_criteria(grandchild, state, other)


def _read_blocks(blocks: list[Block], state: State) -> list[Piece]:
    left: list[Piece] = []
    for block in blocks:
        if block.kind in {"bullet_list", "ordered_list"}:
            for item in items_of(block, state.doc):
                _add(state, _with_children(item), bool(item.checked), item.line)
        elif block.kind == "paragraph":
            lines = block.tokens[1].content.split("\n")
            if _GHERKIN.match(lines[0]):
                for start, scenario in _scenarios(lines):
                    _add(state, " ".join(scenario), False, block.line + start)
            elif all(_NUMBERED.match(line) for line in lines):
                for offset, line in enumerate(lines):
                    _add(state, line, False, block.line + offset)
            else:
                left.append(Piece("\n".join(lines), block.line))
        elif block.kind == "fence" and block.info.strip().lower() in {
            "gherkin",
            "cucumber",
            "feature",
        }:
            lines = block.text.split("\n")[1:-1]
            for start, scenario in _scenarios([line for line in lines if line.strip()]):
                _add(state, " ".join(s.strip() for s in scenario), False, block.line + 1 + start)
        elif block.content:
            left.append(Piece(block.text, block.line))
    return left


def _scenarios(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Split Given/When/Then lines into scenarios, each starting at "Scenario" or "Given"."""
    found: list[tuple[int, list[str]]] = []
    for i, line in enumerate(lines):
        starts = _STARTS.match(line) and not (
            found and found[-1][1][-1].lower().startswith("scenario")
        )
        if not found or starts:
            found.append((i, []))
        found[-1][1].append(line.strip())
    return found


def _with_children(item: Item) -> str:
    text = " ".join(item.text.split())
    nested = [" ".join(i.text.split()) for i in item.flat() if i.text.strip()]
    return f"{text}: {'; '.join(nested)}" if nested and text else text or "; ".join(nested)


def _add(state: State, text: str, checked: bool, line: int) -> None:
    items = state.plan.acceptance_criteria
    match = _NUMBERED.match(text) or _SUFFIX.search(text)
    number = int(match.group(1)) if match else len(items) + 1
    if match:
        text = text[: match.start()] + text[match.end() :]
    text = " ".join(text.split())
    if text:
        items.append(ChecklistItem(text=text, checked=checked, refs=[str(number)], line=line))


def read_checklist(node: Node, state: State, other: Callable[[Node], None]) -> None:
    """A Definition of Done (or Ready, or a QA list): kept as a checklist, never made tasks."""
    checklist = Checklist(title=node.title)
    for piece in read_fields(node.blocks, {}, state):
        if piece.items:
            checklist.items.extend(
                ChecklistItem(text=" ".join(i.text.split()), checked=bool(i.checked), line=i.line)
                for item in piece.items
                for i in (item, *item.flat())
                if i.text.strip()
            )
        else:
            state.keep(node.title, piece.text, piece.line)
    if checklist.items:
        state.plan.checklists.append(checklist)
    for child in node.children:
        if state.headings.classify(child.title) is None:
            read_checklist(child, state, other)
        else:
            other(child)
