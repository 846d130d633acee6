"""For any story and any edit of it, apply writes exactly what changed: one write per task
whose own content changed (made, reworded, removed), one per link added or removed, and at
most one plan write; and apply then reconcile finds nothing left to do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storyplan.reconcile import Desired
from tests.fakes.memory import MemoryTracker
from tests.test_reconcile import STORY, desired, run, want

TITLES = st.sampled_from(["Schema", "API", "Form", "Tests", "Docs", "Audit"])

Story = dict[str, tuple[str, tuple[str, ...]]]  # task id → (title, dependencies)


@st.composite
def stories(draw: st.DrawFn, ids: tuple[str, ...] = ("T1", "T2", "T3", "T4", "T5", "T6")) -> Story:
    kept = [i for i in ids if draw(st.booleans())] or ["T1"]
    story: Story = {}
    for index, task_id in enumerate(kept):
        earlier = kept[:index]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        story[task_id] = (draw(TITLES), tuple(sorted(deps)))
    return story


def wanted(story: Story) -> Desired:
    return desired(*(want(task_id, title, deps) for task_id, (title, deps) in story.items()))


def edges(story: Story) -> set[tuple[str, str]]:
    return {(dep, task_id) for task_id, (_, deps) in story.items() for dep in deps}


@settings(max_examples=150, deadline=None)
@given(before=stories(), after=stories())
def test_an_edit_writes_exactly_what_changed_and_then_nothing(before: Story, after: Story) -> None:
    tracker = MemoryTracker(STORY)
    run(tracker, wanted(before))
    kinds = run(tracker, wanted(after))
    made = [t for t in after if t not in before]
    reworded = [t for t in after if t in before and after[t][0] != before[t][0]]
    removed = [t for t in before if t not in after]
    links = len(edges(before) ^ edges(after))
    own = len(made) + len(reworded) + len(removed)
    assert len(kinds) - kinds.count("upsert_plan") == own + links
    assert kinds.count("upsert_plan") <= 1
    assert run(tracker, wanted(after)) == []
