"""Lines in a Jira story's problems and tasks point at the Jira text a person wrote, though
conversion to Markdown adds lines (a table's separator, fences around a one-line `{code}`, a
panel's title) and joins others; and storyplan's own Jira plans read back whole."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from storyplan.defaults import complete_plan
from storyplan.errors import PlanError
from storyplan.model import Markup, Plan, Story
from storyplan.parse.jira import to_markdown
from storyplan.parse.story import parse_story
from storyplan.render import Renderer
from tests.test_parse_roundtrip import comparable

# Every construct that changes the count of lines, before the tasks.
PREAMBLE = (
    "h2. Tasks\n"  # 1
    "||Task||Owner||\n"  # 2: gains a blank line before it and a separator row
    "|a|b|\n"  # 3
    "{code}x = 1{code}\n"  # 4: three Markdown lines
    "{panel:title=Note}\n"  # 5: the title becomes a line of its own
    "Keep it *short*.\n"  # 6
    "{panel}\n"  # 7
)


def test_a_problem_points_at_its_jira_line_after_lines_were_added() -> None:
    body = PREAMBLE + "h3. Task 1: A\nx \\\\ y\n\nh3. Task 1: B\nx\n"
    story = Story(ref="J-1", title="J", body=body, markup="jira", source="J-1")
    with pytest.raises(PlanError) as err:
        parse_story(story)
    assert str(err.value) == "J-1:11: duplicate task id T1 (first at line 8)"


def test_each_task_from_a_list_points_at_its_item() -> None:
    body = (
        "h2. Tasks\n"
        "{code:storyplan}\ntasks:\n  T2:\n    depends_on: [T1]\n{code}\n"
        "* Store tokens \\\\ with a TTL\n"  # 7
        "{quote}\nA note\n{quote}\n"
        "* (/) List cards\n"  # 11
        "||a||\n|b|\n"
        "* Remove cards\n"  # 14
    )
    plan = parse_story(Story(ref="J-1", title="J", body=body, markup="jira"))
    assert [(t.title, t.line, t.depends_on, t.done) for t in plan.tasks] == [
        ("Store tokens", 7, [], False),
        ("List cards", 11, ["T1"], True),
        ("Remove cards", 14, [], False),
    ]


def test_every_markdown_line_maps_to_the_jira_line_it_came_from() -> None:
    text, to_original = to_markdown(PREAMBLE + "h3. Task 1: A\n", "J-1")
    pairs = [(line, to_original(number)) for number, line in enumerate(text.split("\n"), 1)]
    assert pairs == [
        ("## Tasks", 1),
        ("", 2),
        ("|Task|Owner|", 2),
        ("|---|---|", 2),
        ("|a|b|", 3),
        ("", 4),
        ("```", 4),
        ("x = 1", 4),
        ("```", 4),
        ("> **Note**", 5),
        ("> Keep it **short**.", 6),
        ("", 8),
        ("### Task 1: A", 8),
    ]
    assert to_original(0) == 0
    assert to_original(99) == 9  # past the end: the last line of the Jira text


def read(body: str, markup: Markup) -> Plan:
    story = Story(ref="S-1", title="T", body=body, markup=markup)
    return complete_plan(parse_story(story, today=date(2025, 3, 14)))


@pytest.mark.parametrize("name", ["login.md", "small.md", "checkout.jira"])
def test_storyplans_own_jira_plan_reads_back_into_the_same_plan(name: str) -> None:
    text = (resources.files("storyplan.examples") / name).read_text(encoding="utf-8")
    plan = read(text, "jira" if name.endswith(".jira") else "markdown")
    rendered = Renderer("jira").plan(plan)
    assert len(plan.tasks) >= 3
    assert comparable(read(rendered, "jira")) == comparable(plan)
