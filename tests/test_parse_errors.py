"""Stories that cannot become a plan fail with every problem, each one sentence naming what and
where."""

from __future__ import annotations

from datetime import date

import pytest

from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.story import parse_story

ONLY_TITLE = "has only a title; add a description, acceptance criteria or tasks"


def problems(body: str, title: str = "Story", markup: str = "markdown") -> list[str]:
    story = Story(ref="S-1", title=title, body=body, source="story.md", markup=markup)  # type: ignore[arg-type]
    with pytest.raises(PlanError) as err:
        parse_story(story, today=date(2025, 1, 1))
    return [str(p) for p in err.value.problems]


def test_an_empty_story_is_an_error() -> None:
    assert problems("  \n\n", title="") == ["story.md: the story is empty"]


def test_a_story_with_a_title_and_no_body_has_only_a_title() -> None:
    assert problems("", title="Add login") == [f'story.md: the story "Add login" {ONLY_TITLE}']


def test_a_story_of_only_headings_has_only_a_title() -> None:
    body = "# Add login\n\n## Tasks\n\n<!-- fill in -->\n"
    assert problems(body, title="") == [f'story.md:1: the story "Add login" {ONLY_TITLE}']


def test_duplicate_task_ids_name_both_lines() -> None:
    body = (
        "## Tasks\n\n### Task 1: A\nx\n\n### Task 2: B\nx\n\n### Task 2: C\nx\n\n- [ ] not read\n"
    )
    assert problems(body) == ["story.md:9: duplicate task id T2 (first at line 6)"]


def test_duplicate_explicit_ids_in_a_checklist() -> None:
    assert problems("## Tasks\n- [ ] T001 A\n- [ ] T002 B\n- [ ] T001 C\n") == [
        "story.md:4: duplicate task id T001 (first at line 2)"
    ]


def test_a_yaml_syntax_error_names_its_line_in_the_story() -> None:
    body = "## Tasks\n- [ ] A\n\n```storyplan\ntech_lead: Ana\ntasks: [T1\n```\n"
    assert problems(body) == [
        "story.md:6: the storyplan block is not valid YAML: "
        "expected ',' or ']', but got '<stream end>'"
    ]


def test_a_toml_syntax_error_names_its_line_in_the_story() -> None:
    body = '## Tasks\n- [ ] A\n\n```storyplan toml\ntech_lead = "Ana"\ntasks = [\n```\n'
    assert problems(body) == ["story.md:6: the storyplan block is not valid TOML: Invalid value"]


def test_invalid_values_and_unknown_fields_in_a_block_are_reported_together() -> None:
    body = (
        "## Tasks\n- [ ] A\n\n```storyplan\n"
        "tech_lead: [Ana, Bo]\nowner: Cy\ntasks:\n  T1: {done: maybe}\n"
        "```\n"
    )
    assert problems(body) == [
        "story.md:4: the storyplan block sets overview.tech_lead to an invalid value: "
        "Input should be a valid string",
        'story.md:4: the storyplan block has an unknown field "owner"',
        "story.md:4: the storyplan block sets tasks.T1.done to an invalid value: "
        "Input should be a valid boolean, unable to interpret input",
    ]


def test_a_block_that_is_not_a_mapping_is_an_error() -> None:
    assert problems("## Tasks\n- [ ] A\n\n```storyplan\n- T1\n```\n") == [
        "story.md:4: the storyplan block must be a mapping of fields (like `tech_lead: Ana`)"
    ]


def test_broken_front_matter_is_an_error_with_its_line() -> None:
    assert problems("---\ntitle: A\ntasks: [\n---\n## Tasks\n- [ ] x\n") == [
        "story.md:4: the front matter is not valid YAML: "
        "expected the node content, but found '<stream end>'"
    ]


def test_every_problem_is_reported_not_just_the_first() -> None:
    body = "## Tasks\n- [ ] T1 A\n- [ ] T1 B\n\n```storyplan\nx: [\n```\n"
    assert len(problems(body)) == 2
