"""`storyplan check`: one or more story files (or `-` for stdin) checked at once, every
problem of every file reported, for a person or (`--json`) for a script.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyplan.cli_options import info, out
from storyplan.errors import ConfigError, PlanError, Problem, StoryplanError

STDIN = "-"


@dataclass
class Checked:
    """One file's verdict: counts when it makes a plan, its problems when it does not."""

    file: str
    tasks: int = 0
    links: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: StoryplanError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    def as_dict(self) -> dict[str, Any]:
        problems = [{"line": p.line, "message": p.message} for p in self.problems]
        if self.error is not None and not problems:
            problems = [{"line": 0, "message": str(self.error)}]
        return {
            "file": self.file,
            "ok": self.ok,
            "tasks": self.tasks,
            "dependency_links": self.links,
            "notes": self.notes,
            "problems": problems,
        }


def read_story(name: str, markup: str | None) -> Any:
    """The story in file `name` (or stdin for `-`) as the files tracker reads it."""
    from storyplan.compose import make_tracker
    from storyplan.config import Settings
    from storyplan.refs import Ref

    tracker: Any = make_tracker(Settings(), Ref("files", name, ""))
    if name == STDIN:
        story = tracker.story_from_text(sys.stdin.read(), "<stdin>", Path("stdin.md"))
    else:
        story = tracker.fetch_story(name)
    if markup is not None:
        story = story.model_copy(update={"markup": markup.lower()})
    return story


def every_problem(error: PlanError) -> list[Problem]:
    """The story's problems and, when the plan was read, its graph's too (a duplicate id
    does not hide an unknown dependency)."""
    from storyplan.defaults import complete_plan
    from storyplan.graph import check_graph
    from storyplan.model import Plan

    problems = list(error.problems)
    if isinstance(error.plan, Plan):
        problems.extend(check_graph(complete_plan(error.plan)))
    return list(dict.fromkeys(problems))


def check_file(name: str, markup: str | None, settings: Any, part: int | None) -> list[Checked]:
    """One result per story: a file that holds several is checked story by story."""
    from storyplan.parse.stories import describe, split_stories

    try:
        whole = read_story(name, markup)
    except StoryplanError as error:
        return [Checked(name, error=error)]
    parts = split_stories(whole.body) if whole.markup == "markdown" and part is None else []
    if len(parts) < 2:
        return [check_story(name, whole, settings, part)]
    info.print(f"{name}: {len(parts)} stories ({describe(parts)}); plan one with --story N")
    return [
        check_story(f"{name} story {number}", whole, settings, number)
        for number in range(1, len(parts) + 1)
    ]


def check_story(name: str, whole: Any, settings: Any, part: int | None) -> Checked:
    from storyplan.defaults import complete_plan
    from storyplan.graph import check_graph
    from storyplan.parse.stories import select_story
    from storyplan.parse.story import parse_story
    from storyplan.service import refuse_empty

    try:
        plan = parse_story(select_story(whole, part), synonyms=settings.synonyms)
        refuse_empty(plan, settings)
        plan = complete_plan(plan)
    except PlanError as error:
        return Checked(name, problems=every_problem(error), error=error)
    except StoryplanError as error:
        return Checked(name, error=error)
    problems = check_graph(plan)
    links = sum(len(task.depends_on) for task in plan.tasks)
    failed = PlanError(problems) if problems else None
    return Checked(name, len(plan.tasks), links, list(plan.notes), problems, failed)


def check_files(
    names: list[str], markup: str | None, settings: Any, part: int | None = None
) -> list[Checked]:
    if names.count(STDIN) > 1:
        raise ConfigError("'-' (standard input) can be given once")
    return [result for name in names for result in check_file(name, markup, settings, part)]


def checked_json(results: list[Checked]) -> str:
    files = [result.as_dict() for result in results]
    return json.dumps({"ok": all(r.ok for r in results), "files": files}, indent=2)


def print_checked(results: list[Checked], report: Callable[[StoryplanError], object]) -> None:
    """A line per good file on stdout; every problem of the others through `report`."""
    for result in results:
        if result.error is not None:
            report(PlanError(result.problems) if result.problems else result.error)
            continue
        out.print(f"{result.file}: ok, {result.tasks} task(s), {result.links} dependency link(s)")
        for note in result.notes:
            out.print(f"note: {note}")


def exit_code(results: list[Checked]) -> int:
    """0 when every file is fine, else the code of the first file that is not."""
    return next((r.error.exit_code for r in results if r.error is not None), 0)
