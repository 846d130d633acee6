"""Progress sync: bring a planned story's plan comment in step with its sub-issues.

sync never creates or relinks sub-issues; when the story's plan changed since the last
apply it says so and leaves the story for apply. It writes at most the one plan comment.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from storyplan import markers
from storyplan.config import Settings
from storyplan.drift import describe_drift
from storyplan.errors import PlanError, StoryplanError
from storyplan.execute import execute, fit_capabilities
from storyplan.ports import Change, CloseStory, LabelStory, Tracker, UpsertPlan
from storyplan.progress import FINISHED
from storyplan.reconcile import Reconciled
from storyplan.redact import redact
from storyplan.refs import Ref
from storyplan.service import Prepared, prepare, recorded_shape

Outcome = Literal["updated", "unchanged", "needs apply", "not planned", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("updated", "unchanged", "needs apply", "not planned", "failed")


NEEDS_APPLY: tuple[Outcome, ...] = ("needs apply", "not planned")


def plan_noun(tracker: Tracker) -> str:
    """What the tracker keeps the plan in: "plan comment", or the files tracker's "plan file"."""
    return str(getattr(tracker, "plan_noun", "plan comment"))


@dataclass(frozen=True)
class SyncResult:
    story: str
    outcome: Outcome
    detail: str = ""
    plan_url: str | None = None


def sync_story(tracker: Tracker, ref: Ref, settings: Settings, *, dry_run: bool) -> SyncResult:
    """Sync one story; raises the tracker's errors (sync_all reports and goes on)."""
    prepared = prepare(tracker, ref, settings, trust_shape=True)
    state = prepared.state
    noun = plan_noun(tracker)
    if state.plan is None:
        return SyncResult(ref.key, "not planned", f"no {noun} yet; run apply")
    if markers.managed(state.plan.body, tracker.markup) is None:
        raise PlanError(
            f"the {noun} of {ref.key} has lost storyplan's begin/end markers; "
            f"restore them or delete the {noun.split()[-1]} and run apply"
        )
    changes = prepared.reconciled.changes
    structural = [c for c in changes if not isinstance(c, UpsertPlan | LabelStory)]
    if structural:
        recorded = recorded_shape(state.plan, tracker.markup)
        read = recorded in (None, prepared.desired.shape)  # else links were not read
        drift = describe_drift(prepared.plan, state.plan, structural, links_read=read)
        detail = f"{drift}; run apply"
        return SyncResult(ref.key, "needs apply", detail, state.plan.url)
    upserts: list[Change] = [c for c in changes if isinstance(c, UpsertPlan)]
    upserts.extend(_when_done(prepared, settings))
    upserts, notes = fit_capabilities(tracker.capabilities, tracker.name, upserts)
    if not upserts:
        return SyncResult(ref.key, "unchanged", "; ".join(notes), state.plan.url)
    if dry_run:
        return SyncResult(ref.key, "updated", f"would update the {noun}", state.plan.url)
    only_plan = Reconciled(changes=upserts, matched=prepared.reconciled.matched)
    report = execute(tracker, prepared.story, prepared.desired, state, only_plan)
    url = report.plan.url if report.plan else state.plan.url
    return SyncResult(ref.key, "updated", f"{noun} updated", url)


def _when_done(prepared: Prepared, settings: Settings) -> list[Change]:
    """The story's own label or closing, when config asks for it and every task is done."""
    mode = settings.sync.when_done
    children = prepared.reconciled.matched
    tasks = prepared.plan.tasks
    if mode == "nothing" or not tasks or any(t.id not in children for t in tasks):
        return []
    if not all(children[t.id].status in FINISHED for t in tasks):
        return []
    if mode == "label" and settings.sync.done_label not in prepared.story.labels:
        return [LabelStory(label=settings.sync.done_label)]
    if mode == "close" and prepared.story.state == "open":
        return [CloseStory()]
    return []


def sync_all(
    refs: Iterable[Ref],
    tracker_for: Callable[[Ref], Tracker],
    settings: Settings,
    *,
    dry_run: bool,
    on_result: Callable[[SyncResult], None] = lambda result: None,
) -> list[SyncResult]:
    """Sync every story; one that fails is reported and skipped, the others still sync.

    A tracker that reads many stories at once (`prefetch`, GitHub's GraphQL aliases) is
    given them all first; each story then syncs from what was read."""
    refs = list(refs)
    _prefetch(refs, tracker_for)
    results = []
    for ref in refs:
        try:
            result = sync_story(tracker_for(ref), ref, settings, dry_run=dry_run)
        except StoryplanError as error:
            result = SyncResult(ref.key, "failed", redact(str(error)))
        results.append(result)
        on_result(result)
    return results


def _prefetch(refs: list[Ref], tracker_for: Callable[[Ref], Tracker]) -> None:
    groups: dict[int, tuple[Tracker, list[str]]] = {}
    for ref in refs:
        try:
            tracker = tracker_for(ref)
        except StoryplanError:
            continue  # the story reports it when it syncs
        if hasattr(tracker, "prefetch"):
            groups.setdefault(id(tracker), (tracker, []))[1].append(ref.key)
    for tracker, keys in groups.values():
        # On failure each story reads itself, and reports what it meets.
        with contextlib.suppress(StoryplanError):
            tracker.prefetch(keys)  # type: ignore[attr-defined]
