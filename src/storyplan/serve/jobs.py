"""What a worker does with one decision: the one seam between the queue and storyplan's
apply and sync (the same `Runner` the GitHub Action uses, and `service`/`sync` for the other
trackers). Raises storyplan's errors; the queue decides whether to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from storyplan.action import Outcome, Runner
from storyplan.compose import make_tracker
from storyplan.config import Settings
from storyplan.decide import Apply, Decision, SyncAll, SyncParent, SyncStory
from storyplan.errors import CapabilityError
from storyplan.ports import Tracker
from storyplan.refs import Ref, parse_ref
from storyplan.serve.keys import job_keys
from storyplan.sync import sync_story

SettingsFor = Callable[[Ref], Settings]  # a GitHub App's installation token goes in here


@dataclass
class Done:
    """What a job did (one line for the log) and the jobs it leaves for the queue."""

    summary: str
    then: list[Decision] = field(default_factory=list)


def carry_out(tracker: str, decision: Decision, settings_for: SettingsFor) -> Done:
    def tracker_for(ref: Ref) -> Tracker:
        return make_tracker(settings_for(ref), ref)

    if tracker == "github":
        return _github(decision, settings_for, tracker_for)
    if isinstance(decision, Apply):
        from storyplan.service import apply, prepare

        ref = parse_ref(decision.story, tracker)  # type: ignore[arg-type]
        settings = settings_for(ref)
        report = apply(prepare(tracker_for(ref), ref, settings, prune=settings.prune))
        counts = report.counts()
        return Done(
            f"apply {report.story}: {counts['created']} created, {counts['updated']} updated"
        )
    if isinstance(decision, SyncStory):
        ref = parse_ref(decision.story, tracker)  # type: ignore[arg-type]
        result = sync_story(tracker_for(ref), ref, settings_for(ref), dry_run=False)
        return Done(f"sync {result.story}: {result.outcome}")
    raise CapabilityError(f"the {tracker} tracker does not take {type(decision).__name__} jobs")


def _github(
    decision: Decision, settings_for: SettingsFor, tracker_for: Callable[[Ref], Tracker]
) -> Done:
    if isinstance(decision, SyncParent) and decision.story is None:
        # Find the parent here; its sync is queued under the story's own lock.
        issue = parse_ref(decision.issue, "github")
        settings = settings_for(issue)
        _, github = Runner(settings, None, tracker_for).github(issue)
        parent = github.parent_of(issue.key)
        if parent is None or settings.labels.story not in parent.labels:
            return Done(f"{issue.key} is no sub-issue of a planned story")
        return Done(f"{issue.key} belongs to {parent.ref}", [SyncStory(parent.ref)])
    where = job_keys("github", decision).story  # the story, issue or repository
    ref = Ref("github", where, "") if isinstance(decision, SyncAll) else parse_ref(where, "github")
    outcome: Outcome = Runner(settings_for(ref), None, tracker_for).run(decision)
    return Done(f"{outcome.title}: {outcome.created} created, {outcome.updated} updated")
