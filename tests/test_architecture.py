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


ADAPTERS = CORE.parents[1] / "adapters"
SDKS = ("github", "gitlab", "jira", "gql", "requests", "httpx", "urllib3")
# Where each tracker may touch its SDK and the HTTP libraries: its client modules only.
CLIENTS = {
    "github": {"client.py"},
    "gitlab": {"client.py"},
    "jira": {"client.py"},
    "files": set(),
    "shared": {"transport.py"},
}


def test_only_client_modules_import_a_tracker_sdk() -> None:
    offenders = {
        f"{path.relative_to(ADAPTERS)} imports {name}"
        for path in ADAPTERS.rglob("*.py")
        for name in imports_of(path)
        if any(name == sdk or name.startswith(sdk + ".") for sdk in SDKS)
        and path.name not in CLIENTS.get(path.parent.name, set())
    }
    assert offenders == set()


def test_trackers_import_no_other_tracker() -> None:
    offenders = set()
    for package in ("files", "github", "gitlab", "jira"):
        for path in (ADAPTERS / package).rglob("*.py"):
            for name in imports_of(path):
                for other in ("files", "github", "gitlab", "jira"):
                    if other != package and name.startswith(f"storyplan.adapters.{other}"):
                        offenders.add(f"{package}/{path.name} imports {name}")
    assert offenders == set()


def test_settings_modules_import_only_pydantic_and_the_core() -> None:
    for path in ADAPTERS.glob("*/settings.py"):
        for name in imports_of(path):
            assert not any(name == sdk or name.startswith(sdk + ".") for sdk in SDKS), (
                f"{path.relative_to(ADAPTERS)} imports {name}"
            )


def _local_imports(path: Path) -> set[str]:
    """Sibling modules `path` imports with a relative import (`from .client import …`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def _cycle(graph: dict[str, set[str]]) -> tuple[str, ...] | None:
    """A cycle in `graph` as the modules along it, or None."""
    done: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        if node in trail:
            return (*trail, node)
        if node in done:
            return None
        for target in sorted(graph.get(node, set())):
            if found := visit(target, (*trail, node)):
                return found
        done.add(node)
        return None

    return next((c for module in sorted(graph) if (c := visit(module, ()))), None)


def test_the_cycle_search_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ("a", "b", "a")
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_tracker_package_has_an_import_cycle() -> None:
    for package in ("files", "github", "gitlab", "jira"):
        graph = {path.stem: _local_imports(path) for path in (ADAPTERS / package).glob("*.py")}
        assert _cycle(graph) is None, package
