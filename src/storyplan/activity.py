"""Long work shown on stderr, never on stdout where `--json` and tables go: a rich progress
bar when stderr is a terminal, plain lines (`creating sub-issues 3/20`) otherwise, and
nothing at all under `--quiet`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from storyplan.ports import Change
from storyplan.terminal import markup_literal

DOING = {
    "create_child": "creating sub-issues",
    "attach_child": "attaching existing issues",
    "update_child": "updating sub-issues",
    "add_link": "linking sub-issues",
    "remove_link": "unlinking sub-issues",
    "mark_obsolete": "marking sub-issues obsolete",
    "close_child": "closing sub-issues",
    "close_duplicate": "closing duplicate sub-issues",
    "upsert_plan": "writing the plan",
    "delete_plan": "deleting extra plan comments",
    "label_story": "labelling the story",
    "close_story": "closing the story",
}

Step = Callable[[str], None]


@contextmanager
def steps(console: Console, total: int, *, quiet: bool) -> Iterator[Step]:
    """A function to call once per step with what it does; the bar (or line) follows it."""
    if quiet or total == 0:
        yield lambda what: None
        return
    if not console.is_terminal:
        yield console.print
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(what: str) -> None:
            bar.update(task, description=markup_literal(what), advance=1)

        yield advance


def change_steps(step: Step, changes: Sequence[Change]) -> Callable[[Change], None]:
    """`creating sub-issues 3/20`: each change counted within its own kind."""
    totals = Counter(change.kind for change in changes)
    seen: Counter[str] = Counter()

    def on_change(change: Change) -> None:
        seen[change.kind] += 1
        step(f"{DOING[change.kind]} {seen[change.kind]}/{totals[change.kind]}")

    return on_change
