"""Dependency statements written apart from the tasks: a "Dependencies" section (spec-kit's
"Dependencies & Execution Order", 依赖关系, 依存関係, 의존성, Dependencias) with lines such as
`T005 blocks T006`, `T004 → T007`, `T014 depends on T012, T013` or `US2 depends on US1`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from storyplan.parse.depends import REF, Ref, refs_in
from storyplan.parse.fields import strip_emphasis
from storyplan.parse.items import Item, items_of
from storyplan.parse.state import Draft, State, Statement
from storyplan.parse.tree import Node, fence_name

# Words after which the references wait for the references before them are "first" (the
# others say the subject waits). Words only: the references around them are found apart.
_WAITS = (
    r"\b(?:depends?\s+(?:on|upon)|depending\s+on|blocked\s+(?:by|on)|after|requires?|needs?"
    r"|waits?\s+(?:for|on)|depende[ns]?\s+de|después\s+de|depois\s+de|dépendent?\s+de|après"
    r"|hängt\s+ab\s+von|nach)\b|依赖于?|依賴|依存|의존|之后|以后|後に|後|이후"
)
_FIRST = r"\b(?:blocks|blocking|unblocks|before|precedes|bloquea|bloqueia|bloque|blockiert)\b|先于"
_WORD = re.compile(f"(?P<waits>{_WAITS})|(?P<first>{_FIRST})", re.IGNORECASE)
_ARROW = re.compile(r"→|->|⟶|⇒|=>|➡|\u203a")
_IN_ORDER = re.compile(
    r"\b(?:sequential(?:ly)?|in\s+order|one\s+after\s+(?:the\s+)?other|in\s+sequence"
    r"|secuencial(?:es|mente)?|séquentiel(?:le)?s?|nacheinander)\b|依次|顺序|順番|순서대로",
    re.IGNORECASE,
)
_EXCEPT = re.compile(
    r"\b(?:except|but\s+not|other\s+than|excepto|sauf|außer)\b|除了|以外|を除", re.I
)
# "all other tasks", "every other task", "all remaining tasks", "everything else": one side of
# a statement that is every task but those on the other side.
_OTHERS = re.compile(
    r"\b(?:all\s+(?:the\s+)?(?:other|remaining|later|following)\s+(?:tasks|work)"
    r"|every\s+other\s+task|everything\s+else|the\s+(?:rest\s+of\s+the|remaining)\s+tasks"
    r"|todas\s+las\s+(?:demás|otras)\s+tareas|todas\s+as\s+outras\s+tarefas"
    r"|toutes\s+les\s+autres\s+tâches|alle\s+(?:anderen|übrigen)\s+aufgaben)\b"
    r"|其他所有任务|所有其他任务|其余任务|他のすべてのタスク|他の全タスク|다른\s*모든\s*작업",
    re.IGNORECASE,
)
_STOP = re.compile(r"[.;。\uff1b!?]\s|[;。\uff1b]| [-—\u2013] ")
# A phase or user story named in a statement: "Phase 3", "phase 3.1", "User Story 2", "US2".
_GROUP = re.compile(
    r"\b(?:(?P<phase>phase|fase|stage|étape|etapa)\s*(?P<pn>\d{1,4}(?:\.\d{1,4})?)(?![\d+])"
    r"|(?:user\s+story|US)\s*-?(?P<us>\d{1,4})\b(?!\+))"
    r"|(?:阶段|フェーズ|단계)\s*(?P<cjk>\d{1,4})",
    re.IGNORECASE,
)


def group_keys(text: str) -> list[str]:
    """The groups a heading or a statement names: ["phase 3", "us1"]."""
    keys: list[str] = []
    for match in _GROUP.finditer(text):
        if match.group("pn"):
            key = f"phase {match.group('pn')}"
        elif match.group("us"):
            key = f"us{int(match.group('us'))}"
        else:
            key = f"phase {match.group('cjk')}"
        if key not in keys:
            keys.append(key)
    return keys


def read_dependencies(node: Node, state: State) -> None:
    """Every statement in a dependency section and its sub-sections; the text is kept too, so
    what storyplan does not read as links (phase order, notes) stays in the plan."""
    section = len(state.sections_read) + 1
    state.sections_read.append(node.line)
    for part in node.walk():
        for block in part.blocks:
            if block.kind == "paragraph":
                lines = block.tokens[1].content.split("\n")
                for offset, line in enumerate(lines):
                    _add(state, line, block.line + offset, section)
            elif block.kind in {"bullet_list", "ordered_list"}:
                for item in _flat(items_of(block, state.doc)):
                    _add(state, item.text.replace("\n", " "), item.line, section)
            elif block.kind == "table":
                for offset, row in enumerate(block.text.split("\n")):
                    _add(state, row.replace("|", " ; "), block.line + offset, section)
            elif block.kind == "fence" and fence_name(block.info) in _DRAWINGS:
                for statement in _diagram(block.text.split("\n")[1:-1], block.line + 1):
                    statement.section = section
                    state.statements.append(statement)
    state.keep_node(node)


# Fences that may hold a drawing of the dependencies, and the characters a line of the
# drawing is made of when it only joins the rows above and below it (│, ▼, ┌─┴─┐, v, |).
_DRAWINGS = frozenset({"", "text", "txt", "plain", "plaintext", "ascii", "mermaid"})
_JOINS = frozenset("│┃║|▼▽↓vV▲△↑^┌┐└┘├┤┬┴┼╭╮╰╯╔╗╚╝─━═-+=<>\\/ \t")


def _diagram(lines: list[str], first_line: int) -> list[Statement]:
    """A dependency drawing in a fence: a row's arrows (`T001 → T002`) as written, and a row
    joined to the row of tasks above it by lines of │ ▼ ┌─┴─┐ waits for that row's last tasks
    (its first tasks wait, when the row is itself a chain). A blank line, or a line that
    names no task, ends the joining."""
    found: list[Statement] = []
    above: _Side | None = None  # the tasks the drawing leads down from
    joined = False
    for offset, raw in enumerate(lines):
        if raw.strip() and set(raw) <= _JOINS:
            joined = above is not None
            continue
        text = strip_emphasis(raw).replace("`", "")
        sides = [side for side in map(_Side.of, _ARROW.split(text)) if side.refs]
        if not sides:
            above, joined = None, False
            continue
        line = first_line + offset
        if above is not None and joined:
            found.append(Statement(line, sides[0].refs, above.refs))
        found.extend(_arrows(text, line))
        above, joined = sides[-1], False
    return found


def _flat(items: list[Item]) -> list[Item]:
    return [found for item in items for found in (item, *item.flat())]


def _add(state: State, text: str, line: int, section: int) -> None:
    for statement in statements_in(text, line):
        statement.section = section
        state.statements.append(statement)


def statements_in(text: str, line: int) -> list[Statement]:
    """The dependency statements of one line of a dependency section."""
    text = strip_emphasis(text).replace("`", "")
    if _ARROW.search(text):
        return _arrows(text, line)
    colon = min((i for i in (text.find(":"), text.find("\uff1a")) if i >= 0), default=-1)
    lead = _Side.of(text[:colon]) if colon >= 0 else _Side([], [])
    found: list[Statement] = []
    for clause in _clauses(text):
        found.extend(_worded(clause, line, lead))
    return found


@dataclass
class _Side:
    refs: list[Ref]
    groups: list[str]
    others: bool = False  # "all other tasks"

    @classmethod
    def of(cls, text: str) -> _Side:
        refs = refs_in(text)
        if refs:
            return cls(refs, [])
        return cls([], group_keys(text), others=_OTHERS.search(text) is not None)

    def __bool__(self) -> bool:
        return bool(self.refs or self.groups or self.others)


def _clauses(text: str) -> list[str]:
    parts: list[str] = []
    last = 0
    for match in _STOP.finditer(text):
        parts.append(text[last : match.start()])
        last = match.end()
    parts.append(text[last:])
    return [p for p in parts if p.strip()]


def _arrows(text: str, line: int) -> list[Statement]:
    """`T001 → T002 → T003`: each step waits for the one before it."""
    sides = [_Side.of(part) for part in _ARROW.split(text)]
    return [
        _statement(line, later, earlier, arrow=True)
        for earlier, later in itertools.pairwise(sides)
        if earlier and later
    ]


def _in_order(clause: str, line: int) -> list[Statement]:
    """ "T082-T084 are sequential": each waits for the one before it."""
    refs = refs_in(clause)
    return [Statement(line, [later], [earlier]) for earlier, later in itertools.pairwise(refs)]


def _statement(line: int, waiting: _Side, first: _Side, *, arrow: bool = False) -> Statement:
    others = "waiting" if waiting.others else "first" if first.others else ""
    return Statement(
        line, waiting.refs, first.refs, waiting.groups, first.groups, arrow=arrow, others=others
    )


def _worded(clause: str, line: int, lead: _Side) -> list[Statement]:
    words = list(_WORD.finditer(clause))
    if not words and _IN_ORDER.search(clause):
        return _in_order(clause, line)
    found: list[Statement] = []
    last = lead
    for i, word in enumerate(words):
        before = clause[words[i - 1].end() if i else 0 : word.start()]
        after = clause[word.end() : words[i + 1].start() if i + 1 < len(words) else len(clause)]
        after = _EXCEPT.split(after, maxsplit=1)[0]  # "all stories, except T041"
        subject = _Side.of(before) or last
        other = _Side.of(after)
        if not other and len(subject.refs) > 1 and _Side.of(before) and not word.group().isascii():
            # "タスク3はタスク1に依存": the verb comes last, after both references
            subject, other = _Side(subject.refs[:1], []), _Side(subject.refs[1:], [])
        last = subject
        if word.group("first"):
            subject, other = other, subject
        if subject and other:
            found.append(_statement(line, subject, other))
    return found


def names_a_task(text: str) -> bool:
    return REF.search(text) is not None


def link_statements(state: State, find: Callable[[Ref], int | None]) -> None:
    """Add the edges the statements name to the tasks' `depends_on` (task ids already final):
    task-level ones as written, then group-level ones where a person would draw them."""
    drafts = state.drafts
    unknown: list[str] = []

    def indices(refs: list[Ref]) -> list[int]:
        found = []
        for ref in refs:
            index = find(ref)
            if index is None:
                unknown.append(ref.text)
            elif index not in found:
                found.append(index)
        return found

    for draft in drafts:
        for ref in draft.blocks:
            index = find(ref)
            if index is None:
                draft.task.depends_on.append(ref.text)  # the graph check names it
            else:
                _link(drafts, index, [drafts.index(draft)])
    tasks = [s for s in state.statements if s.waiting and s.first]
    backward = _backward_sections(tasks, indices)
    for statement in tasks:
        waiting, first = indices(statement.waiting), indices(statement.first)
        if statement.arrow and statement.section in backward:
            waiting, first = first, waiting
        for index in waiting:
            _link(drafts, index, [f for f in first if f != index])
    _link_others(drafts, [s for s in state.statements if s.others], indices)
    kept = 0
    for statement in state.statements:
        if (statement.waiting and statement.first) or statement.others:
            continue
        waiting = indices(statement.waiting) or _members(drafts, statement.waiting_groups)
        sides = (
            [indices(statement.first)]
            if statement.first
            else [_members(drafts, [g]) for g in statement.first_groups]
        )
        for first in sides:
            kept += not _link_groups(drafts, waiting, first)
    if unknown:
        names = ", ".join(dict.fromkeys(unknown))
        state.plan.notes.append(
            f"The dependency section names tasks the story does not have: {names}."
        )
    if kept:
        state.plan.notes.append(
            f"{kept} phase or user-story dependencies were kept as text, not made task links "
            '(see docs/story-format.md, "Dependency sections").'
        )


def _link_others(
    drafts: list[Draft], statements: list[Statement], indices: Callable[[list[Ref]], list[int]]
) -> None:
    """ "T003 -> all other tasks": every task written after T003 waits for it ("T050 after all
    other tasks": T050 waits for every task written before it). A task written before T003
    is left alone: the story's order already says it comes first, and linking it would
    turn that order round. Gathered first, so many such lines cost what they link."""
    wanted: dict[int, dict[int, None]] = {}
    for statement in statements:
        if statement.others == "waiting" and (first := indices(statement.first)):
            for index in range(max(first) + 1, len(drafts)):
                wanted.setdefault(index, {}).update(dict.fromkeys(first))
        elif statement.others == "first" and (waiting := indices(statement.waiting)):
            for index in waiting:
                wanted.setdefault(index, {}).update(dict.fromkeys(range(min(waiting))))
    for index, earlier in wanted.items():
        depends = drafts[index].task.depends_on
        known = set(depends)
        depends.extend(
            task_id for task_id in (drafts[f].task.id for f in earlier) if task_id not in known
        )


def _backward_sections(
    statements: list[Statement], indices: Callable[[list[Ref]], list[int]]
) -> set[int]:
    """Sections whose every arrow points from a later task to an earlier one (`任务 3 → 任务 1`):
    there the arrow reads "depends on", not "comes before"."""
    seen: dict[int, bool] = {}
    for statement in statements:
        if not statement.arrow:
            continue
        pairs = [(w, f) for w in indices(statement.waiting) for f in indices(statement.first)]
        back = all(w < f for w, f in pairs) and bool(pairs)
        seen[statement.section] = seen.get(statement.section, True) and back
    return {section for section, back in seen.items() if back}


def _members(drafts: list[Draft], groups: list[str]) -> list[int]:
    return [i for i, d in enumerate(drafts) if any(g in d.groups for g in groups)]


def _link(drafts: list[Draft], index: int, first: list[int]) -> None:
    depends = drafts[index].task.depends_on
    for other in first:
        task_id = drafts[other].task.id
        if task_id not in depends:
            depends.append(task_id)


def _link_groups(drafts: list[Draft], waiting: list[int], first: list[int]) -> bool:
    """Link a group to the group it waits for where one task opens or closes a side (each
    opening task then waits for each closing task); otherwise link nothing and say so. Linking
    every pair would make hundreds of links in a large plan, which nobody draws by hand."""
    waiting = [w for w in waiting if w not in first]
    if not waiting or not first:
        return True
    ids = {i: drafts[i].task.id for i in waiting + first}
    opening = [w for w in waiting if not any(ids[o] in drafts[w].task.depends_on for o in waiting)]
    closing = [f for f in first if not any(ids[f] in drafts[o].task.depends_on for o in first)]
    if len(opening) != 1 and len(closing) != 1:
        return False
    for index in opening:
        if not _reaches(drafts, closing, drafts[index].task.id):
            _link(drafts, index, closing)
    return True


def _reaches(drafts: list[Draft], start: list[int], target: str) -> bool:
    """Whether any of `start` already depends, directly or not, on the task `target` (a link
    back would close a cycle the story never wrote)."""
    by_id = {d.task.id: d for d in drafts}
    stack = [drafts[i].task.id for i in start]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        if current == target:
            return True
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        stack.extend(by_id[current].task.depends_on)
    return False
