"""Jira specifics against the fake Jira over HTTP, in Cloud and Data Center modes: sub-task
types, link types, credentials and site, errors, lost plan comments, an unreachable site,
text normalisation, limits, sync. The scenarios every tracker shares live in
tests/e2e/test_contract.py.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from storyplan import markers
from storyplan.adapters.jira.client import JiraApi
from storyplan.adapters.jira.settings import (
    Credentials,
    JiraSettings,
    read_credentials,
    site_url,
)
from storyplan.adapters.jira.tracker import JiraTracker
from storyplan.cli import main
from storyplan.errors import AuthError, ConfigError
from storyplan.ports import Limits
from storyplan.refs import parse_ref
from tests.e2e.harness_jira import ENV, assert_fake_clean, wiki_story
from tests.e2e.stories import TaskSpec, diamond, edges, story_text
from tests.fakes import jira_spec
from tests.fakes.fake_jira import FakeJira, JiraIssue

MODES = ["cloud", "server"]
ISSUE_POST = r"/rest/api/2/issue$"
BULK_POST = r"/rest/api/2/issue/bulk$"

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


def is_plan(body: str) -> bool:
    return markers.read_identity(body, "plan", "jira") is not None


def plans_on(issue: JiraIssue) -> list[str]:
    return [c.body for c in issue.comments if is_plan(c.body)]


def blocked_pairs(fake: FakeJira, key: str) -> set[tuple[str, str]]:
    task = {i.id: t for t, i in tasks_of(fake, key).items()}
    return {(task[lk.inward_id], task[lk.outward_id]) for lk in fake.links.values()}


# -- what apply writes ------------------------------------------------------------------------
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
    (plan,) = [c for c in issue.comments if is_plan(c.body)]
    kept = issue.properties["storyplan"]
    assert set(kept) == {"plan", "record"}  # the record: see test_jira_record.py
    assert kept["plan"] == plan.id
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


def test_a_no_op_apply_reads_the_story_and_its_sub_tasks_in_one_search_and_writes_nothing(
    fake: FakeJira, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if fake.mode == "cloud":  # as *.atlassian.net says by its name
        monkeypatch.setenv("STORYPLAN_JIRA__DEPLOYMENT", "cloud")
    issue = story(fake)
    assert run(capsys, "apply", issue.key)[0] == 0
    fake.clear_log()
    code, out, _ = run(capsys, "apply", issue.key)
    assert code == 0
    assert "up to date" in out
    paths = [(e.method, e.path.removeprefix(fake.prefix)) for e in fake.log]
    search = "/rest/api/2/search/jql" if fake.mode == "cloud" else "/rest/api/2/search"
    assert paths == [("GET", search)]
    jql = f"key = {issue.key} OR parent = {issue.key} ORDER BY key ASC"
    assert fake.log[0].query["jql"] == [jql]
    assert fake.log[0].query["properties"] == ["storyplan"]


def test_a_cloud_site_not_named_so_is_told_by_the_410_of_the_retired_search(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud)
    assert run(capsys, "plan", issue.key)[0] == 0
    searches = [(e.path, e.status) for e in cloud.log if "/search" in e.path]
    assert searches == [("/rest/api/2/search", 410), ("/rest/api/2/search/jql", 200)]
    assert cloud.count("GET", r"/serverInfo$") == 0


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


def test_data_center_before_8_4_finds_the_sub_task_type_in_the_old_create_metadata(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = start("server", version="8.3.4")
    sign_in(monkeypatch, fake)
    try:
        issue = story(fake)
        code, _, err = run(capsys, "apply", issue.key)
        assert code == 0, err
        assert len(fake.children(issue.key)) == 4
        assert fake.count("GET", r"/createmeta/SHOP/issuetypes$") == 1  # 404 here
        assert fake.count("GET", r"/issue/createmeta$") == 1  # so the old resource is read
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


def test_an_attached_issue_is_listed_in_the_storys_property_and_read_with_one_more_search(
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
    assert issue.properties["storyplan"]["attached"] == [existing.key]
    assert existing.properties == {}  # the bookkeeping is the story's, not the issue's
    tester = tasks_of(cloud, issue.key)["T3"]
    blockers = {lk.inward_id for lk in cloud.links.values() if lk.outward_id == tester.id}
    assert existing.id in blockers
    assert existing.key in plans_on(issue)[0]
    cloud.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert cloud.writes() == []
    # The story with its sub-tasks, then the attached issues (the first is the 410 of
    # the retired search that tells a Cloud site on a loopback address).
    assert cloud.count("GET", r"/search/jql$") == 2


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
        ("no-site", 2, "no Jira site: set JIRA_URL (or [jira] base_url, or --base-url)"),
        ("bad-token", 6, "rejected the credentials (401 while trying to read story SHOP-1 and"),
        ("reader", 8, "the credentials may not create 4 sub-tasks under SHOP-1"),
        ("missing", 7, "could not read story SHOP-999: not found on 127.0.0.1"),
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


def credentials(environ: dict[str, str], url: str, **settings: Any) -> Credentials:
    return read_credentials(JiraSettings(**settings), url, environ)


def test_credentials_come_from_the_environment_and_the_site_decides_between_kinds() -> None:
    cloud, dc = "https://acme.atlassian.net", "https://jira.acme.internal"
    env = {"JIRA_EMAIL": "me@acme.com"}
    with pytest.raises(AuthError, match="JIRA_API_TOKEN is not set"):
        credentials(env, cloud)
    env |= {"JIRA_API_TOKEN": "cloud-token", "JIRA_PAT": "dc-pat"}
    assert credentials(env, cloud).kind == "basic"
    assert credentials(env, dc).kind == "bearer"
    assert credentials(env, dc, auth="basic").email == "me@acme.com"
    assert "dc-pat" not in repr(credentials(env, dc))
    del env["JIRA_PAT"]
    with pytest.raises(AuthError, match="JIRA_PAT is not set"):
        credentials(env, dc, auth="bearer")
    with pytest.raises(AuthError, match="characters a token never has"):
        credentials({"JIRA_PAT": "dc-pät"}, dc)


def test_storyplans_own_token_setting_wins_and_is_an_api_token_beside_an_email() -> None:
    dc = "https://jira.acme.internal"
    env = {"JIRA_API_TOKEN": "api-token", "JIRA_PAT": "dc-pat"}
    own = credentials(env, dc, token="own-token")  # STORYPLAN_JIRA__TOKEN
    assert (own.kind, own.token.get_secret_value(), own.hint) == (
        "bearer",
        "own-token",
        "STORYPLAN_JIRA__TOKEN",
    )
    with_email = credentials(env | {"JIRA_EMAIL": "me@acme.com"}, dc, token="own-token")
    assert (with_email.kind, with_email.email) == ("basic", "me@acme.com")
    assert with_email.hint == "JIRA_EMAIL and STORYPLAN_JIRA__TOKEN"
    assert credentials(env | {"JIRA_EMAIL": "me@acme.com"}, dc, auth="basic").hint == (
        "JIRA_EMAIL and JIRA_API_TOKEN"
    )
    assert credentials({"JIRA_PAT": "dc-pat"}, dc).hint == "JIRA_PAT"


def test_the_site_comes_from_the_option_the_story_url_the_config_then_jira_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JIRA_URL", "https://from-env.atlassian.net")
    key, url = parse_ref("SHOP-1", "jira"), parse_ref("https://x.example/browse/SHOP-1", "jira")
    older = JiraSettings.model_validate({"url": "https://jira.example/jira/"})
    assert older.base_url == "https://jira.example/jira/"  # `url` still names the site
    assert site_url(key, older, None) == "https://jira.example/jira"
    assert site_url(key, JiraSettings(), None) == "https://from-env.atlassian.net"
    assert site_url(url, older, None) == "https://x.example"
    assert site_url(url, older, "https://option.example") == "https://option.example"
    on_same_host = JiraSettings(base_url="https://x.example/jira")
    assert site_url(url, on_same_host, None) == "https://x.example/jira"  # keeps its path
    monkeypatch.setenv("JIRA_URL", "jira.example")
    with pytest.raises(ConfigError, match="not an http"):
        site_url(key, JiraSettings(), None)


def test_an_unreachable_site_fails_in_one_sentence_after_a_line_for_each_wait(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in (*ENV, "STORYPLAN_JIRA__RETRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JIRA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("JIRA_PAT", "dc-pat")
    monkeypatch.setenv("STORYPLAN_JIRA__RETRIES", "2")  # a try at once, then one after 1 s
    code, _, err = run(capsys, "apply", "SHOP-1")
    assert code == 5
    assert err.splitlines() == [
        "storyplan: Jira did not answer; retrying in 1.0 s",
        f"storyplan: error: could not reach Jira at 127.0.0.1:{port} to read story SHOP-1 "
        "and its sub-tasks (ConnectionError)",
    ]


# -- lost answers -----------------------------------------------------------------------------
def test_a_plan_comment_whose_answer_is_lost_is_found_and_not_posted_twice(
    fake: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(fake)
    fake.fail("POST", r"/comment$", None)  # the plan comment is made, then the line drops
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert fake.count("POST", BULK_POST) == 1  # every sub-task in one request
    assert len(fake.children(issue.key)) == 4
    assert fake.count("POST", r"/comment$") == 1
    assert len(plans_on(issue)) == 1
    assert issue.properties["storyplan"]["plan"] == issue.comments[0].id


def test_a_refused_plan_comment_is_not_looked_for(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud, diamond(4)[:1])
    cloud.fail("POST", r"/comment$", 400, after=False)  # refused: nothing was made
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 5
    assert "Jira refused to write the plan comment on SHOP-1 (400" in err
    assert cloud.count("GET", r"/comment$") == 0  # a refusal is not a lost answer


def test_a_run_cut_short_before_the_plan_was_recorded_adopts_its_comment(
    datacenter: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(datacenter)
    # The story's one write (its label and property) fails after the plan comment is made.
    datacenter.fail("PUT", rf"/issue/{issue.key}$", 503, after=False)
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 5
    assert "run apply again to finish" in err
    assert "storyplan" not in issue.properties
    datacenter.clear_log()
    code, _, err = run(capsys, "apply", issue.key)
    assert code == 0, err
    assert len(plans_on(issue)) == 1  # found by its anchor, not posted again
    (label,) = datacenter.writes()  # the label, with the plan record
    assert label.path.endswith(f"/issue/{issue.key}")
    assert "plan" not in issue.properties["storyplan"]  # recorded with the plan's next edit
    issue.description = wiki_story(
        story_text([*diamond(4)[:3], TaskSpec(4, "Sign-in API", [2, 3])])
    )
    assert run(capsys, "apply", issue.key)[0] == 0
    assert len(plans_on(issue)) == 1
    assert issue.properties["storyplan"]["plan"] == issue.comments[0].id
    datacenter.clear_log()
    assert run(capsys, "apply", issue.key)[0] == 0
    assert datacenter.writes() == []


def test_text_jira_hands_back_with_crlf_and_without_trailing_blanks_is_unchanged(
    cloud: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = story(cloud)

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
    assert run(capsys, "apply", issue.key)[0] == 0
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


def test_search_pages_through_every_sub_task_as_each_deployment_allows(
    fake: FakeJira,
) -> None:
    parent = fake.add_issue("Story", issuetype="Story")
    for n in range(230):
        fake.add_issue(f"T{n}", issuetype="subtask", parent=parent.key, properties={"n": n})
    token = SecretStr(fake.user.token)
    if fake.mode == "cloud":
        signed_in = Credentials("basic", token, fake.user.email)
    else:
        signed_in = Credentials("bearer", token)
    api = JiraApi(fake.base_url, signed_in, timeout=5, retries=0)
    jql = f"parent = {parent.key} ORDER BY key ASC"
    found = api.search(jql, ["summary"], ["n"], what="list the sub-tasks")
    assert [i["properties"]["n"] for i in found] == list(range(230))
    searches = [e for e in fake.log if "/search" in e.path]
    # Cloud, not known by its loopback name, answers the retired search with 410 first.
    assert len(searches) == (4 if fake.mode == "cloud" else 1)
    assert fake.count("GET", r"/serverInfo$") == 0


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
