"""Every real story of the public corpus (tests/corpus/) parses to the stories, tasks,
dependency edges and acceptance criteria a careful person reads in it
(tests/corpus/expected.toml). A file holding several stories is read story by story.

Stories the parser does not read yet are strict xfails, listed in NOT_YET_READ with the
reason: when the parser learns to read one, the strict xfail fails and the entry is removed.
"""

from __future__ import annotations

import pytest

from storyplan.errors import PlanError
from tests.corpus_reading import (
    PROVENANCE,
    Counts,
    Expected,
    Reading,
    compare,
    judge,
    load_table,
    story_files,
)

# Stories whose reading does not match the table yet: file name → why not.
NOT_YET_READ: dict[str, str] = {}

TABLE = load_table()


def _case(expected: Expected) -> object:
    marks = []
    if expected.name in NOT_YET_READ:
        reason = NOT_YET_READ[expected.name]
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(expected, id=expected.name, marks=marks)


@pytest.mark.parametrize("expected", [_case(e) for e in TABLE])
def test_story_reads_as_a_person_reads_it(expected: Expected) -> None:
    try:
        verdict = judge(expected)
    except PlanError as err:
        pytest.fail(f"{expected.name} does not parse: {err}")
    assert verdict.misses == ()


def test_every_corpus_story_has_a_reading_and_a_provenance() -> None:
    names = [e.name for e in TABLE]
    assert names == story_files()
    provenance = PROVENANCE.read_text(encoding="utf-8")
    assert [n for n in names if f"`{n}`" not in provenance] == []
    assert set(names) >= set(NOT_YET_READ)


def test_comparison_reports_each_difference() -> None:
    """The comparison can fail: counts out of range, an edge left out, an edge invented."""
    v1 = next(e for e in TABLE if e.name == "speckit-template-v1.md").readings[0]
    exact = Reading(23, v1.edges, 0)
    assert compare(v1, exact).misses == ()
    # "Tests (T004-T007) before implementation (T008-T014)" is an optional range.
    assert compare(v1, Reading(23, v1.edges | {("10", "5")}, 0)).edges
    wrong = compare(v1, Reading(22, frozenset({("9", "8"), ("1", "23")}), 7))
    assert (wrong.tasks, wrong.edges, wrong.criteria) == (False, False, False)
    assert wrong.misses == (
        "tasks: expected 23, got 22",
        "edges: missing 15->8, 18->16",
        "edges: not in the story 1->23",
        "criteria: expected 0-6, got 7",
    )


def test_a_file_of_several_stories_is_read_story_by_story() -> None:
    """The stories found count apart, and each chosen story is compared on its own."""
    h2 = next(e for e in TABLE if e.name == "multistory-h2-stories.md")
    assert h2.stories == 4
    assert [counts.story for counts in h2.readings] == [1, 4]
    assert judge(h2).stories
    one = Counts(tasks=(0, 1), edges=frozenset(), optional=(), criteria=(8, 8), story=4)
    assert compare(one, Reading(0, frozenset(), 7)).misses == (
        "story 4: criteria: expected 8, got 7",
    )
    wrong = Expected(h2.name, h2.format, 3, h2.readings, positional=False)
    verdict = judge(wrong)
    assert not verdict.stories
    assert verdict.misses[0] == "stories: expected 3, got 4"
