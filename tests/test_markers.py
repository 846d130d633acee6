"""Markers: identity lines, storyplan's own part of a text, and ticks that survive."""

from __future__ import annotations

from storyplan import markers


def test_identity_round_trips_and_ignores_other_kinds() -> None:
    line = markers.identity("task", story="o/r#1", id="T2")
    assert line == '<!-- storyplan:task id="T2" story="o/r#1" -->'
    assert markers.read_identity(f"text\n{line}\n", "task") == {"id": "T2", "story": "o/r#1"}
    assert markers.read_identity(line, "plan") is None


def test_compose_keeps_text_outside_the_markers() -> None:
    first = markers.compose(None, "HEAD", "one")
    edited = "Intro by a person\n" + first + "Outro by a person\n"
    again = markers.compose(edited, "HEAD", "two")
    assert again.startswith("Intro by a person\n")
    assert again.endswith("Outro by a person\n")
    assert markers.managed(again) == "two"


def test_compose_adopts_text_that_had_no_markers_below_storyplans_part() -> None:
    text = markers.compose("A person's body", "HEAD", "mine")
    assert text == (
        "HEAD\n<!-- storyplan:begin -->\nmine\n<!-- storyplan:end -->\nA person's body\n"
    )


def test_ticks_carry_over_by_item_text_ignoring_key_annotations() -> None:
    old = "- [x] Task 1: Build it (#3)\n- [ ] Task 2\n* [X] Review"
    new = "- [ ] Task 1: Build it ([#3](http://x/3))\n- [ ] Task 2\n* [ ] Review\n- [ ] New"
    assert markers.carry_ticks(old, new) == (
        "- [x] Task 1: Build it ([#3](http://x/3))\n- [ ] Task 2\n* [x] Review\n- [ ] New"
    )


def test_jira_markers_are_invisible_anchors() -> None:
    text = markers.compose(None, markers.identity("plan", "jira"), "h2. Plan", "jira")
    assert "{anchor:storyplan-begin}" in text
    assert markers.managed(text, "jira") == "h2. Plan"
    assert markers.read_identity(text, "plan", "jira") == {}


def test_jira_ticks_shown_as_status_icons_carry_over() -> None:
    old = "* (/) Reviewed by QA\n* (x) Deployed"
    new = "* (x) Reviewed by QA\n* (x) Deployed\n* (x) Announced"
    assert markers.carry_ticks(old, new, "jira") == (
        "* (/) Reviewed by QA\n* (x) Deployed\n* (x) Announced"
    )
    assert markers.checkboxes(old, "jira") == [("Reviewed by QA", True), ("Deployed", False)]


def test_a_box_storyplan_ticked_is_unticked_when_its_reason_goes_but_a_person_tick_stays() -> None:
    first = markers.compose(None, "HEAD", "- [x] Task 1 (#3)\n- [ ] Task 2 (#4)\n- [ ] Review")
    assert "<!-- storyplan:ticked " in first
    by_person = first.replace("- [ ] Review", "- [x] Review")
    reopened = markers.compose(
        by_person, "HEAD", "- [ ] Task 1 (#3)\n- [ ] Task 2 (#4)\n- [ ] Review"
    )
    assert "- [ ] Task 1 (#3)" in reopened
    assert "- [x] Review" in reopened
    assert "storyplan:ticked" not in reopened  # nothing is storyplan's tick any more
    again = markers.compose(reopened, "HEAD", "- [ ] Task 1 (#3)\n- [ ] Task 2 (#4)\n- [ ] Review")
    assert again == reopened


def test_a_plan_written_before_ticks_were_recorded_keeps_every_old_tick() -> None:
    old = "HEAD\n<!-- storyplan:begin -->\n- [x] Task 1\n<!-- storyplan:end -->\n"
    assert "- [x] Task 1" in markers.compose(old, "HEAD", "- [ ] Task 1")


def test_compose_brings_the_identity_line_up_to_date_and_keeps_the_rest() -> None:
    first = markers.compose(None, markers.identity("plan", story="o/r#1", shape="a1"), "x")
    edited = "Person above\n" + first
    again = markers.compose(edited, markers.identity("plan", story="o/r#1", shape="b2"), "x")
    assert again.startswith("Person above\n")
    assert markers.read_identity(again, "plan") == {"shape": "b2", "story": "o/r#1"}


def test_a_plan_written_with_x_for_open_keeps_its_ticks_in_the_neutral_mark() -> None:
    old = "* (/) Reviewed by QA\n* (x) Deployed"  # written before ☐ marked open boxes
    new = "* ☐ Reviewed by QA\n* ☐ Deployed"
    assert markers.checkboxes(old, "jira") == [("Reviewed by QA", True), ("Deployed", False)]
    assert markers.carry_ticks(old, new, "jira") == "* (/) Reviewed by QA\n* ☐ Deployed"
