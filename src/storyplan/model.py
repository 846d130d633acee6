"""The typed models every part of storyplan speaks: the story a tracker holds and the plan
built from it. The plan holds everything the implementation-plan template can show.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Markup = Literal["markdown", "jira"]
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """A tracker's JSON may hold a lone surrogate (`"\\ud800"`), which no output can encode:
    it becomes U+FFFD, the replacement character, as soon as the text enters storyplan."""
    return _SURROGATE.sub("\ufffd", text)


Text = Annotated[str, AfterValidator(without_surrogates)]  # text read from a tracker


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Story(Model):
    """A story as its tracker holds it."""

    ref: str
    title: Text
    body: Text = ""
    markup: Markup = "markdown"
    url: str | None = None
    labels: list[Text] = Field(default_factory=list)
    assignees: list[Text] = Field(default_factory=list)
    author: Text | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    state: str = "open"
    source: str = ""  # where the text came from (a path or a URL), for error messages
    part: int | None = None  # which story of a file that holds several (1-based)


class Level(StrEnum):
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class TaskStatus(StrEnum):
    """Where a task stands, as its tracker reports it."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_PLANNED = "not_planned"


class ChecklistItem(Model):
    text: str
    checked: bool = False
    refs: list[str] = Field(default_factory=list)  # story acceptance criteria it serves
    line: int = 0


class Checklist(Model):
    """A checklist that is not work (Definition of Done, review list, ...): kept, not tasked."""

    title: str
    items: list[ChecklistItem] = Field(default_factory=list)


class Section(Model):
    """A story section storyplan has no slot for; kept so nothing a person wrote is lost."""

    title: str
    body: str
    line: int = 0


class Testing(Model):
    unit: str = ""
    integration: str = ""
    manual: str = ""


class Task(Model):
    id: str
    number: int
    title: str
    description: str = ""
    files: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    technologies: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    subtasks: list[ChecklistItem] = Field(default_factory=list)  # ticked ones stay ticked
    acceptance_criteria: list[ChecklistItem] = Field(default_factory=list)
    testing: Testing = Field(default_factory=Testing)
    estimate: str = ""
    complexity: Level | None = None
    risk: Level | None = None
    notes: str = ""
    parallel: bool = False  # spec-kit's [P]: may run alongside the tasks around it
    user_story: str = ""  # spec-kit's [US1]: the user story the task delivers
    ac_refs: list[str] = Field(default_factory=list)
    existing: str | None = None  # a reference to an issue this task already is
    done: bool = False  # ticked in the story, or its sub-issue is done
    status: TaskStatus | None = None  # as its sub-issue says, once there is one
    blocked_by: list[str] = Field(default_factory=list)  # open dependencies, by task id
    line: int = 0
    # Written without an id or a number (a checklist item, a bare heading): known by its text,
    # so its id is the one its sub-issue carries (storyplan.identity), not its position.
    by_text: bool = Field(default=False, exclude=True)


class Overview(Model):
    story_id: str = ""
    story_title: str = ""
    story_url: str = ""
    status: str = ""  # as the story states it ("Status: ready-for-dev", front matter status)
    tech_lead: str = ""
    developers: list[str] = Field(default_factory=list)
    plan_date: date | None = None
    target_completion: str = ""


class BusinessContext(Model):
    user_value: str = ""
    business_value: str = ""
    success_criteria: list[str] = Field(default_factory=list)


class TechnicalApproach(Model):
    architecture: str = ""
    strategy: str = ""
    decisions: list[str] = Field(default_factory=list)


class Validation(Model):
    requirements: str = ""
    approach: str = ""
    metrics: str = ""


class EndToEnd(Model):
    scenarios: list[str] = Field(default_factory=list)
    data: str = ""
    environment: str = ""


class Integration(Model):
    strategy: str = ""
    end_to_end: EndToEnd = Field(default_factory=EndToEnd)
    performance: Validation = Field(default_factory=Validation)
    security: Validation = Field(default_factory=Validation)


class Environment(Model):
    tools: str = ""
    dependencies: str = ""
    configuration: str = ""
    database: str = ""
    setup_steps: list[str] = Field(default_factory=list)
    verification: str = ""
    common_issues: str = ""


class QualityStandards(Model):
    style_guide: str = ""
    naming: str = ""
    file_organization: str = ""
    documentation: str = ""
    review_checklist: list[ChecklistItem] = Field(default_factory=list)


class Risk(Model):
    risk: str
    mitigation: str = ""
    contingency: str = ""


class Challenge(Model):
    challenge: str
    strategy: str = ""
    support: str = ""


class Support(Model):
    tech_lead_availability: str = ""
    tech_lead_communication: str = ""
    review_schedule: str = ""
    architecture_contact: str = ""
    architecture_docs: str = ""
    business_contact: str = ""
    business_docs: str = ""


class Progress(Model):
    summary: str = ""  # "5 of 8 tasks done · 2 in progress", from the sub-issues' states
    daily_checkpoints: list[ChecklistItem] = Field(default_factory=list)
    weekly_milestones: list[str] = Field(default_factory=list)
    success_indicators: list[ChecklistItem] = Field(default_factory=list)


class Completion(Model):
    technical: list[ChecklistItem] = Field(default_factory=list)
    business: list[ChecklistItem] = Field(default_factory=list)
    operational: list[ChecklistItem] = Field(default_factory=list)


class Retrospective(Model):
    worked_well: str = ""
    challenges: str = ""
    lessons: str = ""
    improvements: str = ""


class Plan(Model):
    """Everything the implementation plan shows, built from one story."""

    story: Story
    overview: Overview = Field(default_factory=Overview)
    business: BusinessContext = Field(default_factory=BusinessContext)
    approach: TechnicalApproach = Field(default_factory=TechnicalApproach)
    tasks: list[Task] = Field(default_factory=list)
    acceptance_criteria: list[ChecklistItem] = Field(default_factory=list)
    integration: Integration = Field(default_factory=Integration)
    environment: Environment = Field(default_factory=Environment)
    quality: QualityStandards = Field(default_factory=QualityStandards)
    risks: list[Risk] = Field(default_factory=list)
    challenges: list[Challenge] = Field(default_factory=list)
    support: Support = Field(default_factory=Support)
    progress: Progress = Field(default_factory=Progress)
    completion: Completion = Field(default_factory=Completion)
    retrospective: Retrospective = Field(default_factory=Retrospective)
    checklists: list[Checklist] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what the parser wants a person to know

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)
