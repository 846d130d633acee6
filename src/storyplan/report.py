"""How changes and results read to a person (rich tables) and to a script (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from storyplan.execute import Report
from storyplan.ports import (
    AddLink,
    AttachChild,
    Change,
    CloseChild,
    CloseDuplicate,
    CloseStory,
    CreateChild,
    DeletePlan,
    LabelStory,
    MarkObsolete,
    RemoveLink,
    UpdateChild,
    UpsertPlan,
)
from storyplan.sync import OUTCOMES, SyncResult

OBSOLETE = "its task was removed from the story's plan"


def describe(change: Change) -> tuple[str, str, str]:
    """(action, target, detail) for one change."""
    if isinstance(change, CreateChild):
        return "create", change.task_id, change.title
    if isinstance(change, AttachChild):
        return "attach", change.task_id, f"existing issue {change.key}"
    if isinstance(change, UpdateChild):
        return "update", f"{change.task_id} ({change.key})", "changed: " + ", ".join(change.fields)
    if isinstance(change, AddLink):
        return (
            "link",
            f"{change.blocker_task} → {change.blocked_task}",
            (f"{change.blocked_task} is blocked by {change.blocker_task}"),
        )
    if isinstance(change, RemoveLink):
        return (
            "unlink",
            f"{change.blocker_task} → {change.blocked_task}",
            (f"{change.blocked_task} no longer waits for {change.blocker_task}"),
        )
    if isinstance(change, MarkObsolete):
        return "obsolete", f"{change.task_id} ({change.key})", OBSOLETE
    if isinstance(change, CloseChild):
        return "close", f"{change.task_id} ({change.key})", "closed as not planned"
    if isinstance(change, CloseDuplicate):
        return "close", f"{change.task_id} ({change.key})", f"duplicate of {change.kept}"
    if isinstance(change, DeletePlan):
        return "delete", f"plan ({change.key})", "a second plan comment"
    if isinstance(change, UpsertPlan):
        return ("update" if change.key else "create"), "plan", f"{len(change.body):,} characters"
    if isinstance(change, CloseStory):
        return "close", "story", "every task is done"
    if isinstance(change, LabelStory):
        return "label", "story", change.label
    raise AssertionError(change)


def changes_table(story: str, changes: Sequence[Change]) -> Table:
    table = Table(title=f"{story}: {len(changes)} change(s) to make", title_justify="left")
    for column in ("action", "target", "detail"):
        table.add_column(column)
    for change in changes:
        table.add_row(*describe(change))
    return table


def changes_json(story: str, changes: Sequence[Change]) -> str:
    rows: list[dict[str, Any]] = []
    for change in changes:
        row = change.model_dump(mode="json")
        if isinstance(change, UpsertPlan | CreateChild | UpdateChild):
            row["body_chars"] = len(row.pop("body"))
        rows.append(row)
    return json.dumps({"story": story, "up_to_date": not changes, "changes": rows}, indent=2)


def report_dict(report: Report) -> dict[str, Any]:
    counts = report.counts()
    return {
        "story": report.story,
        "up_to_date": not report.changes,
        "created": counts["created"],
        "attached": counts["attached"],
        "updated": counts["updated"],
        "linked": counts["linked"],
        "unlinked": counts["unlinked"],
        "obsolete": counts["obsolete"],
        "closed": counts["closed"],
        "duplicates_closed": counts["duplicates closed"],
        "plans_deleted": counts["plans deleted"],
        "unchanged": report.unchanged,
        "plan": (report.plan.url or report.plan.key) if report.plan else None,
        "plan_written": counts["plan"] > 0,
        "children": {
            task_id: {"key": child.key, "url": child.url}
            for task_id, child in sorted(report.children.items())
        },
        "notes": list(report.notes),
    }


def print_report(console: Console, report: Report) -> None:
    data = report_dict(report)
    if data["up_to_date"]:
        console.print(f"{report.story}: up to date, nothing to change.")
        if data["plan"]:
            console.print(f"plan: {data['plan']}")
        for note in report.notes:
            console.print(f"note: {note}", markup=False)
        return
    names = (
        "created",
        "attached",
        "updated",
        "linked",
        "unlinked",
        "obsolete",
        "closed",
        "duplicates_closed",
        "plans_deleted",
    )
    table = Table(title=f"{report.story}: applied", title_justify="left")
    table.add_column("sub-issues and links")
    table.add_column("count", justify="right")
    for name in (*names, "unchanged"):
        if data[name]:
            table.add_row(name, str(data[name]))
    console.print(table)
    if data["plan"]:
        verb = "written" if data["plan_written"] else "unchanged"
        console.print(f"plan ({verb}): {data['plan']}")
    for note in report.notes:
        console.print(f"note: {note}", markup=False)


def sync_counts(results: Sequence[SyncResult]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts


def snake(word: str) -> str:
    return word.replace(" ", "_")


def sync_json(results: Sequence[SyncResult]) -> str:
    """`needs_apply`, `not_planned`: keys and outcomes in snake_case, as everywhere in JSON."""
    rows = [{**result.__dict__, "outcome": snake(result.outcome)} for result in results]
    counts = {snake(name): n for name, n in sync_counts(results).items()}
    return json.dumps({"checked": len(results), **counts, "stories": rows}, indent=2)


def print_sync(
    console: Console, results: Sequence[SyncResult], *, dry_run: bool, everything: bool
) -> None:
    """A row per story that needs a look (every story when one was named), then the counts;
    no table when every story is as it was."""
    verb = "would update" if dry_run else "updated"
    rows = [
        (result.story, verb if result.outcome == "updated" else result.outcome, result.detail)
        for result in results
        if result.outcome != "unchanged" or not everything
    ]
    if rows:
        table = Table(title=f"sync: {len(results)} story(ies) checked", title_justify="left")
        for column in ("story", "outcome", "detail"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    counts = sync_counts(results)
    words = [f"{n} {verb if name == 'updated' else name}" for name, n in counts.items() if n]
    console.print(", ".join(words) or "no planned story found")
