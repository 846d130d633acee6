"""Sections whose content maps onto plan fields: which field lines each understands, where its
remaining text goes, and how a value lands in a str, list or checklist field of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from storyplan.model import ChecklistItem
from storyplan.parse.fields import field_of, field_table, split_fields
from storyplan.parse.items import Item, items_of
from storyplan.parse.state import State
from storyplan.parse.tree import Block, Node

_SECURITY = (
    "{p}.requirements: {n} Requirements|Requirements|Targets;"
    " {p}.approach: Testing Approach|Approach;"
    " {p}.metrics: Success Metrics|Metrics|Compliance Checks|Compliance"
)
# section key → (its field lines "path: Key|Key; ...", where the rest of its content goes).
SLOTS: dict[str, tuple[str, str | None]] = {
    "overview": (
        "overview.tech_lead: Tech Lead|Technical Lead|Lead; overview.developers: Developer(s)"
        "|Developers|Developer|Assignees; overview.target_completion: Target Completion|Target"
        "|Target Date|Due|Due Date|Deadline; overview.status: Status|Story Status;"
        " ignore: Plan Date|Story|Story ID",
        None,
    ),
    "business": (
        "business.user_value: User Value|User Story; business.business_value: Business Value|Value;"
        " business.success_criteria: Success Criteria|Success Metrics|Key Success Metrics",
        None,
    ),
    "status": ("", "overview.status"),
    "business_value": ("", "business.business_value"),
    "success_criteria": ("", "business.success_criteria"),
    "approach": (
        "approach.architecture: Architecture Alignment|Architecture; approach.strategy:"
        " Implementation Strategy|Strategy|Approach; approach.decisions: Key Technical Decisions"
        "|Technical Decisions|Decisions",
        "approach.strategy",
    ),
    "architecture": ("", "approach.architecture"),
    "strategy": ("", "approach.strategy"),
    "decisions": ("", "approach.decisions"),
    "testing": (
        "integration.strategy: Integration Strategy; integration.end_to_end.scenarios:"
        " Test Scenarios|Scenarios|E2E; integration.end_to_end.data: Test Data",
        "integration.end_to_end.scenarios",
    ),
    "integration_strategy": ("", "integration.strategy"),
    "end_to_end": (
        "integration.end_to_end.scenarios: Test Scenarios|Scenarios; integration.end_to_end.data:"
        " Test Data|Data; integration.end_to_end.environment: Environment|Test Environment",
        "integration.end_to_end.scenarios",
    ),
    "performance": (
        _SECURITY.format(p="integration.performance", n="Performance"),
        "integration.performance.requirements",
    ),
    "security": (
        _SECURITY.format(p="integration.security", n="Security"),
        "integration.security.requirements",
    ),
    "environment": (
        "environment.tools: Development Tools|Tools; environment.dependencies: Dependencies"
        "|Packages; environment.configuration: Configuration|Config|Environment Variables;"
        " environment.database: Database Setup|Database; environment.setup_steps: Setup Steps"
        "|Setup; environment.verification: Verification; environment.common_issues: Common Issues"
        "|Troubleshooting",
        "environment.setup_steps",
    ),
    "quality": (
        "quality.style_guide: Style Guide; quality.naming: Naming Conventions|Naming;"
        " quality.file_organization: File Organization; quality.documentation: Documentation",
        None,
    ),
    "review_checklist": ("", "quality.review_checklist"),
    "tech_lead_support": (
        "support.tech_lead_availability: Availability; support.tech_lead_communication:"
        " Communication; support.review_schedule: Review Schedule",
        None,
    ),
    "architecture_questions": (
        "support.architecture_contact: Contact; support.architecture_docs: Documentation",
        None,
    ),
    "business_questions": (
        "support.business_contact: Contact; support.business_docs: Documentation",
        None,
    ),
    "daily_checkpoints": ("", "progress.daily_checkpoints"),
    "weekly_milestones": ("", "progress.weekly_milestones"),
    "success_indicators": ("", "progress.success_indicators"),
    "technical_completion": ("", "completion.technical"),
    "business_completion": ("", "completion.business"),
    "operational_completion": ("", "completion.operational"),
    "worked_well": ("", "retrospective.worked_well"),
    "challenges_encountered": ("", "retrospective.challenges"),
    "lessons": ("", "retrospective.lessons"),
    "improvements": ("", "retrospective.improvements"),
}
for _key in ("support", "progress", "completion", "retrospective"):
    SLOTS[_key] = ("", None)
TABLES = {key: field_table(spec) for key, (spec, _) in SLOTS.items()}


@dataclass
class Piece:
    """Content that is not a field line: text, or the list items it came from."""

    text: str
    line: int
    items: list[Item] = field(default_factory=list)


def read_fields(blocks: list[Block], table: dict[str, str], state: State) -> list[Piece]:
    """Assign the field lines among `blocks`; return what is left, in order."""
    left: list[Piece] = []
    for block in blocks:
        if block.kind == "paragraph":
            lines = block.tokens[1].content.split("\n")
            wraps = frozenset(v for v in table.values() if not v.startswith("overview."))
            for key, value, index in split_fields(lines, table, wraps):
                if key is None:
                    left.append(Piece(value, block.line + index))
                else:
                    assign(state, key, value, [])
        elif block.kind in {"bullet_list", "ordered_list"}:
            items = items_of(block, state.doc)
            plain = []
            for item in items:
                first, _, wrapped = item.text.partition("\n")
                found = field_of(first, table) if table else None
                if found:
                    assign(state, found[0], " ".join([found[1], *wrapped.split()]), item.children)
                else:
                    plain.append(item)
            if plain:
                text = block.text if len(plain) == len(items) else _listed(plain)
                left.append(Piece(text, plain[0].line, plain))
        elif block.content:
            left.append(Piece(block.text, block.line))
    return left


def read_slot(node: Node, key: str, state: State) -> None:
    rest = SLOTS[key][1]
    left = read_fields(node.blocks, TABLES[key], state)
    if rest is None:
        keep(node, left, state)
    else:
        keep(node, put(state, rest, left), state)


def keep(node: Node, left: list[Piece], state: State) -> None:
    if left:
        state.keep(node.title or "Description", "\n\n".join(p.text for p in left), left[0].line)


def put(state: State, path: str, pieces: list[Piece]) -> list[Piece]:
    """Put free content into the field at `path`; return the pieces it cannot hold."""
    parent, name = _parent(state, path)
    current = getattr(parent, name)
    if isinstance(current, str):
        text = "\n\n".join(p for p in [current, *(p.text for p in pieces)] if p)
        setattr(parent, name, text)
        return []
    if _holds_checklist(parent, name):
        for piece in pieces:
            current.extend(_checklist(piece.items))
        return [p for p in pieces if not p.items]
    for piece in pieces:
        if piece.items:
            current.extend(_one_line(i.text) for i in _flat(piece.items))
        else:
            current.append(piece.text)
    return []


def assign(state: State, path: str, value: str, items: list[Item]) -> None:
    """Set a field line's value (and its nested list) at `path`."""
    if path == "ignore":
        return
    parent, name = _parent(state, path)
    current = getattr(parent, name)
    texts = [_one_line(i.text) for i in _flat(items)]
    if isinstance(current, str):
        joined = "\n".join(p for p in [value, *(f"- {t}" for t in texts)] if p)
        setattr(parent, name, "\n\n".join(p for p in (current, joined) if p))
    elif _holds_checklist(parent, name):
        current.extend(_checklist(items))
    elif name == "developers":
        current.extend(p.strip() for p in value.replace(";", ",").split(",") if p.strip())
    else:
        current.extend(([value] if value else []) + texts)


def _parent(state: State, path: str) -> tuple[BaseModel, str]:
    *steps, name = path.split(".")
    parent: BaseModel = state.plan
    for step in steps:
        parent = getattr(parent, step)
    return parent, name


def _holds_checklist(parent: BaseModel, name: str) -> bool:
    annotation = type(parent).model_fields[name].annotation
    return annotation == list[ChecklistItem]


def _checklist(items: list[Item]) -> list[ChecklistItem]:
    return [
        ChecklistItem(text=_one_line(i.text), checked=bool(i.checked), line=i.line)
        for i in _flat(items)
        if i.text.strip()
    ]


def _flat(items: list[Item]) -> list[Item]:
    return [found for item in items for found in (item, *item.flat())]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _listed(items: list[Item]) -> str:
    return "\n".join(f"- {_one_line(i.text)}" for i in items)
