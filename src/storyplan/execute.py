"""Carrying out reconciled changes on a tracker, after the tracker's limits and capabilities
are checked.

Changes go to the tracker in two batches: first everything about the children (creates,
attaches, updates, obsolete marks), then what needs their keys (links, the story's label,
the plan comment rendered with the final keys). A run cut short leaves a state the next run
reads back and finishes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from storyplan.errors import Interrupted, PlanError, Problem, StoryplanError, TrackerError
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseChild,
    CloseDuplicate,
    CloseStory,
    CreateChild,
    LabelStory,
    Limits,
    MarkObsolete,
    PlanComment,
    RemoveLink,
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
    "close_duplicate": "duplicates closed",
    "delete_plan": "plans deleted",
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
    matched: int = 0  # tasks whose child existed before the run
    notes: list[str] = field(default_factory=list)  # fallbacks the tracker announced

    def counts(self) -> Counter[str]:
        return Counter(VERBS[change.kind] for change in self.changes)

    @property
    def unchanged(self) -> int:
        return self.matched - sum(isinstance(c, UpdateChild) for c in self.changes)


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


CHILD_CHANGES = (CreateChild, AttachChild, UpdateChild, MarkObsolete, CloseChild, CloseDuplicate)


def fit_capabilities(
    capabilities: Capabilities, tracker: str, changes: Sequence[Change]
) -> tuple[list[Change], list[str]]:
    """The changes this tracker can carry out, and one note for each kind it cannot: the
    one place the core consults capabilities, before anything is written."""
    kept: list[Change] = []
    notes: dict[str, None] = {}
    for change in changes:
        if isinstance(change, LabelStory) and not capabilities.labels:
            notes[f"the {tracker} tracker has no labels; the story is not labelled"] = None
        elif isinstance(change, CloseStory) and not capabilities.close_story:
            notes[f"the {tracker} tracker cannot close a story; it is left open"] = None
        elif isinstance(change, AddLink | RemoveLink) and not capabilities.dependencies:
            notes[
                f"the {tracker} tracker has no dependency links; dependencies are shown in "
                "the plan only"
            ] = None
        else:
            kept.append(change)
    return kept, list(notes)


def _resolved(
    changes: Sequence[Change],
    keys: dict[str, Child],
    state: TrackerState,
    desired: Desired,
) -> list[Change]:
    """Links get the keys of children made in the first batch; the plan its final text."""
    out: list[Change] = []
    for change in changes:
        if isinstance(change, AddLink) and (change.blocker is None or change.blocked is None):
            change = change.model_copy(
                update={
                    "blocker": keys[change.blocker_task].key,
                    "blocked": keys[change.blocked_task].key,
                }
            )
        if isinstance(change, UpsertPlan):
            body = plan_comment_body(state.plan, desired, keys, state.extra_plans)
            if state.plan is not None and state.plan.body == body:
                continue
            change = change.model_copy(update={"body": body})
        out.append(change)
    return out


def execute(
    tracker: Tracker,
    story: Story,
    desired: Desired,
    state: TrackerState,
    reconciled: Reconciled,
    on_step: Callable[[Change], None] = lambda change: None,
) -> Report:
    """Make the changes; `on_step` hears of each one as it is made (for progress)."""
    changes, notes = fit_capabilities(tracker.capabilities, tracker.name, reconciled.changes)
    report = Report(story=story.ref, plan=state.plan, notes=[*state.notes, *notes])
    keys: dict[str, Child] = dict(reconciled.matched)
    first = [c for c in changes if isinstance(c, CHILD_CHANGES)]
    later = [c for c in changes if not isinstance(c, CHILD_CHANGES)]
    total = len(changes)
    try:
        for applied in tracker.apply(story, first) if first else ():
            _record(report, keys, applied)
            on_step(applied.change)
        second = _resolved(later, keys, state, desired)
        total = len(first) + len(second)
        for applied in tracker.apply(story, second) if second else ():
            _record(report, keys, applied)
            on_step(applied.change)
    except KeyboardInterrupt:
        # The change under way may or may not have been made; the next apply reads back
        # which and finishes (see "Convergent" in the design).
        raise Interrupted(len(report.changes), total) from None
    except StoryplanError as err:
        # A change may be made of several requests: one whose answer was lost may have left
        # part of it written, which the next run finishes as surely as a counted change.
        if report.changes or (isinstance(err, TrackerError) and err.unknown_outcome):
            made = len(report.changes)
            err.args = (f"{err} ({made} of {total} changes were made; run apply again to finish)",)
        raise
    report.children = keys
    report.matched = sum(1 for want in desired.children if want.task_id in reconciled.matched)
    return report


def _record(report: Report, keys: dict[str, Child], applied: Applied) -> None:
    change = applied.change
    report.changes.append(change)
    if applied.child is not None and isinstance(change, CreateChild | AttachChild | UpdateChild):
        keys[change.task_id] = applied.child
    if applied.plan is not None:
        report.plan = applied.plan
    report.notes.extend(note for note in applied.notes if note not in report.notes)
