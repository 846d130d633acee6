"""One edit touches one sub-issue, and whatever happened before (runs that raced, a run cut
short, a lost answer, another spelling of the story) the next apply reaches one plan and one
sub-issue per task. The same scenarios on every tracker, through the real CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import cast

import pytest

from tests.e2e.harness import HARNESSES, REMOTE, Harness, Held, Progressing, Remote, race, run_cli
from tests.e2e.stories import TaskSpec, checklist_text, diamond, edges, story_text


@pytest.fixture(params=sorted(HARNESSES))
def tracker(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with HARNESSES[request.param]() as made:
        yield made


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with HARNESSES[request.param]() as tracker:
        yield tracker


@pytest.fixture(params=REMOTE)
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    with HARNESSES[request.param]() as tracker:
        assert isinstance(tracker, Remote)
        yield tracker


def applied_json(harness: Harness, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """Apply the story as it stands; what the run reports, with its writes counted."""
    capsys.readouterr()
    harness.mark()
    code = run_cli("apply", "--json", harness.ref)
    out, err = capsys.readouterr()
    assert code == 0, err
    report: dict[str, object] = json.loads(out)
    report["writes"] = harness.writes()
    return report


def one_live_child_per_task(harness: Harness) -> dict[str, Held]:
    """Every task's issues: exactly one neither closed nor obsolete, the story's child."""
    children = harness.children()
    for task_id, issues in harness.made().items():
        live = [held for held in issues if not (held.closed or held.obsolete)]
        assert [held.key for held in live] == [children[task_id].key], task_id
    return children


ITEMS = ["Add the session model", "Hash passwords", "Add the sign-in endpoint"]


def checklist_edited(
    harness: Harness, capsys: pytest.CaptureFixture[str], edited: list[str]
) -> tuple[dict[str, Held], dict[str, object]]:
    """Apply the checklist of ITEMS, then `edited`: the children before, the edit's report."""
    harness.write_story(checklist_text(ITEMS))
    applied_json(harness, capsys)
    before = harness.children()
    harness.write_story(checklist_text(edited))
    return before, applied_json(harness, capsys)


# -- one edit, one sub-issue ----------------------------------------------------------------
def test_an_item_inserted_at_the_top_is_one_create_and_the_plan(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    before, top = checklist_edited(harness, capsys, ["Write the design note", *ITEMS])
    assert (top["created"], top["updated"], top["linked"], top["plan_written"]) == (1, 0, 0, True)
    after = harness.children()
    assert {k: after[k] for k in before} == before  # keys, titles and bodies as they were
    (new,) = set(after) - set(before)
    assert "Write the design note" in after[new].title
    # The same writes as an item added at the end: one create and the plan.
    harness.write_story(checklist_text(["Write the design note", *ITEMS, "Add an audit log"]))
    end = applied_json(harness, capsys)
    assert (end["created"], end["updated"]) == (1, 0)
    assert top["writes"] == end["writes"]
    assert applied_json(harness, capsys)["writes"] == 0


def test_a_reworded_item_between_unchanged_ones_keeps_its_sub_issue(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    before, report = checklist_edited(harness, capsys, [ITEMS[0], "Hashing with argon2", ITEMS[2]])
    assert report["writes"] == 2  # its sub-issue and the plan
    after = harness.children()
    assert set(after) == set(before)
    changed = [k for k in before if after[k] != before[k]]
    assert len(changed) == 1
    assert after[changed[0]].key == before[changed[0]].key
    assert "argon2" in after[changed[0]].title


def test_several_reworded_items_are_a_guess_that_plan_tells_before_anything_is_written(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.write_story(checklist_text(ITEMS))
    applied_json(harness, capsys)
    before = harness.children()
    harness.write_story(checklist_text([ITEMS[0], "Hash with scrypt", "Add the login API"]))
    harness.mark()
    capsys.readouterr()
    assert run_cli("plan", harness.ref) == 0
    err = capsys.readouterr().err
    assert harness.writes() == 0
    notes = {line.split('"')[1]: line for line in err.splitlines() if "a guess by place" in line}
    assert notes.keys() == {"Hash with scrypt", "Add the login API"}
    assert f'{before["T2"].key} ("' in notes["Hash with scrypt"]  # the sub-issue it keeps
    assert ITEMS[1] in notes["Hash with scrypt"]  # and what that sub-issue was
    assert f'{before["T3"].key} ("' in notes["Add the login API"]
    report = applied_json(harness, capsys)
    assert (report["created"], report["updated"], report["obsolete"]) == (0, 2, 0)
    after = harness.children()
    assert {k: held.key for k, held in after.items()} == {k: h.key for k, h in before.items()}
    assert "Hash with scrypt" in after["T2"].title


def test_renaming_the_story_is_at_most_one_write(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.write_story(story_text(diamond(4)))
    applied_json(harness, capsys)
    before = harness.children()
    harness.rename_story("Sign in with email or a passkey")
    assert applied_json(harness, capsys)["writes"] <= 1  # the plan, if it shows the title
    assert harness.children() == before
    assert applied_json(harness, capsys)["writes"] == 0


# -- runs that raced, runs cut short ----------------------------------------------------------
@pytest.mark.parametrize("runs", [2, 3])
def test_applies_that_raced_are_healed_by_the_next_apply(
    harness: Harness, runs: int, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    harness.write_story(story_text(tasks))
    assert race(*[("apply", "--quiet", harness.ref)] * runs) == [0] * runs
    if harness.name != "files":  # files: the runs write the same files, nothing to heal
        extra = sum(len(made) - 1 for made in harness.made().values())
        assert extra or len(harness.plan_bodies()) > 1, "the runs did not race"
    applied_json(harness, capsys)
    assert len(harness.plan_bodies()) == 1
    assert sorted(one_live_child_per_task(harness)) == ["T1", "T2", "T3", "T4"]
    assert harness.links() == edges(tasks)
    assert applied_json(harness, capsys)["writes"] == 0


SMALL = [TaskSpec(1, "Schema"), TaskSpec(2, "API", [1]), TaskSpec(3, "Form", [2])]


def end_state(harness: Harness) -> tuple[object, ...]:
    """What the tracker holds, but for the fake server's address, which each run has its own."""
    children = one_live_child_per_task(harness)
    shown = sorted(
        (k, c.title, re.sub(r"http://127\.0\.0\.1:\d+", "", c.body), c.obsolete, c.closed)
        for k, c in children.items()
    )
    return len(harness.plan_bodies()), shown, sorted(harness.links())


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_an_apply_cut_after_every_k_writes_is_finished_by_one_apply(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with HARNESSES[name]() as whole:
        whole.write_story(story_text(SMALL))
        total = applied_json(whole, capsys)["writes"]
        expected = end_state(whole)
    assert isinstance(total, int)
    assert expected[0] == 1
    assert expected[2] == sorted(edges(SMALL))
    for cut in range(1, total + 1):
        with HARNESSES[name]() as harness:
            harness.write_story(story_text(SMALL))
            harness.fail_writes_after(cut)
            run_cli("apply", "--quiet", harness.ref)  # cut short, unless `cut` is all of it
            harness.clear_faults()
            applied_json(harness, capsys)
            assert end_state(harness) == expected, f"cut after {cut} of {total} writes"
            assert applied_json(harness, capsys)["writes"] == 0


# -- the story's names, a lost answer ---------------------------------------------------------
def test_every_spelling_of_the_story_is_the_same_story(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.write_story(story_text(diamond(4)))
    applied_json(harness, capsys)
    before = harness.children()
    root = getattr(harness, "root", None)
    if root is not None:
        monkeypatch.chdir(root)  # the files tracker's spellings are relative paths
    for spelling in harness.spellings():
        capsys.readouterr()
        harness.mark()
        assert run_cli("apply", spelling) == 0, spelling
        assert "up to date" in capsys.readouterr().out, spelling
        assert harness.writes() == 0, spelling
    assert harness.children() == before
    assert len(harness.plan_bodies()) == 1


def test_an_orphan_past_the_first_page_is_found_by_the_next_apply(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = diamond(4)
    remote.write_story(story_text(tasks))
    remote.lose_create_and_look_up()
    run_cli("apply", "--quiet", remote.ref)  # stops where the look-up fails, if there is one
    orphans = remote.made()
    assert orphans
    remote.clear_faults()
    remote.bury(120)
    applied_json(remote, capsys)
    made = remote.made()
    assert sorted(made) == ["T1", "T2", "T3", "T4"]
    assert all(len(issues) == 1 for issues in made.values()), made
    assert {t: made[t][0].key for t in orphans} == {t: orphans[t][0].key for t in orphans}
    children = remote.children()
    assert {t: children[t].key for t in orphans} == {t: orphans[t][0].key for t in orphans}
    assert remote.links() == edges(tasks)
    assert len(remote.plan_bodies()) == 1


# -- ticks stay where a person put them -------------------------------------------------------
def box(text: str, done: bool) -> str:
    return f"- {'[x]' if done else '[ ]'} {text}"


def lines_with(plan: str, text: str) -> list[str]:
    """The checklist lines that read `text` (a task line also carries its sub-issue's link)."""
    return [line for line in plan.splitlines() if line.startswith("- [") and text in line]


def test_an_acceptance_line_equal_to_a_task_line_keeps_its_tick_where_the_person_put_it(
    tracker: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = cast(Progressing, tracker)  # every harness can close a sub-issue
    same = "Task 1: Session model"
    criteria = [TaskSpec(1, "Session model"), TaskSpec(2, "Password hashing", [1])]
    harness.write_story(story_text(criteria).replace("A registered shopper can sign in", same))
    applied_json(harness, capsys)
    plan = harness.plan_bodies()[0]
    criterion, task_line = lines_with(plan, same)[:2]
    # The story's criterion (`- [ ] Task 1: Session model (AC1)`) comes before the tasks.
    assert criterion.startswith(box(same, False))
    assert task_line.startswith(box(same, False))
    harness.set_plan_body(plan.replace(criterion, "- [x]" + criterion[len("- [ ]") :], 1))

    def ticks() -> list[bool]:
        return [line.startswith("- [x]") for line in lines_with(harness.plan_bodies()[0], same)]

    assert ticks()[:2] == [True, False]
    harness.write_story(
        story_text([criteria[0], TaskSpec(2, "Password hashing with argon2", [1])]).replace(
            "A registered shopper can sign in", same
        )
    )
    applied_json(harness, capsys)  # a re-render
    assert ticks()[:2] == [True, False]
    harness.close_child("T1")
    assert run_cli("sync", "--quiet", harness.ref) == 0
    assert ticks()[:2] == [True, True]
    harness.reopen_child("T1")
    assert run_cli("sync", "--quiet", harness.ref) == 0
    assert ticks()[:2] == [True, False]  # storyplan's tick goes, the person's stays
