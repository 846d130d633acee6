"""The dependency rule: the core never imports an adapter or a tracker SDK."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "storyplan"
FORBIDDEN = ("storyplan.adapters", "github", "gitlab", "jira")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_import_no_adapter_and_no_tracker_sdk() -> None:
    offenders = {
        f"{path.relative_to(CORE)} imports {name}"
        for path in CORE.rglob("*.py")
        for name in imports_of(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert offenders == set()


def test_the_walk_sees_real_imports() -> None:
    assert "storyplan.ports" in imports_of(CORE / "reconcile.py")
