"""What the parse steps share while one story is read: the document, the plan being filled, the
tasks drafted so far and the problems found, so each step stays a small function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from storyplan.errors import Problem
from storyplan.model import Plan, Section, Task
from storyplan.parse.depends import Ref
from storyplan.parse.synonyms import Headings
from storyplan.parse.tree import Block, Doc, Node

_NO_RESPONSE = frozenset({"_No response_", "*No response*", "No response"})


@dataclass
class Statement:
    """`waiting` cannot start before `first`; each side names tasks or groups of tasks."""

    line: int
    waiting: list[Ref] = field(default_factory=list)
    first: list[Ref] = field(default_factory=list)
    waiting_groups: list[str] = field(default_factory=list)
    first_groups: list[str] = field(default_factory=list)
    arrow: bool = False
    # "T003 -> all other tasks": which side ("waiting" or "first") is every other task
    others: str = ""
    section: int = 0  # which dependency section, for reading its arrows one way


@dataclass
class Draft:
    """A task being built: its model plus what only becomes final once all tasks are known."""

    task: Task
    label: int | None = None  # N of a "Task N" title
    refs: list[Ref] = field(default_factory=list)  # dependencies, resolved in finish.py
    blocks: list[Ref] = field(default_factory=list)  # tasks waiting for this one ("blocks T6")
    groups: list[str] = field(default_factory=list)  # phases and user stories it belongs to
    description: list[str] = field(default_factory=list)


@dataclass
class State:
    doc: Doc
    plan: Plan
    headings: Headings
    source: str
    problems: list[Problem] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    looked: list[str] = field(default_factory=list)  # where tasks were looked for
    statements: list[Statement] = field(default_factory=list)  # from dependency sections
    sections_read: list[int] = field(default_factory=list)  # lines of those sections
    # converted line → line in the text a person wrote (Jira markup is converted first)
    original: Callable[[int], int] = field(default=lambda line: line)

    def problem(self, message: str, line: int = 0) -> None:
        self.problems.append(Problem(message, self.original(line), self.source))

    def keep(self, title: str, body: str, line: int) -> None:
        """Keep text storyplan has no slot for as a section, so nothing a person wrote is lost."""
        if body.strip():
            self.plan.sections.append(Section(title=title, body=body.strip(), line=line))

    def keep_blocks(self, node: Node, blocks: list[Block]) -> None:
        kept = [b for b in blocks if _written(b)]
        if kept:
            self.keep(node.title or "Description", "\n\n".join(b.text for b in kept), kept[0].line)

    def keep_node(self, node: Node) -> None:
        """Keep a heading with what lies under it; headings with nothing under them but empty
        sub-headings or template placeholders (BMAD's "Dev Agent Record") are not kept."""
        if any(_written(block) for part in node.walk() for block in part.blocks):
            self.keep(node.title, self.doc.body(node), node.line)


def _written(block: Block) -> bool:
    """Whether a person wrote this block: not a rule or comment, not a template placeholder
    (`{{agent_model_name_version}}`), not an issue form's "_No response_"."""
    text = block.text.strip()
    placeholder = text.startswith("{{") and text.endswith("}}") and "\n" not in text
    return block.content and not placeholder and text not in _NO_RESPONSE
