"""Carrying out reconciled changes on a tracker, after the tracker's limits are checked.

Changes are applied one at a time, in order, so a run cut short leaves a state the next
run reads back and finishes. The plan comment goes last, rendered with the final keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from storyplan.errors import Interrupted, PlanError, Problem, StoryplanError
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    AttachChild,
    Change,
    Child,
    CreateChild,
    Limits,
    PlanComment,
    Tracker,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.reconcile import Desired, Reconciled, plan_comment_body

VERBS = {
    "create_child": "created",
    "attach_child": "attached",
    "update_child": "updated",
    "add_link": "linked",
    "remove_link": "unlinked",
    "mark_obsolete": "obsolete",
    "close_child": "closed",
    "upsert_plan": "plan",
    "label_story": "labelled",
    "close_story": "story closed",
}


@dataclass
class Report:
    """What apply did, for the table and `--json`."""

    story: str
    changes: list[Change] = field(default_factory=list)
    children: dict[str, Child] = field(default_factory=dict)
    plan: PlanComment | None = None
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)  # fallbacks the tracker announced

    def counts(self) -> Counter[str]:
        return Counter(VERBS[change.kind] for change in self.changes)


def placeholder_keys(desired: Desired, matched: dict[str, Child]) -> dict[str, Child]:
    """Keys as long as real ones are likely to be, to measure a plan before children exist."""
    keys = dict(matched)
    for want in desired.children:
        if want.task_id not in keys:
            key = want.existing or "placeholder/placeholder#00000"
            keys[want.task_id] = Child(key=key, task_id=want.task_id, title=want.title, url=None)
    return keys


def check_limits(
    limits: Limits, state: TrackerState, desired: Desired, reconciled: Reconciled, story: Story
) -> None:
    """Refuse before the first write what the tracker would refuse half-way."""
    problems = []
    if limits.max_children is not None:
        adding = sum(isinstance(c, CreateChild | AttachChild) for c in reconciled.changes)
        total = len(state.children) + adding
        if total > limits.max_children:
            problems.append(
                f"{story.ref} would have {total} sub-issues but the tracker allows "
                f"{limits.max_children} per story (closed ones count)"
            )
    if limits.max_comment_chars is not None:
        body = plan_comment_body(state.plan, desired, placeholder_keys(desired, reconciled.matched))
        if len(body) > limits.max_comment_chars:
            problems.append(
                f"the plan for {story.ref} is {len(body):,} characters, over the tracker's "
                f"comment limit of {limits.max_comment_chars:,}"
            )
    if problems:
        raise PlanError([Problem(problem) for problem in problems])


def execute(
    tracker: Tracker,
    story: Story,
    desired: Desired,
    state: TrackerState,
    reconciled: Reconciled,
    on_step: Callable[[Change], None] = lambda change: None,
) -> Report:
    """Make the changes in order; `on_step` hears of each one before it is made."""
    report = Report(story=story.ref, plan=state.plan)
    keys: dict[str, Child] = dict(reconciled.matched)
    total = len(reconciled.changes)
    for done, change in enumerate(reconciled.changes):
        if isinstance(change, AddLink) and (change.blocker is None or change.blocked is None):
            change = change.model_copy(
                update={
                    "blocker": keys[change.blocker_task].key,
                    "blocked": keys[change.blocked_task].key,
                }
            )
        if isinstance(change, UpsertPlan):
            body = plan_comment_body(state.plan, desired, keys)
            if state.plan is not None and state.plan.body == body:
                continue
            change = change.model_copy(update={"body": body})
        try:
            on_step(change)
            applied = tracker.apply(story, change)
        except StoryplanError as err:
            if done:
                err.args = (
                    f"{err} ({done} of {total} changes were made; run apply again to finish)",
                )
            raise
        except KeyboardInterrupt:
            # The change under way may or may not have been made; the next apply reads back
            # which and finishes (see "Convergent" in the design).
            raise Interrupted(done, total) from None
        report.changes.append(change)
        if applied.child is not None and isinstance(
            change, CreateChild | AttachChild | UpdateChild
        ):
            keys[change.task_id] = applied.child
        if applied.plan is not None:
            report.plan = applied.plan
        report.notes.extend(note for note in applied.notes if note not in report.notes)
    report.children = keys
    report.unchanged = sum(
        1 for want in desired.children if want.task_id in reconciled.matched
    ) - sum(isinstance(c, UpdateChild) for c in report.changes)
    return report
