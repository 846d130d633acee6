"""Jira specifics against the fake Jira over HTTP with the real `jira` client, in Cloud and
Data Center modes: sub-task types, link types, errors, lost answers, the transport's retry
rule, text normalisation, limits, sync. The shared scenarios live in tests/e2e.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from storyplan.adapters.jira import JiraTracker, read_credentials
from storyplan.adapters.jira_api import Credentials, JiraApi
from storyplan.cli import main
from storyplan.errors import AuthError
from storyplan.ports import Limits
from tests.e2e.harness_jira import ENV, assert_fake_clean, wiki_story
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes import jira_spec
from tests.fakes.fake_jira import FakeJira, JiraIssue

MODES = ["cloud", "server"]
ISSUE_POST = r"/rest/api/2/issue$"

PROGRESS = re.compile(r"^[a-z][a-z -]* \d+/\d+$")  # `creating sub-issues 1/4` on stderr


def start(mode: str, **kwargs: Any) -> FakeJira:
    fake = FakeJira(mode, prefix="/jira" if mode == "server" else "", project_key="SHOP", **kwargs)
    fake.start()
    return fake


def sign_in(monkeypatch: pytest.MonkeyPatch, fake: FakeJira, *, url: bool = True) -> None:
    for name in (*ENV, "STORYPLAN_JIRA__RETRIES"):
        monkeypatch.delenv(name, raising=False)
    if url:
        monkeypatch.setenv("JIRA_URL", fake.base_url)
    if fake.mode == "cloud":
        monkeypatch.setenv("JIRA_EMAIL", fake.user.email)
        monkeypatch.setenv("JIRA_API_TOKEN", fake.user.token)
    else:
        monkeypatch.setenv("JIRA_PAT", fake.user.token)
    monkeypatch.setenv("STORYPLAN_JIRA__RETRIES", "0")


def serve(mode: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    """A signed-in fake in `mode`, whose spec checks must be clean when the test ends."""
    server = start(mode)
    sign_in(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()
    assert_fake_clean(server)


@pytest.fixture(params=MODES)
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve(request.param, monkeypatch)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve("cloud", monkeypatch)


@pytest.fixture
def datacenter(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    yield from serve("server", monkeypatch)


def story(fake: FakeJira, tasks: list[TaskSpec] | None = None, **kwargs: Any) -> JiraIssue:
    text = wiki_story(story_text(diamond(4) if tasks is None else tasks))
    kwargs.setdefault("issuetype", "Story")
    return fake.add_issue("Sign in", description=text, **kwargs)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tasks_of(fake: FakeJira, key: str) -> dict[str, JiraIssue]:
    return {str(i.properties["storyplan"]["task"]): i for i in fake.children(key)}


def plans_on(issue: JiraIssue) -> list[str]:
    return [c.body for c in issue.comments if "{anchor:storyplan-plan}" in c.body]


def blocked_pairs(fake: FakeJira, key: str) -> set[tuple[str, str]]:
    task = {i.id: t for t, i in tasks_of(fake, key).items()}
    return {(task[lk.inward_id], task[lk.outward_id]) for lk in fake.links.values()}


# -- what apply writes ------------------------------------------------------------------------
def test_plan_prints_every_write_and_makes_none(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud)
    code, out, _ = run(capsys, "plan", f"jira:{issue.key}", "--json")
    assert code == 0
    kinds = [change["kind"] for change in json.loads(out)["changes"]]
    assert kinds.count("create_child") == 4
    assert kinds.count("add_link") == len(edges(diamond(4)))
    assert cloud.writes() == []


def test_apply_makes_sub_tasks_that_carry_their_task_in_an_entity_property(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    code, out, err = run(capsys, "apply", issue.key, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["created"], data["linked"]) == (4, len(edges(diamond(4))))
    assert data["plan"].startswith(f"{fake.base_url}/browse/{issue.key}")
    children = tasks_of(fake, issue.key)
    assert sorted(children) == ["T1", "T2", "T3", "T4"]
    first = children["T1"]
    assert fake.issue_types[first.type_id].subtask
    assert first.summary == "Task 1: Session model"
    assert first.labels == ["storyplan:task"]
    assert first.properties["storyplan"] == {"story": issue.key, "storyId": issue.id, "task": "T1"}
    assert (first.description or "").startswith("{anchor:storyplan-task}\n{anchor:storyplan-begin}")
    (plan,) = [c for c in issue.comments if "{anchor:storyplan-plan}" in c.body]
    assert issue.properties["storyplan"] == {"plan": plan.id}
    assert "storyplan" in issue.labels
    assert blocked_pairs(fake, issue.key) == edges(diamond(4))


def test_a_dependency_reads_is_blocked_by_on_the_dependent_and_blocks_on_the_blocker(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud, [TaskSpec(1, "Schema"), TaskSpec(2, "API", [1])])
    assert run(capsys, "apply", issue.key)[0] == 0
    children = tasks_of(cloud, issue.key)
    client = cloud.client()
    (on_api,) = client.issue(children["T2"].key).fields.issuelinks
    assert (on_api.type.inward, on_api.inwardIssue.key) == ("is blocked by", children["T1"].key)
    (on_schema,) = client.issue(children["T1"].key).fields.issuelinks
    assert (on_schema.type.outward, on_schema.outwardIssue.key) == ("blocks", children["T2"].key)


def test_a_no_op_apply_reads_the_story_and_its_sub_tasks_once_each_and_writes_nothing(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    assert run(capsys, "apply", issue.key)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert code == 0
    assert "up to date" in out
    paths = [(e.method, e.path.removeprefix(fake.prefix)) for e in fake.log]
    search = "/rest/api/2/search/jql" if fake.mode == "cloud" else "/rest/api/2/search"
    assert paths == [("GET", f"/rest/api/2/issue/{issue.key}"), ("GET", search)]
    assert fake.log[0].query["properties"] == ["storyplan"]
    assert fake.log[1].query["properties"] == ["storyplan"]


@pytest.mark.parametrize(("mode", "name"), [("cloud", "Subtask"), ("server", "Unteraufgabe")])
def test_a_project_whose_sub_task_type_has_another_name_is_planned(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mode: str, name: str
) -> None:
    fake = start(mode, subtask_type_name=name)
    sign_in(monkeypatch, fake)
    try:
        issue = story(fake)
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 0, err
        types = {fake.issue_types[i.type_id].name for i in fake.children(issue.key)}
        assert types == {name}
        assert fake.count("GET", r"/createmeta/SHOP/issuetypes$") == 1
        monkeypatch.setenv("STORYPLAN_JIRA__SUBTASK_TYPE", "Sub-task")
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 0  # nothing to create, so nothing asks for the type
        issue.description = wiki_story(story_text([*diamond(4), TaskSpec(5, "Audit", [4])]))
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 10
        assert f"has no sub-task issue type named 'Sub-task' (it has: {name})" in err
    finally:
        fake.stop()
    assert_fake_clean(fake)


def test_a_renamed_blocks_type_is_found_by_the_descriptions_config_names(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.rename_link_type(
        "Blocks", new_name="Dependency", inward="depends on", outward="is needed by"
    )
    issue = story(cloud)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 10
    assert "no issue link type on" in err
    assert "set [jira] blocks_outward and blocks_inward" in err
    monkeypatch.setenv("STORYPLAN_JIRA__BLOCKS_INWARD", "depends on")
    monkeypatch.setenv("STORYPLAN_JIRA__BLOCKS_OUTWARD", "is needed by")
    assert run(capsys, "apply", issue.key)[0] == 0
    assert blocked_pairs(cloud, issue.key) == edges(diamond(4))
    assert {lk.type_id for lk in cloud.links.values()} == {"10000"}
    cloud.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert cloud.writes() == []


def test_an_existing_issue_is_attached_as_it_is_and_linked(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = cloud.add_issue("Someone's issue", description="Hands off")
    text = (
        "h2. User Story\nAs a shopper I want to sign in so that my cart follows me.\n\n"
        f"h2. Tasks\n* Build the thing\n* {existing.key}\n* Test it, after Task 1 and Task 2\n"
    )
    issue = cloud.add_issue("Story", issuetype="Story", description=text)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert sorted(tasks_of(cloud, issue.key)) == ["T1", "T3"]
    assert issue.properties["storyplan"]["attached"] == [existing.key]
    assert (existing.summary, existing.description) == ("Someone's issue", "Hands off")
    assert (existing.labels, existing.properties) == ([], {})
    tester = tasks_of(cloud, issue.key)["T3"]
    blockers = {lk.inward_id for lk in cloud.links.values() if lk.outward_id == tester.id}
    assert existing.id in blockers
    assert existing.key in plans_on(issue)[0]
    cloud.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert cloud.writes() == []
    assert cloud.count("GET", r"/search") == 2  # the sub-tasks, then the attached issues


def test_a_story_that_is_itself_a_sub_task_is_refused_in_one_sentence(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = story(fake)
    child = story(fake, issuetype="subtask", parent=parent.key)
    code, _, err = run(capsys, "apply", child.key)
    assert code == 10
    assert err == (
        f"storyplan: error: {child.key} is a sub-task and Jira has only one level of "
        f"sub-tasks; run storyplan on a story that is not a sub-task (such as its parent "
        f"{parent.key})\n"
    )
    assert fake.writes() == []


def test_a_story_given_as_its_url_names_the_site_context_path_included(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = start("server")
    sign_in(monkeypatch, fake, url=False)
    try:
        issue = story(fake)
        code, _, err = run(capsys, "apply", f"{fake.base_url}/browse/{issue.key}")
        assert code == 0, err
        assert len(fake.children(issue.key)) == 4
    finally:
        fake.stop()
    assert_fake_clean(fake)


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("no-credentials", 6, "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Jira "),
        ("no-site", 2, "no Jira site: set JIRA_URL (or [jira] url, or --base-url)"),
        ("bad-token", 6, "rejected the credentials (401 while trying to read story SHOP-1)"),
        ("reader", 8, "the Jira account may not create the sub-task for task T1 under SHOP-1"),
        ("missing", 7, "could not read story SHOP-999: not found on 127.0.0.1"),
        ("rate-limit", 9, "Jira rate limit reached while trying to read story SHOP-1; retry in 30"),
    ],
)
def test_errors_are_one_sentence_with_their_exit_code(
    fake: FakeJira,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    code: int,
    message: str,
) -> None:
    issue = story(fake)
    ref = "SHOP-999" if setup == "missing" else issue.key
    secret = "wrong-secret-value"
    if setup == "no-credentials":
        for name in ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT"):
            monkeypatch.delenv(name, raising=False)
    elif setup == "no-site":
        monkeypatch.delenv("JIRA_URL")
    elif setup == "bad-token":
        monkeypatch.setenv("JIRA_API_TOKEN" if fake.mode == "cloud" else "JIRA_PAT", secret)
    elif setup == "reader":
        variable = "JIRA_API_TOKEN" if fake.mode == "cloud" else "JIRA_PAT"
        monkeypatch.setenv(variable, fake.reader.token)
        monkeypatch.setenv("JIRA_EMAIL", fake.reader.email)
    elif setup == "rate-limit":
        fake.rate_limit(retry_after=30)
    got, out, err = run(capsys, "apply", ref)
    assert got == code
    assert message in err
    assert err.splitlines()[-1].startswith("storyplan: error: ")
    assert [line for line in err.splitlines() if not PROGRESS.match(line)] == [
        err.splitlines()[-1]
    ]  # one sentence (after progress lines), no traceback
    for value in (secret, fake.user.token, fake.reader.token):
        assert value not in out + err
    if setup == "bad-token":
        hint = "JIRA_EMAIL and JIRA_API_TOKEN" if fake.mode == "cloud" else "JIRA_PAT"
        assert err.rstrip().endswith(f"check {hint}")


def test_credentials_come_from_the_environment_and_the_site_decides_between_kinds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JIRA_EMAIL", "me@acme.com")
    with pytest.raises(AuthError, match="JIRA_API_TOKEN is not set"):
        read_credentials("https://acme.atlassian.net")
    monkeypatch.setenv("JIRA_API_TOKEN", "cloud-token")
    monkeypatch.setenv("JIRA_PAT", "dc-pat")
    assert read_credentials("https://acme.atlassian.net").kind == "basic"
    assert read_credentials("https://jira.acme.internal").kind == "bearer"
    assert read_credentials("https://jira.acme.internal", "basic").email == "me@acme.com"
    assert "dc-pat" not in repr(read_credentials("https://jira.acme.internal"))
    monkeypatch.delenv("JIRA_PAT")
    with pytest.raises(AuthError, match="JIRA_PAT is not set"):
        read_credentials("https://jira.acme.internal", "bearer")


# -- lost answers and the retry rule ----------------------------------------------------------
def test_a_create_whose_answer_is_lost_is_not_made_twice(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    fake.fail("POST", ISSUE_POST, None, skip=1)  # made, then the connection drops
    fake.fail("POST", ISSUE_POST, 502, skip=2)  # made, then a gateway error
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert sorted(tasks_of(fake, issue.key)) == ["T1", "T2", "T3", "T4"]
    assert len(fake.children(issue.key)) == 4
    assert blocked_pairs(fake, issue.key) == edges(diamond(4))


def test_the_transport_retries_a_read_but_never_repeats_a_write(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYPLAN_JIRA__RETRIES", "2")
    monkeypatch.setenv("STORYPLAN_JIRA__MAX_RETRY_DELAY", "0")  # no sleeping in tests
    issue = story(cloud)
    cloud.fail("GET", rf"/issue/{issue.key}$", None)  # the first read of the story drops
    cloud.fail("POST", ISSUE_POST, None, skip=1)  # the second create's answer is lost
    cloud.fail("POST", r"/comment$", None)  # so is the plan comment's
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert cloud.count("GET", rf"/issue/{issue.key}$") == 2  # the read was retried
    assert cloud.count("POST", ISSUE_POST) == 4  # one request per task, none repeated
    assert cloud.count("POST", r"/comment$") == 1
    assert len(cloud.children(issue.key)) == 4
    assert len(plans_on(issue)) == 1
    assert issue.properties["storyplan"]["plan"] == issue.comments[0].id


def test_a_run_cut_short_before_the_plan_was_recorded_adopts_its_comment(
    datacenter: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(datacenter)
    datacenter.fail("PUT", r"/properties/storyplan$", 503, after=False)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 5
    assert "run apply again to finish" in err
    assert "storyplan" not in issue.properties
    datacenter.clear_log()
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert len(plans_on(issue)) == 1  # found by its anchor, not posted again
    assert datacenter.writes() == []  # a read never writes: it is recorded with the next edit
    issue.description = wiki_story(
        story_text([*diamond(4)[:3], TaskSpec(4, "Sign-in API", [2, 3])])
    )
    assert run(capsys, "apply", issue.key)[0] == 0
    assert len(plans_on(issue)) == 1
    assert issue.properties["storyplan"] == {"plan": issue.comments[0].id}
    datacenter.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert datacenter.writes() == []


def test_text_jira_hands_back_with_crlf_and_without_trailing_blanks_is_unchanged(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud)
    assert run(capsys, "apply", issue.key)[0] == 0

    def jira_style(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: re.sub(r" *\n", "\r\n", v).rstrip()
                if k in ("description", "body") and v
                else jira_style(v)
                for k, v in node.items()
            }
        return [jira_style(v) for v in node] if isinstance(node, list) else node

    cloud.tamper("GET", r"/issue/|/search", jira_style)
    cloud.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert code == 0
    assert "up to date" in out
    assert cloud.writes() == []


# -- limits, prune, sync ----------------------------------------------------------------------
def test_a_plan_over_the_comment_limit_is_shortened_not_half_written(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert JiraTracker.limits.max_comment_chars == 32_767  # Jira's default text limit
    # A lower limit shows the same behaviour without a story long enough to be slow to parse.
    monkeypatch.setattr(JiraTracker, "limits", Limits(max_comment_chars=6_000))
    long = "Long description. " * 60
    tasks = [TaskSpec(n, f"Step {n}") for n in range(1, 6)]
    text = wiki_story(story_text(tasks).replace("end to end.", "end to end. " + long))
    issue = cloud.add_issue("Sign in", issuetype="Story", description=text)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    (plan,) = plans_on(issue)
    assert len(plan) <= 6_000
    assert "Long description." not in plan  # task detail lives in the sub-tasks
    assert "Long description." in (tasks_of(cloud, issue.key)["T1"].description or "")


def test_prune_moves_a_removed_task_to_wont_do_rather_than_done(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud)
    assert run(capsys, "apply", issue.key)[0] == 0
    issue.description = wiki_story(story_text(diamond(4)[:3]))
    assert run(capsys, "apply", "--prune", issue.key)[0] == 0
    dropped = tasks_of(cloud, issue.key)["T4"]
    assert cloud.statuses[dropped.status_id].name == "Won't Do"
    assert "storyplan:obsolete" in dropped.labels
    assert [c.body for c in dropped.comments if "removed from the plan" in c.body]
    cloud.clear_log()
    assert run(capsys, "apply", "--prune", issue.key)[0] == 0
    assert cloud.writes() == []


def test_sync_closes_the_story_through_a_done_transition_once_every_task_is_done(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = story(cloud, diamond(4)[:2])
    assert run(capsys, "apply", issue.key)[0] == 0
    monkeypatch.setenv("STORYPLAN_SYNC__WHEN_DONE", "close")
    children = tasks_of(cloud, issue.key)
    cloud.set_status(children["T1"].key, "Done")
    assert run(capsys, "sync", issue.key)[0] == 0
    assert cloud.statuses[issue.status_id].name == "To Do"
    cloud.set_status(children["T2"].key, "Done")
    code, _, err = run(capsys, "sync", issue.key)
    assert code == 0, err
    assert cloud.statuses[issue.status_id].name == "Done"
    assert "(/) Task 2: Password hashing" in plans_on(issue)[0]
    cloud.clear_log()
    assert run(capsys, "sync", issue.key)[0] == 0
    assert cloud.writes() == []


def test_sync_all_finds_every_labelled_story_of_a_project(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = [story(cloud, diamond(4)[:2]) for _ in range(2)]
    story(cloud, diamond(4)[:2])  # never applied, so never labelled
    for issue in planned:
        assert run(capsys, "apply", issue.key)[0] == 0
    cloud.set_status(tasks_of(cloud, planned[0].key)["T1"].key, "Done")
    code, out, err = run(capsys, "sync", "--all", "jira:SHOP", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["checked"], result["updated"], result["unchanged"]) == (2, 1, 1)


def test_search_pages_through_every_sub_task_as_each_deployment_allows(
    fake: FakeJira,
) -> None:
    parent = fake.add_issue("Story", issuetype="Story")
    for n in range(230):
        fake.add_issue(f"T{n}", issuetype="subtask", parent=parent.key, properties={"n": n})
    token = SecretStr(fake.user.token)
    if fake.mode == "cloud":
        credentials = Credentials("basic", token, fake.user.email)
    else:
        credentials = Credentials("bearer", token)
    api = JiraApi(fake.base_url, credentials, timeout=5, retries=0, max_retry_delay=0)
    try:
        found = api.search(f"parent = {parent.key} ORDER BY key ASC", ["summary"], ["n"])
    finally:
        api.close()
    assert [i["properties"]["n"] for i in found] == list(range(230))
    searches = [e for e in fake.log if "/search" in e.path]
    assert len(searches) == (3 if fake.mode == "cloud" else 1)
    assert fake.count("GET", r"/serverInfo$") == 1  # nothing was read before the search


def test_a_whole_run_keeps_the_fakes_spec_checks_clean(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    jira_spec.require_spec()
    issue = story(fake)
    assert run(capsys, "apply", issue.key)[0] == 0
    issue.description = wiki_story(story_text([TaskSpec(1, "Session model"), TaskSpec(2, "X")]))
    assert run(capsys, "apply", "--prune", issue.key)[0] == 0
    checker = fake.spec_checker
    assert checker is not None
    assert checker.checked >= 20
    assert checker.violations == []
