"""The examples in docs/story-format.md parse as the document says they do."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story

DOC = (Path(__file__).parents[1] / "docs" / "story-format.md").read_text(encoding="utf-8")
LOGIN = (resources.files("storyplan.examples") / "login.md").read_text(encoding="utf-8")
FENCES = re.findall(r"^(`{3,})(\w*)\n(.*?)^\1$", DOC, flags=re.MULTILINE | re.DOTALL)


def parse(body: str) -> Plan:
    story = Story(ref="S-1", title="Story", body=body, source="story.md")
    return parse_story(story, today=date(2025, 1, 1))


@pytest.mark.parametrize(
    "body", [body for _, info, body in FENCES if info == "markdown"], ids=lambda b: b[:30]
)
def test_every_markdown_example_in_the_docs_parses(body: str) -> None:
    if body.startswith("---"):  # front matter refers to the tasks of a story below it
        body += LOGIN
    parse(body)


def test_the_docs_storyplan_block_applies_to_the_login_example() -> None:
    (block,) = [body for _, info, body in FENCES if info == "storyplan"]
    plan = parse(f"{LOGIN}\n```storyplan\n{block}```\n")
    assert plan.overview.tech_lead == "Priya Natarajan"
    assert plan.task("T1").estimate == "2d"
    assert plan.task("T9").depends_on == ["T8"]
    assert [r.risk for r in plan.risks] == ["Credential stuffing", "Argon2 too slow"]


def test_the_docs_checklist_example_reads_as_documented() -> None:
    (body,) = [b for _, info, b in FENCES if info == "markdown" and "CSV writer" in b]
    plan = parse(body)
    assert [(t.title, t.done, t.ac_refs, t.depends_on) for t in plan.tasks] == [
        ("Build the CSV writer", False, ["1", "2"], []),
        ("Add the export button", True, ["1"], ["T1"]),
        ("Email large exports", False, ["3"], ["T1"]),
    ]
    assert plan.tasks[1].files == ["web/orders/ExportButton.tsx"]
