"""Parse time of a 134-task spec-kit tasks.md, of 64 KB adversarial inputs and of a 20-task
Jira story (its conversion from wiki markup, and the whole parse), beside targets.

Run from the repository root: python benchmarks/parse_speed.py
"""

from __future__ import annotations

import sys
import time
from datetime import date

from storyplan.errors import PlanError
from storyplan.model import Story
from storyplan.parse.jira import to_markdown
from storyplan.parse.story import parse_story

TASKS_TARGET = 1.0  # seconds: "well under a second"
ADVERSARIAL_TARGET = 3.0  # seconds for 64 KB; markdown-it alone spends about 1 s on brackets
JIRA_TARGET = 0.2  # seconds for a 20-task Jira story


def jira_story(count: int) -> str:
    """A refined Jira story as a team writes it: fields in bold, files in monospace, criteria
    ticked with icons, steps, a risk table, links and a storyplan block."""
    lines = [
        "h1. Sign in with email and password",
        "",
        "As a returning shopper I want to sign in with my email so that my cart follows me.",
        "",
        "*Tech Lead*: Priya Natarajan",
        "*Design*: [Sign-in flow|https://example.com/design/sign-in?v=2]",
        "",
        "h2. Acceptance Criteria",
        "# A registered shopper can sign in with email and password.",
        "# A wrong password is refused with a clear message, without saying which part was wrong.",
        "# Five failed attempts lock the account for +15 minutes+.",
        "",
        "h2. Tasks",
        "",
    ]
    for n in range(1, count + 1):
        lines += [
            f"h3. Task {n}: Step {n} of the sign-in flow",
            f"*Description*: Build step {n} end to end, behind the -old- _new_ sign-in flag; "
            f"see [ADR-{n}|https://example.com/adr/{n}] and ask [~priya] when unsure.",
            f"*Files*: {{{{src/auth/step_{n}.py}}}}, {{{{tests/auth/test_step_{n}.py}}}}",
        ]
        if n > 1:
            lines.append(f"*Depends on*: Task {n - 1}" + (f", Task {n - 2}" if n > 2 else ""))
        lines += [
            f"*Estimate*: {1 + n % 3} days",
            "*Complexity*: Medium",
            "",
            "h4. Implementation Steps",
            f"# Write the failing test for step {n}",
            "# Make it pass",
            "## Refactor the session code it touches",
            "",
            "h4. Acceptance Criteria",
            f"* (/) Step {n} works for a registered shopper (AC1)",
            f"* (x) Step {n} refuses a wrong password (AC2)",
            "",
        ]
    lines += [
        "h2. Risks",
        "||Risk||Mitigation||",
        "|Passwords logged by mistake|Redact the {{password}} field in the request logger|",
        "|Lockout abused to deny service|Lock per account *and* IP, never per account alone|",
        "",
        "{code:storyplan}",
        "target: 2025-04-30",
        "{code}",
    ]
    return "\n".join(lines) + "\n"


def jira_seconds(body: str) -> tuple[float, float, int]:
    """Seconds to convert `body` to Markdown, seconds to parse it whole, and its tasks."""
    start = time.perf_counter()
    to_markdown(body, "bench")
    converted = time.perf_counter() - start
    start = time.perf_counter()
    story = Story(ref="SHOP-1", title="Sign in", body=body, markup="jira")
    plan = parse_story(story, today=date(2025, 1, 1))
    return converted, time.perf_counter() - start, len(plan.tasks)


def spec_kit(count: int) -> str:
    """A tasks.md shaped like spec-kit's: phases, stories, [P]/[US] markers, inline and
    section dependencies."""
    lines = ["# Tasks: Benchmark", ""]
    for n in range(1, count + 1):
        if n % 20 == 1:
            phase = n // 20 + 1
            lines += ["", f"## Phase {phase}: User Story {phase}", ""]
        marker = "[P] " if n % 3 else ""
        after = f" (depends on T{n - 1:03d})" if n % 5 == 0 else ""
        lines.append(f"- [ ] T{n:03d} {marker}[US{n // 20 + 1}] Step {n} in src/m{n}.py{after}")
    lines += ["", "## Dependencies & Execution Order", ""]
    lines += [f"- T{n:03d} blocks T{n + 1:03d}" for n in range(10, count, 10)]
    lines += ["- Phase 2 depends on Phase 1", "- US3 depends on US1 & US2"]
    return "\n".join(lines) + "\n"


def seconds(body: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        tasks = len(parse_story(Story(ref="b", title="B", body=body), today=date(2025, 1, 1)).tasks)
    except PlanError:
        tasks = 0
    return time.perf_counter() - start, tasks


def main() -> int:
    failed = False
    took, tasks = min(seconds(spec_kit(134)) for _ in range(3))
    ok = took < TASKS_TARGET and tasks == 134
    failed |= not ok
    print(f"spec-kit tasks.md, {tasks} tasks: {took:.3f} s (target < {TASKS_TARGET} s)")
    body = jira_story(20)
    jira_seconds(body)  # first use: imports
    converted, parsed, tasks = min(jira_seconds(body) for _ in range(3))
    ok = parsed <= JIRA_TARGET and tasks == 20
    failed |= not ok
    print(
        f"Jira story, {tasks} tasks, {len(body.encode()) / 1024:.1f} KB: converted in "
        f"{converted:.3f} s, parsed in {parsed:.3f} s (target <= {JIRA_TARGET} s)"
    )
    for name, piece in [("spaces", " "), ("brackets", "["), ("emphasis", "** "), ("colons", ":")]:
        body = "## Tasks\n- [ ] a" + piece * (65536 // len(piece)) + "z"
        took, _ = seconds(body)
        failed |= took >= ADVERSARIAL_TARGET
        print(f"64 KB of {name!r}: {took:.3f} s (target < {ADVERSARIAL_TARGET} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
