"""Explicit data in a ```storyplan block (YAML or TOML) or YAML front matter wins over what the
parser infers from the text."""

from __future__ import annotations

from datetime import date

from storyplan.model import Level, Plan, Story
from storyplan.parse.story import parse_story

TASKS = "## Tasks\n### Task 1: Schema\nEstimate: 1d\n\n### Task 2: API\nDepends on: Task 1\n"


def parse(body: str) -> Plan:
    story = Story(ref="S-1", title="Story", body=body, source="story.md")
    return parse_story(story, today=date(2025, 1, 1))


def test_a_yaml_storyplan_block_overrides_inferred_fields() -> None:
    plan = parse(
        TASKS + "\n```storyplan\n"
        "tech_lead: Ana\n"
        "target_completion: 2025-06-30\n"
        "business:\n  business_value: Fewer tickets\n"
        "approach:\n  strategy: Feature flag first\n"
        "risks:\n  - Fraud\n  - risk: Outage\n    mitigation: retries\n"
        "tasks:\n"
        "  T1:\n    estimate: 3d\n    complexity: high\n    technologies: PostgreSQL, Alembic\n"
        "  Task 2:\n    depends_on: []\n    title: Cart API\n"
        "```\n"
    )
    assert (plan.overview.tech_lead, plan.overview.target_completion) == ("Ana", "2025-06-30")
    assert plan.business.business_value == "Fewer tickets"
    assert plan.approach.strategy == "Feature flag first"
    assert [(r.risk, r.mitigation) for r in plan.risks] == [("Fraud", ""), ("Outage", "retries")]
    first, second = plan.tasks
    assert (first.estimate, first.complexity) == ("3d", Level.HIGH)
    assert first.technologies == ["PostgreSQL", "Alembic"]
    assert (second.title, second.depends_on) == ("Cart API", [])
    assert all("storyplan" not in s.body for s in plan.sections)


def test_a_toml_storyplan_block_overrides_inferred_fields() -> None:
    plan = parse(
        TASKS + "\n```storyplan\n"
        'tech_lead = "Ana"\n\n'
        "[tasks.T2]\n"
        'depends_on = ["T1", "T7"]\n'
        "estimate = 5\n"
        "```\n"
    )
    assert plan.overview.tech_lead == "Ana"
    assert (plan.task("T2").depends_on, plan.task("T2").estimate) == (["T1", "T7"], "5")


def test_a_storyplan_block_can_add_a_task() -> None:
    plan = parse(
        TASKS + "\n```storyplan\ntasks:\n  - id: T3\n    title: Docs\n    depends_on: T2\n```\n"
    )
    assert [(t.id, t.number, t.depends_on) for t in plan.tasks][-1] == ("T3", 3, ["T2"])


def test_front_matter_sets_title_lead_target_and_dependencies() -> None:
    plan = parse(
        "---\n"
        "title: Saved carts\n"
        "tech_lead: Ana\n"
        "target: 2025-07-01\n"
        "labels: [cart]\n"
        "tasks:\n"
        "  - id: T2\n    depends_on: [T1]\n"
        "---\n"
        "## Tasks\n### Task 1: Schema\nx\n\n### Task 2: API\nx\n"
    )
    assert plan.overview.story_title == "Saved carts"
    assert (plan.overview.tech_lead, plan.overview.target_completion) == ("Ana", "2025-07-01")
    assert plan.task("T2").depends_on == ["T1"]
    assert plan.tasks[0].line == 11  # front matter lines still count


def test_front_matter_alone_can_hold_the_tasks() -> None:
    plan = parse("---\ntasks:\n  T1: {title: Schema}\n  T2: {title: API, depends_on: [T1]}\n---\n")
    assert [(t.id, t.title, t.depends_on) for t in plan.tasks] == [
        ("T1", "Schema", []),
        ("T2", "API", ["T1"]),
    ]


def test_a_rule_and_a_setext_heading_are_not_front_matter() -> None:
    plan = parse("---\nA heading\n---\n\n## Tasks\n- [ ] x\n")
    assert [t.title for t in plan.tasks] == ["x"]
