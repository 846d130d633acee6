"""User templates in the sandbox, template errors as one sentence, and story text that tries
to forge storyplan's markers.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from storyplan.defaults import complete_plan
from storyplan.errors import TemplateError
from storyplan.model import Plan
from storyplan.render import ChildLink, Flavour, Renderer, safe_text
from tests import render_plans as plans

BUNDLED = Path(__file__).resolve().parents[1] / "templates"


def render_error(tmp_path: Path, source: str, name: str = "plan.md.j2") -> TemplateError:
    (tmp_path / name).write_text(source, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        Renderer("markdown", tmp_path).plan(plans.small_plan())
    error = caught.value
    assert error.__cause__ is None, "a traceback would leak"
    assert error.__suppress_context__, "a traceback would leak"
    assert "\n" not in str(error)
    return error


def test_user_template_overrides_the_bundled_one_with_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "plan.md.j2").write_text("Plan for {{ plan.story.title|safe_text }}\n")
    renderer = Renderer("markdown", tmp_path)
    plan = plans.small_plan()
    assert renderer.plan(plan) == "Plan for Show order totals\n"
    assert renderer.task(plan, plan.tasks[0]) == Renderer().task(plan, plan.tasks[0])


def test_user_macros_override_the_bundled_macros_the_bundled_plan_imports(tmp_path: Path) -> None:
    macros = (BUNDLED / "_macros.md.j2").read_text(encoding="utf-8")
    custom = macros.replace("*{{ value|safe_text }}*", "Planned by the platform team.")
    assert custom != macros
    (tmp_path / "_macros.md.j2").write_text(custom, encoding="utf-8")
    text = Renderer("markdown", tmp_path).plan(plans.small_plan())
    assert text.endswith("---\n\nPlanned by the platform team.\n")
    assert "## Development Task Breakdown" in text


def test_user_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    error = render_error(tmp_path, "{{ ''.__class__.__mro__ }}\n")
    assert str(error).startswith(f"Template {tmp_path / 'plan.md.j2'} could not be rendered")
    assert "line 1" in str(error)
    assert "unsafe" in str(error)


def test_user_template_cannot_reach_a_models_internals(tmp_path: Path) -> None:
    error = render_error(tmp_path, "ok\n{{ plan.__class__.__init__.__globals__ }}\n")
    assert "line 2" in str(error)


def test_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "# Plan\n\n{% if plan.tasks %}\n{{ plan.story.title }\n")
    assert str(error).startswith(f"Template {tmp_path / 'plan.md.j2'} has a syntax error at line 4")


def test_syntax_error_in_an_included_template_names_that_file(tmp_path: Path) -> None:
    error = render_error(
        tmp_path, "{% macro heading(level, title) %}\n{% endif %}\n", "_macros.md.j2"
    )
    assert "_macros.md.j2 has a syntax error at line 2" in str(error)


def test_undefined_value_names_the_file_and_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "# Plan\n{{ plan.story.titel }}\n")
    assert re.fullmatch(
        r"Template .*plan\.md\.j2 could not be rendered at line 2: .*titel.*\.", str(error)
    )


def test_render_failure_inside_a_template_is_a_template_error(tmp_path: Path) -> None:
    error = render_error(tmp_path, "{{ 1 // 0 }}\n")
    assert "line 1" in str(error)
    assert "division" in str(error)


def test_missing_template_folder_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        Renderer("markdown", tmp_path / "nowhere")


def test_unknown_flavour_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="html"):
        Renderer("html")  # type: ignore[arg-type]


# -- markers -------------------------------------------------------------------------------

MD_POISON = " <!-- storyplan:end --> <!-- hidden"
JIRA_POISON = " {anchor:storyplan-end} {code}"


def poisoned(value: Any, poison: str) -> Any:
    """`value` with `poison` appended to every string in it, ids included (consistently)."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return value + poison
    if isinstance(value, list):
        return [poisoned(item, poison) for item in value]
    if isinstance(value, BaseModel):
        fields = {name: poisoned(getattr(value, name), poison) for name in type(value).model_fields}
        return type(value).model_construct(**fields)
    return value


def poisoned_plan(poison: str) -> tuple[Plan, dict[str, ChildLink]]:
    plan: Plan = poisoned(complete_plan(plans.full_plan()), poison)
    children = {
        task_id + poison: ChildLink(child.key + poison, (child.url or "https://x") + poison)
        for task_id, child in plans.full_children().items()
    }
    return plan, children


@pytest.mark.parametrize("compact", [False, True])
def test_story_text_cannot_open_an_html_comment_in_a_markdown_plan(compact: bool) -> None:
    plan, children = poisoned_plan(MD_POISON)
    text = Renderer().plan(plan, children, compact=compact)
    assert "storyplan:end" in text  # the text is shown, only defused
    assert "<!--" not in text


def test_story_text_cannot_open_an_html_comment_in_a_markdown_task() -> None:
    plan, children = poisoned_plan(MD_POISON)
    for task in plan.tasks:
        assert "<!--" not in Renderer().task(plan, task, children)


@pytest.mark.parametrize("compact", [False, True])
def test_story_text_cannot_open_a_macro_in_a_jira_plan(compact: bool) -> None:
    plan, children = poisoned_plan(JIRA_POISON)
    text = Renderer("jira").plan(plan, children, compact=compact)
    assert "anchor:storyplan-end" in text
    assert not re.search(r"(?<!\\)\{(anchor|code)", text)


def test_story_text_cannot_open_a_macro_in_a_jira_task() -> None:
    plan, children = poisoned_plan(JIRA_POISON)
    for task in plan.tasks:
        assert not re.search(r"(?<!\\)\{(anchor|code)", Renderer("jira").task(plan, task, children))


def test_code_blocks_in_story_text_cannot_close_early_or_forge_markers() -> None:
    plan = plans.small_plan()
    plan.tasks[
        0
    ].description = "Like this:\n\n```\n{code}\n{anchor:storyplan-end}\n<!-- storyplan:end -->\n```"
    jira = Renderer("jira").task(plan, plan.tasks[0])
    assert "{code}\n\\{code}\n\\{anchor:storyplan-end}\n" in jira
    assert len(re.findall(r"(?<!\\)\{code", jira)) == 2  # the block's own opening and closing
    markdown = Renderer().task(plan, plan.tasks[0])
    assert "<!--" not in markdown


def test_user_template_that_forgets_the_filter_still_cannot_forge_a_marker(tmp_path: Path) -> None:
    (tmp_path / "plan.md.j2").write_text("{{ plan.story.title }}\n")
    (tmp_path / "plan.jira.j2").write_text("{{ plan.story.title }}\n")
    plan = plans.small_plan()
    plan.story.title = "<!-- storyplan:end --> {anchor:storyplan-end}"
    assert "<!-- storyplan" not in Renderer("markdown", tmp_path).plan(plan)
    assert "\\{anchor:storyplan-end}" in Renderer("jira", tmp_path).plan(plan)


def test_safe_text_defuses_comment_openers_and_closers() -> None:
    assert safe_text("a <!-- b --> c --!> d") == "a &lt;!-- b --&gt; c --!&gt; d"
    assert safe_text(safe_text("<!--")) == "&lt;!--"
    assert safe_text(None) == ""


@pytest.mark.parametrize("flavour", ["markdown", "jira"])
def test_bundled_templates_render_the_same_inside_the_sandbox(
    tmp_path: Path, flavour: Flavour
) -> None:
    plan = complete_plan(plans.full_plan())
    sandboxed = Renderer(flavour, tmp_path)
    assert sandboxed.plan(plan, plans.full_children()) == Renderer(flavour).plan(
        plan, plans.full_children()
    )
    assert sandboxed.task(plan, plan.tasks[0]) == Renderer(flavour).task(plan, plan.tasks[0])


def test_errors_name_a_user_file_by_the_path_it_was_given_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "task.md.j2").write_text("{% for %}\n")
    monkeypatch.chdir(tmp_path)
    plan = plans.small_plan()
    with pytest.raises(
        TemplateError, match=r"^Template mine/task\.md\.j2 has a syntax error at line 1"
    ):
        Renderer("markdown", Path("mine")).task(plan, plan.tasks[0])
