"""Tests of the fake GitLab, driven over HTTP by the real python-gitlab (REST and GraphQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import gitlab
import pytest
import requests
from gql.transport.exceptions import TransportQueryError

from tests.fakes.base import Fault
from tests.fakes.fake_gitlab import BLOCKED_LICENSE_MESSAGE, RESOURCE_NOT_AVAILABLE, FakeGitlab

# python-gitlab's GraphQL.execute passes variables the way gql 4 deprecates; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values:DeprecationWarning")

PROJECT = "acme-corp/platform.team/story-plan.api"


@pytest.fixture(params=["", "/gitlab"], ids=["root", "relative-url-root"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeGitlab]:
    with FakeGitlab(prefix=request.param) as server:
        server.add_project(PROJECT)
        yield server
        assert server.errors == []


def _client(fake: FakeGitlab, **kwargs: Any) -> gitlab.Gitlab:
    kwargs.setdefault("private_token", "tok-write")
    return gitlab.Gitlab(url=fake.url, **kwargs)


@pytest.fixture
def gl(fake: FakeGitlab) -> Iterator[gitlab.Gitlab]:
    client = _client(fake)
    yield client
    client.session.close()


@pytest.fixture
def gql(fake: FakeGitlab) -> Iterator[gitlab.GraphQL]:
    with gitlab.GraphQL(url=fake.url, token="tok-write") as client:
        yield client


TASK_TYPE = """
query($path: ID!) {
  project(fullPath: $path) { workItemTypes(name: TASK) { nodes { id name } } }
}
"""

CREATE_TASK = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) { workItem { id iid webUrl } errors }
}
"""

CHILDREN = """
query($id: WorkItemID!, $after: String) {
  workItem(id: $id) {
    id iid title state
    widgets {
      ... on WorkItemWidgetHierarchy {
        parent { id }
        children(first: 2, after: $after) {
          nodes { id iid title state webUrl }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}
"""


def _task_type_id(gql: gitlab.GraphQL, path: str = PROJECT) -> str:
    nodes = gql.execute(TASK_TYPE, variable_values={"path": path})["project"]["workItemTypes"]
    assert [n["name"] for n in nodes["nodes"]] == ["Task"]
    return str(nodes["nodes"][0]["id"])


def _create_task(gql: gitlab.GraphQL, title: str, parent_gid: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "namespacePath": PROJECT,
        "title": title,
        "workItemTypeId": _task_type_id(gql),
    }
    if parent_gid:
        payload["hierarchyWidget"] = {"parentId": parent_gid}
    result = gql.execute(CREATE_TASK, variable_values={"input": payload})["workItemCreate"]
    assert result["errors"] == []
    return dict(result["workItem"])


def _hierarchy(work_item: dict[str, Any]) -> dict[str, Any]:
    return next(w for w in work_item["widgets"] if "children" in w)


# -- projects, auth, version -------------------------------------------------------------------
def test_a_project_is_found_by_its_url_encoded_nested_path_with_dots_and_dashes(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get(PROJECT)

    assert project.path_with_namespace == PROJECT
    assert project.path == "story-plan.api"
    assert project.namespace["full_path"] == "acme-corp/platform.team"
    assert project.web_url == f"{fake.url}/{PROJECT}"
    assert gl.projects.get(project.id).path_with_namespace == PROJECT
    assert (
        fake.log[0].path
        == f"{fake.prefix}/api/v4/projects/acme-corp%2Fplatform.team%2Fstory-plan.api"
    )


def test_an_unknown_project_reaches_python_gitlab_as_a_404_get_error(gl: gitlab.Gitlab) -> None:
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get("acme-corp/nope")

    assert caught.value.response_code == 404
    assert caught.value.error_message == "404 Project Not Found"


def test_the_authenticated_user_and_the_version_are_served(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    gl.auth()

    assert gl.user is not None
    assert gl.user.username == fake.user["username"]
    assert gl.version() == (fake.version, fake.revision)


def test_a_missing_or_unknown_token_is_a_401_authentication_error(fake: FakeGitlab) -> None:
    for client in (gitlab.Gitlab(url=fake.url), _client(fake, private_token="nope")):
        with pytest.raises(gitlab.GitlabAuthenticationError) as caught:
            client.projects.get(PROJECT)
        assert caught.value.response_code == 401
        assert caught.value.error_message == "401 Unauthorized"
        client.session.close()


def test_bearer_and_job_tokens_are_accepted_like_private_tokens(fake: FakeGitlab) -> None:
    fake.tokens["oauth-tok"] = "write"
    fake.tokens["job-tok"] = "read"
    for client in (
        gitlab.Gitlab(url=fake.url, oauth_token="oauth-tok"),
        gitlab.Gitlab(url=fake.url, job_token="job-tok"),
    ):
        assert client.projects.get(PROJECT).path_with_namespace == PROJECT
        client.session.close()


def test_a_read_token_reads_but_its_writes_are_forbidden_with_403(fake: FakeGitlab) -> None:
    fake.add_issue(PROJECT, "existing")
    client = _client(fake, private_token="tok-read")
    project = client.projects.get(PROJECT)

    assert [i.title for i in project.issues.list()] == ["existing"]
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.issues.create({"title": "not allowed"})
    assert caught.value.response_code == 403
    assert caught.value.error_message == "403 Forbidden"
    assert [i.title for i in fake.project_issues(PROJECT)] == ["existing"]
    client.session.close()


def test_only_paths_under_the_relative_url_root_reach_the_api(fake: FakeGitlab) -> None:
    headers = {"PRIVATE-TOKEN": "tok-write"}

    inside = requests.get(f"{fake.url}/api/v4/version", headers=headers, timeout=5)
    outside = requests.get(f"{fake.origin}/elsewhere/api/v4/version", headers=headers, timeout=5)

    assert inside.status_code == 200
    assert outside.status_code == 404


# -- issues ---------------------------------------------------------------------------------------
def test_an_issue_is_created_read_back_and_edited(fake: FakeGitlab, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PROJECT, lazy=True)

    created = project.issues.create(
        {"title": "Story: export", "description": "As a user…", "labels": ["story", "ready"]}
    )
    fetched = project.issues.get(created.iid)
    fetched.title = "Story: export to CSV"
    fetched.add_labels = ["planned"]
    fetched.remove_labels = ["ready"]
    fetched.state_event = "close"
    fetched.save()

    again = project.issues.get(created.iid)
    assert created.iid == 1
    assert created.issue_type == "issue"
    assert created.references["full"] == f"{PROJECT}#1"
    assert created.web_url == f"{fake.url}/{PROJECT}/-/issues/1"
    assert again.title == "Story: export to CSV"
    assert again.description == "As a user…"
    assert again.labels == ["story", "planned"]
    assert again.state == "closed"
    assert again.closed_at is not None
    assert fake.issue(PROJECT, 1).state == "closed"


def test_an_issue_without_a_title_is_a_400_and_an_unknown_iid_a_404(gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PROJECT, lazy=True)

    with pytest.raises(gitlab.GitlabHttpError) as missing:
        gl.http_post(f"/projects/{project.encoded_id}/issues", post_data={"description": "x"})
    with pytest.raises(gitlab.GitlabGetError) as unknown:
        project.issues.get(99)

    assert missing.value.response_code == 400
    assert missing.value.error_message == "title is missing"
    assert unknown.value.response_code == 404


def test_an_issue_is_deleted_with_its_notes_and_links(fake: FakeGitlab, gl: gitlab.Gitlab) -> None:
    doomed = fake.add_issue(PROJECT, "doomed")
    kept = fake.add_issue(PROJECT, "kept")
    fake.add_note(doomed, "bye")
    fake.add_link(doomed, kept)

    gl.projects.get(PROJECT, lazy=True).issues.delete(doomed.iid)

    assert [i.title for i in fake.project_issues(PROJECT)] == ["kept"]
    assert fake.issue_links(kept) == []
    assert fake.notes == {}


def test_the_labels_filter_on_issue_listing_walks_every_page(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    for n in range(30):
        labels = ["ready"] if n % 4 else ["ready", "backend"]
        fake.add_issue(PROJECT, f"issue {n}", labels=labels if n < 23 else ["later"])
    project = gl.projects.get(PROJECT, lazy=True)
    fake.clear_log()

    ready = project.issues.list(labels=["ready"], per_page=10, get_all=True)
    both = project.issues.list(labels=["ready", "backend"], get_all=True)
    some = project.issues.list(iids=[1, 2, 30], get_all=True)

    assert len(ready) == 23
    assert [i.iid for i in ready] == list(range(23, 0, -1))  # created_at desc by default
    assert fake.count("GET", r"/issues$") == 3 + 1 + 1
    assert len(both) == 6
    assert sorted(i.iid for i in some) == [1, 2, 30]


def test_issue_listing_filters_by_state_and_sorts_ascending(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.add_issue(PROJECT, "b open")
    fake.add_issue(PROJECT, "a closed", state="closed")
    fake.add_issue(PROJECT, "c open")
    project = gl.projects.get(PROJECT, lazy=True)

    opened = project.issues.list(state="opened", sort="asc", get_all=True)
    by_title = project.issues.list(order_by="title", sort="asc", get_all=True)

    assert [i.title for i in opened] == ["b open", "c open"]
    assert [i.title for i in by_title] == ["a closed", "b open", "c open"]


def test_the_global_issue_listing_honours_scope_all_and_labels(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    other = fake.add_project("acme-corp/other")
    fake.add_issue(PROJECT, "one", labels=["story"])
    fake.add_issue(other, "two", labels=["story"])
    fake.add_issue(other, "three")

    found = gl.issues.list(scope="all", labels=["story"], get_all=True)

    assert sorted(i.title for i in found) == ["one", "two"]


def test_pagination_headers_and_link_urls_look_like_gitlabs(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    for n in range(7):
        fake.add_issue(PROJECT, f"i{n}", labels=["x"])
    encoded = "acme-corp%2Fplatform.team%2Fstory-plan.api"

    response = gl.http_request(
        "get", f"/projects/{encoded}/issues", query_data={"labels": "x", "per_page": 3, "page": 2}
    )

    headers = response.headers
    assert (headers["X-Page"], headers["X-Per-Page"], headers["X-Total"]) == ("2", "3", "7")
    assert (headers["X-Total-Pages"], headers["X-Next-Page"], headers["X-Prev-Page"]) == (
        "3",
        "3",
        "1",
    )
    base = f"{fake.url}/api/v4/projects/{encoded}/issues"
    assert response.links["next"]["url"] == f"{base}?labels=x&page=3&per_page=3"
    assert response.links["prev"]["url"] == f"{base}?labels=x&page=1&per_page=3"
    assert response.links["first"]["url"] == f"{base}?labels=x&page=1&per_page=3"
    assert response.links["last"]["url"] == f"{base}?labels=x&page=3&per_page=3"
    assert len(response.json()) == 3


def test_per_page_is_capped_at_100(fake: FakeGitlab, gl: gitlab.Gitlab) -> None:
    issue = fake.add_issue(PROJECT, "busy")
    for n in range(101):
        fake.add_note(issue, f"note {n}")

    response = gl.http_request(
        "get", f"/projects/{issue.project_id}/issues/1/notes", query_data={"per_page": 500}
    )

    assert response.headers["X-Per-Page"] == "100"
    assert len(response.json()) == 100
    assert response.headers["X-Total-Pages"] == "2"


# -- labels -----------------------------------------------------------------------------------
def test_labels_are_created_listed_and_auto_created_by_issues(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get(PROJECT, lazy=True)
    created = project.labels.create({"name": "story", "color": "#428BCA"})
    project.issues.create({"title": "t", "labels": ["story", "auto-made"]})

    with pytest.raises(gitlab.GitlabCreateError) as duplicate:
        project.labels.create({"name": "story", "color": "#000000"})

    names = [lb.name for lb in project.labels.list(get_all=True)]
    assert created.text_color == "#FFFFFF"
    assert names == ["auto-made", "story"]
    assert duplicate.value.response_code == 409
    assert duplicate.value.error_message == "Label already exists"


# -- notes ------------------------------------------------------------------------------------
def test_notes_beyond_one_page_are_all_walked_newest_first(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    issue = gl.projects.get(PROJECT, lazy=True).issues.create({"title": "chatty"})
    for n in range(45):
        issue.notes.create({"body": f"comment {n}"})
    fake.clear_log()

    every = issue.notes.list(get_all=True)
    iterated = list(issue.notes.list(iterator=True, per_page=10))
    oldest_first = issue.notes.list(get_all=True, sort="asc", order_by="created_at")

    assert len(every) == 45
    assert every[0].body == "comment 44"
    assert [n.body for n in iterated] == [n.body for n in every]
    assert oldest_first[0].body == "comment 0"
    assert all(n.system is False for n in every)
    assert fake.count("GET", r"/notes$") == 3 + 5 + 3


def test_a_note_is_edited_and_deleted(fake: FakeGitlab, gl: gitlab.Gitlab) -> None:
    issue = gl.projects.get(PROJECT, lazy=True).issues.create({"title": "t"})
    note = issue.notes.create({"body": "draft"})

    note.body = "final"
    note.save()
    assert issue.notes.get(note.id).body == "final"
    issue.notes.delete(note.id)

    assert fake.log[-1].status == 204
    assert issue.notes.list() == []


def test_a_note_longer_than_a_million_characters_is_refused_with_400(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    issue = gl.projects.get(PROJECT, lazy=True).issues.create({"title": "t"})

    issue.notes.create({"body": "x" * 1_000_000})
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        issue.notes.create({"body": "x" * 1_000_001})

    assert caught.value.response_code == 400
    assert "Note is too long (maximum is 1000000 characters)" in str(caught.value.error_message)
    assert len(fake.issue_notes(fake.issue(PROJECT, 1))) == 1


# -- issue links ----------------------------------------------------------------------------
def test_issue_links_are_created_listed_and_deleted_with_their_link_type(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get(PROJECT)
    story = project.issues.create({"title": "story"})
    first = project.issues.create({"title": "first"})
    second = project.issues.create({"title": "second"})
    third = project.issues.create({"title": "third"})

    src, tgt = story.links.create({"target_project_id": project.id, "target_issue_iid": first.iid})
    first.links.create(
        {"target_project_id": PROJECT, "target_issue_iid": second.iid, "link_type": "blocks"}
    )
    third.links.create(
        {"target_project_id": project.id, "target_issue_iid": 2, "link_type": "is_blocked_by"}
    )

    from_first = {(lk.iid, lk.link_type) for lk in first.links.list()}
    from_second = {(lk.iid, lk.link_type) for lk in second.links.list()}
    from_third = {(lk.iid, lk.link_type) for lk in third.links.list()}
    assert (src.iid, tgt.iid) == (story.iid, first.iid)
    assert from_first == {(1, "relates_to"), (3, "blocks"), (4, "blocks")}
    assert from_second == {(2, "is_blocked_by")}
    assert from_third == {(2, "is_blocked_by")}  # stored like GitLab: first blocks third
    with pytest.raises(gitlab.GitlabCreateError) as duplicate:
        second.links.create({"target_project_id": project.id, "target_issue_iid": first.iid})
    assert duplicate.value.response_code == 409

    to_second = next(lk for lk in first.links.list() if lk.iid == second.iid)
    first.links.delete(to_second.issue_link_id)
    assert {(lk.iid, lk.link_type) for lk in first.links.list()} == {
        (1, "relates_to"),
        (4, "blocks"),
    }
    assert second.links.list() == []


def test_a_free_tier_instance_refuses_blocking_links_with_403_and_creates_nothing(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.blocking_links_available = False
    project = gl.projects.get(PROJECT)
    blocker = project.issues.create({"title": "blocker"})
    blocked = project.issues.create({"title": "blocked"})

    for link_type in ("blocks", "is_blocked_by"):
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            blocker.links.create(
                {
                    "target_project_id": project.id,
                    "target_issue_iid": blocked.iid,
                    "link_type": link_type,
                }
            )
        assert caught.value.response_code == 403
        assert caught.value.error_message == BLOCKED_LICENSE_MESSAGE
    assert blocker.links.list() == []

    blocker.links.create(
        {
            "target_project_id": project.id,
            "target_issue_iid": blocked.iid,
            "link_type": "relates_to",
        }
    )
    assert [lk.link_type for lk in blocker.links.list()] == ["relates_to"]


# -- rate limiting ------------------------------------------------------------------------------
def test_rate_limit_headers_come_with_every_api_response(gl: gitlab.Gitlab) -> None:
    first = gl.http_request("get", "/version").headers
    second = gl.http_request("get", "/version").headers

    for name in ("Limit", "Remaining", "Reset", "Observed", "ResetTime"):
        assert f"RateLimit-{name}" in second
    if first["RateLimit-Reset"] == second["RateLimit-Reset"]:  # same window
        assert int(second["RateLimit-Remaining"]) == int(first["RateLimit-Remaining"]) - 1
    assert int(second["RateLimit-Reset"]) > time.time() - 1


def test_a_429_with_retry_after_is_retried_by_python_gitlab_until_it_succeeds(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.throttle(times=2, retry_after=0)

    project = gl.projects.get(PROJECT)

    assert project.path_with_namespace == PROJECT
    assert [entry.status for entry in fake.log] == [429, 429, 200]


def test_a_429_reaches_the_caller_when_retries_are_off_or_used_up(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.throttle(times=None, retry_after=0)

    with pytest.raises(gitlab.GitlabGetError) as no_obey:
        gl.projects.get(PROJECT, obey_rate_limit=False)
    with pytest.raises(gitlab.GitlabGetError) as used_up:
        gl.projects.get(PROJECT, max_retries=2)

    assert no_obey.value.response_code == 429
    assert used_up.value.response_code == 429
    assert fake.count("GET") == 1 + 3
    assert fake.log[-1].response_body is None  # body is Rack::Attack's "Retry later\n"


def test_python_gitlab_waits_retry_after_seconds_before_retrying(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.throttle(times=1, retry_after=1)
    started = time.monotonic()

    gl.projects.get(PROJECT)

    assert time.monotonic() - started >= 1.0


def test_an_enforced_rate_limit_throttles_past_the_quota(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.enforce_rate_limit = True
    fake.rate_limit = 2
    fake.rate_limit_window = 3600

    gl.projects.get(PROJECT)
    gl.projects.get(PROJECT)
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get(PROJECT, obey_rate_limit=False)

    raw = requests.get(f"{fake.api_url}/version", headers={"PRIVATE-TOKEN": "tok-write"}, timeout=5)
    assert caught.value.response_code == 429
    assert raw.status_code == 429
    assert 0 <= int(raw.headers["Retry-After"]) <= 3600
    assert raw.headers["RateLimit-Remaining"] == "0"
    assert raw.text == "Retry later\n"


# -- GraphQL -------------------------------------------------------------------------------------
def test_the_task_type_id_is_looked_up_per_instance(fake: FakeGitlab, gql: gitlab.GraphQL) -> None:
    with FakeGitlab(seed=1) as one, FakeGitlab(seed=2) as two:
        ids = {one.type_gid("TASK"), two.type_gid("TASK")}
    via_namespace = gql.execute(
        'query { namespace(fullPath: "acme-corp/platform.team/story-plan.api") {'
        " workItemTypes { nodes { id name } } } }"
    )["namespace"]["workItemTypes"]["nodes"]

    assert _task_type_id(gql) == fake.type_gid("TASK")
    assert len(ids) == 2
    assert {"id": fake.type_gid("TASK"), "name": "Task"} in via_namespace
    assert FakeGitlab(task_type_id=4242).type_gid() == "gid://gitlab/WorkItems::Type/4242"


def test_a_child_task_is_created_under_an_issue_and_shows_up_through_rest(
    fake: FakeGitlab, gl: gitlab.Gitlab, gql: gitlab.GraphQL
) -> None:
    parent = gl.projects.get(PROJECT, lazy=True).issues.create({"title": "Story"})
    parent_gid = f"gid://gitlab/WorkItem/{parent.id}"

    task = _create_task(gql, "Write the exporter", parent_gid)

    rest = gl.projects.get(PROJECT, lazy=True).issues.get(int(task["iid"]))
    assert task["id"] == f"gid://gitlab/WorkItem/{rest.id}"
    assert rest.issue_type == "task"
    assert rest.web_url == task["webUrl"] == f"{fake.url}/{PROJECT}/-/work_items/{task['iid']}"
    read = gql.execute(CHILDREN, variable_values={"id": task["id"]})["workItem"]
    assert _hierarchy(read)["parent"] == {"id": parent_gid}
    assert fake.work_item(task["id"]).parent_id == parent.id


def test_children_are_listed_page_by_page_with_cursors(
    fake: FakeGitlab, gl: gitlab.Gitlab, gql: gitlab.GraphQL
) -> None:
    parent = fake.add_issue(PROJECT, "Story")
    titles = [f"task {n}" for n in range(5)]
    for title in titles:
        _create_task(gql, title, parent.gid)

    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        data = gql.execute(CHILDREN, variable_values={"id": parent.gid, "after": after})
        children = _hierarchy(data["workItem"])["children"]
        seen += [node["title"] for node in children["nodes"]]
        pages += 1
        if not children["pageInfo"]["hasNextPage"]:
            break
        after = children["pageInfo"]["endCursor"]

    assert pages == 3
    assert sorted(seen) == titles
    assert seen == list(reversed(titles))  # GitLab puts a new child before the existing ones


def test_an_unknown_field_is_a_graphql_error_not_a_silent_success(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    issue = fake.add_issue(PROJECT, "Story")

    with pytest.raises(TransportQueryError) as field:
        gql.execute(f'query {{ workItem(id: "{issue.gid}") {{ id healthStatus }} }}')
    with pytest.raises(TransportQueryError) as mutation:
        gql.execute(f'mutation {{ workItemDelete(input: {{id: "{issue.gid}"}}) {{ errors }} }}')

    assert field.value.errors is not None
    assert (
        field.value.errors[0]["message"] == "Field 'healthStatus' doesn't exist on type 'WorkItem'"
    )
    assert "workItemDelete" in str(mutation.value)
    assert fake.graphql_ops[-1].errors != []


def test_a_task_cannot_be_the_parent_of_a_task(fake: FakeGitlab, gql: gitlab.GraphQL) -> None:
    task = fake.add_issue(PROJECT, "a task", issue_type="task")
    payload = {
        "projectPath": PROJECT,
        "title": "nested",
        "workItemTypeId": _task_type_id(gql),
        "hierarchyWidget": {"parentId": task.gid},
    }

    result = gql.execute(CREATE_TASK, variable_values={"input": payload})["workItemCreate"]

    assert result["workItem"] is None
    assert result["errors"] == [
        "#2 cannot be added: it's not allowed to add this type of parent item"
    ]
    assert len(fake.project_issues(PROJECT)) == 1


def test_without_the_task_type_a_task_cannot_be_created(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    old_task_type = fake.type_gid("TASK")
    fake.tasks_available = False
    parent = fake.add_issue(PROJECT, "Story")

    types = gql.execute(
        'query { project(fullPath: "acme-corp/platform.team/story-plan.api")'
        " { workItemTypes(name: TASK) { nodes { id } } } }"
    )
    with pytest.raises(TransportQueryError) as caught:
        gql.execute(
            CREATE_TASK,
            variable_values={
                "input": {
                    "namespacePath": PROJECT,
                    "title": "t",
                    "workItemTypeId": old_task_type,
                    "hierarchyWidget": {"parentId": parent.gid},
                }
            },
        )

    assert types["project"]["workItemTypes"]["nodes"] == []
    assert caught.value.errors is not None
    assert caught.value.errors[0]["message"] == RESOURCE_NOT_AVAILABLE
    assert caught.value.errors[0]["path"] == ["workItemCreate"]


def test_work_item_update_moves_children_renames_and_closes(
    fake: FakeGitlab, gl: gitlab.Gitlab, gql: gitlab.GraphQL
) -> None:
    story = fake.add_issue(PROJECT, "Story")
    other = fake.add_issue(PROJECT, "Other story")
    task = fake.add_issue(PROJECT, "Task", issue_type="task", parent=story)
    update = """
    mutation($input: WorkItemUpdateInput!) {
      workItemUpdate(input: $input) { workItem { id title state } errors }
    }
    """

    moved = gql.execute(
        update,
        variable_values={
            "input": {"id": other.gid, "hierarchyWidget": {"childrenIds": [task.gid]}}
        },
    )["workItemUpdate"]
    closed = gql.execute(
        update,
        variable_values={"input": {"id": task.gid, "title": "Task (done)", "stateEvent": "CLOSE"}},
    )["workItemUpdate"]
    detached = gql.execute(
        update, variable_values={"input": {"id": task.gid, "hierarchyWidget": {"parentId": None}}}
    )["workItemUpdate"]

    assert moved["errors"] == []
    assert closed["errors"] == []
    assert detached["errors"] == []
    assert closed["workItem"]["state"] == "CLOSED"
    rest = gl.projects.get(PROJECT, lazy=True).issues.get(task.iid)
    assert (rest.title, rest.state) == ("Task (done)", "closed")
    assert fake.work_item(task.id).parent_id is None


def test_an_issue_created_through_rest_is_a_work_item_in_graphql(
    gl: gitlab.Gitlab, gql: gitlab.GraphQL
) -> None:
    issue = gl.projects.get(PROJECT, lazy=True).issues.create({"title": "Story", "labels": ["x"]})
    query = """
    query($path: ID!, $iids: [String!]) {
      project(fullPath: $path) {
        workItems(iids: $iids) {
          nodes { id iid title state workItemType { name } reference(full: true) }
        }
      }
    }
    """

    nodes = gql.execute(query, variable_values={"path": PROJECT, "iids": [str(issue.iid)]})

    assert nodes["project"]["workItems"]["nodes"] == [
        {
            "id": f"gid://gitlab/WorkItem/{issue.id}",
            "iid": str(issue.iid),
            "title": "Story",
            "state": "OPEN",
            "workItemType": {"name": "Issue"},
            "reference": f"{PROJECT}#{issue.iid}",
        }
    ]


def test_graphql_operations_are_recorded_for_counting(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    parent = fake.add_issue(PROJECT, "Story")

    _create_task(gql, "one", parent.gid)
    _create_task(gql, "two", parent.gid)

    assert fake.graphql_count("workItemCreate") == 2
    assert fake.graphql_count("project") == 2
    assert fake.graphql_count() == 4
    assert fake.count("POST", r"/api/graphql$") == 4


def test_graphql_access_is_checked_like_gitlab(fake: FakeGitlab) -> None:
    parent = fake.add_issue(PROJECT, "Story")
    payload = {"namespacePath": PROJECT, "title": "t", "workItemTypeId": fake.type_gid()}

    with gitlab.GraphQL(url=fake.url) as anonymous:
        hidden = anonymous.execute(f'query {{ workItem(id: "{parent.gid}") {{ id }} }}')
    with (
        gitlab.GraphQL(url=fake.url, token="tok-read") as reader,
        pytest.raises(TransportQueryError) as read_only,
    ):
        reader.execute(CREATE_TASK, variable_values={"input": payload})
    with (
        gitlab.GraphQL(url=fake.url, token="bogus") as stranger,
        pytest.raises(TransportQueryError) as invalid,
    ):
        stranger.execute("query { currentUser { username } }")

    assert hidden == {"workItem": None}
    assert read_only.value.errors is not None
    assert read_only.value.errors[0]["message"] == RESOURCE_NOT_AVAILABLE
    assert "Invalid token" in str(invalid.value)
    assert fake.log[-1].status == 401


def test_the_graphql_client_retries_a_429(fake: FakeGitlab, gql: gitlab.GraphQL) -> None:
    fake.throttle(times=1, retry_after=0)

    assert _task_type_id(gql) == fake.type_gid("TASK")
    assert [entry.status for entry in fake.log] == [429, 200]


# -- fault injection ------------------------------------------------------------------------
def test_a_create_whose_response_is_lost_leaves_exactly_one_new_issue(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    fake.faults.append(Fault("POST", r"/issues$", status=None, after=True))
    project = gl.projects.get(PROJECT, lazy=True)

    with pytest.raises(requests.exceptions.ConnectionError):
        project.issues.create({"title": "lost answer"})

    assert [i.title for i in fake.project_issues(PROJECT)] == ["lost answer"]
    assert [i.title for i in project.issues.list(get_all=True)] == ["lost answer"]


def test_python_gitlab_transient_retries_resend_a_post_whose_answer_was_lost(
    fake: FakeGitlab,
) -> None:
    """Documents a hazard for adapters: retry_transient_errors re-POSTs, creating a duplicate."""
    fake.faults.append(Fault("POST", r"/issues$", status=None, after=True))
    client = _client(fake, retry_transient_errors=True)

    client.projects.get(PROJECT, lazy=True).issues.create({"title": "twice"})

    assert [i.title for i in fake.project_issues(PROJECT)] == ["twice", "twice"]
    client.session.close()


def test_write_faults_refuse_writes_lose_a_create_and_leave_reads_and_queries_alone(
    fake: FakeGitlab, gl: gitlab.Gitlab, gql: gitlab.GraphQL
) -> None:
    project = gl.projects.get(PROJECT)
    fake.refuse_writes = 1
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        project.issues.create({"title": "Refused"})
    assert refused.value.response_code == 502
    assert fake.project_issues(PROJECT) == []  # not carried out
    fake.lose_creates = 1
    with pytest.raises(gitlab.GitlabHttpError) as lost:
        _create_task(gql, "Made, answer lost", None)  # the type query is a read: it passes
    assert lost.value.response_code == 502
    assert [i.title for i in fake.project_issues(PROJECT)] == ["Made, answer lost"]
    fake.writes_before_failing = 1
    project.issues.create({"title": "One more"})
    with pytest.raises(gitlab.GitlabCreateError):
        project.issues.create({"title": "Cut short"})
    assert project.issues.list(get_all=True)  # reads still answer
    assert len(fake.project_issues(PROJECT)) == 2


def test_notes_and_issues_carry_their_authors_and_members_their_access_level(
    fake: FakeGitlab, gl: gitlab.Gitlab
) -> None:
    issue = fake.add_issue(PROJECT, "Story", author="mallory")
    fake.add_note(issue, "hello", author="mallory")
    fake.add_member(PROJECT, "dana", 30)
    project = gl.projects.get(PROJECT)
    got = project.issues.get(issue.iid)
    assert got.author["username"] == "mallory"
    (note,) = got.notes.list()
    assert note.author["username"] == "mallory"
    me = gl.http_get("/user")
    assert me["username"] == "storyplan-bot"
    assert project.members_all.get(me["id"]).access_level == 40
    assert project.members_all.get(fake.user_id("dana")).access_level == 30
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.members_all.get(fake.user_id("mallory"))
    assert err.value.response_code == 404
    # Only its author edits a note; a Maintainer may still delete it.
    with pytest.raises(gitlab.GitlabUpdateError) as refused:
        got.notes.update(note.id, {"body": "edited"})
    assert refused.value.response_code == 403
    got.notes.delete(note.id)
    assert fake.issue_notes(issue) == []


def test_held_writes_wait_for_one_another(fake: FakeGitlab) -> None:
    fake.hold_first_writes = 2

    def write(title: str) -> None:
        client = _client(fake)
        client.projects.get(PROJECT, lazy=True).issues.create({"title": title})

    first = threading.Thread(target=write, args=("one",))
    first.start()
    first.join(timeout=0.5)
    assert first.is_alive()  # held for the other
    assert fake.project_issues(PROJECT) == []
    write("two")
    first.join(timeout=10)
    assert not first.is_alive()
    assert len(fake.project_issues(PROJECT)) == 2  # both carried out once both had come
    assert fake.hold_first_writes == 0
    write("three")  # later writes go straight through
    assert len(fake.project_issues(PROJECT)) == 3


# -- linked items, notes and labels through GraphQL -------------------------------------------
LINKS = """
mutation($a: WorkItemAddLinkedItemsInput!, $b: WorkItemAddLinkedItemsInput!) {
  first: workItemAddLinkedItems(input: $a) { errors message }
  again: workItemAddLinkedItems(input: $b) { errors message }
}
"""
LINKED = """
query($id: WorkItemID!) {
  workItem(id: $id) {
    widgets {
      ... on WorkItemWidgetLinkedItems {
        blocked blockedByCount
        linkedItems(first: 10) { nodes { linkType workItem { iid } } }
      }
    }
  }
}
"""


def _linked(gql: gitlab.GraphQL, gid: str) -> dict[str, Any]:
    widgets = gql.execute(LINKED, variable_values={"id": gid})["workItem"]["widgets"]
    found: dict[str, Any] = next(w for w in widgets if "linkedItems" in w)
    return found


def test_linked_items_are_added_read_from_both_ends_and_removed(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    one, two, three = (fake.add_issue(PROJECT, f"Issue {n}") for n in range(3))
    blocks = {"id": one.gid, "workItemsIds": [two.gid, three.gid], "linkType": "BLOCKS"}
    answer = gql.execute(LINKS, variable_values={"a": blocks, "b": blocks})
    assert answer["first"]["errors"] == []
    assert answer["again"]["errors"] == ["Items are already linked"]
    assert fake.graphql_ops[-1].writes == 1  # the second one made nothing
    seen = _linked(gql, two.gid)
    assert (seen["blocked"], seen["blockedByCount"]) == (True, 1)
    assert seen["linkedItems"]["nodes"] == [
        {"linkType": "is_blocked_by", "workItem": {"iid": str(one.iid)}}
    ]
    remove = """mutation($i: WorkItemRemoveLinkedItemsInput!) {
      workItemRemoveLinkedItems(input: $i) { errors } }"""
    gql.execute(remove, variable_values={"i": {"id": two.gid, "workItemsIds": [one.gid]}})
    assert [lk.target_id for lk in fake.issue_links(one)] == [three.id]


def test_blocking_links_need_a_licence_and_ten_ids_is_the_most(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    fake.blocking_links_available = False
    one, two = fake.add_issue(PROJECT, "One"), fake.add_issue(PROJECT, "Two")
    blocked = {"id": one.gid, "workItemsIds": [two.gid], "linkType": "BLOCKED_BY"}
    related = {"id": one.gid, "workItemsIds": [two.gid]}
    answer = gql.execute(LINKS, variable_values={"a": blocked, "b": related})
    assert answer["first"]["errors"] == [
        "Blocked work items are not available for the current subscription tier"
    ]
    assert answer["again"]["errors"] == []
    assert [lk.link_type for lk in fake.issue_links(one)] == ["relates_to"]
    many = {"id": one.gid, "workItemsIds": [two.gid] * 11}
    with pytest.raises(TransportQueryError) as refused:
        gql.execute(LINKS, variable_values={"a": many, "b": related})
    assert refused.value.errors is not None
    assert refused.value.errors[0]["message"].startswith("No more than 10 work items")


def test_notes_are_read_as_discussions_and_only_their_author_edits_one(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    issue = fake.add_issue(PROJECT, "Story")
    fake.add_user("dana")
    theirs = fake.add_note(issue, "by dana", author="dana")
    notes = """
    mutation($c: CreateNoteInput!, $u: UpdateNoteInput!) {
      mine: createNote(input: $c) { note { id author { username } } errors }
      theirs: updateNote(input: $u) { note { id } errors }
    }"""
    with pytest.raises(TransportQueryError) as caught:
        gql.execute(
            notes,
            variable_values={
                "c": {"noteableId": issue.gid, "body": "by the bot"},
                "u": {"id": f"gid://gitlab/Note/{theirs.id}", "body": "edited"},
            },
        )
    assert caught.value.data is not None
    assert caught.value.data["mine"]["note"]["author"] == {"username": "storyplan-bot"}
    assert caught.value.data["theirs"] is None
    assert caught.value.errors is not None
    assert caught.value.errors[0]["path"] == ["theirs"]
    assert caught.value.errors[0]["message"] == RESOURCE_NOT_AVAILABLE
    assert theirs.body == "by dana"
    read = """
    query($id: WorkItemID!) { workItem(id: $id) { widgets { ... on WorkItemWidgetNotes {
      discussions(filter: ONLY_COMMENTS) { nodes { notes { nodes { body author { username } } } } }
    } } } }"""
    widgets = gql.execute(read, variable_values={"id": issue.gid})["workItem"]["widgets"]
    discussions = next(w for w in widgets if "discussions" in w)["discussions"]["nodes"]
    assert [d["notes"]["nodes"][0]["author"]["username"] for d in discussions] == [
        "dana",
        "storyplan-bot",
    ]


def test_a_label_is_made_and_found_by_its_title(fake: FakeGitlab, gql: gitlab.GraphQL) -> None:
    make = """mutation($i: LabelCreateInput!) { labelCreate(input: $i) { label { id } errors } }"""
    made = gql.execute(make, variable_values={"i": {"projectPath": PROJECT, "title": "plan"}})
    again = gql.execute(make, variable_values={"i": {"projectPath": PROJECT, "title": "plan"}})
    assert again["labelCreate"]["errors"] == ["Title has already been taken"]
    find = """query($p: ID!) { project(fullPath: $p) { label(title: "plan") { id } } }"""
    found = gql.execute(find, variable_values={"p": PROJECT})["project"]["label"]
    assert found == made["labelCreate"]["label"]


def test_a_query_over_the_complexity_limit_is_refused_before_it_runs(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    fields = " ".join(f"t{n}: title" for n in range(260))
    with pytest.raises(TransportQueryError) as refused:
        gql.execute(f'query {{ workItem(id: "gid://gitlab/WorkItem/1") {{ {fields} }} }}')
    assert refused.value.errors is not None
    message = refused.value.errors[0]["message"]
    assert message == "Query has complexity of 261, which exceeds max complexity of 250"
    fake.graphql_ops.clear()


def test_a_cut_counts_mutations_and_single_mutations_fail_alone(
    fake: FakeGitlab, gql: gitlab.GraphQL
) -> None:
    issue = fake.add_issue(PROJECT, "Story")
    three = """
    mutation($c: CreateNoteInput!) {
      a: createNote(input: $c) { errors } b: createNote(input: $c) { errors }
      c: createNote(input: $c) { errors }
    }"""
    note = {"c": {"noteableId": issue.gid, "body": "hi"}}
    fake.fail_mutations("createNote", skip=1)
    with pytest.raises(TransportQueryError) as partly:
        gql.execute(three, variable_values=note)
    assert partly.value.errors is not None
    assert [e["path"] for e in partly.value.errors] == [["b"]]
    assert (fake.graphql_ops[-1].writes, len(fake.issue_notes(issue))) == (2, 2)
    fake.writes_before_failing = 1  # counted in mutations: one more, then the cut
    with pytest.raises(gitlab.GitlabHttpError) as cut:
        gql.execute(three, variable_values=note)
    assert cut.value.response_code == 502
    assert len(fake.issue_notes(issue)) == 3  # the first was carried out, its answer lost
    fake.graphql_ops.clear()
