"""Risks and implementation challenges as teams list them: "**Risk**: … **Mitigation**: …",
"risk — mitigation" lines, nested mitigation items, and tables with Risk/Mitigation columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it.token import Token

from storyplan.model import Challenge, Risk
from storyplan.parse.fields import field_table, inline_fields, strip_emphasis
from storyplan.parse.items import Item, items_of
from storyplan.parse.slots import Piece, keep
from storyplan.parse.state import State
from storyplan.parse.synonyms import normalise
from storyplan.parse.tree import Block, Node

RISK_KEYS = field_table(
    "risk: Risk|Risks|Technical Risk|Description|Riesgo|Risco|Risque|Risiko|风险|リスク|위험;"
    " mitigation: Mitigation|Mitigations|Mitigation Strategy|Response|Mitigación|Mitigação"
    "|Atténuation|Mitigierung|Gegenmaßnahme|缓解措施|対策|완화;"
    " contingency: Contingency|Contingency Plan|Fallback|Plan B|Contingencia|Contingência"
    "|Plan de secours|Notfallplan|应急计划|代替策|비상 계획"
)
CHALLENGE_KEYS = field_table(
    "challenge: Challenge|Challenges; strategy: Strategy|Approach; support: Support|Contact|Owner"
)
_DASH = re.compile(r"--|->|[—\u2013→-]")


@dataclass(frozen=True)
class _Kind:
    model: type[Risk] | type[Challenge]
    keys: dict[str, str]
    lead: str  # the field that starts an entry
    target: str  # the plan's list


RISKS = _Kind(Risk, RISK_KEYS, "risk", "risks")
CHALLENGES = _Kind(Challenge, CHALLENGE_KEYS, "challenge", "challenges")


def read_risks(node: Node, state: State, other: Callable[[Node], None]) -> None:
    _read(node, state, other, RISKS)


def read_challenges(node: Node, state: State, other: Callable[[Node], None]) -> None:
    _read(node, state, other, CHALLENGES)


def _read(node: Node, state: State, other: Callable[[Node], None], kind: _Kind) -> None:
    found: list[dict[str, str]] = []
    left: list[Piece] = []
    for block in node.blocks:
        if block.kind in {"bullet_list", "ordered_list"}:
            found.extend(_from_item(item, kind) for item in items_of(block, state.doc))
        elif block.kind == "paragraph":
            rest = _from_lines(block.tokens[1].content.split("\n"), kind, found)
            if rest:
                left.append(Piece("\n".join(rest), block.line))
        elif block.kind == "table":
            found.extend(_from_table(block, kind))
        elif block.content:
            left.append(Piece(block.text, block.line))
    getattr(state.plan, kind.target).extend(
        kind.model(**entry) for entry in found if entry.get(kind.lead)
    )
    keep(node, left, state)
    for child in node.children:
        key = state.headings.classify(child.title)
        if key == "risks":
            _read(child, state, other, RISKS)
        elif key == "challenges":
            _read(child, state, other, CHALLENGES)
        else:
            other(child)


def _from_item(item: Item, kind: _Kind) -> dict[str, str]:
    entry: dict[str, str] = {}
    for line in item.text.split("\n"):
        _merge(entry, inline_fields(line, kind.keys, kind.lead if not entry else None), line)
    if len(entry) == 1 and kind.lead in entry:  # "risk — mitigation" on one line
        parts = _split_dash(entry[kind.lead])
        if len(parts) == 2 and parts[0] and parts[1]:
            second = next(k for k in kind.keys.values() if k != kind.lead)
            entry = {kind.lead: parts[0], second: parts[1]}
    for child in item.flat():
        text = " ".join(child.text.split())
        fields = inline_fields(text, kind.keys)
        if not fields:
            second = next(k for k in kind.keys.values() if k != kind.lead)
            fields = [(second, text)]
        _merge(entry, fields, text)
    return {k: strip_emphasis(v) for k, v in entry.items()}


def _merge(entry: dict[str, str], fields: list[tuple[str, str]], line: str) -> None:
    if not fields and line.strip():
        fields = [(list(entry)[-1], line.strip())] if entry else []
    for key, value in fields:
        if key and value:
            entry[key] = f"{entry[key]}; {value}" if entry.get(key) else value


def _from_lines(lines: list[str], kind: _Kind, found: list[dict[str, str]]) -> list[str]:
    """Paragraph lines: each lead field ("Risk: …") starts an entry, the others add to it."""
    rest: list[str] = []
    current: dict[str, str] | None = None
    for line in lines:
        fields = inline_fields(line, kind.keys)
        if not fields:
            rest.append(line)
            continue
        if fields[0][0] == kind.lead or current is None:
            current = {}
            found.append(current)
        _merge(current, fields, line)
    return rest


def _from_table(block: Block, kind: _Kind) -> list[dict[str, str]]:
    rows = _rows(block.tokens)
    if not rows:
        return []
    header = [normalise(strip_emphasis(cell)) for cell in rows[0]]
    columns = [kind.keys.get(h) for h in header]
    if kind.lead not in columns:
        columns[0] = kind.lead
    found: list[dict[str, str]] = []
    for row in rows[1:]:
        entry: dict[str, str] = {}
        extra: list[str] = []
        for i, cell in enumerate(row):
            key = columns[i] if i < len(columns) else None
            if key and cell.strip():
                entry[key] = f"{entry[key]}; {cell.strip()}" if key in entry else cell.strip()
            elif cell.strip() and i < len(rows[0]):
                extra.append(f"{strip_emphasis(rows[0][i])}: {cell.strip()}")
        if extra and entry.get(kind.lead):
            entry[kind.lead] += f" ({'; '.join(extra)})"
        found.append(entry)
    return found


def _rows(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
    return rows


def _split_dash(text: str) -> list[str]:
    """ "risk — mitigation": split at the first long dash or arrow, or at a hyphen with spaces
    on both sides ("risk - mitigation"), never inside a word ("re-try")."""
    for match in _DASH.finditer(text):
        start, end = match.span()
        spaced = text[start - 1 : start].isspace() and text[end : end + 1].isspace()
        if match.group() in "—\u2013→" or spaced:
            return [text[:start].rstrip(), text[end:].lstrip()]
    return [text]
