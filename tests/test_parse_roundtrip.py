"""A plan storyplan rendered reads back into the same plan: the renderer writes the seed
template's format, and the parser reads that format in Markdown and in Jira markup."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

import pytest

from storyplan.defaults import complete_plan
from storyplan.model import Markup, Plan, Story
from storyplan.parse.story import parse_story
from storyplan.render import Renderer

TODAY = date(2025, 3, 14)


def read(body: str, markup: Markup) -> Plan:
    return complete_plan(
        parse_story(Story(ref="S-1", title="T", body=body, markup=markup), today=TODAY)
    )


def comparable(plan: Plan) -> Any:
    """The plan without lines and with whitespace and code quotes evened out: rendering rewraps
    text, and Jira markup has its own code quotes."""

    def even(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: even(v) for k, v in value.items() if k != "line"}
        if isinstance(value, list):
            return [even(v) for v in value]
        if isinstance(value, str):
            return " ".join(value.replace("`", "").split())
        return value

    return even(plan.model_dump(exclude={"story"}))


@pytest.mark.parametrize(
    ("name", "flavour"),
    [
        ("login.md", "markdown"),
        ("small.md", "markdown"),
        ("checkout.jira", "markdown"),
        ("small.md", "jira"),
        ("login.md", "jira"),
    ],
)
def test_a_rendered_plan_reads_back_into_the_same_plan(name: str, flavour: Markup) -> None:
    text = (resources.files("storyplan.examples") / name).read_text(encoding="utf-8")
    plan = read(text, "jira" if name.endswith(".jira") else "markdown")
    rendered = Renderer(flavour).plan(plan)
    assert comparable(read(rendered, flavour)) == comparable(plan)
