"""The public corpus of real stories and the reading a person makes of each
(tests/corpus/expected.toml), compared with what storyplan's parser reads: task count,
dependency edges and acceptance criteria. Shared by tests/test_corpus.py and
benchmarks/corpus_score.py.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyplan.compose import make_tracker
from storyplan.config import Settings
from storyplan.model import Plan
from storyplan.parse import parse_story
from storyplan.refs import Ref

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLE = CORPUS / "expected.toml"
PROVENANCE = CORPUS / "PROVENANCE.md"
STORY_SUFFIXES = (".md", ".jira")
NOT_STORIES = ("PROVENANCE.md",)

Edge = tuple[str, str]

_NUMBERED = re.compile(r"T?0*(\d+)")
_RANGE = re.compile(r"(?P<prefix>\D*)(?P<first>\d+)\.\.(?P=prefix)(?P<last>\d+)")


def task_key(task_id: str) -> str:
    """One spelling per task id: "T001", "001.md", "#1" and "1" all become "1"."""
    key = task_id.strip().upper().removeprefix("#").removesuffix(".MD")
    numbered = _NUMBERED.fullmatch(key)
    return str(int(numbered.group(1))) if numbered else key


def _ids(spec: str) -> frozenset[str]:
    """The task keys an edge end names: one id, or a range "T004..T009"."""
    ranged = _RANGE.fullmatch(spec.strip())
    if ranged is None:
        return frozenset({task_key(spec)})
    first, last = int(ranged["first"]), int(ranged["last"])
    return frozenset(task_key(f"{ranged['prefix']}{n}") for n in range(first, last + 1))


def _bounds(value: Any, name: str, field: str) -> tuple[int, int]:
    """A count or a [low, high] range from the table."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    raise ValueError(f"{TABLE.name}: {name}: {field} must be a count or [low, high]")


@dataclass(frozen=True)
class Expected:
    """What a careful person reads in one corpus story."""

    name: str
    format: str
    tasks: tuple[int, int]
    edges: frozenset[Edge]
    optional: tuple[tuple[frozenset[str], frozenset[str]], ...]
    criteria: tuple[int, int]
    stories: int | None
    positional: bool

    @property
    def path(self) -> Path:
        return CORPUS / self.name

    def allows(self, edge: Edge) -> bool:
        """Whether an edge the parser drew is one a person draws or might draw."""
        return edge in self.edges or any(
            edge[0] in later and edge[1] in earlier for later, earlier in self.optional
        )


def _expected(name: str, entry: dict[str, Any]) -> Expected:
    fmt = entry.get("format")
    if not isinstance(fmt, str) or not fmt.strip():
        raise ValueError(f"{TABLE.name}: {name}: every story needs a format")
    required = frozenset((task_key(a), task_key(b)) for a, b in entry.get("edges", []))
    optional = tuple((_ids(a), _ids(b)) for a, b in entry.get("edges_optional", []))
    return Expected(
        name=name,
        format=fmt,
        tasks=_bounds(entry["tasks"], name, "tasks"),
        edges=required,
        optional=optional,
        criteria=_bounds(entry["criteria"], name, "criteria"),
        stories=entry.get("stories"),
        positional=entry.get("ids") == "position",
    )


def load_table() -> list[Expected]:
    """Every story of the table, in file-name order."""
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    return [_expected(name, table[name]) for name in sorted(table)]


def story_files() -> list[str]:
    """The corpus files that are stories (everything but the table and the provenance)."""
    return sorted(
        p.name for p in CORPUS.iterdir() if p.suffix in STORY_SUFFIXES and p.name not in NOT_STORIES
    )


@dataclass(frozen=True)
class Reading:
    """What the parser read: tasks, dependency edges (by task key) and criteria."""

    tasks: int
    edges: frozenset[Edge]
    criteria: int


def parse_file(path: Path) -> Plan:
    """Parse a story file the way `storyplan check` does: through the files tracker
    (a .jira file is Jira wiki markup) and the real parser."""
    tracker = make_tracker(Settings(), Ref("files", str(path), ""))
    return parse_story(tracker.fetch_story(str(path)))


def reading(plan: Plan, positional: bool = False) -> Reading:
    """Count what a plan holds. With `positional`, tasks are named by their position."""
    names = {task.id: str(task.number) if positional else task_key(task.id) for task in plan.tasks}
    edges = frozenset(
        (names[task.id], names.get(dep, task_key(dep)))
        for task in plan.tasks
        for dep in task.depends_on
    )
    criteria = len(plan.acceptance_criteria) + sum(
        len(task.acceptance_criteria) for task in plan.tasks
    )
    return Reading(len(plan.tasks), edges, criteria)


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _shown(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return str(low) if low == high else f"{low}-{high}"


def _pairs(edges: frozenset[Edge] | set[Edge]) -> str:
    return ", ".join(f"{a}->{b}" for a, b in sorted(edges)) or "none"


@dataclass(frozen=True)
class Verdict:
    """Which of the three readings match the table, and how each miss differs."""

    tasks: bool
    edges: bool
    criteria: bool
    misses: tuple[str, ...]


def compare(expected: Expected, got: Reading) -> Verdict:
    misses = []
    tasks_ok = _within(got.tasks, expected.tasks)
    if not tasks_ok:
        misses.append(f"tasks: expected {_shown(expected.tasks)}, got {got.tasks}")
    missing = expected.edges - got.edges
    extra = {edge for edge in got.edges if not expected.allows(edge)}
    if missing:
        misses.append(f"edges: missing {_pairs(missing)}")
    if extra:
        misses.append(f"edges: not in the story {_pairs(extra)}")
    criteria_ok = _within(got.criteria, expected.criteria)
    if not criteria_ok:
        misses.append(f"criteria: expected {_shown(expected.criteria)}, got {got.criteria}")
    return Verdict(tasks_ok, not missing and not extra, criteria_ok, tuple(misses))
