"""Which reader handles each section of a story. A heading storyplan does not know is kept whole
as a section of the plan, unless a heading it knows lies under it, which is then read as usual.
"""

from __future__ import annotations

import re

from storyplan.parse.criteria import read_checklist, read_criteria
from storyplan.parse.edges import read_dependencies
from storyplan.parse.heads import head_of
from storyplan.parse.risks import read_challenges, read_risks
from storyplan.parse.slots import SLOTS, TABLES, Piece, keep, put, read_fields, read_slot
from storyplan.parse.state import State
from storyplan.parse.tasks import holds_tasks, read_tasks, task_from_heading
from storyplan.parse.tree import Block, Node

# "As a … I want …" in the languages of synonyms.py: an opening and, somewhere after it, the
# wish. Two bounded searches instead of one pattern with `.*` between them, so a long
# paragraph is read in one pass whatever it holds.
_AS_A = (
    (r"\W*as\s+(?:an?|the)\b", r"\b(?:I|we)\s+(?:want|need|would|wish|can|should|expect)"),
    (r"\W*como\b", r"\b(?:quiero|quero|necesito|preciso|gostaria|deseo)"),
    (r"\W*en\s+tant\s+qu", r"\b(?:je\s+veux|je\s+souhaite|j'aimerais|je\s+voudrais)"),
    (r"\W*als\b", r"\b(?:möchte|will|wünsche)\s+ich"),
    (r"\W*(?:作为|作為)", r"我想|我希望|我要|我需要"),
    (r".*?として", r"たい"),
    (r".*?(?:로서|으로서)", r"싶"),
)
_OPENINGS = [(re.compile(a, re.I | re.DOTALL), re.compile(b, re.I)) for a, b in _AS_A]


def _is_as_a(text: str) -> bool:
    for opening, wish in _OPENINGS:
        start = opening.match(text)
        if start and wish.search(text, start.end()):
            return True
    return False


def read_node(node: Node, state: State) -> None:
    def other(child: Node) -> None:
        read_node(child, state)

    key = state.headings.classify(node.title)
    if key is None and _names_task(node.title):
        state.drafts.append(task_from_heading(node, state))  # "## Task 3: …" outside a section
        return
    if key is None and holds_tasks(node, state):
        read_tasks(node, state, other)  # spec-kit's phases: tasks with no "Tasks" heading
        return
    if key is None:
        if any(state.headings.classify(n.title) or _names_task(n.title) for n in node.walk()[1:]):
            state.keep_blocks(node, node.blocks)
            for child in node.children:
                read_node(child, state)
        else:
            state.keep_node(node)
        return
    if key == "tasks":
        read_tasks(node, state, other)
    elif key == "acceptance_criteria":
        read_criteria(node, state, other)
    elif key == "risks":
        read_risks(node, state, other)
    elif key == "challenges":
        read_challenges(node, state, other)
    elif key in {"definition_of_done", "definition_of_ready", "checklist"}:
        read_checklist(node, state, other)
    elif key == "dependencies":
        read_dependencies(node, state)
    elif key == "task_graph":
        pass  # a drawing of the dependencies the tasks state; storyplan draws its own
    elif key == "user_value":
        keep(node, put(state, "business.user_value", read_fields(node.blocks, {}, state)), state)
        _children(node, state)
    elif key == "description":
        keep(node, story_text(node.blocks, state), state)
        _children(node, state)
    elif key in {"dev_notes", "out_of_scope"}:
        state.keep_node(node)  # no slot in the plan: kept as written
    elif key in SLOTS:
        read_slot(node, key, state)
        _children(node, state)


def _names_task(title: str) -> bool:
    head = head_of(title)
    return head.label is not None or bool(re.fullmatch(r"T\d+|TASK-\d+", head.id or ""))


def _children(node: Node, state: State) -> None:
    for child in node.children:
        read_node(child, state)


def story_text(blocks: list[Block], state: State) -> list[Piece]:
    """Metadata lines ("**Tech Lead**: Ana") and the "As a … I want …" sentence, taken from the
    text before the first section; what remains is returned."""
    pieces = read_fields(blocks, TABLES["overview"], state)
    if state.plan.business.user_value:
        return pieces
    for i, piece in enumerate(pieces):
        if not piece.items and _is_as_a(piece.text):
            state.plan.business.user_value = piece.text.strip()
            return pieces[:i] + pieces[i + 1 :]
    return pieces
