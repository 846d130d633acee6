"""storyplan's changes as GitLab mutations, for a story whose children are child tasks: one
unit a change, except link changes, which share one unit per blocked task (its links and its
"Blocked by" line change together). What a run has learnt (records, ids, the tier's answer
about blocking links) lives in `Run`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from storyplan.errors import CapabilityError
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Change,
    Child,
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

from . import units as u
from .blocked_by import blocked_by, fallback_note, with_blocked_by
from .mutations import Op, Outcome
from .records import (
    IssueRecord,
    NoteRecord,
    References,
    UserRef,
    child_of,
    gid_number,
    plan_comment,
)


@dataclass
class Run:
    """One story as this run knows it: read once, then kept up to date by every write."""

    story: Story
    issue: IssueRecord  # the story's own work item
    gid: str
    task_type: str
    records: dict[str, IssueRecord]  # child key → as last seen or written
    gids: dict[str, str]  # key → global id
    links: dict[str, list[tuple[str, str]]]  # key → (other key, type seen from key)
    labels: dict[str, str]  # label title → global id
    host: str
    me: UserRef | None
    mode: Literal["auto", "blocks", "relates_to"] = "auto"
    lines_in_use: bool = False  # a child keeps its dependencies in a Blocked by line
    detected: bool = False  # this run's first blocking link was refused
    announced: bool = False
    notes: list[NoteRecord] = field(default_factory=list)  # the story's, oldest first

    @property
    def project(self) -> str:
        return self.issue.project

    @property
    def fallback(self) -> bool:
        if self.mode == "auto":
            return self.detected or self.lines_in_use
        return self.mode == "relates_to"

    def link_type(self, one: str, other: str) -> str | None:
        return next((t for key, t in self.links.get(one, []) if key == other), None)

    def set_link(self, one: str, other: str, link_type: str | None) -> None:
        mirror = {"blocks": "is_blocked_by", "is_blocked_by": "blocks"}
        for a, b, kind in ((one, other, link_type), (other, one, link_type)):
            rows = [row for row in self.links.get(a, []) if row[0] != b]
            if kind is not None:
                rows.append((b, kind if a == one else mirror.get(kind, kind)))
            self.links[a] = rows


class Writer:
    def __init__(self, run: Run, obsolete_label: str, child: Callable[[IssueRecord], Child]):
        self.run = run
        self.obsolete = obsolete_label
        self.child = child  # the Child a record is, its task read from its trusted marker

    def units(self, changes: Sequence[Change]) -> list[u.Unit]:
        order: list[Change | str] = []  # a change, or the blocked task whose links change
        by_blocked: dict[str, list[AddLink | RemoveLink]] = {}
        for change in changes:
            if isinstance(change, AddLink | RemoveLink):
                assert change.blocked is not None
                if change.blocked not in by_blocked:
                    by_blocked[change.blocked] = []
                    order.append(change.blocked)
                by_blocked[change.blocked].append(change)
            else:
                order.append(change)
        return [
            self.links_unit(item, by_blocked[item]) if isinstance(item, str) else self.unit(item)
            for item in order
        ]

    def unit(self, change: Change) -> u.Unit:
        match change:
            case CreateChild():
                return self.create(change)
            case AttachChild():
                return self.attach(change)
            case UpdateChild():
                return self.update(change)
            case MarkObsolete():
                ops = [
                    u.update_item(self.gid(change.key), labelsWidget=self._add_obsolete()),
                    u.create_note(self.gid(change.key), change.comment),
                ]
                return self._simple(change, ops, f"mark {change.key} obsolete")
            case CloseChild():
                ops = [u.update_item(self.gid(change.key), stateEvent="CLOSE")]
                return self._simple(change, ops, f"close {change.key}")
            case CloseDuplicate():
                return self.close_duplicate(change)
            case UpsertPlan():
                return self.plan(change)
            case DeletePlan():
                return u.Unit(
                    [change],
                    [u.destroy_note(change.key)],
                    # Gone already (a run alongside), or not ours to delete: nothing to heal.
                    lambda outcomes: [Applied(change=change)],
                    f"delete a second plan note on {self.run.story.ref}",
                )
            case LabelStory():
                labels = {"addLabelIds": [self.run.labels[change.label]]}
                ops = [u.update_item(self.run.gid, labelsWidget=labels)]
                return self._simple(change, ops, f"label {self.run.story.ref}")
            case CloseStory():
                ops = [u.update_item(self.run.gid, stateEvent="CLOSE")]
                return self._simple(change, ops, f"close {self.run.story.ref}")
            case AddLink() | RemoveLink():
                assert change.blocked is not None
                return self.links_unit(change.blocked, [change])

    def gid(self, key: str) -> str:
        return self.run.gids[key]

    def _add_obsolete(self) -> dict[str, list[str]]:
        return {"addLabelIds": [self.run.labels[self.obsolete]]}

    def _simple(self, change: Change, ops: list[Op], what: str) -> u.Unit:
        return u.all_or_nothing([change], ops, what, lambda outcomes: [Applied(change=change)])

    # -- children ---------------------------------------------------------------------------
    def create(self, change: CreateChild) -> u.Unit:
        run = self.run
        body = change.body
        if run.fallback and change.depends_on:
            by_task = {c.task_id: c.key for c in map(self.child, run.records.values())}
            blockers = [by_task[dep] for dep in change.depends_on if by_task.get(dep)]
            body = with_blocked_by(body, blockers, run.project) if blockers else body
        labels = [run.labels[name] for name in change.labels]
        op = u.create_task(run.project, run.task_type, run.gid, change.title, body, labels)

        def done(outcomes: list[Outcome]) -> list[Applied]:
            assert outcomes[0].payload is not None
            item = outcomes[0].payload["workItem"]
            record = IssueRecord(
                id=gid_number(item["id"]),
                iid=int(item["iid"]),
                project_id=run.issue.project_id,
                title=change.title,
                description=body,
                labels=tuple(change.labels),
                web_url=item.get("webUrl") or "",
                issue_type="task",
                references=References(full=item["reference"]),
                author=run.me,
            )
            self.remember(record, item["id"])
            return [Applied(change=change, child=child_of(record, change.task_id, self.obsolete))]

        what = f"create the task for {change.task_id} under {run.story.ref}"
        return u.all_or_nothing([change], [op], what, done)

    def remember(self, record: IssueRecord, gid: str) -> None:
        self.run.records[record.key] = record
        self.run.gids[record.key] = gid

    def attach(self, change: AttachChild) -> u.Unit:
        record = self.run.records[change.key]
        ops = u.add_links(self.run.gid, [self.gid(change.key)], "RELATED")

        def finish(outcomes: list[Outcome]) -> list[Applied] | u.Unit | str:
            error = u.failure(outcomes, tolerate=(u.ALREADY_LINKED,))
            if error:
                return error
            self.run.set_link(self.run.story.ref, change.key, "relates_to")
            return [Applied(change=change, child=child_of(record, None, self.obsolete))]

        return u.Unit([change], ops, finish, f"relate {change.key} to {self.run.story.ref}")

    def update(self, change: UpdateChild) -> u.Unit:
        fields: dict[str, object] = {
            "title": change.title,
            "descriptionWidget": {"description": change.body},
        }
        if change.revive:
            fields["labelsWidget"] = {"removeLabelIds": [self.run.labels[self.obsolete]]}
        ops = [u.update_item(self.gid(change.key), **fields)]

        def done(outcomes: list[Outcome]) -> list[Applied]:
            old = self.run.records[change.key]
            labels = tuple(
                name for name in old.labels if not change.revive or name != self.obsolete
            )
            record = old.model_copy(
                update={"title": change.title, "description": change.body, "labels": labels}
            )
            self.run.records[change.key] = record
            return [Applied(change=change, child=self.child(record))]

        return u.all_or_nothing([change], ops, f"update {change.key}", done)

    def close_duplicate(self, change: CloseDuplicate) -> u.Unit:
        record, kept = self.run.records[change.key], self.run.records[change.kept]
        name = f"#{kept.iid}" if kept.project == record.project else kept.key
        gid = self.gid(change.key)
        ops = [u.create_note(gid, f"Duplicate of {name}")]
        if record.issue_type == "task":
            closing = {"hierarchyWidget": {"parentId": None}}
        else:
            ops.extend(u.remove_links(self.run.gid, [gid]))
            closing = {}
        ops.append(
            u.update_item(gid, stateEvent="CLOSE", labelsWidget=self._add_obsolete(), **closing)
        )
        return self._simple(change, ops, f"close {change.key} as a duplicate of {change.kept}")

    # -- the plan ---------------------------------------------------------------------------
    def plan(self, change: UpsertPlan) -> u.Unit:
        run = self.run
        what = f"write the plan note on {run.story.ref}"

        def made(outcomes: list[Outcome], notes: tuple[str, ...] = ()) -> list[Applied]:
            assert outcomes[0].payload is not None
            note_id = gid_number(outcomes[0].payload["note"]["id"])
            comment = plan_comment(run.issue, note_id, change.body)
            return [Applied(change=change, plan=comment, notes=notes)]

        if change.key is None:
            return u.all_or_nothing([change], [u.create_note(run.gid, change.body)], what, made)
        old = change.key

        def replaced(outcomes: list[Outcome]) -> list[Applied] | u.Unit | str:
            if not outcomes[0].ok:
                return outcomes[0].error or "failed"
            left = (
                ()
                if outcomes[1].ok
                else (
                    f"left the earlier plan note {old} on {run.story.ref}: this token may not "
                    "delete it",
                )
            )
            return made(outcomes, left)

        def finish(outcomes: list[Outcome]) -> list[Applied] | u.Unit | str:
            error = outcomes[0].error
            if error is None:
                return made(outcomes)
            if u.NOT_AVAILABLE not in error:
                return error
            # Another trusted identity wrote it, and GitLab lets only a note's author edit
            # it: the plan (ticks carried over) becomes a note of this run's own.
            ops = [u.create_note(run.gid, change.body), u.destroy_note(old)]
            return u.Unit([change], ops, replaced, what)

        return u.Unit([change], [u.update_note(old, change.body)], finish, what)

    # -- dependencies -----------------------------------------------------------------------
    def links_unit(self, blocked: str, changes: list[AddLink | RemoveLink]) -> u.Unit:
        run = self.run
        record = run.records[blocked]
        adding = [c.blocker for c in changes if isinstance(c, AddLink) and c.blocker]
        removing = [c.blocker for c in changes if isinstance(c, RemoveLink)]
        line = blocked_by(record.description or "", record.project)
        # A link of another kind (or the other way round) goes before the right one is made.
        wrong = [b for b in adding if run.link_type(blocked, b) not in (None, "is_blocked_by")]
        unlink = [b for b in removing if run.link_type(blocked, b)]
        if run.fallback:
            wrong = [b for b in adding if run.link_type(blocked, b) not in (None, "relates_to")]
        ops = u.remove_links(self.gid(blocked), [self.gid(b) for b in [*unlink, *wrong]])
        keep = [k for k in line if k not in removing]
        if run.fallback:
            fresh = [b for b in adding if run.link_type(blocked, b) != "relates_to" or b in wrong]
            ops += u.add_links(self.gid(blocked), [self.gid(b) for b in fresh], "RELATED")
            keep += [b for b in adding if b not in keep]
        else:
            ops += u.add_links(self.gid(blocked), [self.gid(b) for b in adding], "BLOCKED_BY")
        body = with_blocked_by(record.description or "", keep, record.project)
        if body != (record.description or ""):
            ops.append(u.update_item(self.gid(blocked), descriptionWidget={"description": body}))
        fallback = run.fallback
        what = f"link {blocked} to its blockers"

        def finish(outcomes: list[Outcome]) -> list[Applied] | u.Unit | str:
            error = u.failure(outcomes, tolerate=(u.ALREADY_LINKED, u.NOTHING_TO_UNLINK))
            if error and u.UNLICENSED in error and not fallback:
                return self._refused(blocked, changes, [*unlink, *wrong])
            if error:
                return error
            for b in [*unlink, *wrong]:
                run.set_link(blocked, b, None)
            for b in adding:
                run.set_link(blocked, b, "relates_to" if fallback else "is_blocked_by")
            run.records[blocked] = record.model_copy(update={"description": body})
            notes = self._announce() if fallback and adding else ()
            return [Applied(change=c, notes=notes) for c in changes]

        return u.Unit(list(changes), ops, finish, what)

    def _refused(
        self, blocked: str, changes: list[AddLink | RemoveLink], unlinked: list[str]
    ) -> u.Unit:
        """The tier has no blocking links: the first refusal switches the run to the line."""
        run = self.run
        if run.mode == "blocks":
            raise CapabilityError(
                f"blocking issue links are not available on the GitLab at "
                f"{run.host} (403: {u.UNLICENSED_MESSAGE}); set [gitlab] "
                'blocking_links = "auto" to fall back to related links with a Blocked by line'
            )
        run.detected = True
        # What went through (the unlinking) is done; the rest again, as the line (a link
        # that did stay is "already linked" the second time, which is no failure).
        for b in unlinked:
            run.set_link(blocked, b, None)
        return self.links_unit(blocked, changes)

    def _announce(self) -> tuple[str, ...]:
        """Once a run, unless config chose the fallback: why dependencies are not links."""
        run = self.run
        if run.announced or run.mode == "relates_to":
            return ()
        run.announced = True
        return (fallback_note(u.UNLICENSED_MESSAGE if run.detected else None, run.host),)
