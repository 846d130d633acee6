"""What storyplan answers on the issue when someone comments a `/storyplan` command.

Replies are plain comments, never the plan comment: they carry no storyplan marker, and the
text they quote from the story sits escaped in table cells, so it cannot forge one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from storyplan.action_output import cell, table
from storyplan.errors import StoryplanError
from storyplan.ports import Change
from storyplan.redact import redact
from storyplan.report import describe

MAX_REPLY_ROWS = 150  # keeps a dry-run reply well under GitHub's 65,536-character comment


def refusal(login: str) -> str:
    """The one polite answer to someone without write access; it promises nothing."""
    return (
        f"Thanks, @{cell(login)}! storyplan commands can only be run by people with write access "
        "to this repository, so nothing was changed. A maintainer can comment "
        "`/storyplan plan` or `/storyplan apply` instead."
    )


def usage(word: str | None) -> str:
    said = f"`/storyplan {cell(word)}` is not a command I know. " if word else ""
    return (
        f"{said}storyplan understands `/storyplan plan` (show what apply would change) and "
        "`/storyplan apply` (write the plan, sub-issues and links)."
    )


def dry_run_reply(story: str, changes: Sequence[Change]) -> str:
    if not changes:
        return f"**storyplan dry run** for {story}: up to date, nothing to change."
    rows = [describe(change) for change in changes]
    shown = table(("action", "target", "detail"), rows[:MAX_REPLY_ROWS])
    more = len(rows) - MAX_REPLY_ROWS
    tail = f"\n\n… and {more} more." if more > 0 else ""
    return (
        f"**storyplan dry run** for {story}: {len(changes)} change(s) apply would make. "
        f"Nothing was written.\n\n{shown}{tail}\n\nComment `/storyplan apply` to make them."
    )


PHRASES = {
    "created": "{n} sub-issue(s) created",
    "attached": "{n} existing issue(s) attached",
    "updated": "{n} sub-issue(s) updated",
    "linked": "{n} dependency link(s) added",
    "unlinked": "{n} dependency link(s) removed",
    "obsolete": "{n} sub-issue(s) marked obsolete",
    "closed": "{n} sub-issue(s) closed",
    "plan": "plan comment written",
    "labelled": "story labelled",
    "story closed": "story closed",
}


def applied_reply(story: str, counts: Mapping[str, int], plan_url: str) -> str:
    """The short answer to `/storyplan apply`: what was done, and where the plan is."""
    done = ", ".join(
        PHRASES.get(verb, "{n} " + verb).format(n=n) for verb, n in counts.items() if n
    )
    if not done:
        return f"**storyplan** {story}: up to date, nothing to change."
    plan = f" The plan: {plan_url}" if plan_url else ""
    return f"**storyplan** applied the plan of {story} ({done}).{plan}"


def failure_reply(word: str, error: StoryplanError) -> str:
    return f"**storyplan** could not {word} this story: {cell(redact(str(error)))}"
