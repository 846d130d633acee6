"""Progress from sub-issue states into the plan: ticks, blocked tasks, summary line."""

from __future__ import annotations

from dataclasses import dataclass

from storyplan.model import ChecklistItem, Plan, Story, Task, TaskStatus
from storyplan.progress import summarize, with_progress


@dataclass
class Sub:
    status: TaskStatus
    body: str = ""


def plan() -> Plan:
    return Plan(
        story=Story(ref="o/r#1", title="Story"),
        tasks=[
            Task(id="T1", number=1, title="One"),
            Task(id="T2", number=2, title="Two", depends_on=["T1"]),
            Task(id="T3", number=3, title="Three", depends_on=["T2"]),
            Task(
                id="T4",
                number=4,
                title="Four",
                acceptance_criteria=[ChecklistItem(text="Fast"), ChecklistItem(text="Safe")],
            ),
        ],
    )


def test_states_and_ticks_inside_sub_issues_flow_into_the_plan() -> None:
    result = with_progress(
        plan(),
        {
            "T1": Sub(TaskStatus.IN_PROGRESS),
            "T2": Sub(TaskStatus.OPEN),
            "T3": Sub(TaskStatus.OPEN),
            "T4": Sub(TaskStatus.DONE, "- [x] Fast (AC1)\n- [ ] Safe"),
        },
        "markdown",
    )
    tasks = {task.id: task for task in result.tasks}
    assert tasks["T4"].done
    assert [item.checked for item in tasks["T4"].acceptance_criteria] == [True, False]
    assert tasks["T2"].status == TaskStatus.BLOCKED
    assert tasks["T2"].blocked_by == ["T1"]
    assert tasks["T3"].status == TaskStatus.BLOCKED
    assert result.progress.summary.startswith(
        "1 of 4 tasks done · 1 in progress · 2 blocked by Task 1  "
    )
    assert result.progress.summary.endswith(" 25%")


def test_all_tasks_done_ticks_the_completion_lines_that_follow_from_them() -> None:
    from storyplan.defaults import complete_plan

    full = complete_plan(plan())
    done = {t: Sub(TaskStatus.DONE, "- [x] Fast\n- [x] Safe") for t in ("T1", "T2", "T3", "T4")}
    result = with_progress(full, done, "markdown")
    technical = {item.text: item.checked for item in result.completion.technical}
    assert technical["All development tasks completed"] is True
    indicators = {item.text: item.checked for item in result.progress.success_indicators}
    assert indicators["All tasks completed with acceptance criteria met"] is True
    assert all(item.checked for item in result.progress.daily_checkpoints[:4])
    assert "█" * 20 in result.progress.summary


def test_no_children_leaves_the_plan_as_the_story_wrote_it() -> None:
    assert with_progress(plan(), {}, "markdown") == plan()
    assert summarize(Plan(story=Story(ref="x", title="x"))) == ""


def test_jira_status_icons_count_as_ticks() -> None:
    result = with_progress(plan(), {"T4": Sub(TaskStatus.OPEN, "* (/) Fast\n* (x) Safe")}, "jira")
    assert [i.checked for i in result.tasks[3].acceptance_criteria] == [True, False]
