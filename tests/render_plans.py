"""Plans built in code for the rendering tests: small, a diamond of eight tasks, and one that
fills every section of the seed template.
"""

from __future__ import annotations

from datetime import date

from storyplan.model import (
    BusinessContext,
    Challenge,
    Checklist,
    ChecklistItem,
    Completion,
    EndToEnd,
    Environment,
    Integration,
    Level,
    Overview,
    Plan,
    Progress,
    QualityStandards,
    Retrospective,
    Risk,
    Section,
    Story,
    Support,
    Task,
    TechnicalApproach,
    Testing,
    Validation,
)
from storyplan.render import ChildLink

DAY = date(2025, 3, 14)


def _ac(*texts: str, done: int = 0) -> list[ChecklistItem]:
    return [ChecklistItem(text=text, checked=i < done) for i, text in enumerate(texts)]


def small_plan() -> Plan:
    story = Story(
        ref="octo/shop#7", title="Show order totals", url="https://github.com/octo/shop/issues/7"
    )
    return Plan(
        story=story,
        overview=Overview(plan_date=DAY),
        tasks=[
            Task(
                id="T1",
                number=1,
                title="Sum line items",
                description="Add a `total` property to `Order`.",
                acceptance_criteria=_ac("Totals include tax"),
            ),
            Task(id="T2", number=2, title="Show the total on the order page", depends_on=["T1"]),
        ],
    )


def diamond_plan() -> Plan:
    """T1 → (T2, T3) → T4 → (T5, T6) → T7 → T8: two diamonds in a row."""
    deps = {"T2": ["T1"], "T3": ["T1"], "T4": ["T2", "T3"], "T5": ["T4"], "T6": ["T4"]}
    deps |= {"T7": ["T5", "T6"], "T8": ["T7"]}
    titles = [
        "Define the token schema",
        "Issue refresh tokens",
        "Store refresh tokens",
        "Rotate tokens on refresh",
        "Revoke tokens on logout",
        "Expire idle sessions",
        "Audit token events",
        "Document the token flow",
    ]
    tasks = [
        Task(
            id=f"T{n}",
            number=n,
            title=title,
            description=f"{title} for the login service.",
            depends_on=deps.get(f"T{n}", []),
            acceptance_criteria=_ac(f"{title} is covered by tests", "Reviewed", done=n % 2),
            estimate=f"{n % 3 + 1}d",
            complexity=[Level.LOW, Level.MEDIUM, Level.HIGH][n % 3],
            done=n == 1,
        )
        for n, title in enumerate(titles, start=1)
    ]
    story = Story(
        ref="SHOP-42",
        title="Stay logged in with refresh tokens",
        url="https://example.atlassian.net/browse/SHOP-42",
        markup="jira",
    )
    return Plan(story=story, overview=Overview(plan_date=DAY), tasks=tasks)


def diamond_children() -> dict[str, ChildLink]:
    return {
        f"T{n}": ChildLink(
            f"SHOP-{100 + n}", f"https://example.atlassian.net/browse/SHOP-{100 + n}"
        )
        for n in range(1, 8)  # T8 has no sub-issue yet
    }


def full_plan() -> Plan:
    """Every field the seed template has a slot for, and the extras a story can bring."""
    story = Story(
        ref="octo/shop#42",
        title="Log in with refresh tokens",
        url="https://github.com/octo/shop/issues/42",
        assignees=["bo"],
    )
    tasks = [
        Task(
            id="T1",
            number=1,
            title="Token model",
            description="Create the `RefreshToken` model.\n\nIt belongs to a user and a device.",
            files=["src/auth/tokens.py", "migrations/0042_tokens.py"],
            technologies=["SQLAlchemy", "Alembic"],
            patterns=["Repository"],
            steps=["Write the model", "Write the migration", "Add the repository"],
            acceptance_criteria=[
                ChecklistItem(text="Tokens are stored hashed", refs=["1"]),
                ChecklistItem(text="Migration runs both ways", checked=True),
            ],
            testing=Testing(
                unit="Model and repository", integration="Migration up and down", manual="None"
            ),
            estimate="1 day",
            complexity=Level.LOW,
            risk=Level.MEDIUM,
            notes="Hash with SHA-256; never log the raw token.",
            ac_refs=["1"],
        ),
        Task(
            id="T2",
            number=2,
            title="Refresh endpoint",
            description="`POST /auth/refresh` swaps a refresh token for a new pair.",
            files=["src/auth/api.py"],
            depends_on=["T1"],
            technologies=["FastAPI"],
            steps=["Add the route", "Rotate the token"],
            acceptance_criteria=_ac("Old token is revoked after use", "Reuse is detected"),
            testing=Testing(unit="Rotation logic", integration="Endpoint round trip"),
            estimate="2 days",
            complexity=Level.HIGH,
            risk=Level.HIGH,
            notes="Reuse of a revoked token revokes the whole family.",
            parallel=False,
        ),
        Task(
            id="T3",
            number=3,
            title="Client storage",
            description="Keep the refresh token in secure storage on the client.",
            files=["web/src/auth.ts"],
            technologies=["TypeScript"],
            acceptance_criteria=_ac("Token survives a reload"),
            estimate="1 day",
            parallel=True,
        ),
    ]
    return Plan(
        story=story,
        overview=Overview(
            story_id="octo/shop#42",
            story_title="Log in with refresh tokens",
            story_url="https://github.com/octo/shop/issues/42",
            tech_lead="Ada Lovelace",
            developers=["Bo", "Cy"],
            plan_date=DAY,
            target_completion="2025-03-28",
        ),
        business=BusinessContext(
            user_value="People stay logged in for 30 days on a trusted device.",
            business_value="Fewer abandoned carts at the login wall.",
            success_criteria=["Login prompts drop by 40%", "No rise in account takeovers"],
        ),
        approach=TechnicalApproach(
            architecture="Auth stays in the auth service; the gateway only forwards.",
            strategy="Rotating refresh tokens with reuse detection.",
            decisions=["ADR-12: rotating refresh tokens"],
        ),
        tasks=tasks,
        acceptance_criteria=[
            ChecklistItem(text="A returning user is not asked to log in", refs=["1"]),
            ChecklistItem(text="Logging out ends every session", checked=True, refs=["2"]),
        ],
        integration=Integration(
            strategy="Ship the model first, the endpoint behind a flag, then the client.",
            end_to_end=EndToEnd(
                scenarios=["Log in, wait, refresh", "Log out everywhere"],
                data="Two users, three devices",
                environment="Staging with a 1-minute token lifetime",
            ),
            performance=Validation(
                requirements="p95 under 100 ms",
                approach="k6 load test",
                metrics="p95 < 100 ms at 200 rps",
            ),
            security=Validation(
                requirements="OWASP ASVS 3.5",
                approach="Reuse-detection tests",
                metrics="Pen test sign-off",
            ),
        ),
        environment=Environment(
            tools="Python 3.11, Node 20",
            dependencies="`pip install -e .[dev]`",
            configuration="`AUTH_REFRESH_TTL=30d`",
            database="Run `alembic upgrade head`",
            setup_steps=["Start Postgres", "Run the migrations", "Start the API"],
            verification="`curl localhost:8000/health` answers ok",
            common_issues="Port 5432 in use: stop the local Postgres.",
        ),
        quality=QualityStandards(
            style_guide="PEP 8 via ruff",
            naming="snake_case modules",
            file_organization="One module per route group",
            documentation="Docstrings say why",
            review_checklist=_ac("Tokens never logged", "Tests cover reuse"),
        ),
        risks=[
            Risk(
                risk="Token theft from storage",
                mitigation="Short lifetime and rotation",
                contingency="Revoke all families",
            ),
            Risk(risk="Clock skew", mitigation="Leeway of 30 s"),
        ],
        challenges=[
            Challenge(
                challenge="Mobile clients update slowly",
                strategy="Keep the old flow for 60 days",
                support="Mobile lead",
            )
        ],
        support=Support(
            tech_lead_availability="Weekdays 9-17 CET",
            tech_lead_communication="#auth on Slack",
            review_schedule="Daily at 16:00",
            architecture_contact="Grace",
            architecture_docs="docs/adr/",
            business_contact="Product owner Lin",
            business_docs="The story and its comments",
        ),
        progress=Progress(
            daily_checkpoints=_ac("Stand-up notes posted"),
            weekly_milestones=["Model and endpoint merged", "Week 2: client released"],
            success_indicators=_ac("Login prompts measured"),
        ),
        completion=Completion(
            technical=_ac("Endpoint deployed"),
            business=_ac("Demo to the product owner"),
            operational=_ac("Alert on token reuse", done=1),
        ),
        retrospective=Retrospective(
            worked_well="Pairing on the rotation logic.",
            challenges="The migration locked a table.",
            lessons="Rehearse migrations on a copy.",
            improvements="Plan the migration as its own task.",
        ),
        checklists=[
            Checklist(
                title="Definition of Done", items=_ac("Released behind a flag", "Runbook updated")
            )
        ],
        sections=[Section(title="Out of Scope", body="Social login.\n\n- Apple\n- Google")],
        notes=["Task 3 has no dependencies; it can start at once."],
    )


def full_children() -> dict[str, ChildLink]:
    return {
        "T1": ChildLink("#43", "https://github.com/octo/shop/issues/43"),
        "T2": ChildLink("#44"),
    }
