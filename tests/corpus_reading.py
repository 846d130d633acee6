"""The public corpus of real stories and the reading a person makes of each
(tests/corpus/expected.toml), compared with what storyplan's parser reads: how many stories
a file holds and, per story, task count, dependency edges and acceptance criteria (each
counted once). Shared by tests/test_corpus.py and benchmarks/corpus_score.py.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyplan.compose import make_tracker
from storyplan.config import Settings
from storyplan.model import Plan, Story
from storyplan.parse import parse_story
from storyplan.parse.stories import select_story, split_stories
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
class Counts:
    """What a careful person reads in one story: tasks, dependency edges and criteria."""

    tasks: tuple[int, int]
    edges: frozenset[Edge]
    optional: tuple[tuple[frozenset[str], frozenset[str]], ...]
    criteria: tuple[int, int]
    story: int | None = None  # the story of a file holding several (`--story N`)

    def allows(self, edge: Edge) -> bool:
        """Whether an edge the parser drew is one a person draws or might draw."""
        return edge in self.edges or any(
            edge[0] in later and edge[1] in earlier for later, earlier in self.optional
        )


@dataclass(frozen=True)
class Expected:
    """What a careful person reads in one corpus file: how many stories it holds and, for
    the file (one story) or for chosen stories of it (several), the counts."""

    name: str
    format: str
    stories: int
    readings: tuple[Counts, ...]
    positional: bool

    @property
    def path(self) -> Path:
        return CORPUS / self.name


def _counts(entry: dict[str, Any], name: str, story: int | None = None) -> Counts:
    where = name if story is None else f"{name} story {story}"
    return Counts(
        tasks=_bounds(entry["tasks"], where, "tasks"),
        edges=frozenset((task_key(a), task_key(b)) for a, b in entry.get("edges", [])),
        optional=tuple((_ids(a), _ids(b)) for a, b in entry.get("edges_optional", [])),
        criteria=_bounds(entry["criteria"], where, "criteria"),
        story=story,
    )


def _expected(name: str, entry: dict[str, Any]) -> Expected:
    fmt = entry.get("format")
    if not isinstance(fmt, str) or not fmt.strip():
        raise ValueError(f"{TABLE.name}: {name}: every story needs a format")
    stories = entry.get("stories", 1)
    chosen = entry.get("story", [])
    if stories > 1 and not chosen:
        raise ValueError(f"{TABLE.name}: {name}: a file with several stories names one to read")
    readings = (
        tuple(_counts(part, name, part["number"]) for part in chosen)
        if stories > 1
        else (_counts(entry, name),)
    )
    return Expected(
        name=name,
        format=fmt,
        stories=stories,
        readings=readings,
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


def read_story(path: Path, story: int | None = None) -> Story:
    """A story file as `storyplan check` reads it: through the files tracker (a .jira file
    is Jira wiki markup), and for `story` N the N-th story of a file that holds several."""
    tracker = make_tracker(Settings(), Ref("files", str(path), ""))
    whole = tracker.fetch_story(str(path))
    return whole if story is None else select_story(whole, story)


def parse_file(path: Path, story: int | None = None) -> Plan:
    """Parse a story file (or its story N) with the real parser."""
    return parse_story(read_story(path, story))


def count_stories(path: Path) -> int:
    """How many stories storyplan finds in a file (one unless it holds several)."""
    whole = read_story(path)
    parts = split_stories(whole.body) if whole.markup == "markdown" else []
    return len(parts) if len(parts) >= 2 else 1


def distinct_criteria(plan: Plan) -> int:
    """The acceptance criteria a plan holds, each counted once: the story's own and each
    task's own. A task's `(AC: 1)` shows the story's criterion 1 under the task too; that
    copy is the same criterion, not another."""
    story = {" ".join(item.text.split()) for item in plan.acceptance_criteria}
    own = [
        item
        for task in plan.tasks
        for item in task.acceptance_criteria
        if " ".join(item.text.split()) not in story
    ]
    return len(plan.acceptance_criteria) + len(own)


def reading(plan: Plan, positional: bool = False) -> Reading:
    """Count what a plan holds. With `positional`, tasks are named by their position."""
    names = {task.id: str(task.number) if positional else task_key(task.id) for task in plan.tasks}
    edges = frozenset(
        (names[task.id], names.get(dep, task_key(dep)))
        for task in plan.tasks
        for dep in task.depends_on
    )
    return Reading(len(plan.tasks), edges, distinct_criteria(plan))


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _shown(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return str(low) if low == high else f"{low}-{high}"


def _pairs(edges: frozenset[Edge] | set[Edge]) -> str:
    return ", ".join(f"{a}->{b}" for a, b in sorted(edges)) or "none"


@dataclass(frozen=True)
class Verdict:
    """Which of the readings match the table, and how each miss differs."""

    tasks: bool
    edges: bool
    criteria: bool
    misses: tuple[str, ...]
    stories: bool = True


def compare(expected: Counts, got: Reading) -> Verdict:
    """One story's reading against the table's."""
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
    if expected.story is not None:
        misses = [f"story {expected.story}: {miss}" for miss in misses]
    return Verdict(tasks_ok, not missing and not extra, criteria_ok, tuple(misses))


def judge(expected: Expected) -> Verdict:
    """A whole corpus file: the stories storyplan finds in it, then each story the table
    reads (the file itself, or its chosen stories); every one must match."""
    found = count_stories(expected.path)
    verdicts = [
        compare(counts, reading(parse_file(expected.path, counts.story), expected.positional))
        for counts in expected.readings
    ]
    misses = (
        [] if found == expected.stories else [f"stories: expected {expected.stories}, got {found}"]
    )
    return Verdict(
        tasks=all(v.tasks for v in verdicts),
        edges=all(v.edges for v in verdicts),
        criteria=all(v.criteria for v in verdicts),
        misses=(*misses, *(m for v in verdicts for m in v.misses)),
        stories=found == expected.stories,
    )
