"""A batch of changes as aliased GraphQL mutations, in as few requests as GitHub allows.

Each change is one or more mutation fields sent in order (GitHub runs a request's mutations
one after another): a child is created already attached and labelled (`createIssue` with
`parentIssueId` and `labelIds`). A field GitHub refuses fails its change alone; the others
stand, and the run ends saying which failed. A request whose answer is lost is read back:
the children it made are adopted by their markers, and anything it cannot confirm is left
to the next run, which finishes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from storyplan.errors import TrackerError
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    Applied,
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
from storyplan.refs import parse_ref

from . import queries, records
from .client import GithubClient
from .reading import StoryRead, by_alias, refused
from .records import Json
from .trust import Trust

CREATIONS = frozenset({"createIssue", "addComment"})
LABEL_COLOUR = "ededed"  # the colour GitHub gives a label made on the fly


@dataclass
class Step:
    """One change as mutation fields, and how their answers become its `Applied`."""

    change: Change
    fields: list[tuple[str, Json]]
    finish: Callable[[list[Json]], Applied]
    aliases: list[str] = field(default_factory=list)

    @property
    def creations(self) -> int:
        return sum(1 for name, _ in self.fields if name in CREATIONS)


def describe(change: Change) -> str:
    """What a change does, for the sentence that names the ones GitHub refused."""
    match change:
        case CreateChild():
            return f"create the sub-issue for task {change.task_id}"
        case AddLink() | RemoveLink():
            verb = "link" if isinstance(change, AddLink) else "unlink"
            return f"{verb} {change.blocked} as blocked by {change.blocker}"
        case UpsertPlan() | DeletePlan():
            return "write the plan comment"
        case LabelStory() | CloseStory():
            return f"{change.kind.replace('_', ' ')}"
        case _:
            return f"{change.kind.replace('_', ' ')} {getattr(change, 'key', '')}".strip()


class GraphqlApply:
    """Mixed into the GitHub tracker: `Tracker.apply` over GraphQL."""

    client: GithubClient
    trust: Trust
    obsolete_label: str
    task_label: str | None
    story_label: str | None
    _issues: dict[str, Json]
    _reads: dict[str, StoryRead]
    _comment_nodes: dict[str, str]
    _issue: Callable[[str], Json]
    _orphan: Callable[..., Json | None]
    _reread: Callable[[Story], StoryRead]

    def apply_graphql(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        read = self._reads.get(story.ref) or self._reread(story)
        self._ensure_labels(story, read, changes)
        steps = [self._step(story, read, change) for change in changes]
        failures: list[tuple[Step, str]] = []
        for chunk in self._chunks(steps):
            mutation = queries.Mutation()
            for step in chunk:
                step.aliases = [mutation.add(name, data) for name, data in step.fields]
            query, variables = mutation.document()
            what = f"write {len(mutation.fields)} changes to {story.ref}"
            creations = sum(step.creations for step in chunk)
            try:
                data, errors = self.client.graphql(
                    query, variables, what, write=True, creations=creations
                )
            except TrackerError as err:
                if not err.unknown_outcome:
                    raise
                yield from self._recover(story, chunk, err)
                continue
            if not data and errors:
                raise refused(self.client, what, errors)
            failed = by_alias(errors)
            for step in chunk:
                answers = [data.get(alias) for alias in step.aliases]
                bad = [failed[a] for a in step.aliases if a in failed]
                if bad or any(answer is None for answer in answers):
                    reason = str(bad[0].get("message")) if bad else "no answer"
                    failures.append((step, reason))
                    continue
                yield step.finish([answer for answer in answers if answer is not None])
        if failures:
            step, reason = failures[0]
            more = f" and {len(failures) - 1} more" if len(failures) > 1 else ""
            raise TrackerError(
                f"GitHub refused {len(failures)} of {len(steps)} changes to {story.ref}: "
                f"{describe(step.change)} ({reason}){more}"
            )

    # -- requests ----------------------------------------------------------------------------
    def _chunks(self, steps: list[Step]) -> Iterator[list[Step]]:
        """Requests of at most FIELDS_PER_MUTATION fields and a minute's creations."""
        budget = self.client.pacer.creations_per_minute
        chunk: list[Step] = []
        for step in steps:
            fields = sum(len(s.fields) for s in chunk) + len(step.fields)
            made = sum(s.creations for s in chunk) + step.creations
            if chunk and (fields > queries.FIELDS_PER_MUTATION or made > budget):
                yield chunk
                chunk = []
            chunk.append(step)
        if chunk:
            yield chunk

    def _recover(self, story: Story, chunk: list[Step], err: TrackerError) -> Iterator[Applied]:
        """A request's answer was lost: adopt the children it made, by their markers; raise
        the error if anything else in it cannot be confirmed."""
        creates = [s for s in chunk if isinstance(s.change, CreateChild)]
        if not creates:
            raise err
        read = self._reread(story)
        children: dict[str, Json] = {}
        for issue in read.children:
            task = records.task_of(issue, story.ref)
            if task and task not in children and self.trust.trusts(issue, records.key_of(issue)):
                children[task] = issue
        confirmed = 0
        for step in creates:
            assert isinstance(step.change, CreateChild)
            found = children.get(step.change.task_id)
            if found is not None:
                confirmed += 1
                yield self._made(story, step.change, found)
        if confirmed < len(chunk):
            raise err

    # -- labels ------------------------------------------------------------------------------
    def _label_id(self, read: StoryRead, name: str) -> str:
        return read.labels[name.lower()]

    def _ensure_labels(self, story: Story, read: StoryRead, changes: Sequence[Change]) -> None:
        """Make the labels the changes need and the repository lacks, in one request (with
        storyplan's task and story labels, so that a first apply makes them at once)."""
        needed: set[str] = set()
        for change in changes:
            if isinstance(change, CreateChild):
                needed.update(change.labels)
            elif isinstance(change, MarkObsolete | CloseDuplicate) or (
                isinstance(change, UpdateChild) and change.revive
            ):
                needed.add(self.obsolete_label)
            elif isinstance(change, LabelStory):
                needed.add(change.label)
        missing = {name for name in needed if name.lower() not in read.labels}
        if not missing:
            return
        project = parse_ref(story.ref, "github").project
        owner, _, repo = project.partition("/")
        unasked = sorted(name for name in missing if name.lower() not in read.asked)
        if unasked:  # a label the story read did not ask for (sync's done label)
            self._read_labels(read, owner, repo, unasked)
        extra = {self.task_label, self.story_label} - {None}
        make = sorted({n for n in missing | extra if n and n.lower() not in read.labels})
        if not make:
            return
        mutation = queries.Mutation()
        for name in make:
            mutation.add(
                "createLabel", {"repositoryId": read.repo_id, "name": name, "color": LABEL_COLOUR}
            )
        text, inputs = mutation.document()
        what = f"create the labels {', '.join(make)} in {project}"
        made, errors = self.client.graphql(text, inputs, what, write=True)
        for value in made.values():
            label = (value or {}).get("label") or {}
            if label:
                read.labels[str(label["name"]).lower()] = str(label["id"])
        lacking = sorted(name for name in needed if name.lower() not in read.labels)
        if lacking:  # another run made it meanwhile ("already taken"): read it
            self._read_labels(read, owner, repo, lacking)
        if any(name.lower() not in read.labels for name in needed):
            raise refused(self.client, what, errors)

    def _read_labels(self, read: StoryRead, owner: str, repo: str, names: list[str]) -> None:
        query, variables = queries.labels_query(owner, repo, names)
        data, _ = self.client.graphql(query, variables, f"read the labels of {owner}/{repo}")
        for value in (data.get("repository") or {}).values():
            if isinstance(value, dict) and value.get("name"):
                read.labels[str(value["name"]).lower()] = str(value["id"])

    # -- each change as mutation fields ------------------------------------------------------
    def _node(self, key: str) -> str:
        return str(self._issue(key)["node_id"])

    def _made(self, story: Story, change: Change, issue: Json) -> Applied:
        child = records.child(issue, story.ref, self.obsolete_label)
        self._issues[child.key] = issue
        # The orphan look-up may have met a marker it ignored: said with the report's notes.
        return Applied(change=change, child=child, notes=self.trust.notes)

    def _plan(self, change: Change, node: Json) -> Applied:
        comment = records.comment_of_node(node)
        self._comment_nodes[str(comment["id"])] = str(comment["node_id"])
        return Applied(change=change, plan=records.plan_comment(comment))

    def _step(self, story: Story, read: StoryRead, change: Change) -> Step:
        me = str(read.story["node_id"])

        def done(answers: list[Json]) -> Applied:
            return Applied(change=change)

        match change:
            case CreateChild():
                orphan = self._orphan(story, change.task_id)
                if orphan is not None:  # made by a run whose answer was lost; adopt it
                    attach = {"issueId": me, "subIssueId": orphan["node_id"]}
                    return Step(
                        change,
                        [("addSubIssue", attach)],
                        lambda answers: self._made(story, change, orphan),
                    )
                data: Json = {
                    "repositoryId": read.repo_id,
                    "title": change.title,
                    "body": change.body,
                    "parentIssueId": me,
                    "labelIds": [self._label_id(read, name) for name in change.labels],
                }
                return Step(
                    change,
                    [("createIssue", data)],
                    lambda answers: self._made(
                        story, change, records.issue_of_node(answers[-1]["issue"])
                    ),
                )
            case AttachChild():
                issue = self._issue(change.key)
                return Step(
                    change,
                    [("addSubIssue", {"issueId": me, "subIssueId": issue["node_id"]})],
                    lambda answers: self._made(story, change, issue),
                )
            case UpdateChild():
                fields: list[tuple[str, Json]] = []
                if change.revive:  # first, so the edit's answer shows the child as it now is
                    obsolete = [self._label_id(read, self.obsolete_label)]
                    fields.append(
                        (
                            "removeLabelsFromLabelable",
                            {"labelableId": self._node(change.key), "labelIds": obsolete},
                        )
                    )
                edit = {"id": self._node(change.key), "title": change.title, "body": change.body}
                fields.append(("updateIssue", edit))
                return Step(
                    change,
                    fields,
                    lambda answers: self._made(
                        story, change, records.issue_of_node(answers[-1]["issue"])
                    ),
                )
            case AddLink() | RemoveLink():
                assert change.blocked is not None  # resolved by the core before a link is made
                assert change.blocker is not None
                name = "addBlockedBy" if isinstance(change, AddLink) else "removeBlockedBy"
                pair = {
                    "issueId": self._node(change.blocked),
                    "blockingIssueId": self._node(change.blocker),
                }
                return Step(change, [(name, pair)], done)
            case MarkObsolete():
                node = self._node(change.key)
                label = {
                    "labelableId": node,
                    "labelIds": [self._label_id(read, self.obsolete_label)],
                }
                return Step(
                    change,
                    [
                        ("addLabelsToLabelable", label),
                        ("addComment", {"subjectId": node, "body": change.comment}),
                    ],
                    done,
                )
            case CloseChild():
                close = {"issueId": self._node(change.key), "stateReason": "NOT_PLANNED"}
                return Step(change, [("closeIssue", close)], done)
            case CloseDuplicate():
                return Step(change, self._duplicate_fields(story, read, change), done)
            case DeletePlan():
                node = self._comment_nodes[change.key]
                return Step(change, [("deleteIssueComment", {"id": node})], done)
            case UpsertPlan():
                if change.key is None:
                    add = {"subjectId": me, "body": change.body}
                    return Step(
                        change,
                        [("addComment", add)],
                        lambda answers: self._plan(change, answers[-1]["commentEdge"]["node"]),
                    )
                edit = {"id": self._comment_nodes[change.key], "body": change.body}
                return Step(
                    change,
                    [("updateIssueComment", edit)],
                    lambda answers: self._plan(change, answers[-1]["issueComment"]),
                )
            case LabelStory():
                label = {"labelableId": me, "labelIds": [self._label_id(read, change.label)]}
                return Step(change, [("addLabelsToLabelable", label)], done)
            case CloseStory():
                return Step(
                    change, [("closeIssue", {"issueId": me, "stateReason": "COMPLETED"})], done
                )

    def _duplicate_fields(
        self, story: Story, read: StoryRead, change: CloseDuplicate
    ) -> list[tuple[str, Json]]:
        """Say which issue it duplicates, label and close it, and detach it last: a run cut
        short before the detach leaves it listed, and so healed, by the next one."""
        kept = parse_ref(change.kept, "github")
        same_repo = kept.project.lower() == parse_ref(change.key, "github").project.lower()
        node, kept_node = self._node(change.key), self._node(change.kept)
        obsolete = [self._label_id(read, self.obsolete_label)]
        text = f"Duplicate of {kept.short if same_repo else kept.key}"
        return [
            ("addComment", {"subjectId": node, "body": text}),
            ("addLabelsToLabelable", {"labelableId": node, "labelIds": obsolete}),
            (
                "closeIssue",
                {
                    "issueId": node,
                    "stateReason": "DUPLICATE",
                    "duplicateIssueId": kept_node,
                },
            ),
            ("removeSubIssue", {"issueId": str(read.story["node_id"]), "subIssueId": node}),
        ]
