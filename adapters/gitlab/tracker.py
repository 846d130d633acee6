"""GitLab as a storyplan tracker: the plan is one note found by its hidden marker, tasks are
child Task work items of the story (or, by config, issues related to it: `issues_tracker`),
dependencies are `blocks` links, or on a tier without them a "relates to" link plus a "Blocked
by" line. Reads are one GraphQL query (`story_read`); writes are aliased mutations, as few
requests as GitLab's complexity limit allows (`changes`, `units`). A marker counts only when a
trusted author wrote it (`trust`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from storyplan.adapters.shared.settings import choose_base_url
from storyplan.adapters.shared.transport import Failure
from storyplan.config import Settings, section
from storyplan.errors import CapabilityError, TrackerError
from storyplan.model import Markup, Story
from storyplan.ports import (
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseDuplicate,
    CreateChild,
    LabelStory,
    Limits,
    Link,
    MarkObsolete,
    PlanComment,
    Tracker,
    TrackerState,
    UpdateChild,
)
from storyplan.refs import Ref, parse_ref

from . import units as u
from .blocked_by import line_links
from .changes import Run, Writer
from .client import LABEL_COLOR, GitlabClient
from .issues_tracker import IssuesTracker
from .mutations import Outcome
from .records import IssueRecord, child_of, plan_comment, plan_notes, story_of
from .settings import DEFAULT_BASE_URL, Credentials, GitlabSettings, read_credentials
from .settle import Settled
from .story_read import StoryRead, StoryReader
from .trust import Trust

NOTE_MAX_CHARS = 1_000_000  # GitLab's Note::MAX_NOTE_LENGTH
MAX_CHILD_TASKS = 5000  # GitLab's WorkItems::ParentLink::MAX_CHILDREN


class GitlabTracker:
    name = "gitlab"
    markup: Markup = "markdown"
    title_format = "{story} · Task {number}: {title}"

    def __init__(
        self,
        settings: GitlabSettings,
        credentials: Credentials,
        *,
        labels: Iterable[str] = (),
        obsolete_label: str = "storyplan:obsolete",
        story_label: str = "storyplan",
        aliases: dict[str, str] | None = None,
        trusted_authors: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.client = GitlabClient.for_settings(settings, credentials)
        self.limits = Limits(max_children=MAX_CHILD_TASKS, max_comment_chars=NOTE_MAX_CHARS)
        self.capabilities = Capabilities()
        self.obsolete_label = obsolete_label
        self.story_label = story_label
        titles = (story_label, *labels, obsolete_label)
        self.reader = StoryReader(self.client, tuple(titles))
        self._aliases = dict(aliases or {})
        self.trust = Trust(self.client, trusted_authors)
        self.runs: dict[str, Run] = {}  # story ref → what this run knows of it
        self.untrusted: set[str] = set()  # children whose marker a stranger wrote

    # -- reading ----------------------------------------------------------------------------
    def _read(self, project: str, iid: int | str, key: str) -> StoryRead:
        read = self.reader.read(project, iid, f"read story {key}")
        if read is None:
            # Missing, or hidden from this token (GitLab's GraphQL API says both the same way).
            raise self.client.service.error(f"read story {key}", Failure(404, cause="GraphQL"))
        self.trust.know(read.me)
        return read

    def fetch_story(self, ref: str) -> Story:
        parsed = parse_ref(self._aliases.get(ref, ref), "gitlab")
        read = self._read(parsed.project, parsed.number, parsed.key)
        # GitLab's own spelling of the path names the story, whatever form the ref took.
        self.runs[read.story.key] = self._run(read)
        return story_of(read.story, parsed.key)

    def _run(self, read: StoryRead) -> Run:
        if read.task_type is None:
            raise CapabilityError(
                f"Task work items are not available in {read.story.project} on the GitLab at "
                f'{self.client.host}; set [gitlab] children = "issues" '
                "(STORYPLAN_GITLAB__CHILDREN=issues) to plan with issues related to the story"
            )
        records = {record.key: record for record in [*read.related, *read.children]}
        run = Run(
            story=story_of(read.story, read.story.key),
            issue=read.story,
            gid=read.gids[read.story.key],
            task_type=read.task_type,
            records=records,
            gids=dict(read.gids),
            links=read.links,
            labels=dict(read.labels),
            host=self.client.host,
            me=read.me,
            mode=self.settings.blocking_links,
            notes=read.notes,
        )
        return run

    def _for(self, story: Story) -> Run:
        if story.ref not in self.runs:
            parsed = parse_ref(story.ref, "gitlab")
            read = self._read(parsed.project, parsed.number, story.ref)
            self.runs[story.ref] = self._run(read)
        return self.runs[story.ref]

    def _task_id(self, record: IssueRecord, run: Run) -> str | None:
        """The task `record` serves, when its marker is for this story and a trusted author
        wrote it; a stranger's marker is ignored, and its issue never edited as a task."""
        task_id = record.task_id(run.story.ref)
        if task_id is None or self.trust.trusted(record.author, run.project):
            return task_id
        self.trust.ignore(f"issue {record.key}", record.author)
        self.untrusted.add(record.key)
        return None

    def _child(self, record: IssueRecord, run: Run) -> Child:
        return child_of(record, self._task_id(record, run), self.obsolete_label)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        run = self._for(story)
        # Oldest first (GitLab lists the hierarchy newest first): a task keeps its oldest child.
        records = sorted(run.records.values(), key=lambda record: record.id)
        children = tuple(self._child(record, run) for record in records)
        plans = self._plans(run)
        return TrackerState(
            plan=plans[0] if plans else None,
            extra_plans=tuple(plans[1:]),
            children=children,
            links=tuple(sorted(self._links(run, records), key=lambda k: (k.blocker, k.blocked))),
            story_labels=tuple(story.labels),
            notes=tuple(self.trust.ignored),
        )

    def _plans(self, run: Run) -> list[PlanComment]:
        """Every plan note for the story by a trusted author, oldest first, except that one
        this run's user wrote comes first: GitLab lets only a note's author edit it."""
        mine: list[PlanComment] = []
        theirs: list[PlanComment] = []
        for note in plan_notes(run.notes, run.story.ref):
            if not self.trust.trusted(note.author, run.project):
                self.trust.ignore("a comment", note.author)
                continue
            me = self.trust.me
            own = me is not None and note.author is not None and note.author.id == me.id
            (mine if own else theirs).append(plan_comment(run.issue, note.id, note.body))
        return [*mine[:1], *theirs, *mine[1:]] if mine else theirs

    def _links(self, run: Run, records: list[IssueRecord]) -> set[Link]:
        keys = {record.key for record in records}
        found = line_links(records, keys)
        run.lines_in_use = run.lines_in_use or bool(found)
        if run.mode == "relates_to":
            return found  # configured: every dependency is a line, no blocking links to read
        for record in records:
            for other, link_type in run.links.get(record.key, []):
                if other not in keys:
                    continue
                if link_type == "blocks":
                    found.add(Link(blocker=record.key, blocked=other))
                elif link_type == "is_blocked_by":
                    found.add(Link(blocker=other, blocked=record.key))
        return found

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story in `project` (group/sub/project) that carries storyplan's label."""
        return [record.key for record in self.client.labelled(project, label)]

    # -- writing ----------------------------------------------------------------------------
    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        run = self._for(story)
        what = f"write to {story.ref}"
        self._look_up(run, [c.key for c in changes if isinstance(c, AttachChild)])
        writer = Writer(run, self.obsolete_label, lambda record: self._child(record, run))
        pending = self._labels(run, changes) + writer.units(changes)
        applied: list[Applied] = []
        failed: list[tuple[u.Unit, str]] = []
        while pending:
            error = u.send_units(self.client, pending, what)
            follow: list[u.Unit] = []
            for unit in pending:
                if not u.complete(unit):
                    continue
                result = unit.finish(unit.outcomes)
                if isinstance(result, u.Unit):
                    follow.append(result)
                elif isinstance(result, str):
                    if unit.changes:  # a label made ahead of need is made again when needed
                        failed.append((unit, result))
                else:
                    applied.extend(result)
            if error is not None:
                lost = [unit for unit in pending if not u.complete(unit)]
                adopted, rest = self._adopt(story, lost) if error.unknown_outcome else ([], lost)
                applied.extend(adopted)
                if rest:
                    yield from applied
                    raise error
            pending = follow
        yield from applied
        if failed:
            raise self._refusal(failed)

    def _refusal(self, failed: list[tuple[u.Unit, str]]) -> TrackerError:
        """One sentence for mutations GitLab refused one by one, as the first one's error."""
        unit, reason = failed[0]
        status = 403 if u.NOT_AVAILABLE in reason else 422
        error = self.client.service.error(unit.what, Failure(status, reason, cause="Mutation"))
        if len(failed) > 1:
            others = "; ".join(f"{unit.what} ({reason})" for unit, reason in failed[1:4])
            more = "; …" if len(failed) > 4 else ""
            error.args = (f"{error}; {len(failed) - 1} more were not made: {others}{more}",)
        return error

    def _adopt(self, story: Story, lost: list[u.Unit]) -> tuple[list[Applied], list[u.Unit]]:
        """After a request whose answer was lost: what it did carry out, as a fresh read
        shows it (tasks found by their marker); every other change is left for the next run."""
        lost = [unit for unit in lost if unit.changes]  # a label made ahead is made when needed
        if not lost:
            return [], []
        run = self.runs[story.ref]
        parsed = parse_ref(story.ref, "gitlab")
        fresh = self._read(parsed.project, parsed.number, story.ref)
        by_task: dict[str, IssueRecord] = {}
        for record in sorted(fresh.children, key=lambda record: record.id):
            task_id = self._task_id(record, run)
            if task_id:
                by_task.setdefault(task_id, record)
        settled = Settled(fresh, by_task, self.obsolete_label)
        adopted: list[Applied] = []
        rest: list[u.Unit] = []
        for unit in lost:
            found = [settled.applied(change) for change in unit.changes]
            done = [applied for applied in found if applied is not None]
            if len(done) < len(found):
                rest.append(unit)
                continue
            adopted.extend(done)
        # Go on from what GitLab holds now.
        run.records.update({record.key: record for record in fresh.children})
        run.gids.update(fresh.gids)
        run.links = fresh.links
        return adopted, rest

    def _look_up(self, run: Run, keys: list[str]) -> None:
        """Existing issues a task names, not yet related to the story: read before linking."""
        for key in keys:
            if key in run.records:
                continue
            parsed = parse_ref(key, "gitlab")
            read = self.reader.item(parsed.project, parsed.number, f"read issue {key}")
            if read is None:
                raise self.client.service.error(f"read issue {key}", Failure(404, "not found"))
            record, gid = read
            run.records[record.key] = record
            run.gids[record.key] = gid

    def _labels(self, run: Run, changes: Sequence[Change]) -> list[u.Unit]:
        """Make the labels these changes need, first and in one request; one the story will
        need later (its own label) rides along with these changes instead."""
        needed: dict[str, None] = {}
        for change in changes:
            if isinstance(change, CreateChild):
                needed.update(dict.fromkeys(change.labels))
            elif isinstance(change, LabelStory):
                needed[change.label] = None
            elif isinstance(change, MarkObsolete | CloseDuplicate) or (
                isinstance(change, UpdateChild) and change.revive
            ):
                needed[self.obsolete_label] = None
        later = [] if self.story_label in run.issue.labels else [self.story_label]
        missing = [name for name in needed if name not in run.labels]
        ahead = [name for name in later if name not in run.labels and name not in missing]
        if missing:
            units = [self._label_unit(run, name) for name in [*missing, *ahead]]
            error = u.send_units(self.client, units, f"make the labels of {run.project}")
            if error is not None:
                raise error
            failed = [
                (unit, result)
                for unit in units
                if isinstance(result := unit.finish(unit.outcomes), str)
            ]
            if failed:
                raise self._refusal(failed)
            return []
        return [self._label_unit(run, name) for name in ahead]

    def _label_unit(self, run: Run, name: str) -> u.Unit:
        def finish(outcomes: list[Outcome]) -> list[Applied] | str:
            label = (outcomes[0].payload or {}).get("label")
            if label:
                run.labels[name] = label["id"]
                return []
            found = self.reader.label(run.project, name, f"find the label {name}")
            if found:  # made meanwhile by someone else
                run.labels[name] = found
                return []
            return outcomes[0].error or "no label was returned"

        op = u.create_label(run.project, name, LABEL_COLOR)
        return u.Unit([], [op], finish, f"make the label {name}")


def base_url_for(option: str | None, ref: Ref, configured: GitlabSettings) -> str:
    """The instance's root, by the shared precedence, without an API suffix."""
    base = choose_base_url(
        option=option,
        from_ref=ref.base_url,
        configured=configured.base_url,
        default=DEFAULT_BASE_URL,
    )
    return base.removesuffix("/api/v4").removesuffix("/api/graphql")


def aliases_for(ref: Ref, base_url: str) -> dict[str, str]:
    """A URL ref under a relative URL root names the project with the root in front."""
    root = urlsplit(base_url).path.strip("/")
    if not (root and ref.base_url and ref.number and ref.project.startswith(root + "/")):
        return {}
    project = ref.project[len(root) + 1 :]
    return {ref.key: f"{project}#{ref.number}"}


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    gitlab = section(settings, GitlabSettings, "gitlab")
    base_url = base_url_for(options.get("base_url"), ref, gitlab)
    gitlab = gitlab.model_copy(update={"base_url": base_url})
    common: dict[str, Any] = {
        "obsolete_label": settings.labels.obsolete,
        "aliases": aliases_for(ref, base_url),
        "trusted_authors": settings.trust.authors,
    }
    if gitlab.children == "issues":
        return IssuesTracker(
            gitlab, read_credentials(gitlab), note_max_chars=NOTE_MAX_CHARS, **common
        )
    return GitlabTracker(
        gitlab,
        read_credentials(gitlab),
        labels=settings.labels.task,
        story_label=settings.labels.story,
        **common,
    )
