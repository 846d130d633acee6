"""`storyplan action`: the GitHub Action. Reads the workflow's event, decides what it asks
for (`action_event.decide`) and does it with the same `prepare`/`apply`/`sync` as the
command line; reports through step outputs, the job summary and annotations.

Safety: commands in comments act only for people with write access to the repository (the
API is asked, the payload's author_association is not trusted); no token is ever printed,
not even in an `::add-mask::` line (GitHub masks secrets passed as inputs itself, and a log
copied by a wrapper or `tee` would keep the line); event text is escaped wherever it is
shown (`action_output`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from storyplan.action_event import (
    COMMANDS,
    Apply,
    Command,
    Decision,
    Ignore,
    SyncAll,
    SyncParent,
    decide,
    read_event,
)
from storyplan.action_output import Level, Workflow, cell, table
from storyplan.action_reply import applied_reply, dry_run_reply, failure_reply, refusal, usage
from storyplan.config import Settings
from storyplan.decide import SyncStory
from storyplan.errors import CapabilityError, StoryplanError
from storyplan.execute import Report
from storyplan.model import Story
from storyplan.ports import Tracker
from storyplan.refs import Ref, parse_ref
from storyplan.report import describe
from storyplan.sync import SyncResult, sync_all, sync_story

WRITERS = frozenset({"admin", "write"})  # GitHub reports maintain as write, triage as read


@runtime_checkable
class ActionTracker(Tracker, Protocol):
    """What the Action needs from GitHub beyond the Tracker port (GithubTracker has it)."""

    def permission(self, project: str, login: str) -> str: ...

    def reply(self, ref: str, body: str) -> str | None: ...

    def parent_of(self, ref: str) -> Story | None: ...


@dataclass
class Outcome:
    """What one run did, for the outputs, the summary and the exit code."""

    did: str  # apply, plan, sync, sync-all, refused, ignored
    title: str
    story: str = ""
    plan_url: str = ""
    headers: tuple[str, ...] = ("action", "target", "detail")
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    text: str = ""  # Markdown under the table
    # apply's, by execute.VERBS; sync counts the plans it updated under "updated"
    counts: dict[str, int] = field(default_factory=dict)
    annotations: list[tuple[Level, str]] = field(default_factory=list)
    exit_code: int = 0

    @property
    def created(self) -> int:
        return self.counts.get("created", 0)

    @property
    def updated(self) -> int:
        return self.counts.get("updated", 0)

    def outputs(self) -> dict[str, str]:
        return {
            "action": self.did,
            "story": self.story,
            "plan-comment-url": self.plan_url,
            "created": str(self.created),
            "updated": str(self.updated),
        }

    def summary(self) -> str:
        parts = [f"### storyplan · {cell(self.title)}"]
        if self.rows:
            parts.append(table(self.headers, self.rows))
        if self.text:
            parts.append(self.text)
        return "\n\n".join(parts)


class Runner:
    """Carries out one decision against the repository's GitHub."""

    def __init__(
        self, settings: Settings, api_url: str | None, tracker_for: Callable[[Ref], Tracker]
    ) -> None:
        self.settings = settings
        self.api_url = api_url
        self.tracker_for = tracker_for

    def github(self, ref: Ref) -> tuple[Tracker, ActionTracker]:
        tracker = self.tracker_for(ref)
        if not isinstance(tracker, ActionTracker):
            raise CapabilityError(f"the {tracker.name} tracker cannot serve the GitHub Action")
        return tracker, tracker

    def run(self, decision: Decision) -> Outcome:
        if isinstance(decision, Apply):
            return self.apply_label(decision)
        if isinstance(decision, SyncParent):
            return self.sync_parent(decision)
        if isinstance(decision, Command):
            return self.command(decision)
        if isinstance(decision, SyncAll):
            return self.sync_everything(decision.project)
        if isinstance(decision, SyncStory):
            story = parse_ref(decision.story, "github")
            result = sync_story(self.tracker_for(story), story, self.settings, dry_run=False)
            return _sync_outcome(f"sync {story.key}", [result], "sync")
        return Outcome(
            "ignored",
            "nothing to do",
            text=cell(decision.reason),
            annotations=[("notice", decision.reason)],
        )

    # -- issues.labeled --------------------------------------------------------------------
    def apply_label(self, decision: Apply) -> Outcome:
        ref = parse_ref(decision.story, "github")
        tracker, github = self.github(ref)
        # Labelling needs only triage; planning writes, so it needs what a command needs.
        # An app's bot could add the label only with issues: write, which is enough.
        if not decision.sender_is_bot:
            role = github.permission(ref.project, decision.sender)
            if role not in WRITERS:
                return Outcome(
                    "refused",
                    f"not planned: {ref.key}",
                    story=ref.key,
                    text=f"{cell(decision.sender)} labelled it but has {role} access; "
                    "planning needs write access.",
                    annotations=[
                        (
                            "warning",
                            f"{ref.key} was labelled by {decision.sender}, who has {role} "
                            "access; storyplan plans only for people with write access",
                        )
                    ],
                )
        return self._applied(tracker, ref)

    def _applied(self, tracker: Tracker, ref: Ref) -> Outcome:
        from storyplan.service import apply, prepare

        prepared = prepare(tracker, ref, self.settings, prune=self.settings.prune)
        report = apply(prepared)
        return _report_outcome(report)

    # -- issues.closed / issues.reopened ---------------------------------------------------
    def sync_parent(self, decision: SyncParent) -> Outcome:
        issue = parse_ref(decision.issue, "github")
        tracker, github = self.github(issue)
        parent = github.parent_of(issue.key)
        if parent is None:
            return Outcome("ignored", "nothing to do", text=f"{issue.key} is no sub-issue.")
        if decision.story is not None and parent.ref.casefold() != decision.story.casefold():
            return Outcome(
                "ignored",
                "nothing to do",
                text=cell(
                    f"{issue.key} names story {decision.story} but is a sub-issue of "
                    f"{parent.ref}; neither is synced."
                ),
            )
        if decision.story is None and self.settings.labels.story not in parent.labels:
            return Outcome(
                "ignored",
                "nothing to do",
                text=cell(f"{issue.key}'s parent {parent.ref} is not planned by storyplan."),
            )
        story = parse_ref(parent.ref, "github")
        result = sync_story(tracker, story, self.settings, dry_run=False)
        return _sync_outcome(f"sync {story.key}", [result], "sync")

    # -- issue_comment.created -------------------------------------------------------------
    def command(self, decision: Command) -> Outcome:
        ref = parse_ref(decision.story, "github")
        tracker, github = self.github(ref)
        role = github.permission(ref.project, decision.login)
        if role not in WRITERS:
            if self.settings.action.reply_to_refused:
                github.reply(ref.key, refusal(decision.login))
            return Outcome(
                "refused",
                f"refused /storyplan from {decision.login}",
                story=ref.key,
                text=cell(f"{decision.login} has {role} access; commands need write access."),
            )
        if not decision.known:
            github.reply(ref.key, usage(decision.word))
            return Outcome("ignored", f"unknown command on {ref.key}", story=ref.key)
        try:
            if decision.word == "plan":
                return self._dry_run(tracker, github, ref)
            outcome = self._applied(tracker, ref)
            github.reply(ref.key, applied_reply(outcome.story, outcome.counts, outcome.plan_url))
            return outcome
        except StoryplanError as error:
            # The person who asked is looking at the issue, not at the workflow run.
            github.reply(ref.key, failure_reply(decision.word or "", error))
            raise

    def _dry_run(self, tracker: Tracker, github: ActionTracker, ref: Ref) -> Outcome:
        from storyplan.service import prepare

        prepared = prepare(tracker, ref, self.settings, prune=self.settings.prune)
        changes = prepared.reconciled.changes
        rows = [describe(change) for change in changes]
        github.reply(ref.key, dry_run_reply(ref.key, changes))
        plan_url = prepared.state.plan.url if prepared.state.plan else None
        return Outcome(
            "plan",
            f"dry run for {ref.key}",
            story=ref.key,
            plan_url=plan_url or "",
            rows=rows,
            text="" if rows else "Up to date, nothing to change.",
        )

    # -- schedule / workflow_dispatch ------------------------------------------------------
    def sync_everything(self, project: str) -> Outcome:
        _, github = self.github(Ref("github", project, ""))
        keys = github.find_planned(project, self.settings.labels.story)
        refs = [parse_ref(key, "github") for key in keys]
        results = sync_all(refs, self.tracker_for, self.settings, dry_run=False)
        return _sync_outcome(f"sync {project}: {len(results)} planned story(ies)", results)


def _report_outcome(report: Report) -> Outcome:
    counts = report.counts()
    plan_url = (report.plan.url or "") if report.plan else ""
    return Outcome(
        "apply",
        f"apply {report.story}",
        story=report.story,
        plan_url=plan_url,
        rows=[describe(change) for change in report.changes],
        text="" if report.changes else "Up to date, nothing to change.",
        counts=dict(counts),
        annotations=[("notice", note) for note in report.notes],
    )


def _sync_outcome(title: str, results: list[SyncResult], did: str = "sync-all") -> Outcome:
    outcome = Outcome(did, title, headers=("story", "outcome", "detail"))
    if len(results) == 1:
        outcome.story = results[0].story
        outcome.plan_url = results[0].plan_url or ""
    for result in results:
        if result.outcome == "updated":
            outcome.counts["updated"] = outcome.updated + 1
        if result.outcome != "unchanged" or did == "sync":
            outcome.rows.append((result.story, result.outcome, result.detail))
        if result.outcome == "failed":
            outcome.annotations.append(("error", f"{result.story}: {result.detail}"))
            outcome.exit_code = 1
        elif result.outcome == "needs apply":
            outcome.annotations.append(("warning", f"{result.story}: {result.detail}"))
    if not outcome.rows:
        outcome.text = "Every plan is up to date." if results else "No planned story found."
    return outcome


# -- the run -------------------------------------------------------------------------------


def run_action(
    env: Mapping[str, str] | None = None,
    load_settings: Callable[[], Settings] = Settings,
    tracker_for: Callable[[Ref, str | None], Tracker] | None = None,
    workflow: Workflow | None = None,
) -> int:
    """Do what the workflow's event asks; the exit code. StoryplanError goes up to the CLI
    after it is annotated, so the CLI stays the one place that turns errors into exits."""
    env = os.environ if env is None else env
    workflow = workflow or Workflow(env)
    try:
        settings = load_settings()
        event = read_event(env)
        decision = decide(event, settings.action.trigger_label)
        if not isinstance(decision, Ignore):
            workflow.log(f"{event.name}.{event.action or '-'}: {_what(decision)}")
        make = tracker_for or _make_tracker(settings)
        runner = Runner(settings, event.api_url, lambda ref: make(ref, event.api_url))
        outcome = runner.run(decision)
    except StoryplanError as error:
        workflow.annotate("error", str(error))
        workflow.set_outputs(Outcome("failed", "failed").outputs())
        workflow.summary(f"### storyplan · failed\n\n{cell(str(error))}")
        raise
    for level, message in outcome.annotations:
        workflow.annotate(level, message)
    workflow.set_outputs(outcome.outputs())
    workflow.summary(outcome.summary())
    if outcome.did in ("apply", "sync", "sync-all"):
        workflow.log(f"{outcome.title}: {outcome.created} created, {outcome.updated} updated")
    elif outcome.did != "ignored":
        workflow.log(outcome.title)
    return outcome.exit_code


def _what(decision: Decision) -> str:
    if isinstance(decision, Apply):
        return f"apply {decision.story}"
    if isinstance(decision, SyncParent):
        return f"sync the story of sub-issue {decision.issue}"
    if isinstance(decision, Command):
        word = decision.word if decision.word in COMMANDS else "?"
        return f"/storyplan {word} on {decision.story} by {decision.login}"
    if isinstance(decision, SyncAll):
        return f"sync every planned story in {decision.project}"
    if isinstance(decision, SyncStory):
        return f"sync {decision.story}"
    assert isinstance(decision, Ignore)
    return f"nothing to do: {decision.reason}"


def _make_tracker(settings: Settings) -> Callable[[Ref, str | None], Tracker]:
    from storyplan.compose import make_tracker

    def make(ref: Ref, api_url: str | None) -> Tracker:
        return make_tracker(settings, ref, base_url=api_url)

    return make
