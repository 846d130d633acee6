"""Tasks as teams write them: sub-headings under a tasks section (with field lines and the
template's "#### Description"-style sub-headings), checklist items with nested steps, and
GitHub ```[tasklist] blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from storyplan.model import ChecklistItem, Task
from storyplan.parse.depends import phrases_in, refs_in
from storyplan.parse.edges import group_keys, read_dependencies
from storyplan.parse.fields import (
    TASK_FIELDS,
    TASK_GROUPS,
    field_of,
    level_of,
    split_fields,
    split_list,
)
from storyplan.parse.heads import Head, ac_refs_in, head_of, normalise_id
from storyplan.parse.items import Item, items_of
from storyplan.parse.state import Draft, State
from storyplan.parse.synonyms import normalise
from storyplan.parse.tree import Block, Node, build

LISTS = frozenset({"bullet_list", "ordered_list"})
# Headings under a tasks section that are not tasks themselves.
NOT_TASKS = frozenset(
    {"task_graph", "definition_of_done", "definition_of_ready", "checklist", "review_checklist"}
    | {"dev_notes", "out_of_scope", "acceptance_criteria", "risks"}
)
# A heading that groups tasks: "Phase 1: Setup", "Sprint 2", "User Story 1 - Upload"; a user
# story only with its number ("User Story Completion" is no group).
_GROUP = re.compile(
    r"^\W*(?:(?:phase|stage|sprint|milestone|part|iteration|wave|epic|group|fase|etapa|étape"
    r"|phasen?|abschnitt|阶段|フェーズ|단계)(?:\b|\d)|(?:user\s+)?story\s*#?\s?[A-Z]{0,3}\d)",
    re.IGNORECASE,
)
_TASK_ID = re.compile(r"T\d{1,9}|TASK-\d{1,9}")
_NONE = frozenset(
    {"", "none", "n a", "na", "nothing", "no", "ninguna", "nenhuma", "aucune", "keine"}
)
_TEXT_FIELDS = frozenset({"description", "notes", "unit", "integration", "manual", "estimate"})
_WRAPS = frozenset(  # fields whose value may wrap onto the next line
    {"description", "notes", "unit", "integration", "manual", "files", "depends_on", "steps"}
    | {"technologies", "patterns", "acceptance_criteria"}
)


def read_tasks(node: Node, state: State, other: Callable[[Node], None]) -> None:
    """Read a tasks section; headings that are not tasks go to `other` (the section walker)."""
    state.looked.append(f'the "{node.title}" section (line {node.line})')
    first_draft = len(state.drafts)
    kinds = [(child, _kind(child, state)) for child in node.children]
    # Tasks written with ids ("- [ ] T001 …") in the groups below: a heading or a list that
    # names no id beside them is a note or a checklist ("Constitution Check"), not a task.
    by_ids = any(k == "group" and _names_ids(c, state) for c, k in kinds)
    if any(kind == "group" for _, kind in kinds):  # spec-kit: phases beside notes and formats
        kinds = [
            (c, "other" if k == "task" and (_plain(c, state) or by_ids) else k) for c, k in kinds
        ]
    heading_tasks = any(kind == "task" for _, kind in kinds)
    leftover: list[Block] = []
    index: list[Item] = []  # a checklist naming the heading tasks below it, as storyplan renders
    for block in node.blocks:
        items = items_of(block, state.doc)
        if by_ids and not any(i.checked is not None or _names_ids_in(i) for i in items):
            leftover.append(block)  # "**Independent Test**:" and its bullets
        elif block.kind in LISTS and not heading_tasks:
            state.drafts.extend(task_from_item(i, state) for i in items)
        elif items and all(head_of(i.text).id or head_of(i.text).label for i in items):
            index.extend(items)
        else:
            leftover.append(block)
    state.keep_blocks(node, leftover)
    for child, kind in kinds:
        if kind == "task":
            draft = task_from_heading(child, state)
            draft.task.done |= any(_names(i, draft) and i.checked for i in index)
            state.drafts.append(draft)
        elif kind == "group":
            read_tasks(child, state, other)
            state.looked.pop()
        elif kind == "dependencies":
            read_dependencies(child, state)
        elif kind == "other":
            other(child)
    for draft in state.drafts[first_draft:]:  # the phases and stories the heading names
        draft.groups.extend(k for k in group_keys(node.title) if k not in draft.groups)


def holds_tasks(node: Node, state: State) -> bool:
    """A heading outside any tasks section that still holds tasks: a phase or user story with
    a checklist (spec-kit's "## Phase 1: Setup"), or a checklist of task ids ("- [ ] T001 …")."""
    items = [
        item
        for part in node.walk()
        if part is node or state.headings.classify(part.title) is None
        for block in part.blocks
        for item in items_of(block, state.doc)
        if item.checked is not None
    ]
    if not items:
        return False
    if _GROUP.match(node.title):
        return True
    return any(_TASK_ID.fullmatch(head_of(item.text).id or "") for item in items)


def read_tasklist(block: Block, state: State, other: Callable[[Node], None]) -> None:
    """A GitHub ```[tasklist] block: every item in it is a task (often an existing issue),
    except under a heading that names another section ("### Acceptance"): that goes to
    `other` (the section walker)."""
    state.looked.append(f"the [tasklist] block (line {block.line})")
    content = "\n".join(block.text.split("\n")[1:-1])
    doc = build(content, first_line=block.line + 1)
    # The block's lines keep their numbers, so the story's own document reads its lists.
    pending = [doc.root]
    while pending:
        node = pending.pop()
        key = state.headings.classify(node.title) if node is not doc.root else None
        if key not in {None, "tasks"}:
            other(node)
            continue
        for inner in node.blocks:
            state.drafts.extend(task_from_item(item, state) for item in items_of(inner, doc))
        pending.extend(reversed(node.children))


def _kind(node: Node, state: State) -> str:
    key = state.headings.classify(node.title)
    if key == "task_graph":
        return "skip"
    if key == "dependencies":
        return "dependencies"  # a drawing of the dependencies the tasks state; storyplan redraws it
    if key in NOT_TASKS:
        return "other"
    head = head_of(node.title)
    if head.id or head.label or head.existing:
        return "task"
    named = [head_of(c.title) for c in node.children]
    listed = [head_of(i.text) for b in node.blocks for i in items_of(b, state.doc)]
    if any(h.id or h.label for h in named + listed):
        return "group"
    if _GROUP.match(node.title) and (listed or node.children):
        return "group"
    return "task"


def _names_ids(node: Node, state: State) -> bool:
    """Whether a heading's sub-headings or list items name task ids ("T001", "Task 3")."""
    named = any(head_of(c.title).id or head_of(c.title).label for c in node.children)
    return named or any(_names_ids_in(i) for b in node.blocks for i in items_of(b, state.doc))


def _names_ids_in(item: Item) -> bool:
    head = head_of(item.text)
    return bool(head.id or head.label)


def _plain(node: Node, state: State) -> bool:
    """A heading that names no task and holds no checklist: text beside the task groups."""
    head = head_of(node.title)
    if head.id or head.label or head.existing:
        return False
    return not any(
        item.checked is not None
        for part in node.walk()
        for block in part.blocks
        for item in items_of(block, state.doc)
    )


def _names(item: Item, draft: Draft) -> bool:
    head = head_of(item.text)
    if head.id is not None:
        return head.id == draft.task.id
    return head.label is not None and head.label == draft.label


def _draft(head: Head, line: int) -> Draft:
    task = Task(
        id=head.id or "",
        number=0,
        title=head.title,
        parallel=head.parallel,
        done=head.done,
        user_story=head.user_story,
        notes=head.notes[:1].upper() + head.notes[1:],
        existing=head.existing,
        ac_refs=head.ac_refs,
        line=line,
    )
    groups = [f"us{int(head.user_story[2:])}"] if head.user_story[2:].isdigit() else []
    return Draft(
        task=task, label=head.label, refs=list(head.refs), blocks=head.blocks, groups=groups
    )


def task_from_heading(node: Node, state: State) -> Draft:
    draft = _draft(head_of(node.title), node.line)
    _read_body(node.blocks, draft, state)
    for child in node.children:
        _read_sub(child, draft, state)
    return draft


def task_from_item(item: Item, state: State) -> Draft:
    draft = _draft(head_of(item.text), item.line)
    draft.task.done = draft.task.done or bool(item.checked)
    rest = item.text.partition("\n")[2].strip()
    if rest:
        draft.description.append(rest)
    for child in item.children:
        found = _item_field(child)
        if found:
            _set(draft, found[0], found[1], child.children)
        elif child.checked is not None:  # BMAD's "- [x] Subtask 1.1": a tick is progress
            _add_subtasks(draft, [child])
        else:
            _add_steps(draft, [child])
    draft.description.extend(item.more)
    return draft


def _read_sub(node: Node, draft: Draft, state: State) -> None:
    """A task's sub-heading: a field ("#### Implementation Steps"), a group of field lines
    ("#### Technical Details"), or anything else, kept in the description under its title."""
    key = TASK_FIELDS.get(normalise(node.title))
    if _is_group(node, state):
        _read_body(node.blocks, draft, state)
    elif key is not None:
        _set_from_blocks(draft, key, node.blocks, state)
    else:
        draft.description.append(f"**{node.title}**\n\n{state.doc.body(node)}".strip())
        return
    for child in node.children:
        _read_sub(child, draft, state)


def _read_body(blocks: list[Block], draft: Draft, state: State) -> None:
    for block in blocks:
        if block.kind == "paragraph":
            lines = block.tokens[1].content.split("\n")
            for key, value, _ in split_fields(lines, TASK_FIELDS, _WRAPS):
                if key is None:
                    draft.description.append(value)
                else:
                    _set(draft, key, value, [])
        elif block.kind in LISTS:
            for item in items_of(block, state.doc):
                found = _item_field(item)
                if found:
                    _set(draft, found[0], found[1], item.children)
                else:
                    _add_steps(draft, [item])
        elif block.content:
            draft.description.append(block.text)


def _item_field(item: Item) -> tuple[str, str] | None:
    """A list item that is a field line; its wrapped lines continue the value."""
    first, _, rest = item.text.partition("\n")
    found = field_of(first, TASK_FIELDS)
    if found is None:
        return None
    return found[0], " ".join([found[1], *rest.split()]).strip()


def _is_group(node: Node, state: State) -> bool:
    """ "#### Estimated Effort" may be the estimate itself or a group of field lines."""
    if normalise(node.title) not in TASK_GROUPS:
        return False
    if normalise(node.title) not in TASK_FIELDS:
        return True
    for block in node.blocks:
        lines = block.tokens[1].content.split("\n") if block.kind == "paragraph" else []
        lines += [i.text.partition("\n")[0] for i in items_of(block, state.doc)]
        if any(field_of(line, TASK_FIELDS) for line in lines):
            return True
    return False


def _set_from_blocks(draft: Draft, key: str, blocks: list[Block], state: State) -> None:
    if key in _TEXT_FIELDS:
        _set(draft, key, "\n\n".join(b.text for b in blocks if b.content), [])
        return
    for block in blocks:
        if block.kind == "paragraph":
            lines = block.tokens[1].content.split("\n")
            joined = (
                " ".join(lines) if key in {"steps", "acceptance_criteria"} else ", ".join(lines)
            )
            _set(draft, key, joined, [])
        elif block.kind in LISTS:
            _set(draft, key, "", items_of(block, state.doc))
        elif block.content:
            draft.description.append(block.text)


def _add_steps(draft: Draft, items: list[Item]) -> None:
    for item in items:
        text = " ".join(item.text.split())
        refs, rest = phrases_in(text)
        if refs and not rest:
            draft.refs = list(dict.fromkeys([*draft.refs, *refs]))
        elif text:
            draft.task.steps.append(text)
        _add_steps(draft, item.children)


def _add_subtasks(draft: Draft, items: list[Item]) -> None:
    for item in _flat(items):
        refs, text = ac_refs_in(" ".join(item.text.split()))  # "(AC: #1) Add the flag"
        if text:
            subtask = ChecklistItem(
                text=text, checked=bool(item.checked), refs=refs, line=item.line
            )
            draft.task.subtasks.append(subtask)


def _flat(items: list[Item]) -> list[Item]:
    return [found for item in items for found in (item, *item.flat())]


def _set(draft: Draft, key: str, value: str, items: list[Item]) -> None:
    task = draft.task
    texts = [" ".join(i.text.split()) for i in _flat(items)]
    listed = "\n".join(f"- {t}" for t in texts)
    joined = "\n".join(p for p in (value, listed) if p)
    if key == "id" and value:
        task.id = normalise_id(value)
    elif key == "description":
        draft.description.append(joined)
    elif key == "notes":
        task.notes = "\n\n".join(p for p in (task.notes, joined) if p)
    elif key == "files":
        task.files.extend(split_list(value) + [f for t in texts for f in _files(t)])
    elif key in {"technologies", "patterns"}:
        found = split_list(value, keep_code=True)
        getattr(task, key).extend(found + [p for t in texts for p in split_list(t, keep_code=True)])
    elif key == "depends_on":
        refs = [r for t in (value, *texts) for r in refs_in(t)]
        draft.refs = list(dict.fromkeys([*draft.refs, *refs]))
        if not refs and normalise(joined) not in _NONE:  # "the auth service": not a task
            task.notes = "\n\n".join(p for p in (task.notes, f"Depends on: {joined}") if p)
    elif key == "steps":
        task.steps.extend(([value] if value else []) + texts)
    elif key == "acceptance_criteria":
        _add_criteria(task, value, _flat(items))
    elif key == "ac_refs":
        found = [str(int(n)) for t in (value, *texts) for n in re.findall(r"\d{1,9}", t)]
        task.ac_refs = list(dict.fromkeys([*task.ac_refs, *found]))
    elif key in {"unit", "integration", "manual"}:
        setattr(task.testing, key, joined)
    elif key == "estimate":
        task.estimate = value or "; ".join(texts)
    elif key in {"complexity", "risk"}:
        setattr(task, key, level_of(value or " ".join(texts)))


def _add_criteria(task: Task, value: str, items: list[Item]) -> None:
    for text, checked, line in [(value, False, 0)] + [(i.text, i.checked, i.line) for i in items]:
        refs, text = ac_refs_in(" ".join(text.split()))
        if text:
            task.acceptance_criteria.append(
                ChecklistItem(text=text, checked=bool(checked), refs=refs, line=line)
            )


def _files(text: str) -> list[str]:
    """A file list item: its code span ("`a.py` — new module"), else its comma-separated parts."""
    code = re.match(r"`([^`]+)`", text)
    return [code.group(1)] if code else split_list(text)
