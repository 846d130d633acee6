"""Jira converges and trusts only its own: runs that raced are healed by the next apply (one
plan comment, one sub-task per task, exact links), a second plan comment is deleted with its
ticks kept, a story typed in lower case is the same story, a lost create is found among
100+ sub-tasks, story text cannot end the plan, and a stranger's plan anchor is ignored.
All through the CLI against the fake Jira over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from storyplan.cli import main
from tests.e2e.stories import TaskSpec, diamond, edges
from tests.fakes.fake_jira import FakeJira, JiraIssue
from tests.test_jira import BULK_POST, is_plan, plans_on, run, serve, story

RESOLVED = ("Done", "Won't Do", "Duplicate")
TWO = [TaskSpec(1, "Schema"), TaskSpec(2, "API", [1])]


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve(request.param, monkeypatch)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve("cloud", monkeypatch)


def made_for(fake: FakeJira, key: str) -> dict[str, list[JiraIssue]]:
    """Every sub-task made for the story's tasks, by task id, oldest first."""
    found: dict[str, list[JiraIssue]] = {}
    for issue in sorted(fake.children(key), key=lambda i: int(i.id)):
        task = (issue.properties.get("storyplan") or {}).get("task")
        if task:
            found.setdefault(str(task), []).append(issue)
    return found


def blocks_edges(fake: FakeJira, key: str) -> set[tuple[str, str]]:
    """(blocker task, blocked task) for every "Blocks" link between the story's sub-tasks."""
    task = {i.id: t for t, issues in made_for(fake, key).items() for i in issues}
    blocks = next(t.id for t in fake.link_types.values() if t.name == "Blocks")
    return {
        (task[link.inward_id], task[link.outward_id])
        for link in fake.links.values()
        if link.type_id == blocks and link.inward_id in task and link.outward_id in task
    }


def links_named(fake: FakeJira, issue: JiraIssue, name: str) -> list[tuple[str, str]]:
    """(inward key, outward key) of every link of type `name` that touches `issue`."""
    type_id = next(t.id for t in fake.link_types.values() if t.name == name)
    return [
        (fake.issues[lk.inward_id].key, fake.issues[lk.outward_id].key)
        for lk in fake.links_of(issue.key)
        if lk.type_id == type_id
    ]


# -- runs that raced ------------------------------------------------------------------------
@pytest.mark.parametrize("runs", [2, 3])
def test_applies_that_raced_are_healed_by_the_next_apply(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], runs: int
) -> None:
    tasks = diamond(4)
    issue = story(fake, tasks)
    # Every run has read the story's empty state before any of them creates anything.
    fake.hold("POST", BULK_POST, runs, timeout=90)  # generous: the machine may be busy
    codes: list[int] = []
    racers = [
        threading.Thread(target=lambda: codes.append(main(["apply", issue.key])))
        for _ in range(runs)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(120)
    capsys.readouterr()
    assert codes == [0] * runs
    assert len(plans_on(issue)) == runs  # the race happened: one plan comment a run
    made = made_for(fake, issue.key)
    assert sorted(made) == ["T1", "T2", "T3", "T4"]
    assert all(len(issues) == runs for issues in made.values())
    oldest_plan = min((c for c in issue.comments if is_plan(c.body)), key=lambda c: int(c.id))

    code, out, err = run(capsys, "apply", issue.key, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["duplicates_closed"], data["plans_deleted"]) == (4 * (runs - 1), runs - 1)
    assert [c.id for c in issue.comments if is_plan(c.body)] == [oldest_plan.id]
    assert issue.properties["storyplan"]["plan"] == oldest_plan.id
    assert blocks_edges(fake, issue.key) == edges(tasks)  # only between the kept sub-tasks
    for kept, *duplicates in made.values():
        assert "storyplan:obsolete" not in kept.labels
        assert fake.statuses[kept.status_id].category == "new"
        for duplicate in duplicates:
            assert fake.statuses[duplicate.status_id].category == "done"
            assert duplicate.resolution == "Duplicate"
            assert "storyplan:obsolete" in duplicate.labels
            assert links_named(fake, duplicate, "Duplicate") == [(duplicate.key, kept.key)]
            assert links_named(fake, duplicate, "Blocks") == []
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert code == 0
    assert "up to date" in out
    assert fake.writes() == []


def test_a_duplicate_is_closed_and_told_where_the_site_has_no_duplicate_link_or_resolution(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud, TWO)
    assert run(capsys, "apply", issue.key)[0] == 0
    kept = made_for(cloud, issue.key)["T1"][0]
    mark = dict(kept.properties["storyplan"])
    twin = cloud.add_issue(
        kept.summary,
        issuetype="subtask",
        parent=issue.key,
        description=kept.description,
        labels=["storyplan:task"],
        properties={"storyplan": mark},
    )
    del cloud.link_types[next(k for k, t in cloud.link_types.items() if t.name == "Duplicate")]
    for transition in cloud.workflow:
        transition.screen = ()  # no screen asks for a resolution: Jira sets its own
    code, out, err = run(capsys, "apply", issue.key, "--json")
    assert code == 0, err
    assert json.loads(out)["duplicates_closed"] == 1
    assert fake_category(cloud, twin) == "done"
    assert twin.resolution in RESOLVED
    assert "storyplan:obsolete" in twin.labels
    assert [c.body for c in twin.comments] == [f"Duplicate of {kept.key}"]
    assert made_for(cloud, issue.key)["T1"] == [kept, twin]
    cloud.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert cloud.writes() == []


def fake_category(fake: FakeJira, issue: JiraIssue) -> str:
    return fake.statuses[issue.status_id].category


def test_a_second_plan_comment_is_deleted_and_its_ticks_kept(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, TWO)
    assert run(capsys, "apply", issue.key)[0] == 0
    (first,) = [c for c in issue.comments if is_plan(c.body)]
    hand = "* ☐ A registered shopper can sign in"
    assert hand in first.body
    copy = fake.add_comment(issue.key, first.body.replace(hand, "* (/)" + hand[3:]))
    issue.properties["storyplan"]["plan"] = copy.id  # the run that made it recorded it last
    code, out, _ = run(capsys, "plan", issue.key)
    assert code == 0
    assert copy.id in out
    assert run(capsys, "apply", issue.key)[0] == 0
    assert [c.id for c in issue.comments if is_plan(c.body)] == [first.id]
    assert "* (/) A registered shopper can sign in" in first.body
    assert issue.properties["storyplan"]["plan"] == first.id
    fake.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert fake.writes() == []


# -- the story's name -------------------------------------------------------------------------
def test_a_story_typed_in_lower_case_is_the_story_jira_names(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, diamond(4))
    code, _, err = run(capsys, "apply", f"jira:{issue.key.lower()}")
    assert code == 0, err
    assert issue.properties["storyplan"]["plan"]
    assert all(i.properties["storyplan"]["story"] == issue.key for i in fake.children(issue.key))
    assert f"story={issue.key}" in plans_on(issue)[0]
    for spelling in (issue.key, f"jira:{issue.key.lower()}", f"{fake.base_url}/browse/{issue.key}"):
        fake.clear_log()
        code, out, _ = run(capsys, "apply", spelling)
        assert code == 0
        assert "up to date" in out
        assert fake.writes() == []
    assert len(fake.children(issue.key)) == 4
    assert len(plans_on(issue)) == 1


# -- a lost create ----------------------------------------------------------------------------
def test_a_lost_create_is_found_among_more_than_100_sub_tasks(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud, TWO)
    for number in range(120):  # a person's sub-tasks, made before storyplan ran
        cloud.add_issue(f"Chore {number}", issuetype="subtask", parent=issue.key)
    cloud.fail("POST", BULK_POST, None)  # both sub-tasks are made, then the line drops
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    made = made_for(cloud, issue.key)
    assert {task: len(issues) for task, issues in made.items()} == {"T1": 1, "T2": 1}
    assert int(made["T1"][0].key.split("-")[1]) > 120  # on the search's second page
    assert blocks_edges(cloud, issue.key) == edges(TWO)
    # The read and the look-up: two pages each, bounded by the sub-task count, not a scan.
    assert cloud.count("GET", r"/search/jql$") == 4


def test_a_lost_create_whose_look_up_failed_is_found_by_the_next_apply(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud, TWO)
    for number in range(120):
        cloud.add_issue(f"Chore {number}", issuetype="subtask", parent=issue.key)
    cloud.fail("POST", BULK_POST, None)
    # The read's two pages go through; the look-up after the lost answer fails.
    cloud.fail("GET", r"/search/jql$", 502, after=False, skip=2, times=5)
    code, _, err = run(capsys, "apply", issue.key)
    assert code != 0
    assert "Traceback" not in err
    cloud.faults.clear()
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    made = made_for(cloud, issue.key)
    assert {task: len(issues) for task, issues in made.items()} == {"T1": 1, "T2": 1}
    assert blocks_edges(cloud, issue.key) == edges(TWO)


# -- story text cannot end the plan -----------------------------------------------------------
@pytest.mark.parametrize("marker", ["{anchor:storyplan-end}", "\\{anchor:storyplan-end\\}"])
def test_a_task_naming_the_end_anchor_does_not_grow_the_plan(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], marker: str
) -> None:
    tasks = [TaskSpec(1, f"Parse {marker} text"), TaskSpec(2, "Render it", [1])]
    issue = story(fake, tasks)
    lengths = []
    for _ in range(5):
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 0, err
        (plan,) = plans_on(issue)
        lengths.append(len(plan))
    assert len(set(lengths)) == 1, lengths
    assert plan.count("{anchor:storyplan-end}") == 1
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert "up to date" in out
    assert fake.writes() == []


# -- whose anchors count ----------------------------------------------------------------------
def test_a_stranger_s_plan_anchor_is_ignored_never_edited_and_reported_once(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake, TWO)
    mallory = fake.add_user("mallory", display_name="Mallory", write=False)
    bait = f"{{anchor:storyplan-plan story={issue.key}}}\n{{anchor:storyplan-begin}}\nmine"
    planted = fake.add_comment(issue.key, bait + "\n{anchor:storyplan-end}", author=mallory)
    planted_body = planted.body
    code, out, err = run(capsys, "plan", issue.key)
    assert code == 0
    assert (out + err).count(
        f"ignored a storyplan marker in a comment on {issue.key} by Mallory"
    ) == 1
    code, out, err = run(capsys, "apply", issue.key)
    assert code == 0
    assert "ignored a storyplan marker" in out + err
    assert planted.body == planted_body
    plans = [c for c in issue.comments if is_plan(c.body)]
    assert [c.author.name for c in plans] == ["mallory", "alice"]
    assert issue.properties["storyplan"]["plan"] == plans[1].id
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert "up to date" in out
    assert fake.writes() == []
    assert planted.body == planted_body


def test_a_plan_by_an_author_in_trust_authors_is_the_plan(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = fake.add_user("release-bot", display_name="Release Bot")
    issue = story(fake, TWO)
    monkeypatch.setenv("STORYPLAN_TRUST__AUTHORS", json.dumps([bot.account_id, bot.name]))
    monkeypatch.setenv("JIRA_API_TOKEN" if fake.mode == "cloud" else "JIRA_PAT", bot.token)
    monkeypatch.setenv("JIRA_EMAIL", bot.email)
    assert run(capsys, "apply", issue.key)[0] == 0  # the plan made by the bot
    del issue.properties["storyplan"]  # as if the bot's run stopped before recording it
    monkeypatch.setenv("JIRA_API_TOKEN" if fake.mode == "cloud" else "JIRA_PAT", fake.user.token)
    monkeypatch.setenv("JIRA_EMAIL", fake.user.email)
    fake.clear_log()
    code, out, _ = run(capsys, "plan", issue.key)
    assert code == 0
    assert "ignored" not in out
    assert [c.author.name for c in issue.comments if is_plan(c.body)] == ["release-bot"]
    monkeypatch.delenv("STORYPLAN_TRUST__AUTHORS")
    code, out, err = run(capsys, "plan", issue.key)
    assert "ignored a storyplan marker" in out + err  # without the setting, the bot is a stranger
    assert fake.count("GET", r"/myself$") == 0  # the answers' headers named the account


def test_an_existing_issue_is_never_rewritten_whatever_its_property_says(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = fake.add_issue("Sign in", issuetype="Story")
    foreign = fake.add_issue("Their issue", description="Kept as it is.")
    foreign.properties["storyplan"] = {"story": issue.key, "storyId": issue.id, "task": "T1"}
    issue.description = f"h2. Tasks\n* Build the session model\n* {foreign.key}\n"
    assert run(capsys, "apply", issue.key)[0] == 0
    (own,) = fake.children(issue.key)
    del fake.issues[own.id]  # a person deleted T1's sub-task: the property must not take over
    for _ in range(2):
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 0, err
    assert (foreign.summary, foreign.description) == ("Their issue", "Kept as it is.")
    assert (foreign.labels, foreign.status_id, foreign.comments) == ([], "10000", [])
    assert links_named(fake, foreign, "Duplicate") == []
    assert [i.summary for i in fake.children(issue.key)] == ["Task 1: Build the session model"]
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert "up to date" in out
    assert fake.writes() == []
