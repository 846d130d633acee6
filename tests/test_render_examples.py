"""The bundled example stories end to end: parse, complete, render, compared with golden files.

Regenerate with `STORYPLAN_UPDATE_GOLDEN=1 python -m pytest tests/test_render_examples.py`
(see tests/test_render.py).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from storyplan.adapters.files.tracker import FilesSettings, FilesTracker
from storyplan.defaults import complete_plan
from storyplan.model import Plan
from storyplan.render import ChildLink, Flavour, Renderer
from tests.test_render import assert_golden, assert_no_empty_headings, assert_tidy

TODAY = date(2025, 3, 14)
EXAMPLES = {"login.md": "markdown", "small.md": "markdown", "checkout.jira": "jira"}


def example_plan(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plan:
    """The example read as `storyplan render` reads a story file, from a relative path."""
    story_module = pytest.importorskip("storyplan.parse.story")
    source = resources.files("storyplan.examples") / name
    if not source.is_file():
        pytest.skip(f"example {name} is not there yet")
    (tmp_path / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    story = FilesTracker(FilesSettings()).fetch_story(name)
    plan: Plan = complete_plan(story_module.parse_story(story, today=TODAY))
    return plan


def children(plan: Plan, flavour: Flavour) -> dict[str, ChildLink]:
    """Sub-issue keys as the files tracker and Jira would give them, the last one missing."""
    if flavour == "jira":
        return {task.id: ChildLink(f"SHOP-{200 + task.number}") for task in plan.tasks[:-1]}
    folder = Path(plan.story.ref).stem + ".tasks"
    return {
        task.id: ChildLink(f"{folder}/{task.id}.md", f"{folder}/{task.id}.md")
        for task in plan.tasks[:-1]
    }


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_plan_matches_its_golden_file(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = example_plan(name, tmp_path, monkeypatch)
    flavour: Flavour = "jira" if name.endswith(".jira") else "markdown"
    renderer = Renderer(flavour)
    stem = Path(name).stem
    suffix = "jira" if flavour == "jira" else "md"
    text = renderer.plan(plan, children(plan, flavour))
    assert_tidy(text)
    assert_no_empty_headings(text, flavour)
    assert_golden(f"example-{stem}.plan.{suffix}", text)
    compact = renderer.plan(plan, children(plan, flavour), compact=True)
    assert len(compact) <= len(text)
    if plan.tasks:
        task = plan.tasks[-1]
        body = renderer.task(plan, task, children(plan, flavour))
        assert_tidy(body)
        assert_golden(f"example-{stem}.task.{suffix}", body)
