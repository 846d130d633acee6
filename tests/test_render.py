"""Rendering plans and task bodies: golden files, the seed template's sections, user templates
in the sandbox, marker safety and determinism.

Golden files live in tests/golden/. After an intended change to the templates, regenerate
them with `STORYPLAN_UPDATE_GOLDEN=1 python -m pytest tests/test_render.py` and review the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from storyplan.defaults import complete_plan
from storyplan.model import Plan, Story
from storyplan.ports import Child
from storyplan.render import ChildLink, Flavour, Renderer
from tests import render_plans as plans

GOLDEN = Path(__file__).parent / "golden"
SEED = GOLDEN / "seed" / "implementation-plan-template.md"
UPDATE = os.environ.get("STORYPLAN_UPDATE_GOLDEN") == "1"
SUFFIX = {"markdown": "md", "jira": "jira"}


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.exists(), f"{name} is missing; run with STORYPLAN_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8"), f"{name} differs from its golden file"


def headings(text: str, flavour: Flavour) -> list[tuple[int, str]]:
    pattern = r"^(#{1,6}) (.*)$" if flavour == "markdown" else r"^h([1-6])\. (.*)$"
    found = re.findall(pattern, text, re.MULTILINE)
    return [(len(level) if flavour == "markdown" else int(level), title) for level, title in found]


def assert_tidy(text: str) -> None:
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert not re.search(r"[ \t]+$", text, re.MULTILINE), "trailing whitespace"
    assert "\n\n\n" not in text, "a run of blank lines"


def assert_no_empty_headings(text: str, flavour: Flavour) -> None:
    """A heading must be followed by content before a heading of its own level or higher."""
    lines = [line for line in text.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        level = _level(line, flavour)
        if level is None:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        next_level = _level(following, flavour) if following else 0
        empty = following is None or (next_level is not None and next_level <= level)
        assert not empty, f"empty heading: {line}"


def _level(line: str, flavour: Flavour) -> int | None:
    match = re.match(r"^(#{1,6}) " if flavour == "markdown" else r"^h([1-6])\. ", line)
    if not match:
        return None
    return len(match[1]) if flavour == "markdown" else int(match[1])


FLAVOURS: list[Flavour] = ["markdown", "jira"]
PLANS: dict[str, tuple[Callable[[], Plan], Callable[[], dict[str, ChildLink]]]] = {
    "small": (plans.small_plan, dict),
    "diamond": (plans.diamond_plan, plans.diamond_children),
    "full": (plans.full_plan, plans.full_children),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", sorted(PLANS))
def test_plan_matches_its_golden_file(name: str, flavour: Flavour) -> None:
    build, children = PLANS[name]
    text = Renderer(flavour).plan(complete_plan(build()), children())
    assert_tidy(text)
    assert_golden(f"{name}.plan.{SUFFIX[flavour]}", text)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_compact_plan_matches_its_golden_file(flavour: Flavour) -> None:
    plan = complete_plan(plans.diamond_plan())
    text = Renderer(flavour).plan(plan, plans.diamond_children(), compact=True)
    assert_tidy(text)
    assert_golden(f"diamond.compact.{SUFFIX[flavour]}", text)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_task_body_matches_its_golden_file(flavour: Flavour) -> None:
    plan = complete_plan(plans.full_plan())
    text = Renderer(flavour).task(plan, plan.tasks[1], plans.full_children())
    assert_tidy(text)
    assert_golden(f"full.task.{SUFFIX[flavour]}", text)


def distinct(found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Headings in order of first appearance, every task's heading read as `Task N`."""
    generic = [(level, re.sub(r"^Task \d+: .*", "Task N", title)) for level, title in found]
    return list(dict.fromkeys(generic))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_full_plan_shows_every_section_of_the_seed_template_in_order(flavour: Flavour) -> None:
    text = Renderer(flavour).plan(complete_plan(plans.full_plan()), plans.full_children())
    seed = distinct(headings(SEED.read_text(encoding="utf-8"), "markdown"))
    shown = distinct(headings(text, flavour))
    assert [heading for heading in shown if heading in seed] == seed


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("compact", [False, True])
def test_empty_plan_has_no_placeholders_and_no_empty_headings(
    flavour: Flavour, compact: bool
) -> None:
    plan = Plan(story=Story(ref="octo/shop#1", title=""))
    text = Renderer(flavour).plan(plan, compact=compact)
    assert_tidy(text)
    assert_no_empty_headings(text, flavour)
    assert not re.search(r"\[[A-Z][A-Z0-9_/]{2,}\]", text), "a raw placeholder"
    assert [title for _, title in headings(text, flavour)] == ["Implementation Plan", "Overview"]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", sorted(PLANS))
def test_rendered_plans_have_no_empty_headings(name: str, flavour: Flavour) -> None:
    build, children = PLANS[name]
    for compact in (False, True):
        text = Renderer(flavour).plan(complete_plan(build()), children(), compact=compact)
        assert_no_empty_headings(text, flavour)


def test_an_empty_task_body_is_only_its_link_to_the_story() -> None:
    plan = plans.small_plan()
    text = Renderer().task(plan, plan.tasks[1])
    assert text.startswith("Task 2 in the implementation plan for [octo/shop#7](")
    assert [title for _, title in headings(text, "markdown")] == []


def checkbox_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^[-*] (\[[ x]\]|\(/\)|\(x\)) ", line)]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_compact_plan_keeps_every_section_and_checklist_but_is_shorter(flavour: Flavour) -> None:
    plan = complete_plan(plans.full_plan())
    full = Renderer(flavour).plan(plan, plans.full_children())
    compact = Renderer(flavour).plan(plan, plans.full_children(), compact=True)
    assert len(compact) < len(full) * 0.8
    assert checkbox_lines(compact) == checkbox_lines(full)
    kept = [h for h in headings(full, flavour) if h[0] <= 3]
    assert headings(compact, flavour) == kept


def test_compact_task_is_one_line_and_its_acceptance_criteria() -> None:
    plan = complete_plan(plans.full_plan())
    text = Renderer().plan(plan, plans.full_children(), compact=True)
    section = text.split("### Task 2: Refresh endpoint (#44)\n\n", 1)[1].split("\n\n###", 1)[0]
    assert section == (
        "**Depends on**: Task 1 · **Estimate**: 2 days\n\n"
        "- [ ] Old token is revoked after use\n"
        "- [ ] Reuse is detected"
    )


def test_plan_names_each_task_with_its_sub_issue() -> None:
    plan = plans.full_plan()
    text = Renderer().plan(plan, plans.full_children())
    assert "### Task 1: Token model ([#43](https://github.com/octo/shop/issues/43))" in text
    assert "### Task 2: Refresh endpoint (#44)" in text
    assert "### Task 3: Client storage\n" in text
    assert "- [ ] Task 2: Refresh endpoint (#44)" in text


def test_task_body_depends_on_the_task_alone_not_on_its_neighbours_titles() -> None:
    plan = plans.full_plan()
    text = Renderer("jira").task(plan, plan.tasks[1], plans.full_children())
    assert "Dependencies" not in text  # the tracker's own links show them
    assert text.startswith("Task 2 in the implementation plan for [octo/shop#42|")
    renamed = plan.model_copy(deep=True)
    renamed.tasks[0].title = "Another title"
    renamed.tasks[2].title = "Yet another"
    renamed.story.title = "A renamed story"
    renamed.overview.story_title = "A renamed story"
    renamed.tasks.append(renamed.tasks[2].model_copy(update={"id": "T9", "number": 9}))
    again = Renderer("jira").task(renamed, renamed.tasks[1], plans.full_children())
    assert again == text


def test_children_may_be_the_trackers_own_child_records() -> None:
    plan = plans.small_plan()
    children = {"T1": Child(key="octo/shop#8", task_id="T1", title="Sum", url="https://x/8")}
    assert "### Task 1: Sum line items ([octo/shop#8](https://x/8))" in Renderer().plan(
        plan, children
    )


def test_task_that_is_an_existing_issue_is_named_by_it() -> None:
    plan = plans.small_plan()
    plan.tasks[0].existing = "octo/shop#3"
    assert "### Task 1: Sum line items (octo/shop#3)" in Renderer().plan(plan)


def test_jira_checklists_show_done_and_open_icons() -> None:
    text = Renderer("jira").plan(complete_plan(plans.full_plan()))
    assert "* (/) Migration runs both ways" in text
    assert "* ☐ Tokens are stored hashed (AC1)" in text
    assert "(x)" not in text  # Jira draws it as a red cross
    assert "[ ]" not in text


def test_jira_task_sequence_is_a_dependency_table() -> None:
    text = Renderer("jira").plan(plans.diamond_plan(), plans.diamond_children())
    assert "||Task||Depends on||Blocks||" in text
    assert "|Task 4: Rotate tokens on refresh ([SHOP-104|https://example.atlassian.net/" in text
    row = next(line for line in text.splitlines() if line.startswith("|Task 4:"))
    assert row.endswith(
        "|Task 2 ([SHOP-102|https://example.atlassian.net/browse/SHOP-102]), "
        "Task 3 ([SHOP-103|https://example.atlassian.net/browse/SHOP-103])"
        "|Task 5 ([SHOP-105|https://example.atlassian.net/browse/SHOP-105]), "
        "Task 6 ([SHOP-106|https://example.atlassian.net/browse/SHOP-106])|"
    )
    assert "mermaid" not in text


def test_markdown_task_sequence_is_a_mermaid_graph_of_the_real_dependencies() -> None:
    text = Renderer().plan(plans.diamond_plan())
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("graph TD\n")
    arrows = re.findall(r"(t_T\d) --> (t_T\d)", block)
    assert ("t_T2", "t_T4") in arrows
    assert ("t_T3", "t_T4") in arrows
    assert len(arrows) == 9


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_rendering_twice_gives_the_same_bytes(flavour: Flavour) -> None:
    first = Renderer(flavour).plan(complete_plan(plans.full_plan()), plans.full_children())
    second = Renderer(flavour).plan(complete_plan(plans.full_plan()), plans.full_children())
    assert first.encode() == second.encode()
