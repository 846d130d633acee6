"""Tests of the fake Jira server, driven by the real `jira` client over loopback HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jira.resilientsession
import pytest
import requests
from jira import JIRA
from jira.exceptions import JIRAError

from tests.fakes import jira_spec
from tests.fakes.fake_jira import FakeJira

MODES = ["cloud", "server"]


def start(mode: str, **kwargs: Any) -> FakeJira:
    kwargs.setdefault("prefix", "/jira" if mode == "server" else "")
    return FakeJira(mode, **kwargs).start()


@pytest.fixture(params=MODES)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    server = start(request.param)
    try:
        yield server
    finally:
        server.stop()
    assert server.errors == [], "the fake crashed"
    assert [str(v) for v in server.spec_violations] == []


@pytest.fixture
def client(fake: FakeJira) -> JIRA:
    return fake.client()


def post(client: JIRA, path: str, body: Any) -> requests.Response:
    return client._session.post(client._get_url(path), data=json.dumps(body))


def create(client: JIRA, summary: str = "Story", **fields: Any) -> Any:
    base = {"project": {"key": "PROJ"}, "summary": summary, "issuetype": {"name": "Story"}}
    return client.create_issue(fields=base | fields)


def subtask(client: JIRA, parent: str, summary: str = "Task", type_name: str = "Sub-task") -> Any:
    return create(client, summary, issuetype={"name": type_name}, parent={"key": parent})


# -- construction and auth ------------------------------------------------------------------
def test_cloud_client_authenticates_with_email_and_api_token() -> None:
    fake = start("cloud")
    try:
        client = JIRA(fake.base_url, basic_auth=(fake.user.email, fake.user.token), max_retries=0)
        assert client.deploymentType == "Cloud"
        assert [(e.method, e.path) for e in fake.log] == [("GET", "/rest/api/2/serverInfo")]
        assert client.myself()["accountId"] == fake.user.account_id
        client.close()
    finally:
        fake.stop()


def test_data_center_client_authenticates_with_a_bearer_pat_under_its_context_path() -> None:
    fake = start("server", prefix="/jira")
    seen: list[str] = []
    fake.hooks.append(lambda request, response: seen.append(request.headers["authorization"]))
    try:
        client = JIRA(fake.base_url, token_auth=fake.user.token, max_retries=0)
        assert client.deploymentType == "Server"
        assert client._version == (9, 12, 15)
        assert client.myself()["name"] == "alice"
        assert [e.path for e in fake.log] == [
            "/jira/rest/api/2/serverInfo",
            "/jira/rest/api/2/myself",
        ]
        assert seen == [f"Bearer {fake.user.token}"] * 2
        with pytest.raises(JIRAError) as basic:
            JIRA(fake.base_url, basic_auth=("alice", fake.user.token), max_retries=0)
        assert basic.value.status_code == 401
        client.close()
    finally:
        fake.stop()


@pytest.mark.parametrize("mode", MODES)
def test_wrong_credentials_fail_construction_with_401(mode: str) -> None:
    fake = start(mode)
    try:
        auth = (
            {"basic_auth": (fake.user.email, "nope")} if mode == "cloud" else {"token_auth": "nope"}
        )
        with pytest.raises(JIRAError) as error:
            JIRA(fake.base_url, max_retries=0, **auth)
        assert error.value.status_code == 401
        assert "authenticat" in error.value.text
    finally:
        fake.stop()


def test_cloud_client_without_server_info_falls_back_to_the_removed_legacy_search() -> None:
    fake = start("cloud")
    try:
        client = fake.client(get_server_info=False)
        assert fake.log == []
        with pytest.raises(JIRAError) as error:
            client.search_issues("project = PROJ")
        assert error.value.status_code == 410
        assert "/rest/api/3/search/jql" in error.value.text
    finally:
        fake.stop()


# -- issues -----------------------------------------------------------------------------------
def test_issue_is_created_read_and_edited(fake: FakeJira, client: JIRA) -> None:
    issue = create(client, "Checkout", description="h2. Why\n* fast", labels=["plan"])
    assert issue.key == "PROJ-1"
    assert issue.fields.description == "h2. Why\n* fast"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.reporter.displayName == "Alice Admin"

    brief = client.issue("proj-1", fields="summary,labels")
    assert set(brief.raw["fields"]) == {"summary", "labels"}

    issue.update(fields={"summary": "Checkout v2", "description": "changed"})
    issue.update(update={"labels": [{"add": "storyplan"}, {"remove": "plan"}]})
    assert fake.count("PUT", r"/issue/10001$") == 2
    assert all(e.status == 204 for e in fake.log if e.method == "PUT")
    again = client.issue("PROJ-1")
    assert (again.fields.summary, again.fields.labels) == ("Checkout v2", ["storyplan"])
    assert again.fields.updated > again.fields.created


def test_editing_an_unknown_field_is_refused_with_jiras_message(client: JIRA) -> None:
    issue = create(client)
    with pytest.raises(JIRAError) as error:
        issue.update(fields={"storypoints": 3})
    assert error.value.status_code == 400
    assert "Field 'storypoints' cannot be set" in error.value.text


@pytest.mark.parametrize(
    ("mode", "name"), [("cloud", "Subtask"), ("server", "Unteraufgabe"), ("cloud", "Sub-task")]
)
def test_subtask_is_created_with_the_type_discovered_from_create_metadata(
    mode: str, name: str
) -> None:
    fake = start(mode, subtask_type_name=name)
    try:
        client = fake.client()
        if mode == "cloud":  # the client refuses project_issue_types on Cloud
            meta = client.createmeta(projectKeys="PROJ")
            types = meta["projects"][0]["issuetypes"]
        else:  # and refuses the legacy createmeta on Data Center 9
            types = [t.raw for t in client.project_issue_types("PROJ")]
        sub_type = next(t for t in types if t["subtask"])
        assert sub_type["name"] == name

        story = create(client)
        child = create(client, "Step", issuetype={"id": sub_type["id"]}, parent={"key": story.key})
        assert child.fields.issuetype.name == name
        assert child.fields.parent.key == story.key
        assert [s.key for s in client.issue(story.key).fields.subtasks] == [child.key]
    finally:
        fake.stop()


def test_data_center_8_still_serves_the_legacy_create_metadata() -> None:
    fake = start("server", version="8.20.30")
    try:
        client = fake.client()
        with pytest.warns(DeprecationWarning, match="removed in JIRA 9.0"):
            meta = client.createmeta(projectKeys="PROJ", expand="projects.issuetypes.fields")
        types = {t["name"]: t for t in meta["projects"][0]["issuetypes"]}
        assert types["Sub-task"]["fields"]["parent"]["required"] is True
    finally:
        fake.stop()


def test_subtask_without_a_parent_is_refused(client: JIRA) -> None:
    with pytest.raises(JIRAError) as error:
        create(client, issuetype={"name": "Sub-task"})
    assert error.value.status_code == 400
    assert error.value.text == "Issue type is a sub-task but parent issue key or id not specified."


def test_subtask_under_a_subtask_is_refused(fake: FakeJira, client: JIRA) -> None:
    story = create(client)
    child = subtask(client, story.key)
    with pytest.raises(JIRAError) as error:
        subtask(client, child.key)
    assert error.value.status_code == 400
    body = error.value.response.json()
    field, message = ("parentId", "work item") if fake.mode == "cloud" else ("parent", "issue")
    assert body["errors"][field] == (
        f"Given parent {message} does not belong to appropriate hierarchy."
    )
    assert len(fake.issues) == 2


def test_cloud_takes_an_epic_as_the_parent_of_a_story_but_data_center_does_not() -> None:
    for mode in MODES:
        fake = start(mode)
        try:
            client = fake.client()
            epic = create(client, "Epic", issuetype={"name": "Epic"})
            if mode == "cloud":
                story = create(client, parent={"key": epic.key})
                assert story.fields.parent.key == epic.key
                assert client.issue(epic.key).fields.subtasks == []  # only sub-tasks show there
            else:
                with pytest.raises(JIRAError) as error:
                    create(client, parent={"key": epic.key})
                assert error.value.text.startswith("Field 'parent' cannot be set.")
        finally:
            fake.stop()


# -- search -----------------------------------------------------------------------------------
def test_search_by_parent_pages_past_fifty_results_with_properties(fake: FakeJira) -> None:
    story = fake.add_issue("Story", issuetype="Story")
    for n in range(120):
        fake.add_issue(f"T{n}", issuetype="subtask", parent=story.key, properties={"sp": {"n": n}})
    client = fake.client()
    fake.clear_log()

    first = client.search_issues(f"parent = {story.key} ORDER BY key", properties="sp")
    assert len(first) == 50  # the client's default asks for one page of 50

    found = client.search_issues(
        f"parent = {story.key} ORDER BY key", maxResults=False, fields="summary", properties="sp"
    )
    assert [i.raw["properties"]["sp"]["n"] for i in found] == list(range(120))
    assert set(found[0].raw["fields"]) == {"summary"}
    if fake.mode == "cloud":
        pages = [e for e in fake.log if e.path.endswith("/search/jql")]
        assert [bool(e.query.get("nextPageToken")) for e in pages] == [False, False, True]
    else:
        pages = [e for e in fake.log if e.path.endswith("/search")]
        paging = [(e.query["startAt"][0], e.query["maxResults"][0]) for e in pages]
        assert paging == [("0", "50"), ("0", "100"), ("100", "100")]
        assert found.total == 120


def test_search_understands_the_clauses_storyplan_uses(fake: FakeJira, client: JIRA) -> None:
    a = fake.add_issue("A", issuetype="Story", labels=["plan"])
    b = fake.add_issue("B", issuetype="Story")
    a1 = fake.add_issue("a1", issuetype="subtask", parent=a.key, labels=["storyplan"])
    b1 = fake.add_issue("b1", issuetype="subtask", parent=b.key, labels=["storyplan"])
    fake.add_project("OTHER")
    fake.add_issue("elsewhere", project="OTHER", labels=["storyplan"])

    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql, fields="summary")]

    assert keys(f"parent in ({a.key}, {b.key}) ORDER BY key") == [a1.key, b1.key]
    assert keys("project = PROJ AND labels = storyplan ORDER BY created DESC") == [b1.key, a1.key]
    assert keys(f"key in ({b.key}, {a.key}) ORDER BY key DESC") == [b.key, a.key]
    assert keys("labels = plan OR parent = PROJ-2 ORDER BY key") == [a.key, b1.key]
    assert keys("project = PROJ AND issuetype in subTaskIssueTypes() ORDER BY key") == [
        a1.key,
        b1.key,
    ]
    assert keys("project = OTHER AND statusCategory != Done") == ["OTHER-1"]


def test_search_by_an_entity_property_needs_an_index(fake: FakeJira, client: JIRA) -> None:
    story = fake.add_issue("Story", issuetype="Story")
    fake.add_issue("t", issuetype="subtask", parent=story.key, properties={"sp": {"task": "T1"}})
    jql = f"parent = {story.key} AND issue.property[sp].task = T1"
    with pytest.raises(JIRAError) as error:
        client.search_issues(jql)
    assert "does not exist" in error.value.text
    fake.indexed_properties.add("sp")
    assert [i.key for i in client.search_issues(jql)] == ["PROJ-2"]


def test_search_names_an_unknown_issue_key_in_its_400(client: JIRA) -> None:
    with pytest.raises(JIRAError) as error:
        client.search_issues("parent = PROJ-404")
    assert error.value.status_code == 400
    assert error.value.text == "An issue with key 'PROJ-404' does not exist for field 'parent'."


def test_cloud_search_refuses_an_unbounded_query() -> None:
    fake = start("cloud")
    try:
        with pytest.raises(JIRAError) as error:
            fake.client().search_issues("ORDER BY created DESC")
        assert error.value.status_code == 400
        assert "Unbounded JQL queries are not allowed" in error.value.text
    finally:
        fake.stop()


# -- properties, comments ---------------------------------------------------------------------
def test_issue_properties_are_set_read_listed_and_deleted(fake: FakeJira, client: JIRA) -> None:
    issue = create(client)
    assert client.add_issue_property(issue.key, "storyplan", {"task": "T1"}).status_code == 201
    assert client.add_issue_property(issue.key, "storyplan", {"task": "T2"}).status_code == 200
    assert client.issue_property(issue.key, "storyplan").raw["value"] == {"task": "T2"}
    assert [p.key for p in client.issue_properties(issue.key)] == ["storyplan"]
    got = client.issue(issue.key, properties="storyplan,missing")
    assert got.raw["properties"] == {"storyplan": {"task": "T2"}}
    assert "properties" not in client.issue(issue.key).raw

    client.issue_property(issue.key, "storyplan").delete()
    with pytest.raises(JIRAError) as error:
        client.issue_property(issue.key, "storyplan")
    assert error.value.status_code == 404
    assert error.value.text == "The property with key 'storyplan' does not exist."


def test_comments_come_in_pages_with_a_total(fake: FakeJira, client: JIRA) -> None:
    issue = create(client)
    for n in range(130):
        fake.add_comment(issue.key, f"comment {n}")
    first = client.comments(issue.key)
    page = 100 if fake.mode == "cloud" else 130  # Data Center answers every comment
    assert len(first) == page
    rest = client.comments(issue.key, start_at=100)
    assert [c.body for c in rest] == [f"comment {n}" for n in range(100, 130)]
    raw = client._get_json(f"issue/{issue.key}/comment", params={"maxResults": 10})
    assert (raw["total"], raw["maxResults"], len(raw["comments"])) == (130, 10, 10)
    newest = client.comments(issue.key, max_results=1, order_by="-created")
    assert newest[0].body == "comment 129"


def test_a_comment_over_32767_characters_is_refused(fake: FakeJira, client: JIRA) -> None:
    issue = create(client)
    comment = client.add_comment(issue.key, "x" * 32_767)
    with pytest.raises(JIRAError) as error:
        client.add_comment(issue.key, "x" * 32_768)
    assert error.value.status_code == 400
    too_long = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
    assert error.value.response.json()["errors"] == {"comment": too_long}
    with pytest.raises(JIRAError):
        comment.update(body="y" * 32_768)
    comment.update(body="plan v2")
    assert client.comment(issue.key, comment.id).body == "plan v2"
    assert len(fake.issue(issue.key).comments) == 1


# -- links --------------------------------------------------------------------------------------
def test_a_comment_is_deleted_by_a_writer_only(fake: FakeJira, client: JIRA) -> None:
    issue = create(client, "Story")
    first, second = (client.add_comment(issue.key, text) for text in ("one", "two"))
    first.delete()
    assert [c.body for c in client.comments(issue.key)] == ["two"]
    reader = fake.client(fake.reader)
    with pytest.raises(JIRAError) as error:
        reader.comment(issue.key, second.id).delete()
    assert error.value.status_code == 403
    with pytest.raises(JIRAError) as gone:
        client.comment(issue.key, first.id)
    assert gone.value.status_code == 404


def test_a_transition_sets_the_resolution_only_where_its_screen_shows_it(
    fake: FakeJira, client: JIRA
) -> None:
    issue, other = create(client, "Twin"), create(client, "Other")
    shown = client.transitions(issue.key, expand="transitions.fields")
    fields = {t["name"]: t["fields"] for t in shown}
    assert list(fields["Won't Do"]) == []
    allowed = [v["name"] for v in fields["Done"]["resolution"]["allowedValues"]]
    assert "Duplicate" in allowed
    assert "fields" not in client.transitions(issue.key)[0]
    client.transition_issue(issue.key, "31", fields={"resolution": {"name": "Duplicate"}})
    assert client.issue(issue.key).fields.resolution.name == "Duplicate"
    with pytest.raises(JIRAError) as error:
        client.transition_issue(other.key, "41", fields={"resolution": {"name": "Duplicate"}})
    assert "resolution" in error.value.text
    assert client.issue(other.key).fields.status.name == "To Do"


def test_blocks_link_reads_the_same_way_from_both_issues(fake: FakeJira, client: JIRA) -> None:
    blocker, blocked = create(client, "Schema"), create(client, "API")
    response = client.create_issue_link("Blocks", inwardIssue=blocker.key, outwardIssue=blocked.key)
    assert response.status_code == 201

    (on_blocker,) = client.issue(blocker.key).fields.issuelinks
    assert on_blocker.type.outward == "blocks"
    assert on_blocker.outwardIssue.key == blocked.key  # "Schema blocks API"
    assert not hasattr(on_blocker, "inwardIssue")
    (on_blocked,) = client.issue(blocked.key).fields.issuelinks
    assert on_blocked.type.inward == "is blocked by"
    assert on_blocked.inwardIssue.key == blocker.key  # "API is blocked by Schema"

    link = client.issue_link(on_blocker.id)
    assert (link.inwardIssue.key, link.outwardIssue.key) == (blocker.key, blocked.key)
    client.create_issue_link("Blocks", blocker.key, blocked.key)  # a duplicate is absorbed
    assert len(fake.links) == 1
    client.delete_issue_link(link.id)
    assert client.issue(blocked.key).fields.issuelinks == []


def test_links_added_by_an_edit_follow_the_same_direction(client: JIRA) -> None:
    blocker, blocked, blocked_too = create(client, "Schema"), create(client, "API"), create(client)
    blocks = {"type": {"name": "Blocks"}, "outwardIssue": {"key": blocked.key}}
    is_blocked = {"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker.key}}
    blocker.update(update={"issuelinks": [{"add": blocks}]})  # "Schema blocks API"
    blocked_too.update(update={"issuelinks": [{"add": is_blocked}]})  # "... is blocked by Schema"
    for key in (blocked.key, blocked_too.key):
        (link,) = client.issue(key).fields.issuelinks
        assert link.inwardIssue.key == blocker.key


def test_a_renamed_blocks_type_is_found_by_id_or_outward_description(
    fake: FakeJira, client: JIRA
) -> None:
    a, b = create(client, "A"), create(client, "B")
    fake.rename_link_type("Blocks", new_name="Dependency")
    types = {t.id: t.name for t in client.issue_link_types()}
    assert types["10000"] == "Dependency"

    def link(link_type: dict[str, str], inward: str, outward: str) -> requests.Response:
        body = {"type": link_type, "inwardIssue": {"key": inward}, "outwardIssue": {"key": outward}}
        return post(client, "issueLink", body)

    with pytest.raises(JIRAError) as error:
        link({"name": "Blocks"}, a.key, b.key)
    assert error.value.status_code == 404
    assert error.value.text == "No issue link type with name 'Blocks' found."

    client.create_issue_link("blocks", a.key, b.key)  # the client maps "blocks" to its type
    link({"id": "10000"}, b.key, a.key)
    assert sorted((lk.inward_id, lk.outward_id) for lk in fake.links.values()) == [
        (a.id, b.id),
        (b.id, a.id),
    ]


# -- workflow -------------------------------------------------------------------------------------
def test_transitions_lead_to_the_done_category(fake: FakeJira, client: JIRA) -> None:
    issue, dropped = create(client, "Work"), create(client, "Dropped")
    assert [t["name"] for t in client.transitions(issue.key)] == ["In Progress", "Done", "Won't Do"]
    client.transition_issue(issue.key, "In Progress")
    client.transition_issue(issue.key, "31", comment="shipped")
    done = client.issue(issue.key)
    assert done.fields.status.name == "Done"
    assert done.fields.status.statusCategory.key == "done"
    assert done.fields.resolution.name == "Done"
    assert done.fields.comment.comments[-1].body == "shipped"

    client.transition_issue(dropped.key, "Won't Do")
    assert client.issue(dropped.key).fields.status.statusCategory.key == "done"
    with pytest.raises(JIRAError) as error:
        client.transition_issue(issue.key, "31")
    assert error.value.text == "Transition id '31' is not valid for this issue."


# -- errors ---------------------------------------------------------------------------------------
def test_401_403_and_404_arrive_as_jira_errors_with_jiras_words(fake: FakeJira) -> None:
    stranger = JIRA(
        fake.base_url,
        max_retries=0,
        get_server_info=False,
        **(
            {"basic_auth": ("x@example.com", "bad")}
            if fake.mode == "cloud"
            else {"token_auth": "bad"}
        ),
    )
    with pytest.raises(JIRAError) as unauthorized:
        stranger.issue("PROJ-1")
    stranger.close()
    assert unauthorized.value.status_code == 401

    reader = fake.client(fake.reader)
    with pytest.raises(JIRAError) as forbidden:
        create(reader)
    assert forbidden.value.status_code == 403
    assert forbidden.value.text == "You do not have permission to create issues in this project."

    with pytest.raises(JIRAError) as missing:
        reader.issue("PROJ-999")
    assert missing.value.status_code == 404
    assert missing.value.text == "Issue does not exist or you do not have permission to see it."


# -- bulk create ------------------------------------------------------------------------------
def bulk_element(parent: str, summary: str, **extra: Any) -> dict[str, Any]:
    fields = {
        "project": {"key": "PROJ"},
        "parent": {"key": parent},
        "issuetype": {"name": "Sub-task"},
        "summary": summary,
    }
    return {"fields": fields, **extra}


def test_bulk_create_makes_sub_tasks_with_their_properties_in_one_request(
    fake: FakeJira, client: JIRA
) -> None:
    story = create(client)
    mark = [{"key": "storyplan", "value": {"task": "T1"}}]
    elements = [bulk_element(story.key, "One", properties=mark), bulk_element(story.key, "Two")]
    answer = post(client, "issue/bulk", {"issueUpdates": elements})
    assert answer.status_code == 201
    body = answer.json()
    assert body["errors"] == []
    assert [issue["key"] for issue in body["issues"]] == ["PROJ-2", "PROJ-3"]
    made = fake.children(story.key)
    assert [(i.summary, i.properties) for i in made] == [
        ("One", {"storyplan": {"task": "T1"}}),
        ("Two", {}),
    ]


def test_bulk_create_answers_each_refused_issue_by_its_position(
    fake: FakeJira, client: JIRA
) -> None:
    story = create(client)
    elements = [
        bulk_element(story.key, "Made"),
        bulk_element(story.key, ""),  # no summary
        {"fields": {}},  # nothing a create needs
        bulk_element(story.key, "Also made"),
    ]
    answer = post(client, "issue/bulk", {"issueUpdates": elements})
    assert answer.status_code == 201
    body = answer.json()
    assert [issue["key"] for issue in body["issues"]] == ["PROJ-2", "PROJ-3"]
    assert [e["failedElementNumber"] for e in body["errors"]] == [1, 2]
    first = body["errors"][0]
    assert first["status"] == 400
    assert first["elementErrors"]["errors"] == {
        "summary": "You must specify a summary of the issue."
    }
    assert [i.summary for i in fake.children(story.key)] == ["Made", "Also made"]


def test_bulk_create_refusing_every_issue_answers_400_in_the_same_shape(
    fake: FakeJira, client: JIRA
) -> None:
    story = create(client)
    fake.create_refusals.append(lambda data: {"labels": "Refused by a validator."})
    with pytest.raises(JIRAError) as refused:
        post(client, "issue/bulk", {"issueUpdates": [bulk_element(story.key, "A")]})
    answer = refused.value.response
    assert answer.status_code == 400
    body = answer.json()
    assert body["issues"] == []
    assert body["errors"][0]["failedElementNumber"] == 0
    assert body["errors"][0]["elementErrors"]["errors"] == {"labels": "Refused by a validator."}
    assert fake.children(story.key) == []


def test_bulk_create_of_more_than_fifty_issues_is_refused_whole(
    fake: FakeJira, client: JIRA
) -> None:
    story = create(client)
    elements = [bulk_element(story.key, f"T{n}") for n in range(51)]
    with pytest.raises(JIRAError) as refused:
        post(client, "issue/bulk", {"issueUpdates": elements})
    answer = refused.value.response
    assert answer.status_code == 400
    assert "must not exceed 50" in answer.json()["errorMessages"][0]
    assert fake.children(story.key) == []
    assert post(client, "issue/bulk", {"issueUpdates": elements[:50]}).status_code == 201
    assert len(fake.children(story.key)) == 50


def test_an_edit_sets_entity_properties_beside_its_fields(fake: FakeJira, client: JIRA) -> None:
    story = create(client)
    edit = {
        "update": {"labels": [{"add": "planned"}]},
        "properties": [{"key": "storyplan", "value": {"plan": "10001"}}],
    }
    answer = client._session.put(client._get_url(f"issue/{story.key}"), data=json.dumps(edit))
    assert answer.status_code == 204
    held = fake.issue(story.key)
    assert held.labels == ["planned"]
    assert held.properties == {"storyplan": {"plan": "10001"}}


# -- rate limits and faults -------------------------------------------------------------------
def test_429_carries_retry_after_and_does_not_hang_without_retries(
    fake: FakeJira, client: JIRA
) -> None:
    fake.rate_limit(retry_after=30)
    started = time.monotonic()
    with pytest.raises(JIRAError) as error:
        client.issue("PROJ-1")
    assert time.monotonic() - started < 1
    assert error.value.status_code == 429
    headers = error.value.response.headers
    assert headers["Retry-After"] == "30"
    assert headers["X-RateLimit-Remaining"] == "0"
    wanted = "X-RateLimit-Reset" if fake.mode == "cloud" else "X-RateLimit-FillRate"
    assert wanted in headers


def test_client_retries_a_429_after_sleeping_what_retry_after_says(
    fake: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=sleeps.append))
    client = fake.client(max_retries=1)
    issue = create(client)
    fake.rate_limit(retry_after=5, times=1)
    assert client.issue(issue.key).key == issue.key
    assert len(sleeps) == 1
    assert 5 <= sleeps[0] <= 10  # 2 x Retry-After, times a jitter in [0.5, 1]


def test_create_whose_response_is_lost_leaves_exactly_one_issue(
    fake: FakeJira, client: JIRA
) -> None:
    fake.fail("POST", r"/rest/api/2/issue$")  # carried out, then the connection drops
    with pytest.raises(requests.ConnectionError):
        create(client, "Lost", labels=["sp-T1"])
    assert [i.summary for i in fake.issues.values()] == ["Lost"]
    (found,) = client.search_issues("project = PROJ AND labels = sp-T1")
    assert found.fields.summary == "Lost"


def test_client_retry_of_a_lost_create_makes_a_duplicate(
    fake: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=lambda s: None))
    client = fake.client(max_retries=1)
    fake.fail("POST", r"/rest/api/2/issue$")
    create(client, "Lost")
    assert [i.summary for i in fake.issues.values()] == ["Lost", "Lost"]


def test_log_counts_and_post_searches_are_reads(fake: FakeJira, client: JIRA) -> None:
    create(client)
    fake.clear_log()
    client.search_issues("project = PROJ", use_post=True)
    client.issue("PROJ-1")
    assert fake.count("POST", r"/search") == 1
    assert fake.count("GET", r"/issue/") == 1
    assert fake.count() == 3  # and the field list, which search_issues reads once
    assert fake.writes() == []
    assert len(fake.reads()) == 3


# -- spec checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_spec_checks_find_no_violations_over_a_whole_scenario(mode: str) -> None:
    jira_spec.require_spec()
    fake = start(mode)
    try:
        client = fake.client()
        client.myself()
        client.fields()
        client.issue_types()
        client.project("PROJ")
        story = create(client, description="h1. Plan")
        children = [subtask(client, story.key, f"T{n}") for n in range(3)]
        client.add_issue_property(children[0].key, "sp", {"task": "T1"})
        client.issue_property(children[0].key, "sp")
        client.issue_properties(children[0].key)
        client.search_issues(f"parent = {story.key}", properties="sp", maxResults=False)
        client.create_issue_link("Blocks", children[0].key, children[1].key)
        link = client.issue(children[0].key).fields.issuelinks[0]
        client.issue_link(link.id)
        comment = client.add_comment(story.key, "plan")
        comment.update(body="plan v2")
        client.comments(story.key)
        story.update(fields={"summary": "Story v2"}, update={"labels": [{"add": "sp"}]})
        client.transition_issue(children[2].key, "Done")
        client.delete_issue_link(link.id)
        with pytest.raises(JIRAError):
            client.issue("PROJ-404")
        if mode == "cloud":
            client.createmeta(projectKeys="PROJ")
        else:
            client.project_issue_types("PROJ")
        checker = fake.spec_checker
        assert checker is not None
        print(f"\n{mode}: {checker.report()}")
        assert checker.violations == []
        assert checker.checked >= 20
        assert "POST /rest/api/2/issue/{key}/transitions" in checker.unchecked
        assert checker.mean_ms < 50
    finally:
        fake.stop()


def test_spec_checks_catch_wrong_shapes_and_rich_text() -> None:
    jira_spec.require_spec()
    fake = start("cloud")
    try:
        client = fake.client()
        issue = create(client)
        fake.tamper("GET", r"/issue/[^/]+$", lambda body: body | {"key": 123, "bogus": True})
        adf = {"type": "doc", "version": 1, "content": []}
        fake.tamper("GET", r"/comment/[^/]+$", lambda body: body | {"body": adf})
        client.issue(issue.key)
        comment = client.add_comment(issue.key, "plain")
        client.comment(issue.key, comment.id)
        with pytest.raises(JIRAError):
            post(client, "issueLink", {"inwardIssue": {"key": issue.key}})
        found = [(v.side, v.path, v.message) for v in fake.spec_violations]
        assert len(found) == 3
        assert "123 is not of type 'string'" in found[0][2]
        assert "'bogus' was unexpected" in found[0][2]
        assert found[1][1].endswith(f"/comment/{comment.id}")
        assert "is not of type 'string'" in found[1][2]
        assert found[2][0] == "request"
        assert "'type' is a required property" in found[2][2]
    finally:
        fake.stop()


def test_spec_checks_take_each_element_of_a_bulk_create_as_a_single_create() -> None:
    jira_spec.require_spec()
    fake = start("cloud")
    try:
        client = fake.client()
        story = create(client)
        good = bulk_element(story.key, "Fine", properties=[{"key": "k", "value": 1}])
        bad = bulk_element(story.key, "Odd", properties=[{"key": "k", "bogus": 1}])
        assert post(client, "issue/bulk", {"issueUpdates": [good, bad]}).status_code == 201
        (found,) = fake.spec_violations
        assert (found.side, found.path) == ("request", "/rest/api/2/issue/bulk")
        assert "'bogus' was unexpected" in found.message
    finally:
        fake.stop()


def test_spec_checks_switch_off_when_shared_specs_are_absent(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jira_spec, "shared_dir", lambda: tmp_path / "shared")
    assert not jira_spec.spec_available()
    fake = start("cloud")
    try:
        fake.client().issue_types()
        assert fake.spec_checker is None
        assert fake.spec_violations == []
    finally:
        fake.stop()
    with pytest.raises(pytest.skip.Exception, match="absent"):
        jira_spec.require_spec()
