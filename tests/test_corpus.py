"""Every real story of the public corpus (tests/corpus/) parses to the tasks, dependency
edges and acceptance criteria a careful person reads in it (tests/corpus/expected.toml).

Stories the parser does not read yet are strict xfails, listed in NOT_YET_READ: when the
parser learns a format, its stories start to pass, the strict xfail fails, and the entry
is removed. A file holding several stories is read, for now, as one plan whose tasks are
its stories.
"""

from __future__ import annotations

import pytest

from storyplan.errors import PlanError
from tests.corpus_reading import (
    PROVENANCE,
    Expected,
    Reading,
    compare,
    load_table,
    parse_file,
    reading,
    story_files,
)

# Stories whose reading does not match the table yet; the reason names the story's format.
NOT_YET_READ = {
    "bmad-epics-bold-stories.md",
    "bmad-epics-multistory.md",
    "bmad-story-draft.md",
    "bmad-story-empty-record.md",
    "bmad-story-v6.md",
    "gh-tasklist-blocks.md",
    "jira-epic-template.jira",
    "multistory-h2-stories.md",
    "speckit-arrow-deps.md",
    "speckit-zh-req.md",
    "tasks-ko-template.md",
}

TABLE = load_table()


def _case(expected: Expected) -> object:
    marks = []
    if expected.name in NOT_YET_READ:
        reason = f"parser does not yet read {expected.format}"
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(expected, id=expected.name, marks=marks)


@pytest.mark.parametrize("expected", [_case(e) for e in TABLE])
def test_story_reads_as_a_person_reads_it(expected: Expected) -> None:
    try:
        plan = parse_file(expected.path)
    except PlanError as err:
        pytest.fail(f"{expected.name} does not parse: {err}")
    verdict = compare(expected, reading(plan, expected.positional))
    assert verdict.misses == ()


def test_every_corpus_story_has_a_reading_and_a_provenance() -> None:
    names = [e.name for e in TABLE]
    assert names == story_files()
    provenance = PROVENANCE.read_text(encoding="utf-8")
    assert [n for n in names if f"`{n}`" not in provenance] == []
    assert set(names) >= NOT_YET_READ


def test_comparison_reports_each_difference() -> None:
    """The comparison can fail: counts out of range, an edge left out, an edge invented."""
    v1 = next(e for e in TABLE if e.name == "speckit-template-v1.md")
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
