"""A plan written in the seed template's own format reads back into the same plan model."""

from __future__ import annotations

from datetime import date

import pytest

from storyplan.model import Level, Plan, Story
from storyplan.parse.story import parse_story

TEMPLATE_PLAN = """\
# Implementation Plan

## Overview
- **Story**: SHOP-7 - Saved addresses
- **Tech Lead**: Ana Lima
- **Developer(s)**: Bo Chen, Dee Okafor
- **Plan Date**: 2025-03-01
- **Target Completion**: 2025-03-28

## Business Context Summary
- **User Value**: Shoppers stop retyping their address at every checkout
- **Business Value**: Fewer abandoned checkouts on mobile
- **Success Criteria**: Mobile checkout completion up 5%

## Technical Approach Summary
- **Architecture Alignment**: Addresses live in the customer service
- **Implementation Strategy**: A new address book API consumed by checkout
- **Key Technical Decisions**: ADR-31 address validation provider

## Development Task Breakdown

### Task Sequence & Dependencies

```mermaid
graph TD
    A[Task 1] --> B[Task 2]
    A --> C[Task 3]
    B --> D[Task 4]
    C --> D
```

### Task 1: Address table

#### Description
Create the address table and its repository.

#### Technical Details
- **Primary Files**: `customers/addresses.py`, `customers/migrations/0009.py`
- **Dependencies**: None
- **Technology/Libraries**: PostgreSQL, SQLAlchemy
- **Design Patterns**: Repository

#### Implementation Steps
1. Write the migration - with a country index
2. Add the repository - CRUD only

#### Acceptance Criteria
- [ ] Migration rolls back cleanly
- [x] Repository has 100% branch coverage

#### Testing Requirements
- **Unit Tests**: repository round trip
- **Integration Tests**: migration against PostgreSQL
- **Manual Testing**: none

#### Estimated Effort
- **Time Estimate**: 1 day
- **Complexity**: Low
- **Risk Level**: Medium

#### Implementation Notes
Country codes are ISO 3166-1 alpha-2.

---

### Task 2: Address book API

#### Description
CRUD endpoints for the signed-in customer's addresses.

#### Technical Details
- **Primary Files**: `customers/api/addresses.py`
- **Dependencies**: Task 1
- **Technology/Libraries**: FastAPI
- **Design Patterns**: Resource controller

#### Implementation Steps
1. Add the routes
2. Validate with the provider

#### Estimated Effort
- **Time Estimate**: 2 days
- **Complexity**: Medium
- **Risk Level**: High

---

### Task 3: Address validation client

#### Technical Details
- **Dependencies**: Task 1

---

### Task 4: Checkout address picker

#### Technical Details
- **Dependencies**: Task 2, Task 3

## Integration & Testing Plan

### Integration Strategy
Checkout reads the address book behind a feature flag.

### End-to-End Testing
- **Test Scenarios**: add an address and check out with it
- **Test Data**: three seeded customers
- **Environment**: staging

### Performance Validation
- **Performance Requirements**: p95 under 200 ms
- **Testing Approach**: k6 against staging
- **Success Metrics**: no regression in checkout p95

### Security Validation
- **Security Requirements**: customers only see their own addresses
- **Testing Approach**: authorization tests per endpoint
- **Compliance Checks**: GDPR export includes addresses

## Development Environment Setup

### Prerequisites
- **Development Tools**: Python 3.12, Docker
- **Dependencies**: `uv sync`
- **Configuration**: `ADDRESS_PROVIDER_KEY` in `.env`
- **Database Setup**: `make db-migrate`

### Local Development
- **Setup Steps**: `make up`
- **Verification**: `make smoke` passes
- **Common Issues**: port 5432 already taken

## Code Quality Standards

### Coding Standards
- **Style Guide**: ruff defaults
- **Naming Conventions**: snake_case modules
- **File Organization**: one module per resource
- **Documentation**: docstrings say why

### Code Review Checklist
- [ ] Code follows team style guide
- [x] All acceptance criteria are met

## Risk Mitigation

### Technical Risks
1. **Risk**: Provider outage
   - **Mitigation**: cache validated addresses
   - **Contingency**: accept unvalidated addresses

2. **Risk**: Duplicate addresses
   - **Mitigation**: normalise before saving
   - **Contingency**: nightly dedupe job

### Implementation Challenges
- **Challenge**: Legacy checkout form
  - **Strategy**: wrap it in an adapter
  - **Support**: checkout team

## Support & Escalation

### Tech Lead Support
- **Availability**: mornings CET
- **Communication**: #shop-addresses
- **Review Schedule**: Tuesdays and Thursdays

### Architecture Questions
- **Contact**: Ravi
- **Documentation**: wiki/architecture

### Business Questions
- **Contact**: Mia
- **Documentation**: wiki/product/addresses

## Progress Tracking

### Daily Checkpoints
- [ ] Task 1 progress and blockers
- [ ] Integration progress

### Weekly Milestones
- **Week 1**: API ready
- **Week 2**: Checkout integrated

### Success Indicators
- [ ] All tasks completed with acceptance criteria met

## Completion Checklist

### Technical Completion
- [ ] All development tasks completed

### Business Completion
- [ ] Stakeholder demo/approval

### Operational Completion
- [x] Monitoring/alerting configured

## Retrospective Notes

### What Worked Well
Pairing on the API.

### Challenges Encountered
Provider sandbox limits.

### Lessons Learned
Book the sandbox early.

### Process Improvements
Spike third-party APIs during refinement.

---

*This implementation plan bridges the collaborative technical refinement into actionable
development work.*
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    story = Story(ref="SHOP-7", title="Saved addresses", body=TEMPLATE_PLAN, source="plan.md")
    return parse_story(story, today=date(2025, 3, 14))


def test_overview_reads_lead_developers_and_target(plan: Plan) -> None:
    assert plan.overview.tech_lead == "Ana Lima"
    assert plan.overview.developers == ["Bo Chen", "Dee Okafor"]
    assert plan.overview.target_completion == "2025-03-28"
    assert plan.overview.plan_date == date(2025, 3, 14)
    assert plan.overview.story_id == "SHOP-7"


def test_business_context_and_approach_read_their_fields(plan: Plan) -> None:
    assert plan.business.user_value == "Shoppers stop retyping their address at every checkout"
    assert plan.business.business_value == "Fewer abandoned checkouts on mobile"
    assert plan.business.success_criteria == ["Mobile checkout completion up 5%"]
    assert plan.approach.architecture == "Addresses live in the customer service"
    assert plan.approach.strategy == "A new address book API consumed by checkout"
    assert plan.approach.decisions == ["ADR-31 address validation provider"]


def test_template_tasks_read_every_field(plan: Plan) -> None:
    assert [t.id for t in plan.tasks] == ["T1", "T2", "T3", "T4"]
    first = plan.tasks[0]
    assert first.title == "Address table"
    assert first.description == "Create the address table and its repository."
    assert first.files == ["customers/addresses.py", "customers/migrations/0009.py"]
    assert first.depends_on == []
    assert first.technologies == ["PostgreSQL", "SQLAlchemy"]
    assert first.patterns == ["Repository"]
    assert first.steps == [
        "Write the migration - with a country index",
        "Add the repository - CRUD only",
    ]
    assert [(c.text, c.checked) for c in first.acceptance_criteria] == [
        ("Migration rolls back cleanly", False),
        ("Repository has 100% branch coverage", True),
    ]
    assert first.testing.unit == "repository round trip"
    assert first.testing.integration == "migration against PostgreSQL"
    assert first.testing.manual == "none"
    assert first.estimate == "1 day"
    assert (first.complexity, first.risk) == (Level.LOW, Level.MEDIUM)
    assert first.notes == "Country codes are ISO 3166-1 alpha-2."


def test_template_dependencies_form_the_diamond(plan: Plan) -> None:
    assert [t.depends_on for t in plan.tasks] == [[], ["T1"], ["T1"], ["T2", "T3"]]


def test_task_sequence_drawing_is_not_a_task_and_not_kept(plan: Plan) -> None:
    assert all("Sequence" not in t.title for t in plan.tasks)
    assert all("mermaid" not in s.body for s in plan.sections)


def test_integration_and_testing_plan_fills_integration(plan: Plan) -> None:
    integration = plan.integration
    assert integration.strategy == "Checkout reads the address book behind a feature flag."
    assert integration.end_to_end.scenarios == ["add an address and check out with it"]
    assert integration.end_to_end.data == "three seeded customers"
    assert integration.end_to_end.environment == "staging"
    assert integration.performance.requirements == "p95 under 200 ms"
    assert integration.performance.approach == "k6 against staging"
    assert integration.performance.metrics == "no regression in checkout p95"
    assert integration.security.requirements == "customers only see their own addresses"
    assert integration.security.metrics == "GDPR export includes addresses"


def test_environment_and_quality_fill_their_slots(plan: Plan) -> None:
    env = plan.environment
    assert (env.tools, env.dependencies) == ("Python 3.12, Docker", "`uv sync`")
    assert env.configuration == "`ADDRESS_PROVIDER_KEY` in `.env`"
    assert env.database == "`make db-migrate`"
    assert env.setup_steps == ["`make up`"]
    assert (env.verification, env.common_issues) == (
        "`make smoke` passes",
        "port 5432 already taken",
    )
    assert plan.quality.style_guide == "ruff defaults"
    assert plan.quality.documentation == "docstrings say why"
    assert [(c.text, c.checked) for c in plan.quality.review_checklist] == [
        ("Code follows team style guide", False),
        ("All acceptance criteria are met", True),
    ]


def test_risks_and_challenges_read_nested_fields(plan: Plan) -> None:
    assert [(r.risk, r.mitigation, r.contingency) for r in plan.risks] == [
        ("Provider outage", "cache validated addresses", "accept unvalidated addresses"),
        ("Duplicate addresses", "normalise before saving", "nightly dedupe job"),
    ]
    assert [(c.challenge, c.strategy, c.support) for c in plan.challenges] == [
        ("Legacy checkout form", "wrap it in an adapter", "checkout team")
    ]


def test_support_progress_completion_and_retrospective_fill_their_slots(plan: Plan) -> None:
    assert plan.support.tech_lead_communication == "#shop-addresses"
    assert plan.support.architecture_contact == "Ravi"
    assert plan.support.business_docs == "wiki/product/addresses"
    assert [c.text for c in plan.progress.daily_checkpoints] == [
        "Task 1 progress and blockers",
        "Integration progress",
    ]
    assert plan.progress.weekly_milestones == [
        "**Week 1**: API ready",
        "**Week 2**: Checkout integrated",
    ]
    assert len(plan.progress.success_indicators) == 1
    assert plan.completion.operational[0].checked is True
    assert plan.retrospective.lessons == "Book the sandbox early."


def test_template_leaves_no_unknown_sections_and_drops_its_boilerplate_footer(plan: Plan) -> None:
    assert plan.sections == []
    assert plan.retrospective.improvements == "Spike third-party APIs during refinement."
    assert plan.notes == []
