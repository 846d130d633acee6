"""The one path from a story reference to reconciled changes, shared by `plan`, `apply`,
the Action and scheduled runs: fetch, parse, check the graph, read state, reconcile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from storyplan import markers
from storyplan.config import Settings
from storyplan.defaults import complete_plan
from storyplan.desire import DEFAULT_TITLE, desire
from storyplan.errors import ConfigError, PlanError, Problem
from storyplan.execute import Report, check_limits, execute, placeholder_keys
from storyplan.graph import validate_graph
from storyplan.identity import settle_ids
from storyplan.model import Markup, Plan, Story, Task
from storyplan.parse.stories import select_story
from storyplan.parse.story import empty_message, parse_story
from storyplan.planrecord import PlanRecords, make_record, recall_plan, story_digest
from storyplan.ports import Change, Child, Link, PlanComment, Tracker, TrackerState
from storyplan.progress import FINISHED, with_progress
from storyplan.reconcile import Desired, Reconciled, match_children, plan_comment_body, reconcile
from storyplan.refs import Ref, parse_ref
from storyplan.render import ChildLink, Renderer


def today_or_epoch() -> date:
    """Today, or the day SOURCE_DATE_EPOCH names (reproducible runs and tests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return date.today()


def build_plan(story: Story, settings: Settings, today: date | None = None) -> Plan:
    """Story text to a complete, checked plan; raises PlanError with every problem, and when
    the story has no task unless `settings.allow_empty`."""
    return complete_plan(parse_plan(story, settings, today))


def parse_plan(story: Story, settings: Settings, today: date | None = None) -> Plan:
    """Story text to a checked plan, before the checklists the template always shows are
    filled in (they name tasks by number, which the tracker's state may still settle)."""
    plan = parse_story(story, synonyms=settings.synonyms, today=today or today_or_epoch())
    refuse_empty(plan, settings)
    validate_graph(plan)
    return plan


def refuse_empty(plan: Plan, settings: Settings) -> None:
    """A plan with no task would post an empty plan and create nothing: an error, unless the
    user asked for it."""
    if not plan.tasks and not settings.allow_empty:
        source = plan.story.source or plan.story.ref
        raise PlanError([Problem(empty_message(plan), 0, source)])


class TrackerRenderer:
    """Renders plan and task text in a tracker's markup, from storyplan models only. Each
    text is rendered once a run: the same children give the same plan, a task its body."""

    def __init__(self, markup: Markup, settings: Settings) -> None:
        self.renderer = Renderer(markup, settings.templates)
        self.markup = markup
        self._plans: dict[tuple[object, ...], str] = {}
        self._tasks: dict[str, str] = {}

    def plan_text(self, plan: Plan, children: Mapping[str, Child], *, compact: bool) -> str:
        key = (id(plan), compact, tuple(sorted(children.items())))
        if key not in self._plans:
            links = {task_id: ChildLink(key=c.key, url=c.url) for task_id, c in children.items()}
            self._plans[key] = self.renderer.plan(
                with_progress(plan, children, self.markup), links, compact=compact
            )
        return self._plans[key]

    def task_text(self, plan: Plan, task: Task) -> str:
        if task.id not in self._tasks:
            self._tasks[task.id] = self.renderer.task(plan, task)
        return self._tasks[task.id]


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
    notes: list[str] = field(default_factory=list)
    digest: str = ""  # of what parsing read from the story (`storyplan.planrecord`)


def _desire(
    plan: Plan,
    ref: Ref,
    tracker: Tracker,
    settings: Settings,
    renderer: TrackerRenderer,
    *,
    prune: bool,
    compact: bool,
) -> Desired:
    caps = tracker.capabilities
    return desire(
        plan,
        ref,
        renderer,
        markup=tracker.markup,
        title_format=settings.title_format or tracker.title_format or DEFAULT_TITLE,
        task_labels=tuple(settings.labels.task) if caps.labels else (),
        story_label=settings.labels.story if caps.labels else None,
        attach_existing=caps.attach_existing,
        obsolete_comment=_obsolete_comment(settings.obsolete_comment, ref),
        prune=prune,
        compact=compact,
    )


def _obsolete_comment(template: str, ref: Ref) -> str:
    try:
        return template.format(story=ref.key)
    except (KeyError, IndexError, ValueError, AttributeError) as err:
        raise ConfigError(
            f"obsolete_comment '{template}' is not valid ({err}); it may use {{story}}"
        ) from None


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
    trust_shape: bool = False,
    part: int | None = None,
) -> Prepared:
    """Everything apply needs. `trust_shape` (sync): when the plan comment records that the
    children were made exactly as the story now wants them, their links are not read. `part`:
    which story of a file holding several."""
    story = select_story(tracker.fetch_story(ref.key), part)
    ref = canonical_ref(ref, story)
    # sync: a story whose text is unchanged since the last apply is not parsed again.
    records = _records(tracker, trust_shape)
    recalled = recall_plan(records, story, settings) if records is not None else None
    plan = recalled or parse_plan(story, settings, today)
    state = tracker.read_state(story, with_links=not trust_shape)
    plan, guesses = settle_ids(plan, state, tracker.markup)
    plan = with_recorded_date(complete_plan(plan), state.plan, tracker.markup)
    renderer = TrackerRenderer(tracker.markup, settings)
    desired = _desire(plan, ref, tracker, settings, renderer, prune=prune, compact=False)
    if trust_shape:
        state = _links_from_shape(tracker, story, state, desired)
    reconciled = reconcile(desired, state)
    compact = False
    limit = tracker.limits.max_comment_chars
    if limit is not None:
        keys = placeholder_keys(desired, reconciled.matched)
        if len(plan_comment_body(state.plan, desired, keys, state.extra_plans)) > limit:
            # Task detail lives in the sub-issues; the comment keeps every section.
            compact = True
            desired = _desire(plan, ref, tracker, settings, renderer, prune=prune, compact=True)
            reconciled = reconcile(desired, state)
    check_limits(tracker.limits, state, desired, reconciled, story)
    notes = [*guesses, *disagreements(plan, reconciled.matched)]
    digest = story_digest(story, settings)
    return Prepared(tracker, ref, story, plan, state, desired, reconciled, compact, notes, digest)


def disagreements(plan: Plan, children: Mapping[str, Child]) -> list[str]:
    """Tasks ticked in the story whose sub-issue says otherwise: said, never settled silently."""
    return [
        f"Task {task.number} is ticked in the story but {child.key} is "
        f"{child.status.value.replace('_', ' ')}"
        for task in plan.tasks
        if task.done
        and (child := children.get(task.id)) is not None
        and child.status not in FINISHED
    ]


def with_recorded_date(plan: Plan, comment: PlanComment | None, markup: Markup) -> Plan:
    """The plan dated by the first apply, as its plan comment records it: a plan's date never
    moves by itself, so an unchanged story planned again a day later writes nothing."""
    recorded = (markers.read_identity(comment.body, "plan", markup) or {}) if comment else {}
    try:
        first = date.fromisoformat(recorded.get("date", ""))
    except ValueError:
        return plan
    overview = plan.overview.model_copy(update={"plan_date": first})
    return plan.model_copy(update={"overview": overview})


def recorded_shape(plan: PlanComment | None, markup: Markup) -> str | None:
    if plan is None:
        return None
    return (markers.read_identity(plan.body, "plan", markup) or {}).get("shape")


def _links_from_shape(
    tracker: Tracker, story: Story, state: TrackerState, desired: Desired
) -> TrackerState:
    """Links as the last apply made them when the plan says nothing changed since."""
    recorded = recorded_shape(state.plan, tracker.markup)
    if recorded is None:
        return tracker.read_state(story)  # a plan without the record: read it all
    if recorded != desired.shape:
        return state  # the story changed: reconcile reports what apply must do
    matched = match_children(desired, state)
    links = tuple(
        Link(blocker=matched[dep].key, blocked=matched[want.task_id].key)
        for want in desired.children
        for dep in want.depends_on
        if dep in matched and want.task_id in matched
    )
    return state.model_copy(update={"links": links})


def _records(tracker: Tracker, wanted: bool = True) -> PlanRecords | None:
    return tracker if wanted and isinstance(tracker, PlanRecords) else None


def apply(prepared: Prepared, on_step: Callable[[Change], None] = lambda change: None) -> Report:
    """Make the changes; a tracker that keeps plan records keeps this plan's with a write it
    makes to the story anyway (see `storyplan.planrecord`)."""
    records = _records(prepared.tracker)
    if records is not None:
        record = make_record(prepared.digest, prepared.plan, prepared.desired.shape)
        records.keep_plan_record(prepared.story, record)
    return execute(
        prepared.tracker,
        prepared.story,
        prepared.desired,
        prepared.state,
        prepared.reconciled,
        on_step,
    )
