"""The one path from a story reference to reconciled changes, shared by `plan`, `apply`,
the Action and scheduled runs: fetch, parse, check the graph, read state, reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from storyplan.config import Settings
from storyplan.defaults import complete_plan
from storyplan.desire import DEFAULT_TITLE, desire
from storyplan.errors import ConfigError
from storyplan.execute import Report, check_limits, execute, placeholder_keys
from storyplan.graph import validate_graph
from storyplan.model import Markup, Plan, Story, Task
from storyplan.parse.story import parse_story
from storyplan.ports import Child, Tracker, TrackerState
from storyplan.progress import with_progress
from storyplan.reconcile import Desired, Reconciled, plan_comment_body, reconcile
from storyplan.refs import Ref, parse_ref
from storyplan.render import ChildLink, Renderer


def build_plan(story: Story, settings: Settings, today: date | None = None) -> Plan:
    """Story text to a complete, checked plan; raises PlanError with every problem."""
    plan = parse_story(story, synonyms=settings.synonyms, today=today)
    plan = complete_plan(plan)
    validate_graph(plan)
    return plan


class TrackerRenderer:
    """Renders plan and task text in a tracker's markup, from storyplan models only."""

    def __init__(self, markup: Markup, settings: Settings) -> None:
        self.renderer = Renderer(markup, settings.templates)
        self.markup = markup

    def plan_text(self, plan: Plan, children: Mapping[str, Child], *, compact: bool) -> str:
        links = {task_id: ChildLink(key=c.key, url=c.url) for task_id, c in children.items()}
        return self.renderer.plan(
            with_progress(plan, children, self.markup), links, compact=compact
        )

    def task_text(self, plan: Plan, task: Task) -> str:
        return self.renderer.task(plan, task)


@dataclass
class Prepared:
    tracker: Tracker
    ref: Ref
    story: Story
    plan: Plan
    state: TrackerState
    desired: Desired
    reconciled: Reconciled
    compact: bool = False


def _desire(
    plan: Plan, ref: Ref, tracker: Tracker, settings: Settings, prune: bool, compact: bool
) -> Desired:
    caps = tracker.capabilities
    return desire(
        plan,
        ref,
        TrackerRenderer(tracker.markup, settings),
        markup=tracker.markup,
        title_format=settings.title_format or tracker.title_format or DEFAULT_TITLE,
        task_labels=tuple(settings.labels.task) if caps.labels else (),
        story_label=settings.labels.story if caps.labels else None,
        attach_existing=caps.attach_existing,
        prune=prune,
        compact=compact,
    )


def canonical_ref(ref: Ref, story: Story) -> Ref:
    """The story as its tracker names it: the same markers whichever form the ref took (a
    GitLab path in another letter case, a URL under a relative URL root)."""
    if ref.tracker == "files" or story.ref == ref.key:
        return ref
    try:
        named = parse_ref(story.ref, ref.tracker)
    except ConfigError:
        return ref
    return replace(named, base_url=ref.base_url) if named.tracker == ref.tracker else ref


def prepare(
    tracker: Tracker,
    ref: Ref,
    settings: Settings,
    *,
    prune: bool = False,
    today: date | None = None,
) -> Prepared:
    story = tracker.fetch_story(ref.key)
    ref = canonical_ref(ref, story)
    plan = build_plan(story, settings, today)
    state = tracker.read_state(story)
    desired = _desire(plan, ref, tracker, settings, prune, compact=False)
    reconciled = reconcile(desired, state)
    compact = False
    limit = tracker.limits.max_comment_chars
    if limit is not None:
        keys = placeholder_keys(desired, reconciled.matched)
        if len(plan_comment_body(state.plan, desired, keys)) > limit:
            # Task detail lives in the sub-issues; the comment keeps every section.
            compact = True
            desired = _desire(plan, ref, tracker, settings, prune, compact=True)
            reconciled = reconcile(desired, state)
    check_limits(tracker.limits, state, desired, reconciled, story)
    return Prepared(tracker, ref, story, plan, state, desired, reconciled, compact)


def apply(prepared: Prepared) -> Report:
    return execute(
        prepared.tracker, prepared.story, prepared.desired, prepared.state, prepared.reconciled
    )
