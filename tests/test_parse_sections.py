"""Sections found by their headings in many languages, mapped into the plan; whatever has no
slot is kept, never dropped."""

from __future__ import annotations

from datetime import date

import pytest

from storyplan.errors import PlanError
from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story


def parse(body: str, **kwargs: object) -> Plan:
    story = Story(ref="S-1", title="Story", body=body, source="story.md", assignees=[])
    return parse_story(story, today=date(2025, 1, 1), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tasks", "criteria", "risks"),
    [
        ("Tareas", "Criterios de aceptación", "Riesgos"),
        ("Tarefas", "Critérios de aceitação", "Riscos"),
        ("Tâches", "Critères d'acceptation", "Risques"),
        ("Aufgaben", "Akzeptanzkriterien", "Risiken"),
        ("任务", "验收标准", "风险"),
        ("タスク", "受け入れ基準", "リスク"),
        ("작업", "인수 조건", "위험"),
    ],
)
def test_headings_are_recognised_in_other_languages(tasks: str, criteria: str, risks: str) -> None:
    plan = parse(
        f"## {criteria}\n- [ ] criterion\n\n## {tasks}\n- [ ] task\n\n## {risks}\n- risk — plan\n"
    )
    assert [c.text for c in plan.acceptance_criteria] == ["criterion"]
    assert [t.title for t in plan.tasks] == ["task"]
    assert [(r.risk, r.mitigation) for r in plan.risks] == [("risk", "plan")]
    assert plan.sections == []


@pytest.mark.parametrize(
    "heading",
    [
        "## 3. Tasks:",
        "### 🚀 TASKS",
        "# Tasks: Login page",
        "## Task Breakdown (5)",
        "## Work Items",
    ],
)
def test_heading_matching_ignores_case_numbering_emoji_and_punctuation(heading: str) -> None:
    assert [t.title for t in parse(f"{heading}\n- [ ] one\n").tasks] == ["one"]


def test_several_sections_ending_in_a_known_word_are_all_read() -> None:
    plan = parse(
        "## Backend Tasks\n- [ ] API\n\n## Frontend tasks\n- [ ] Form\n\n"
        "## Security Risks\n- Token theft\n\n## Task Owners\nAna.\n"
    )
    assert [t.title for t in plan.tasks] == ["API", "Form"]
    assert [r.risk for r in plan.risks] == ["Token theft"]
    assert [s.title for s in plan.sections] == ["Task Owners"]


def test_task_headings_outside_a_tasks_section_are_tasks() -> None:
    plan = parse(
        "## Task 1: Schema\nFiles: a.sql\n\n## Plan\n### Task 2: API\nDepends on: Task 1\n"
    )
    assert [(t.id, t.files, t.depends_on) for t in plan.tasks] == [
        ("T1", ["a.sql"], []),
        ("T2", [], ["T1"]),
    ]


def test_extra_synonyms_extend_the_built_in_headings() -> None:
    body = "## Arbeitsvorrat\n- [ ] eins\n\n## Gefahren\n- Ausfall\n"
    plan = parse(body, synonyms={"tasks": ["Arbeitsvorrat"], "risks": ["Gefahren"]})
    assert ([t.title for t in plan.tasks], [r.risk for r in plan.risks]) == (["eins"], ["Ausfall"])


def test_unknown_synonym_keys_are_a_plan_error() -> None:
    with pytest.raises(PlanError) as err:
        parse("## Tasks\n- [ ] one\n", synonyms={"taskz": ["Todo"]})
    assert str(err.value.problems[0]).startswith(
        "story.md: heading synonyms name unknown section keys (taskz); known: overview, "
    )


def test_user_value_sentence_without_a_heading_opens_the_story() -> None:
    plan = parse(
        "As a shopper, I want saved carts so that I can finish later.\n\n## Tasks\n- [ ] x\n"
    )
    assert (
        plan.business.user_value == "As a shopper, I want saved carts so that I can finish later."
    )
    assert plan.sections == []


def test_user_story_heading_and_business_value_fill_the_business_context() -> None:
    plan = parse(
        "## User Story\nComo comprador, quiero guardar el carrito.\n\n"
        "## Business Value\nFewer abandoned carts.\n\n"
        "## Success Metrics\n- +5% conversion\n- -10% support tickets\n"
    )
    assert plan.business.user_value == "Como comprador, quiero guardar el carrito."
    assert plan.business.business_value == "Fewer abandoned carts."
    assert plan.business.success_criteria == ["+5% conversion", "-10% support tickets"]


def test_description_section_gives_its_user_story_sentence_and_keeps_the_rest() -> None:
    plan = parse("## Description\nAs a user I want X so that Y.\n\nMore context here.\n")
    assert plan.business.user_value == "As a user I want X so that Y."
    assert [(s.title, s.body) for s in plan.sections] == [("Description", "More context here.")]


def test_definition_of_done_and_ready_are_checklists_not_tasks() -> None:
    plan = parse(
        "## Tasks\n- [ ] Build\n\n"
        "## Definition of Done\n- [x] Reviewed\n- [ ] Deployed\n\n"
        "## Definition of Ready\n- [x] Estimated\n\n"
        "## QA Checklist\n- [ ] Tested on Safari\n"
    )
    assert [t.title for t in plan.tasks] == ["Build"]
    assert [(c.title, [(i.text, i.checked) for i in c.items]) for c in plan.checklists] == [
        ("Definition of Done", [("Reviewed", True), ("Deployed", False)]),
        ("Definition of Ready", [("Estimated", True)]),
        ("QA Checklist", [("Tested on Safari", False)]),
    ]


def test_unknown_sections_are_kept_with_their_markdown_and_line() -> None:
    plan = parse(
        "## Tasks\n- [ ] Build\n\n"
        "## Open Questions\n- Which locale?\n\n### Legal\nAsk **Mia**.\n\n"
        "## Out of Scope\nSSO.\n"
    )
    assert [(s.title, s.body, s.line) for s in plan.sections] == [
        ("Open Questions", "- Which locale?\n\n### Legal\nAsk **Mia**.", 4),
        ("Out of Scope", "SSO.", 10),
    ]


def test_a_known_section_under_an_unknown_heading_is_still_read() -> None:
    plan = parse("## Refinement\nNotes from Tuesday.\n\n### Tasks\n- [ ] Build\n")
    assert [t.title for t in plan.tasks] == ["Build"]
    assert [(s.title, s.body) for s in plan.sections] == [("Refinement", "Notes from Tuesday.")]


def test_headings_inside_code_blocks_are_not_headings() -> None:
    plan = parse(
        "## Dev Notes\n```markdown\n## Tasks\n- [ ] not a task\n```\n\n## Tasks\n- [ ] real task\n"
    )
    assert [t.title for t in plan.tasks] == ["real task"]
    assert plan.sections[0].title == "Dev Notes"
    assert "not a task" in plan.sections[0].body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- [ ] one\n- [x] two\n", [("one", False, ["1"]), ("two", True, ["2"])]),
        ("1. one\n2. two\n", [("one", False, ["1"]), ("two", False, ["2"])]),
        ("AC1: one\nAC3: three\n", [("one", False, ["1"]), ("three", False, ["3"])]),
        ("- **AC2**: two\n", [("two", False, ["2"])]),
        (
            "Given a cart\nWhen I leave\nThen it is saved\n\n"
            "Given a saved cart\nWhen I return\nThen I see it\n",
            [
                ("Given a cart When I leave Then it is saved", False, ["1"]),
                ("Given a saved cart When I return Then I see it", False, ["2"]),
            ],
        ),
        (
            "```gherkin\nScenario: save\n  Given a cart\n  Then it is saved\n```\n",
            [("Scenario: save Given a cart Then it is saved", False, ["1"])],
        ),
        (
            "### AC1: Saved\nGiven a cart\nThen it is saved\n",
            [("Saved: Given a cart Then it is saved", False, ["1"])],
        ),
    ],
)
def test_acceptance_criteria_forms(body: str, expected: list[tuple[str, bool, list[str]]]) -> None:
    plan = parse(f"## Acceptance Criteria\n{body}")
    assert [(c.text, c.checked, c.refs) for c in plan.acceptance_criteria] == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "- **Risk**: Fraud **Mitigation**: 3DS **Contingency**: manual review\n",
            [("Fraud", "3DS", "manual review")],
        ),
        ("- Fraud — 3DS\n- Outage -> retry\n", [("Fraud", "3DS", ""), ("Outage", "retry", "")]),
        ("1. **Risk**: Fraud\n   - **Mitigation**: 3DS\n", [("Fraud", "3DS", "")]),
        ("- Fraud\n  - 3DS challenge\n", [("Fraud", "3DS challenge", "")]),
        (
            "Risk: Fraud\nMitigation: 3DS\nRisk: Outage\n",
            [("Fraud", "3DS", ""), ("Outage", "", "")],
        ),
        (
            "| Risk | Impact | Mitigation | Contingency |\n|---|---|---|---|\n"
            "| Fraud | High | 3DS | review |\n",
            [("Fraud (Impact: High)", "3DS", "review")],
        ),
    ],
)
def test_risk_forms(body: str, expected: list[tuple[str, str, str]]) -> None:
    plan = parse(f"## Risks\n{body}")
    assert [(r.risk, r.mitigation, r.contingency) for r in plan.risks] == expected


def test_testing_security_performance_and_environment_fill_their_slots() -> None:
    plan = parse(
        "## Test Plan\n- Sign in on Safari\n\n"
        "## Security Considerations\nTokens are hashed.\n\n"
        "## Performance\n**Requirements**: p95 < 300 ms\n\n"
        "## Environment\n- **Configuration**: `REDIS_URL`\n- Run `make up`\n"
    )
    assert plan.integration.end_to_end.scenarios == ["Sign in on Safari"]
    assert plan.integration.security.requirements == "Tokens are hashed."
    assert plan.integration.performance.requirements == "p95 < 300 ms"
    assert plan.environment.configuration == "`REDIS_URL`"
    assert plan.environment.setup_steps == ["Run `make up`"]


def test_overview_fields_at_the_top_and_assignees_become_the_overview() -> None:
    story = Story(
        ref="S-9",
        title="Export",
        body="**Tech Lead**: Ana\n**Due**: 2025-06-01\n**Developers**: Bo\n\n## Tasks\n- [ ] x\n",
        url="https://example.test/S-9",
        assignees=["cy", "dee"],
    )
    plan = parse_story(story, today=date(2025, 2, 3))
    overview = plan.overview
    assert (overview.story_id, overview.story_title, overview.story_url) == (
        "S-9",
        "Export",
        "https://example.test/S-9",
    )
    assert (overview.tech_lead, overview.target_completion) == ("Ana", "2025-06-01")
    assert (overview.developers, overview.plan_date) == (["cy", "dee"], date(2025, 2, 3))
    assert plan.sections == []


def test_a_title_heading_matching_the_story_title_is_not_a_section() -> None:
    plan = parse_story(
        Story(
            ref="S-1",
            title="Saved carts",
            body="# Saved carts\n\nWhy: people leave.\n\n## Tasks\n- [ ] x\n",
        ),
        today=date(2025, 1, 1),
    )
    assert [(s.title, s.body) for s in plan.sections] == [("Saved carts", "Why: people leave.")]


BMAD_STORY = """\
# Story 1.2: Password reset

## Status
Draft

## Story
**As a** customer,
**I want** to reset my password by email,
**so that** I can get back into my account.

## Acceptance Criteria
1. A reset link is emailed within a minute.
2. The link works once and expires after an hour.

## Tasks / Subtasks
- [ ] Task 1: Reset tokens (AC: 2)
  - [ ] Subtask 1.1: Token table
  - [ ] Subtask 1.2: Expiry job
- [ ] Task 2: Reset email (AC: 1)
  - [ ] Subtask 2.1: Template

## Dev Notes
### Testing
Use the mail catcher.

## Change Log
| Date | Version | Description |
|---|---|---|
| 2025-01-02 | 0.1 | Draft |
"""


def test_a_bmad_story_reads_story_criteria_and_tasks() -> None:
    plan = parse_story(
        Story(ref="1.2", title="Story 1.2: Password reset", body=BMAD_STORY),
        today=date(2025, 1, 1),
    )
    assert plan.business.user_value.startswith("**As a** customer,")
    assert [c.refs for c in plan.acceptance_criteria] == [["1"], ["2"]]
    assert [(t.id, t.title, t.ac_refs) for t in plan.tasks] == [
        ("T1", "Reset tokens", ["2"]),
        ("T2", "Reset email", ["1"]),
    ]
    assert [[s.text for s in t.subtasks] for t in plan.tasks] == [
        ["Subtask 1.1: Token table", "Subtask 1.2: Expiry job"],
        ["Subtask 2.1: Template"],
    ]
    assert plan.overview.status == "Draft"
    assert [s.title for s in plan.sections] == ["Dev Notes", "Change Log"]
