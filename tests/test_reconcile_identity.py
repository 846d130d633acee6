"""Tasks written without ids (checklist items) are known by their text: an unchanged item keeps
its sub-issue wherever it moves, an inserted one makes one, a deleted one marks only its own
obsolete, a reworded one keeps its own when it alone is at that place, and a guess is said."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from storyplan.config import Settings
from storyplan.model import Story
from storyplan.refs import parse_ref
from storyplan.service import apply, prepare
from tests.fakes.memory import MemoryTracker

REF = parse_ref("o/r#1", "github")


def tracker() -> MemoryTracker:
    return MemoryTracker(Story(ref="o/r#1", title="Sign in"))


def story(items: list[str], extra: str = "") -> str:
    lines = "\n".join(f"- [ ] {item}" for item in items)
    return f"## User Story\nAs a shopper I want to sign in.\n\n## Tasks\n{lines}\n{extra}"


def run(memory: MemoryTracker, items: list[str], extra: str = "") -> tuple[list[str], list[str]]:
    """Apply the story whose tasks are `items`: the kinds of the writes made, and the notes."""
    memory.story = memory.story.model_copy(update={"body": story(items, extra)})
    prepared = prepare(memory, REF, Settings())
    before = len(memory.writes)
    apply(prepared)
    return [change.kind for change in memory.writes[before:]], prepared.notes


def keys_by_title(memory: MemoryTracker) -> dict[str, str]:
    """Each live sub-issue's task title (the title after "Task N: ") → its key."""
    return {
        child.title.split(": ", 1)[1]: child.key
        for child in memory.children.values()
        if not child.obsolete
    }


def numbers_by_title(memory: MemoryTracker) -> dict[str, str]:
    return {
        child.title.split(": ", 1)[1]: child.title.split(" · ", 1)[1].split(":", 1)[0]
        for child in memory.children.values()
    }


ITEMS = ["Session model", "Password hashing", "Rate limiter", "Sign-in endpoint"]


def test_an_item_inserted_at_the_top_is_one_create_and_the_plan() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before, numbers = keys_by_title(memory), numbers_by_title(memory)
    kinds, notes = run(memory, ["Audit log", *ITEMS])
    assert kinds == ["create_child", "upsert_plan"]
    assert notes == []
    after = keys_by_title(memory)
    assert {title: after[title] for title in ITEMS} == before
    assert {t: n for t, n in numbers_by_title(memory).items() if t in ITEMS} == numbers
    assert numbers_by_title(memory)["Audit log"] == "Task 5"  # the next number, never reused
    assert run(memory, ["Audit log", *ITEMS])[0] == []


def test_an_unchanged_item_keeps_its_sub_issue_wherever_it_moves() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before = keys_by_title(memory)
    moved = [ITEMS[3], ITEMS[1], ITEMS[0], ITEMS[2]]
    assert run(memory, moved)[0] == ["upsert_plan"]
    assert keys_by_title(memory) == before


def test_a_deleted_item_marks_only_its_own_sub_issue_obsolete() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before = keys_by_title(memory)
    kinds, _ = run(memory, [ITEMS[0], ITEMS[2], ITEMS[3]])
    assert kinds == ["mark_obsolete", "upsert_plan"]
    obsolete = [c.key for c in memory.children.values() if c.obsolete]
    assert obsolete == [before["Password hashing"]]


def test_a_reworded_item_between_unchanged_neighbours_keeps_its_sub_issue() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before = keys_by_title(memory)
    kinds, notes = run(memory, [ITEMS[0], "Password hashing with argon2", *ITEMS[2:]])
    assert kinds == ["update_child", "upsert_plan"]
    assert notes == []
    assert keys_by_title(memory)["Password hashing with argon2"] == before["Password hashing"]
    assert run(memory, [ITEMS[0], "Password hashing with argon2", *ITEMS[2:]])[0] == []


def test_a_reworded_item_and_an_insert_at_the_top_at_once() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before = keys_by_title(memory)
    edited = ["Audit log", ITEMS[0], "Hashing", *ITEMS[2:]]
    kinds, notes = run(memory, edited)
    assert sorted(kinds) == ["create_child", "update_child", "upsert_plan"]
    assert notes == []
    assert keys_by_title(memory)["Hashing"] == before["Password hashing"]


def test_several_reworded_items_at_one_place_are_a_guess_said_before_writing() -> None:
    memory = tracker()
    run(memory, ITEMS)
    before = keys_by_title(memory)
    edited = [ITEMS[0], "Hashing", "Limiting", ITEMS[3]]
    memory.story = memory.story.model_copy(update={"body": story(edited)})
    written = len(memory.writes)
    prepared = prepare(memory, REF, Settings())  # what `plan` shows: nothing written yet
    assert len(memory.writes) == written
    assert len(prepared.notes) == 2
    assert f'"Hashing" keeps {before["Password hashing"]}' in prepared.notes[0]
    assert "guess" in prepared.notes[0]
    apply(prepared)
    after = keys_by_title(memory)
    assert after["Hashing"] == before["Password hashing"]
    assert after["Limiting"] == before["Rate limiter"]


def test_dependencies_on_items_follow_the_sub_issues_they_keep() -> None:
    memory = tracker()
    items = [*ITEMS[:3], "Sign-in endpoint, after Task 2 and Task 3"]
    run(memory, items)
    links = set(memory.links)
    keys = keys_by_title(memory)
    assert links == {
        (keys["Password hashing"], keys["Sign-in endpoint"]),
        (keys["Rate limiter"], keys["Sign-in endpoint"]),
    }
    # An item at the top: the story's positions move, and the author's references with them.
    kinds, _ = run(memory, ["Audit log", *items[:3], "Sign-in endpoint, after Task 3 and Task 4"])
    assert kinds == ["create_child", "upsert_plan"]
    assert memory.links == links


def test_sub_issues_made_before_texts_were_recorded_keep_their_tasks_and_learn_them() -> None:
    memory = tracker()
    run(memory, ITEMS)
    for key, child in memory.children.items():  # markers as an earlier release wrote them
        memory.children[key] = child.model_copy(
            update={"body": re.sub(r' text="[0-9a-f]+"', "", child.body)}
        )
    assert memory.plan is not None
    memory.plan = memory.plan.model_copy(
        update={"body": re.sub(r' order="[^"]*"', "", memory.plan.body)}
    )
    before = keys_by_title(memory)
    kinds, notes = run(memory, ["Audit log", *ITEMS])
    assert sorted(kinds) == ["create_child", *["update_child"] * len(ITEMS), "upsert_plan"]
    assert notes == []
    assert {t: k for t, k in keys_by_title(memory).items() if t in ITEMS} == before
    assert all(' text="' in child.body for child in memory.children.values())
    assert run(memory, ["Audit log", *ITEMS])[0] == []


WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa"])


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(WORDS, min_size=1, max_size=6, unique=True),
    kind=st.sampled_from(["insert", "delete", "reword", "move"]),
    at=st.integers(min_value=0, max_value=6),
    word=st.sampled_from(["new one", "other one"]),
)
def test_one_edit_of_a_checklist_writes_one_sub_issue_and_the_plan_at_most(
    items: list[str], kind: str, at: int, word: str
) -> None:
    memory = tracker()
    run(memory, items)
    before = keys_by_title(memory)
    edited = list(items)
    where = at % len(items)
    if kind == "insert":
        edited.insert(at % (len(items) + 1), word)
    elif kind == "delete" and len(items) > 1:
        del edited[where]
    elif kind == "reword":
        edited[where] = word
    elif kind == "move":
        edited.append(edited.pop(where))
    kinds, notes = run(memory, edited)
    own = [k for k in kinds if k != "upsert_plan"]
    assert len(own) == (0 if kind == "move" else int(edited != items))
    assert notes == []
    after = keys_by_title(memory)
    # Every item the edit did not touch kept its sub-issue.
    kept = [title for title in items if title in edited]
    assert {t: after[t] for t in kept} == {t: before[t] for t in kept}
    if kind == "reword":
        assert after[word] == before[items[where]]
    assert run(memory, edited)[0] == []
