"""reconcile and execute against the in-memory tracker: idempotence, edits, links, obsolete."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from storyplan import markers
from storyplan.errors import PlanError, TrackerError
from storyplan.execute import check_limits, execute
from storyplan.model import Story
from storyplan.ports import (
    AddLink,
    AttachChild,
    Child,
    CloseChild,
    CreateChild,
    LabelStory,
    Limits,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    UpdateChild,
    UpsertPlan,
)
from storyplan.reconcile import Desired, DesiredChild, reconcile
from tests.fakes.memory import MemoryTracker

STORY = Story(ref="o/r#1", title="Login")


def want(task_id: str, title: str, deps: tuple[str, ...] = (), **extra: str) -> DesiredChild:
    return DesiredChild(
        task_id=task_id,
        title=title,
        content=f"Do {title}.\n\n- [ ] works",
        header=markers.identity("task", story="o/r#1", id=task_id),
        depends_on=deps,
        **extra,  # type: ignore[arg-type]
    )


def desired(*children: DesiredChild, prune: bool = False) -> Desired:
    titles = {child.task_id: child.title for child in children}

    def plan_body(keys: Mapping[str, Child]) -> str:
        lines = [
            f"- [ ] {task_id} {title} ({keys[task_id].key if task_id in keys else 'new'})"
            for task_id, title in sorted(titles.items())
        ]
        return "Plan\n" + "\n".join(lines)

    return Desired(
        children=children,
        plan_header=markers.identity("plan", story="o/r#1"),
        plan_body=plan_body,
        story_label="storyplan",
        prune=prune,
    )


DIAMOND = (
    want("T1", "A"),
    want("T2", "B", ("T1",)),
    want("T3", "C", ("T1",)),
    want("T4", "D", ("T2", "T3")),
)


def run(tracker: MemoryTracker, wanted: Desired) -> list[str]:
    state = tracker.read_state(STORY)
    result = reconcile(wanted, state)
    before = len(tracker.writes)
    execute(tracker, STORY, wanted, state, result)
    return [change.kind for change in tracker.writes[before:]]


def test_first_apply_creates_children_links_label_and_plan_in_order() -> None:
    tracker = MemoryTracker(STORY)
    kinds = run(tracker, desired(*DIAMOND))
    assert kinds == ["create_child"] * 4 + ["add_link"] * 4 + ["label_story", "upsert_plan"]
    assert len(tracker.children) == 4
    assert len(tracker.links) == 4
    assert tracker.plan is not None
    assert "(o/r#101)" in tracker.plan.body  # the plan names the children created this run


def test_second_apply_makes_no_writes() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    assert run(tracker, desired(*DIAMOND)) == []
    assert reconcile(desired(*DIAMOND), tracker.read_state(STORY)).changes == []


def test_renamed_task_updates_its_child_matched_by_id_not_title() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    renamed = (DIAMOND[0], want("T2", "B renamed", ("T1",)), *DIAMOND[2:])
    changes = reconcile(desired(*renamed), tracker.read_state(STORY)).changes
    assert [type(c) for c in changes] == [UpdateChild, UpsertPlan]
    update = changes[0]
    assert isinstance(update, UpdateChild)
    assert update.fields == ("title", "body")
    run(tracker, desired(*renamed))
    assert sorted(c.title for c in tracker.children.values()) == ["A", "B renamed", "C", "D"]


def test_new_task_and_changed_dependency_touch_only_what_changed() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    edited = (
        DIAMOND[0],
        DIAMOND[1],
        want("T3", "C"),  # no longer depends on T1
        DIAMOND[3],
        want("T5", "E", ("T4",)),
    )
    changes = reconcile(desired(*edited), tracker.read_state(STORY)).changes
    kinds = [type(c) for c in changes]
    assert kinds == [CreateChild, RemoveLink, AddLink, UpsertPlan]
    removal = changes[1]
    assert isinstance(removal, RemoveLink)
    assert (removal.blocker_task, removal.blocked_task) == ("T1", "T3")
    addition = changes[2]
    assert isinstance(addition, AddLink)
    assert (addition.blocker_task, addition.blocked_task, addition.blocked) == ("T4", "T5", None)
    run(tracker, desired(*edited))
    assert run(tracker, desired(*edited)) == []


def test_removed_task_is_marked_obsolete_once_and_closed_only_with_prune() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    fewer = DIAMOND[:3]
    changes = reconcile(desired(*fewer), tracker.read_state(STORY)).changes
    # Its links go first (both of T4's blockers), then the mark.
    assert [type(c) for c in changes][:3] == [RemoveLink, RemoveLink, MarkObsolete]
    assert not any(isinstance(c, CloseChild) for c in changes)
    run(tracker, desired(*fewer))
    again = reconcile(desired(*fewer, prune=True), tracker.read_state(STORY)).changes
    assert [type(c) for c in again] == [CloseChild]
    assert len(tracker.children) == 4  # never deleted


def test_a_removed_task_loses_its_links_in_both_directions_once() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    three = next(c.key for c in tracker.children.values() if c.task_id == "T3")
    assert any(three in link for link in tracker.links)
    # T3 removed and T4 no longer waits for it: both of T3's links go.
    fewer = (DIAMOND[0], DIAMOND[1], want("T4", "D", ("T2",)))
    changes = reconcile(desired(*fewer), tracker.read_state(STORY)).changes
    removed = {(c.blocker_task, c.blocked_task) for c in changes if isinstance(c, RemoveLink)}
    assert removed == {("T1", "T3"), ("T3", "T4")}
    run(tracker, desired(*fewer))
    assert not any(three in link for link in tracker.links)
    assert run(tracker, desired(*fewer)) == []


def test_a_task_that_comes_back_lifts_the_obsolete_mark() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    run(tracker, desired(*DIAMOND[:3]))
    changes = reconcile(desired(*DIAMOND), tracker.read_state(STORY)).changes
    update = next(c for c in changes if isinstance(c, UpdateChild))
    assert update.fields == ("revived",)


def test_a_removed_task_s_links_go_in_both_directions() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    middle = (DIAMOND[0], DIAMOND[2], want("T4", "D", ("T3",)))  # T2 removed, T4 no longer after it
    changes = reconcile(desired(*middle), tracker.read_state(STORY)).changes
    removals = [(c.blocker_task, c.blocked_task) for c in changes if isinstance(c, RemoveLink)]
    assert sorted(removals) == [("T1", "T2"), ("T2", "T4")]
    assert [type(c) for c in changes] == [RemoveLink, RemoveLink, MarkObsolete, UpsertPlan]
    run(tracker, desired(*middle))
    t2 = next(c.key for c in tracker.children.values() if c.task_id == "T2")
    assert not [link for link in tracker.links if t2 in link]
    assert run(tracker, desired(*middle)) == []


def test_an_existing_issue_whose_body_names_a_task_is_not_taken_for_it() -> None:
    tracker = MemoryTracker(STORY)
    tracker.add_existing("o/r#7", "Someone's issue")
    wanted = desired(want("T1", "A"), want("T2", "ignored", existing="o/r#7"))
    run(tracker, wanted)
    # Its body carries T1's marker, and it is older than T1's own child.
    forged = tracker.children.pop("o/r#7").model_copy(update={"task_id": "T1"})
    tracker.children = {"o/r#7": forged, **tracker.children}
    assert run(tracker, wanted) == []
    assert tracker.children["o/r#7"].title == "Someone's issue"


def test_existing_issue_is_attached_as_it_is_and_never_edited() -> None:
    tracker = MemoryTracker(STORY)
    tracker.add_existing("o/r#7", "Someone's issue")
    wanted = desired(want("T1", "A"), want("T2", "ignored", ("T1",), existing="o/r#7"))
    changes = reconcile(wanted, tracker.read_state(STORY)).changes
    assert [type(c) for c in changes][:2] == [CreateChild, AttachChild]
    run(tracker, wanted)
    assert tracker.children["o/r#7"].title == "Someone's issue"
    assert ("o/r#101", "o/r#7") in tracker.links
    assert run(tracker, wanted) == []


def test_person_ticks_and_text_outside_markers_survive_a_rerender() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(*DIAMOND))
    assert tracker.plan is not None
    edited = tracker.plan.body.replace("- [ ] T2 B", "- [x] T2 B") + "\nA person's note.\n"
    tracker.plan = tracker.plan.model_copy(update={"body": edited})
    key = next(k for k, c in tracker.children.items() if c.task_id == "T1")
    child = tracker.children[key]
    tracker.children[key] = child.model_copy(
        update={"body": child.body.replace("- [ ] works", "- [x] works") + "\nMy notes\n"}
    )
    renamed = (want("T1", "A2"), *DIAMOND[1:])
    run(tracker, desired(*renamed))
    assert "- [x] T2 B" in tracker.plan.body
    assert tracker.plan.body.endswith("A person's note.\n")
    body = tracker.children[key].body
    assert "- [x] works" in body
    assert "Do A2." in body
    assert body.endswith("My notes\n")


def test_interrupted_run_is_finished_by_the_next_without_duplicates() -> None:
    tracker = MemoryTracker(STORY, fail_after=3)
    with pytest.raises(TrackerError, match=r"3 of 10 changes were made; run apply again"):
        run(tracker, desired(*DIAMOND))
    tracker.fail_after = None
    run(tracker, desired(*DIAMOND))
    assert len(tracker.children) == 4
    assert len(tracker.links) == 4
    assert run(tracker, desired(*DIAMOND)) == []


def test_story_label_is_added_once() -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, desired(want("T1", "A")))
    assert tracker.labels == {"storyplan"}
    changes = reconcile(desired(want("T1", "A")), tracker.read_state(STORY)).changes
    assert not any(isinstance(c, LabelStory) for c in changes)


def test_limits_refuse_too_many_children_before_any_write() -> None:
    tracker = MemoryTracker(STORY, limits=Limits(max_children=3))
    wanted = desired(*DIAMOND)
    state = tracker.read_state(STORY)
    with pytest.raises(PlanError, match=r"would have 4 sub-issues but the tracker allows 3"):
        check_limits(tracker.limits, state, wanted, reconcile(wanted, state), STORY)
    assert tracker.writes == []


def test_limits_refuse_a_plan_over_the_comment_limit() -> None:
    tracker = MemoryTracker(STORY, limits=Limits(max_comment_chars=50))
    wanted = desired(*DIAMOND)
    state = tracker.read_state(STORY)
    with pytest.raises(PlanError, match=r"over the tracker's comment limit of 50"):
        check_limits(tracker.limits, state, wanted, reconcile(wanted, state), STORY)


def test_a_report_without_a_plan_comment_reads_as_json() -> None:
    from storyplan.execute import Report
    from storyplan.report import report_dict

    data = report_dict(Report(story="o/r#1"))
    assert data["plan"] is None
    assert data["up_to_date"] is True


def test_runs_that_raced_are_healed_to_one_child_a_task_and_one_plan() -> None:
    tracker = MemoryTracker(STORY)
    wanted = desired(want("T1", "One"), want("T2", "Two", ("T1",)))
    run(tracker, wanted)
    first = dict(tracker.children)
    # A second run raced the first: it made its own children and plan comment.
    twin = MemoryTracker(STORY)
    run(twin, wanted)
    for key, child in twin.children.items():
        tracker.children[key.replace("#1", "#9")] = child.model_copy(
            update={"key": key.replace("#1", "#9")}
        )
    assert tracker.plan is not None
    ticked = tracker.plan.body.replace("- [ ] T2 Two", "- [x] T2 Two")
    tracker.extra_plans.append(PlanComment(key="c2", body=ticked))
    assert len(tracker.children) == 4

    kinds = run(tracker, wanted)
    assert kinds.count("close_duplicate") == 2
    assert kinds.count("delete_plan") == 1
    kept = {c.task_id: c.key for c in tracker.children.values() if not c.obsolete}
    assert kept == {c.task_id: c.key for c in first.values()}
    assert tracker.extra_plans == []
    assert "- [x] T2 Two" in tracker.plan.body  # the person's tick in the twin plan lives on
    assert run(tracker, wanted) == []
