"""Each plan and task body is rendered once a run, whatever checks look at it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from storyplan.cli import main
from storyplan.render import Renderer


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counts: Counter[str] = Counter()
    plan, task = Renderer.plan, Renderer.task

    def counted_plan(self: Renderer, *args: Any, **kwargs: Any) -> str:
        counts["plan"] += 1
        return plan(self, *args, **kwargs)

    def counted_task(self: Renderer, *args: Any, **kwargs: Any) -> str:
        counts["task"] += 1
        return task(self, *args, **kwargs)

    monkeypatch.setattr(Renderer, "plan", counted_plan)
    monkeypatch.setattr(Renderer, "task", counted_task)
    return counts


def test_a_no_op_apply_renders_the_plan_once_and_each_task_once(
    tmp_path: Path, renders: Counter[str]
) -> None:
    story = tmp_path / "login.md"
    story.write_text(
        "# Sign in\n\n## Tasks\n- [ ] Session model\n- [ ] Endpoint, after Task 1\n"
        "- [ ] Tests, after Task 2\n",
        encoding="utf-8",
    )
    assert main(["apply", str(story)]) == 0
    renders.clear()
    assert main(["apply", str(story)]) == 0
    assert renders == Counter(plan=1, task=3)
