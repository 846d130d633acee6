"""The parser's entry point: a story as its tracker holds it → the plan model, or a `PlanError`
listing every problem found (with lines) when the story cannot become a plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from pydantic import BaseModel

from storyplan.errors import PlanError, Problem
from storyplan.model import Overview, Plan, Story
from storyplan.parse.block import apply_block, apply_front_matter, split_front_matter
from storyplan.parse.finish import link_criteria, number_tasks, resolve_dependencies
from storyplan.parse.jira import to_markdown
from storyplan.parse.sections import read_node, story_text
from storyplan.parse.slots import keep
from storyplan.parse.state import State
from storyplan.parse.synonyms import SECTION_KEYS, Headings, normalise
from storyplan.parse.tasks import read_tasklist, task_from_item
from storyplan.parse.tree import Block, Doc, Node, build

# The seed template's closing sentence: boilerplate, not something a person wrote for this story.
_TEMPLATE_FOOTER = "This implementation plan bridges"


def parse_story(
    story: Story,
    *,
    synonyms: Mapping[str, Sequence[str]] | None = None,
    today: date | None = None,
) -> Plan:
    """Read `story` into a plan; `synonyms` adds heading texts per section key (see
    `storyplan.parse.synonyms.SECTION_KEYS`), `today` fixes the plan date."""
    source = story.source or story.ref
    headings = Headings(synonyms)
    if headings.unknown:
        names = ", ".join(headings.unknown)
        known = ", ".join(SECTION_KEYS)
        message = f"heading synonyms name unknown section keys ({names}); known: {known}"
        raise PlanError([Problem(message, 0, source)])
    text = story.body.replace("\r\n", "\n").replace("\r", "\n")
    to_original: Callable[[int], int] = _same
    if story.markup == "jira":
        text, to_original = to_markdown(text, source)
    if not text.strip() and not story.title.strip():
        raise PlanError([Problem("the story is empty", 0, source)])
    front, text = split_front_matter(text)
    plan = Plan(
        story=story,
        overview=Overview(
            story_id=story.ref,
            story_title=story.title,
            story_url=story.url or "",
            developers=list(story.assignees),
            plan_date=today or date.today(),
        ),
    )
    state = State(doc=build(text), plan=plan, headings=headings, source=source)
    state.original = to_original
    _only_title(state, story, front)
    _read(state, front)
    if story.assignees:
        plan.overview.developers = list(story.assignees)
    plan.tasks = [draft.task for draft in state.drafts]
    if not plan.tasks:
        plan.notes.append(_no_tasks(state))
    if state.problems:
        raise PlanError(state.problems)
    if to_original is not _same:
        _map_lines(plan, to_original)
    return plan


def _read(state: State, front: str | None) -> None:
    root = state.doc.root
    title = _title_node(root, state)
    nodes = [*title.children, *root.children[1:]] if title else root.children
    if title and not state.plan.overview.story_title:
        state.plan.overview.story_title = title.title
    footer = _footer(root)
    preamble = story_text(root.blocks + (title.blocks if title else []), state)
    for node in nodes:
        read_node(node, state)
    for block in state.doc.tasklists:
        read_tasklist(block, state)
    if not state.looked:  # a story without a tasks section: its opening checklist is the tasks
        for piece in [p for p in preamble if any(i.checked is not None for i in p.items)]:
            state.looked.append(f"the checklist at line {piece.line}")
            state.drafts.extend(task_from_item(item, state) for item in piece.items)
            preamble.remove(piece)
    keep(title or Node("Description", 0, 1), preamble, state)
    if footer and not footer[0].text.lstrip("*_ ").startswith(_TEMPLATE_FOOTER):
        state.keep("Footer", "\n\n".join(b.text for b in footer), footer[0].line)
    number_tasks(state)
    if front is not None:
        apply_front_matter(front, state)
    for block in state.doc.storyplan:
        apply_block(block, state)
    resolve_dependencies(state)
    link_criteria(state)


def _footer(root: Node) -> list[Block]:
    """Paragraphs after a closing rule at the very end belong to the story, not its last
    section; they are taken out of that section here."""
    last = root.walk()[-1]
    rules = [i for i, b in enumerate(last.blocks) if b.kind == "hr"]
    if not rules or last is root:
        return []
    after = last.blocks[rules[-1] + 1 :]
    if not after or any(b.kind != "paragraph" for b in after):
        return []
    del last.blocks[rules[-1] :]
    return after


def _title_node(root: Node, state: State) -> Node | None:
    """The heading that only names the story ("# Add login"), whose text is the story's opening."""
    if not root.children or state.headings.classify(root.children[0].title) is not None:
        return None
    first = root.children[0]
    story_title = normalise(state.plan.story.title)
    if len(root.children) == 1 or (story_title and normalise(first.title) == story_title):
        return first
    return None


def _only_title(state: State, story: Story, front: str | None) -> None:
    """A story is "only a title" when no heading has any text, list, table or code under it
    and there is no front matter, storyplan block or task list: nothing to plan from."""
    doc: Doc = state.doc
    has_content = any(b.content for n in doc.root.walk() for b in n.blocks)
    if has_content or doc.storyplan or doc.tasklists or (front or "").strip():
        return
    nodes = doc.root.walk()[1:]
    title = story.title.strip() or (nodes[0].title if nodes else "")
    line = nodes[0].line if nodes else 0
    message = (
        f'the story "{title}" has only a title; add a description, acceptance criteria or tasks'
    )
    raise PlanError([Problem(message, state.original(line), state.source)])


def _no_tasks(state: State) -> str:
    if state.looked:
        return f"No tasks were found in {' or '.join(state.looked)}."
    return (
        'No tasks were found: the story has no tasks section (a heading such as "Tasks"), '
        "no [tasklist] block and no checklist before its first heading."
    )


def _same(line: int) -> int:
    return line


def _map_lines(model: BaseModel, to_original: Callable[[int], int]) -> None:
    """Point every `line` in the plan at the original Jira text instead of the converted one."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "line" and isinstance(value, int):
            setattr(model, name, to_original(value))
        elif isinstance(value, BaseModel) and name != "story":
            _map_lines(value, to_original)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    _map_lines(item, to_original)
