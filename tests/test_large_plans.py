"""Large plans: a dependency chain thousands of tasks long is checked, ordered and planned
without exhausting the stack (the benchmark benchmarks/render_scale.py measures the time)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storyplan.cli import main
from storyplan.graph import find_cycle, topological_order
from storyplan.model import Plan, Story, Task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from render_scale import chain


def test_a_thousand_task_chain_is_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "chain.md"
    story.write_text(chain(1000), encoding="utf-8")
    assert main(["plan", "--json", str(story)]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert sum(change["kind"] == "create_child" for change in changes) == 1000


def test_a_long_chain_orders_and_finds_its_cycle_without_recursion() -> None:
    count = sys.getrecursionlimit() * 3
    tasks = [Task(id="T1", title="first", number=1, line=1)]
    tasks += [
        Task(id=f"T{n}", title=f"step {n}", number=n, line=n, depends_on=[f"T{n - 1}"])
        for n in range(2, count + 1)
    ]
    plan = Plan(story=Story(ref="s.md", title="S"), tasks=list(reversed(tasks)))
    assert [t.id for t in topological_order(plan)] == [f"T{n}" for n in range(1, count + 1)]
    assert find_cycle(plan) == []
    tasks[0] = tasks[0].model_copy(update={"depends_on": [f"T{count}"]})
    looped = Plan(story=Story(ref="s.md", title="S"), tasks=tasks)
    cycle = find_cycle(looped)
    assert len(cycle) == count + 1
    assert cycle[0] == cycle[-1]
