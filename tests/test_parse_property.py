"""Whatever the text, parsing either returns a plan or raises `PlanError`: nothing else escapes."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyplan.errors import PlanError
from storyplan.model import Plan, Story
from storyplan.parse.story import parse_story
from storyplan.parse.synonyms import BUILTIN

HEADINGS = sorted({t for texts in BUILTIN.values() for t in texts.split("|")})
WORDS = st.sampled_from(
    [
        "Task 1",
        "Task 2:",
        "T001",
        "T002 [P]",
        "#2",
        "#123",
        "owner/repo#4",
        "PROJ-9",
        "TASK-3",
        "depends on",
        "after",
        "blocked by",
        "Task 9",
        "(AC: 1, 3)",
        "AC2:",
        "**Risk**:",
        "Mitigation:",
        "Given",
        "When",
        "Then",
        "—",
        "|",
        "`",
        "**",
        "[ ]",
        "[x]",
        "ü",
        "任务",
        "タスク",
        "🚀",
        "\t",
        ":",
        "---",
        "id: T1",
        "https://github.com/o/r/issues/1",
        "Task " + "9" * 4400,
        "#" + "9" * 40,
        "AC" + "7" * 30 + ":",
        "T" + "0" * 20 + "1",
    ]
)
TEXT = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=8).map(" ".join)


@st.composite
def markdownish(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.integers(0, 11))
        text = draw(TEXT)
        indent = " " * draw(st.sampled_from([0, 0, 2, 4]))
        if kind == 0:
            lines.append("#" * draw(st.integers(1, 6)) + " " + draw(st.sampled_from(HEADINGS)))
        elif kind == 1:
            lines.append("#" * draw(st.integers(1, 6)) + " " + text)
        elif kind == 2:
            lines.append(f"{indent}- [{draw(st.sampled_from([' ', 'x']))}] {text}")
        elif kind == 3:
            lines.append(f"{indent}{draw(st.sampled_from(['-', '*', '1.', '2)']))} {text}")
        elif kind == 4:
            info = draw(
                st.sampled_from(["", "storyplan", "storyplan toml", "[tasklist]", "gherkin"])
            )
            lines.extend(
                [f"```{info}", text, draw(st.sampled_from(["tasks: [", "a = 1", "- x"])), "```"]
            )
        elif kind == 5:
            lines.extend(["---", text, "---"])
        elif kind == 6:
            lines.append(f"| {text} | {draw(TEXT)} |")
            lines.append("|---|---|")
        elif kind == 7:
            key = draw(st.sampled_from(["Dependencies", "Files", "Tech Lead", "Complexity"]))
            lines.append(f"**{key}**: {text}")
        elif kind in (8, 9):
            lines.append(text)
        else:
            lines.append("")
    return "\n".join(lines)


JIRA = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "h2. Tasks",
                "h3. Task 1: A",
                "# item",
                "* [ ] x",
                "||a||b||",
                "|c|d|",
                "{code}",
                "{code:storyplan}",
                "{noformat}",
                "*bold*: v",
                "{{code}}",
                "* (/) done",
                "** (x) todo",
            ]
        ),
        st.text(max_size=80),
    ),
    max_size=10,
).map("\n".join)


def outcome(story: Story) -> None:
    """Anything but a plan or a PlanError escapes and fails the test."""
    try:
        plan = parse_story(story, today=date(2025, 1, 1))
    except PlanError as err:
        problems = err.problems
    else:
        problems = []
        assert isinstance(plan, Plan)
        # A "Task N" keeps its author's N; other tasks count by position.
        assert all(t.number >= 1 for t in plan.tasks)
        assert len({t.id for t in plan.tasks}) == len(plan.tasks)
    assert all(str(p) for p in problems)


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(body=st.one_of(markdownish(), st.text(max_size=300)), title=st.text(max_size=20))
def test_any_markdown_gives_a_plan_or_a_plan_error(body: str, title: str) -> None:
    outcome(Story(ref="S-1", title=title, body=body, source="story.md"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(JIRA, st.text(max_size=120)))
def test_any_jira_markup_gives_a_plan_or_a_plan_error(body: str) -> None:
    outcome(Story(ref="J-1", title="J", body=body, markup="jira"))
