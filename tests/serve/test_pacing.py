"""The per-credential budget in PostgreSQL: shared by every worker, a burst goes at once,
then one request every spacing; requests are counted by tracker and credential, and the
credential is stored as a hash, never as itself."""

from __future__ import annotations

import psycopg
import pytest

from storyplan.serve import pacing
from tests.fakes.fake_github import github_fake


@pytest.fixture
def budget_db(database: str) -> str:
    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute(pacing.SCHEMA)
    return database


def test_workers_share_one_budget_per_credential(budget_db: str) -> None:
    waits: list[float] = []
    # Two workers' pacers; 3,600 requests an hour is one a second, after a burst of 3.
    first, second = (
        pacing.Pacer(budget_db, {"github": 3600}, burst=3, sleep=waits.append) for _ in range(2)
    )
    for pacer in (first, second, first, second, first):
        pacer.take("github", "cred-a")
    assert len(waits) == 2  # the fourth and fifth request waited, whichever worker sent them
    assert waits[0] == pytest.approx(1.0, abs=0.2)
    assert waits[1] == pytest.approx(2.0, abs=0.2)
    assert second.take("github", "cred-b") == 0  # another credential has its own budget
    with psycopg.connect(budget_db) as connection:
        rows = connection.execute(
            "SELECT credential, requests, waits FROM storyplan_budget ORDER BY credential"
        ).fetchall()
    assert rows == [("cred-a", 5, 2), ("cred-b", 1, 0)]


def test_a_tracker_without_a_rate_is_counted_but_not_paced(budget_db: str) -> None:
    pacer = pacing.Pacer(budget_db, {"github": 0}, burst=1, sleep=lambda s: None)
    assert [pacer.take("github", "x") for _ in range(3)] == [0, 0, 0]
    assert pacer.take("files", "x") == 0
    with psycopg.connect(budget_db) as connection:
        rows = connection.execute("SELECT tracker, requests FROM storyplan_budget").fetchall()
    assert rows == [("github", 3)]


def test_requests_of_a_paced_job_draw_from_the_budget_of_their_token(budget_db: str) -> None:
    pacing.install(pacing.Pacer(budget_db, {"github": 360_000}, burst=100))
    with github_fake() as fake:
        fake.add_repo("octo/shop")
        fake.add_issue("octo/shop", "Sign in", "")
        client = fake.client("tok-write")
        client.get_repo("octo/shop").get_issue(1)  # outside a job: not counted
        with pacing.paced("github"):
            client.get_repo("octo/shop").get_issue(1)
    with psycopg.connect(budget_db) as connection:
        rows = connection.execute("SELECT credential, tracker, requests FROM storyplan_budget")
        ((credential, tracker, count),) = rows.fetchall()
    assert (tracker, count) == ("github", 2)  # the repository and the issue
    assert "tok-write" not in credential
