"""The checklists the implementation-plan template always shows, filled in where a story
did not give its own, so every plan carries the team's review, progress and completion
gates. Whatever the story said is kept as it is.
"""

from __future__ import annotations

from storyplan.model import ChecklistItem, Plan

REVIEW_CHECKLIST = (
    "Code follows team style guide",
    "All acceptance criteria are met",
    "Unit tests cover new functionality",
    "Integration tests validate feature workflow",
    "Documentation is updated",
    "Performance requirements are met",
    "Security requirements are addressed",
    "Error handling is comprehensive",
)
SUCCESS_INDICATORS = (
    "All tasks completed with acceptance criteria met",
    "Integration testing passes",
    "Performance requirements met",
    "Business stakeholder acceptance",
    "Code review approval",
    "Documentation updated",
)
TECHNICAL_COMPLETION = (
    "All development tasks completed",
    "Unit tests passing",
    "Integration tests passing",
    "Performance validation complete",
    "Security validation complete",
    "Code review approved",
)
BUSINESS_COMPLETION = (
    "All business acceptance criteria met",
    "Stakeholder demo/approval",
    "User validation (if applicable)",
    "Documentation for end users updated",
)
OPERATIONAL_COMPLETION = (
    "Deployment scripts updated",
    "Monitoring/alerting configured",
    "Rollback procedures documented",
    "Team knowledge transfer complete",
)


def _items(texts: tuple[str, ...] | list[str]) -> list[ChecklistItem]:
    return [ChecklistItem(text=text) for text in texts]


def daily_checkpoints(plan: Plan) -> list[str]:
    """One checkpoint per task, then integration and testing, as the template lists them."""
    tasks = [f"Task {task.number} progress and blockers" for task in plan.tasks]
    return [*tasks, "Integration progress", "Testing progress"]


def complete_plan(plan: Plan) -> Plan:
    """A copy of `plan` with each empty checklist the template always shows filled in,
    and the developers taken from the story's assignees when the story named none.
    """
    done = plan.model_copy(deep=True)
    if not done.quality.review_checklist:
        done.quality.review_checklist = _items(REVIEW_CHECKLIST)
    if not done.progress.daily_checkpoints:
        done.progress.daily_checkpoints = _items(daily_checkpoints(plan))
    if not done.progress.success_indicators:
        done.progress.success_indicators = _items(SUCCESS_INDICATORS)
    if not done.completion.technical:
        done.completion.technical = _items(TECHNICAL_COMPLETION)
    if not done.completion.business:
        done.completion.business = _items(BUSINESS_COMPLETION)
    if not done.completion.operational:
        done.completion.operational = _items(OPERATIONAL_COMPLETION)
    if not done.overview.developers and plan.story.assignees:
        done.overview.developers = list(plan.story.assignees)
    return done
