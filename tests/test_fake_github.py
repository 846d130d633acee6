"""Tests of the fake GitHub server, driven by the real PyGithub (and raw HTTP) over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Github, GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Repository import Repository

from tests.fakes import github_spec
from tests.fakes.base import Fault
from tests.fakes.fake_github import FakeGithub, assert_spec_clean, github_fake

REPO = "octo/shop"


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    with github_fake() as server:
        server.add_repo(REPO)
        yield server


@pytest.fixture
def repo(fake: FakeGithub) -> Repository:
    return fake.client().get_repo(REPO)


def raw(
    fake: FakeGithub, method: str, path: str, token: str | None = "tok-write", **kw: Any
) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, fake.api(path), headers=headers, timeout=5, **kw)


def links(response: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


# -- issues -----------------------------------------------------------------------------
def test_created_issue_is_read_back_and_edited(fake: FakeGithub, repo: Repository) -> None:
    created = repo.create_issue("Checkout story", body="As a buyer...", labels=["story"])

    got = repo.get_issue(created.number)
    assert (got.id, got.number, got.title, got.body) == (
        created.id,
        1,
        "Checkout story",
        "As a buyer...",
    )
    assert got.id > 2**31
    assert [label.name for label in got.labels] == ["story"]
    assert got.html_url == f"{fake.origin}/octo/shop/issues/1"
    assert got.url == f"{fake.url}/repos/octo/shop/issues/1"
    assert got.user.login == "octocat"

    got.edit(title="Checkout", body="new", state="closed", state_reason="not_planned")
    again = repo.get_issue(1)
    assert (again.title, again.body, again.state, again.state_reason) == (
        "Checkout",
        "new",
        "closed",
        "not_planned",
    )
    assert again.closed_at is not None
    again.edit(state="open")
    assert (repo.get_issue(1).state, repo.get_issue(1).state_reason) == ("open", "reopened")


def test_issue_list_filters_by_state_and_labels_newest_first(
    fake: FakeGithub, repo: Repository
) -> None:
    fake.add_issue(REPO, "old bug", labels=["bug"])
    fake.add_issue(REPO, "closed bug", labels=["bug", "ui"], state="closed")
    fake.add_issue(REPO, "new bug", labels=["bug", "ui"])
    fake.add_issue(REPO, "feature")

    assert [i.title for i in repo.get_issues()] == ["feature", "new bug", "old bug"]
    assert [i.title for i in repo.get_issues(labels=["bug", "UI"])] == ["new bug"]
    assert [i.title for i in repo.get_issues(state="closed")] == ["closed bug"]
    assert len(list(repo.get_issues(state="all", direction="asc"))) == 4


def test_missing_title_is_a_422_validation_error(fake: FakeGithub) -> None:
    response = raw(fake, "POST", "/repos/octo/shop/issues", json={"body": "no title"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"resource": "Issue", "field": "title", "code": "missing_field"}
    ]


def test_deleted_issue_is_gone_and_disabled_issues_are_410(
    fake: FakeGithub, repo: Repository
) -> None:
    fake.add_issue(REPO, "doomed")
    fake.delete_issue(REPO, 1)
    with pytest.raises(GithubException) as gone:
        repo.get_issue(1)
    assert gone.value.status == 410

    fake.add_repo("octo/noissues", has_issues=False)
    assert raw(fake, "GET", "/repos/octo/noissues/issues").status_code == 410


# -- comments and pagination ------------------------------------------------------------
def test_comments_beyond_one_page_are_walked_through_link_headers(
    fake: FakeGithub, repo: Repository
) -> None:
    issue = repo.create_issue("story")
    for n in range(65):
        fake.add_comment(REPO, 1, f"comment {n}")
    fake.clear_log()

    bodies = [c.body for c in issue.get_comments()]

    assert bodies == [f"comment {n}" for n in range(65)]
    pages = [entry.query.get("page", ["1"])[0] for entry in fake.log]
    assert pages == ["1", "2", "3"]


def test_link_header_names_prev_next_last_and_first_on_absolute_urls(fake: FakeGithub) -> None:
    for n in range(7):
        fake.add_issue(REPO, f"issue {n}")

    first = raw(fake, "GET", "/repos/octo/shop/issues", params={"per_page": 2})
    middle = raw(fake, "GET", "/repos/octo/shop/issues", params={"per_page": 2, "page": 2})
    last = raw(fake, "GET", "/repos/octo/shop/issues", params={"per_page": 2, "page": 4})
    capped = raw(fake, "GET", "/repos/octo/shop/issues", params={"per_page": 500})

    base = f"{fake.url}/repos/octo/shop/issues?per_page=2&page="
    assert links(first) == {"next": base + "2", "last": base + "4"}
    assert links(middle) == {
        "prev": base + "1",
        "next": base + "3",
        "last": base + "4",
        "first": base + "1",
    }
    assert links(last) == {"prev": base + "3", "first": base + "1"}
    assert len(last.json()) == 1
    assert len(capped.json()) == 7
    assert "Link" not in capped.headers


def test_comment_is_fetched_edited_and_deleted(fake: FakeGithub, repo: Repository) -> None:
    issue = repo.create_issue("story")
    comment = issue.create_comment("plan v1")

    fetched = issue.get_comment(comment.id)
    fetched.edit("plan v2")
    assert issue.get_comment(comment.id).body == "plan v2"
    assert fetched.html_url.endswith(f"/octo/shop/issues/1#issuecomment-{comment.id}")

    fetched.delete()
    with pytest.raises(UnknownObjectException):
        issue.get_comment(comment.id)
    assert fake.comments_on(REPO, 1) == []


# -- labels -----------------------------------------------------------------------------
def test_labels_are_created_on_first_use_added_and_removed(
    fake: FakeGithub, repo: Repository
) -> None:
    issue = repo.create_issue("story")
    issue.add_to_labels("storyplan", "needs triage")
    assert repo.get_label("needs triage").name == "needs triage"

    issue.remove_from_labels("needs triage")
    assert [label.name for label in repo.get_issue(1).labels] == ["storyplan"]

    repo.create_label("ready", "00ff00", "Ready to go")
    with pytest.raises(GithubException) as exists:
        repo.create_label("READY", "00ff00")
    assert exists.value.status == 422
    with pytest.raises(UnknownObjectException):
        repo.get_label("nope")
    # GitHub's message here is "Label does not exist": PyGithub raises a plain 404.
    with pytest.raises(GithubException) as absent:
        issue.remove_from_labels("nope")
    assert absent.value.status == 404


# -- sub-issues -------------------------------------------------------------------------
def test_sub_issues_are_added_listed_across_pages_and_removed(
    fake: FakeGithub, repo: Repository
) -> None:
    parent = repo.create_issue("story")
    children = [fake.add_issue(REPO, f"task {n}") for n in range(35)]
    for child in children:
        parent.add_sub_issue(child.id)
    done = fake.add_issue(REPO, "done", state="closed")  # counts as completed
    parent.add_sub_issue(done.id)

    listed = [sub.number for sub in parent.get_sub_issues()]
    assert listed == [c.number for c in children] + [37]
    assert fake.count("GET", r"/sub_issues$") == 2

    summary = repo.get_issue(1).sub_issues_summary
    assert (summary.total, summary.completed, summary.percent_completed) == (36, 1, 2)
    first = repo.get_issue(children[0].number)
    assert first.parent_issue_url == f"{fake.url}/repos/octo/shop/issues/1"

    parent.remove_sub_issue(children[0].id)
    assert len(fake.sub_issues(REPO, 1)) == 35
    assert fake.parent(REPO, children[0].number) is None
    with pytest.raises(UnknownObjectException):
        parent.remove_sub_issue(children[0].id)


def test_sub_issue_write_answers_with_the_parent_issue(fake: FakeGithub) -> None:
    fake.add_issue(REPO, "story")
    child = fake.add_issue(REPO, "task")

    response = raw(
        fake, "POST", "/repos/octo/shop/issues/1/sub_issues", json={"sub_issue_id": child.id}
    )

    assert response.status_code == 201
    assert response.json()["number"] == 1
    assert response.json()["sub_issues_summary"]["total"] == 1
    parent = raw(fake, "GET", "/repos/octo/shop/issues/2/parent")
    assert parent.json()["number"] == 1
    assert raw(fake, "GET", "/repos/octo/shop/issues/1/parent").status_code == 404


def test_a_hundred_and_first_sub_issue_is_rejected_with_422(
    fake: FakeGithub, repo: Repository
) -> None:
    parent = fake.add_issue(REPO, "story")
    for n in range(100):
        fake.link_sub_issue(parent, fake.add_issue(REPO, f"task {n}", state="closed"))
    extra = fake.add_issue(REPO, "one too many")

    with pytest.raises(GithubException) as rejected:
        repo.get_issue(1).add_sub_issue(extra.id)

    assert rejected.value.status == 422
    assert rejected.value.data["message"] == "Validation Failed"
    assert "100 sub-issues" in rejected.value.data["errors"][0]["message"]
    assert len(fake.sub_issues(REPO, 1)) == 100


def test_moving_a_sub_issue_to_another_parent_needs_replace_parent(fake: FakeGithub) -> None:
    first, second = fake.add_issue(REPO, "story 1"), fake.add_issue(REPO, "story 2")
    child = fake.add_issue(REPO, "task")
    fake.link_sub_issue(first, child)
    path = "/repos/octo/shop/issues/2/sub_issues"

    refused = raw(fake, "POST", path, json={"sub_issue_id": child.id})
    moved = raw(fake, "POST", path, json={"sub_issue_id": child.id, "replace_parent": True})
    by_number = raw(
        fake, "POST", "/repos/octo/shop/issues/1/sub_issues", json={"sub_issue_id": "3"}
    )

    assert refused.status_code == 422
    assert moved.status_code == 201
    assert fake.parent(REPO, 3) is second
    assert fake.sub_issues(REPO, 1) == []
    assert by_number.status_code == 422


def test_sub_issues_are_reprioritized_after_a_sibling(fake: FakeGithub, repo: Repository) -> None:
    parent = fake.add_issue(REPO, "story")
    a, b, c = (fake.add_issue(REPO, name) for name in "abc")
    for child in (a, b, c):
        fake.link_sub_issue(parent, child)

    repo.get_issue(1).prioritize_sub_issue(a.id, c.id)
    before = raw(
        fake,
        "PATCH",
        "/repos/octo/shop/issues/1/sub_issues/priority",
        json={"sub_issue_id": c.id, "before_id": b.id},
    )

    assert before.status_code == 200
    assert [i.title for i in fake.sub_issues(REPO, 1)] == ["c", "b", "a"]
    # PyGithub sends "after_id": null when no sibling is given; the fake refuses it.
    with pytest.raises(GithubException) as refused:
        repo.get_issue(1).prioritize_sub_issue(a.id, None)
    assert refused.value.status == 422


# -- dependencies -----------------------------------------------------------------------
def test_blocked_by_dependencies_are_added_listed_and_removed(
    fake: FakeGithub, repo: Repository
) -> None:
    api = repo.create_issue("api")
    ui = repo.create_issue("ui")
    docs = repo.create_issue("docs")

    ui.add_blocked_by(api)
    docs.add_blocked_by(api)
    docs.add_blocked_by(ui)

    assert ui.number == 2  # PyGithub refreshes `ui` from the answer: the blocked issue
    assert [i.title for i in docs.get_blocked_by()] == ["api", "ui"]
    assert [i.title for i in api.get_blocking()] == ["ui", "docs"]
    summary = repo.get_issue(3).raw_data["issue_dependencies_summary"]
    assert summary == {"blocked_by": 2, "blocking": 0, "total_blocked_by": 2, "total_blocking": 0}

    docs.remove_blocked_by(api)
    assert [i.title for i in fake.blocked_by(REPO, 3)] == ["ui"]
    with pytest.raises(UnknownObjectException):
        docs.remove_blocked_by(api)
    with pytest.raises(GithubException) as twice:
        docs.add_blocked_by(ui)
    assert twice.value.status == 422


def test_switched_off_features_answer_404(fake: FakeGithub, repo: Repository) -> None:
    fake.sub_issues_enabled = False
    fake.dependencies_enabled = False
    story, task = repo.create_issue("story"), repo.create_issue("task")

    with pytest.raises(UnknownObjectException):
        story.add_sub_issue(task.id)
    with pytest.raises(UnknownObjectException):
        list(story.get_sub_issues())
    with pytest.raises(UnknownObjectException):
        task.add_blocked_by(story)
    with pytest.raises(UnknownObjectException):
        list(task.get_blocking())
    assert "sub_issues_summary" not in story.raw_data
    assert "issue_dependencies_summary" not in story.raw_data


# -- addressing, auth and errors --------------------------------------------------------
def test_enterprise_prefix_serves_pygithub_under_api_v3() -> None:
    with github_fake(prefix="/api/v3") as fake:
        fake.add_repo(REPO)
        gh_repo = fake.client().get_repo(REPO)
        issue = gh_repo.create_issue("story")
        for n in range(31):
            issue.create_comment(f"c{n}")

        assert fake.url.endswith("/api/v3")
        assert issue.url == f"{fake.origin}/api/v3/repos/octo/shop/issues/1"
        assert len(list(repo_issue_comments(gh_repo))) == 31
        assert fake.count("GET", r"^/api/v3/repos/octo/shop/issues/1/comments$") == 2
        outside = requests.get(
            f"{fake.origin}/repos/octo/shop",
            headers={"Authorization": "token tok-write"},
            timeout=5,
        )
        assert outside.status_code == 404
        assert_spec_clean(fake)


def repo_issue_comments(gh_repo: Repository) -> Iterator[Any]:
    yield from gh_repo.get_issue(1).get_comments()


def test_unknown_or_missing_token_is_bad_credentials(fake: FakeGithub) -> None:
    with pytest.raises(BadCredentialsException) as bad:
        fake.client("nope").get_repo(REPO)
    assert bad.value.status == 401
    assert bad.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    assert raw(fake, "GET", "/user", token=None).status_code == 401
    bearer = requests.get(
        fake.api("/user"), headers={"Authorization": "Bearer tok-read"}, timeout=5
    )
    assert bearer.json()["login"] == "octocat"


def test_read_only_token_may_read_but_not_write(fake: FakeGithub) -> None:
    gh_repo = fake.client("tok-read").get_repo(REPO)
    with pytest.raises(GithubException) as denied:
        gh_repo.create_issue("nope")

    assert denied.value.status == 403
    assert denied.value.data["message"] == "Resource not accessible by personal access token"
    assert fake.issues_in(REPO) == []
    assert gh_repo.permissions.push is False


def test_missing_things_are_404_with_githubs_body(fake: FakeGithub, repo: Repository) -> None:
    with pytest.raises(UnknownObjectException) as missing:
        repo.get_issue(99)
    assert missing.value.status == 404
    assert missing.value.data == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }
    with pytest.raises(UnknownObjectException):
        fake.client().get_repo("octo/none")


def test_collaborator_permission_comes_from_the_role_map(
    fake: FakeGithub, repo: Repository
) -> None:
    fake.set_role("reader", "triage")
    fake.set_role("writer", "maintain", repo=REPO)

    assert repo.get_collaborator_permission("reader") == "read"
    assert repo.get_collaborator_role_name("writer") == "maintain"
    assert repo.get_collaborator_permission("octo") == "admin"
    assert repo.get_collaborator_permission("octocat") == "write"  # the token's own level
    with pytest.raises(UnknownObjectException):
        repo.get_collaborator_permission("ghost")


def test_author_association_follows_owner_roles_and_the_fake_s_own_login(
    fake: FakeGithub,
) -> None:
    fake.set_role("writer", "write", repo=REPO)
    fake.set_role("gone", "none")
    issue = fake.add_issue(REPO, "Story", "")
    for login in ("octo", "octocat", "writer", "gone", "mallory"):
        fake.add_comment(REPO, issue.number, f"by {login}", user=login)
    listed = raw(fake, "GET", f"/repos/{REPO}/issues/{issue.number}/comments").json()
    seen = {c["user"]["login"]: c["author_association"] for c in listed}
    assert seen == {
        "octo": "OWNER",
        "octocat": "COLLABORATOR",
        "writer": "COLLABORATOR",
        "gone": "NONE",
        "mallory": "NONE",
    }
    by_mallory = fake.add_issue(REPO, "Bait", "", user="mallory")
    got = raw(fake, "GET", f"/repos/{REPO}/issues/{by_mallory.number}").json()
    assert got["author_association"] == "NONE"


def test_held_requests_wait_for_each_other_then_all_go_through(fake: FakeGithub) -> None:
    import threading

    fake.hold("POST", r"/issues$", 2, timeout=5)
    answers: list[int] = []

    def create(title: str) -> None:
        answers.append(
            raw(fake, "POST", f"/repos/{REPO}/issues", json={"title": title}).status_code
        )

    first = threading.Thread(target=create, args=("one",))
    first.start()
    first.join(0.3)
    assert first.is_alive()  # held until a second one arrives
    assert fake.issues_in(REPO) == []
    create("two")
    first.join(5)
    assert answers == [201, 201]
    create("three")  # the gate is gone once passed
    assert [i.title for i in fake.issues_in(REPO)][-1] == "three"


def test_search_finds_issues_by_repo_label_and_state(fake: FakeGithub) -> None:
    fake.add_repo("octo/other")
    fake.add_issue(REPO, "open task", labels=["storyplan task"])
    fake.add_issue(REPO, "closed task", labels=["storyplan task"], state="closed")
    fake.add_issue(REPO, "unlabelled")
    fake.add_issue("octo/other", "elsewhere", labels=["storyplan task"])
    gh = fake.client()

    found = gh.search_issues('repo:octo/shop label:"storyplan task" is:issue is:open')
    assert [i.title for i in found] == ["open task"]
    assert found.totalCount == 1
    assert len(list(gh.search_issues("label:storyplan-nope"))) == 0
    assert [i.title for i in gh.search_issues("repo:octo/shop state:closed")] == ["closed task"]
    assert [i.title for i in gh.search_issues("elsewhere is:issue")] == ["elsewhere"]


def test_count_filters_the_request_log(fake: FakeGithub, repo: Repository) -> None:
    repo.create_issue("a")
    repo.get_issue(1)

    assert fake.count() == 3  # GET repo (fixture), POST, GET
    assert fake.count("POST") == 1
    assert fake.count(path_regex=r"/issues/1$") == 1
    assert [entry.method for entry in fake.writes()] == ["POST"]


# -- rate limits ------------------------------------------------------------------------
def test_rate_limit_headers_count_each_request(fake: FakeGithub) -> None:
    first = raw(fake, "GET", "/repos/octo/shop")
    second = raw(fake, "GET", "/repos/octo/shop")
    free = raw(fake, "GET", "/rate_limit")

    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    assert int(second.headers["x-ratelimit-reset"]) > time.time()
    assert free.json()["resources"]["core"]["used"] == 2


def test_exhausted_rate_limit_answers_403_with_remaining_zero(fake: FakeGithub) -> None:
    gh_repo = fake.client(retry=None).get_repo(REPO)
    fake.exhaust_rate_limit(reset_in=30)

    with pytest.raises(RateLimitExceededException) as limited:
        gh_repo.get_issues().get_page(0)

    assert limited.value.status == 403
    assert limited.value.data["message"].startswith("API rate limit exceeded for user ID 1.")
    assert (limited.value.headers or {})["x-ratelimit-remaining"] == "0"
    assert int((limited.value.headers or {})["x-ratelimit-reset"]) >= time.time() + 29
    fake.reset_rate_limit()
    assert gh_repo.get_issues().totalCount == 0


def test_secondary_rate_limit_is_a_429_pygithub_retries_after_retry_after(
    fake: FakeGithub,
) -> None:
    fake.add_issue(REPO, "story")
    fake.secondary_rate_limit(status=429, retry_after=1)
    with pytest.raises(GithubException) as limited:
        fake.client(retry=None).get_repo(REPO)
    assert limited.value.status == 429
    assert not isinstance(limited.value, RateLimitExceededException)
    assert (limited.value.headers or {})["retry-after"] == "1"

    fake.secondary_rate_limit(status=429, retry_after=1)
    started = time.monotonic()
    fake.client(retry=Github.default_retry).get_repo(REPO)
    assert time.monotonic() - started >= 1
    assert fake.count("GET", r"^/repos/octo/shop$") == 3


# -- faults and PyGithub's retries ------------------------------------------------------
def test_post_carried_out_then_dropped_leaves_exactly_one_issue(
    fake: FakeGithub, repo: Repository
) -> None:
    fake.faults.append(Fault("POST", r"/issues$", status=None, after=True))

    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("story")

    assert [i.title for i in fake.issues_in(REPO)] == ["story"]
    assert fake.count("POST") == 1


def test_default_retry_resends_a_post_after_a_502_or_a_drop(fake: FakeGithub) -> None:
    gh_repo = fake.client(retry=Github.default_retry).get_repo(REPO)
    fake.faults.append(Fault("POST", r"/issues$", status=502, after=True))
    gh_repo.create_issue("after 502")
    fake.faults.append(Fault("POST", r"/issues$", status=None, after=True))
    gh_repo.create_issue("after drop")

    # Each write was carried out twice: PyGithub's GithubRetry retries POST.
    assert [i.title for i in fake.issues_in(REPO)] == ["after 502"] * 2 + ["after drop"] * 2
    assert fake.count("POST") == 4


def test_default_retry_does_not_resend_a_patch_after_a_502(fake: FakeGithub) -> None:
    fake.add_issue(REPO, "story")
    issue = fake.client(retry=Github.default_retry).get_repo(REPO).get_issue(1)
    fake.faults.append(Fault("PATCH", r"/issues/1$", status=502, after=True))

    with pytest.raises(GithubException) as failed:
        issue.edit(title="changed")

    assert failed.value.status == 502
    assert fake.issue(REPO, 1).title == "changed"
    assert fake.count("PATCH") == 1


def test_without_retry_a_502_after_the_write_surfaces_but_the_issue_exists(
    fake: FakeGithub, repo: Repository
) -> None:
    fake.faults.append(Fault("POST", r"/issues$", status=502, after=True))

    with pytest.raises(GithubException) as failed:
        repo.create_issue("story")

    assert failed.value.status == 502
    assert len(fake.issues_in(REPO)) == 1


# -- OpenAPI checks ---------------------------------------------------------------------
def test_a_whole_scenario_has_no_spec_violations(fake: FakeGithub) -> None:
    if not fake.spec_enabled:
        pytest.skip(f"GitHub OpenAPI subset not found at {github_spec.SPEC_PATH}")
    gh = fake.client()
    gh.get_rate_limit()
    assert gh.get_user().login == "octocat"
    gh_repo = gh.get_repo(REPO)
    story = gh_repo.create_issue("story", body="body", labels=["story"], assignees=["octocat"])
    tasks = [gh_repo.create_issue(f"task {n}") for n in range(3)]
    for task in tasks:
        story.add_sub_issue(task)
    story.prioritize_sub_issue(tasks[2], tasks[0])
    story.remove_sub_issue(tasks[1])
    list(story.get_sub_issues())
    raw(fake, "GET", "/repos/octo/shop/issues/2/parent")
    tasks[2].add_blocked_by(tasks[0])
    list(tasks[2].get_blocked_by())
    list(tasks[0].get_blocking())
    tasks[2].remove_blocked_by(tasks[0])
    comment = story.create_comment("plan")
    comment.edit("plan v2")
    story.get_comment(comment.id)
    list(story.get_comments())
    story.edit(state="closed", state_reason="completed")
    list(gh_repo.get_issues(state="all", labels=["story"]))
    with pytest.raises(UnknownObjectException):
        gh_repo.get_issue(404)
    list(gh.search_issues("repo:octo/shop is:issue"))

    assert_spec_clean(fake, require=True)
    assert fake.spec_checked >= 20
    assert "GET /search/issues" in fake.spec_unchecked
    assert "GET /repos/{owner}/{repo}/issues/{issue_number} -> 404" not in fake.spec_unchecked


def test_spec_checks_catch_a_malformed_request(fake: FakeGithub) -> None:
    assert_spec_clean(fake, require=True)
    fake.add_issue(REPO, "story")

    raw(fake, "POST", "/repos/octo/shop/issues", json={"title": ["not", "a", "string"]})
    raw(fake, "POST", "/repos/octo/shop/issues/1/sub_issues", json={"sub_issue_id": "7"})

    assert len(fake.spec_violations) == 2
    assert fake.spec_violations[0].startswith("POST /repos/octo/shop/issues (POST")
    assert "request" in fake.spec_violations[0]
    assert "sub_issue_id" in fake.spec_violations[1]
    with pytest.raises(pytest.fail.Exception, match="2 OpenAPI violation"):
        assert_spec_clean(fake)


def test_spec_checks_catch_a_malformed_response(fake: FakeGithub) -> None:
    assert_spec_clean(fake, require=True)
    fake.add_issue(REPO, "story")
    original = fake._issue_json

    def broken(issue: Any) -> dict[str, Any]:
        data = original(issue)
        del data["number"]
        return data

    fake._issue_json = broken  # type: ignore[method-assign]
    raw(fake, "GET", "/repos/octo/shop/issues/1")

    assert len(fake.spec_violations) == 1
    assert "response 200" in fake.spec_violations[0]
    assert "'number' is a required property" in fake.spec_violations[0]


def test_without_shared_specs_checks_are_off_and_dependent_tests_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(github_spec, "SPEC_PATH", github_spec.SHARED_DIR / "missing.json")

    with github_fake() as fake:
        fake.add_repo(REPO)
        raw(fake, "POST", "/repos/octo/shop/issues", json={"title": ["bad"]})

        assert not fake.spec_enabled
        assert fake.spec_violations == []
        assert_spec_clean(fake)  # nothing to check: passes
        with pytest.raises(pytest.skip.Exception):
            assert_spec_clean(fake, require=True)


# -- GraphQL ------------------------------------------------------------------------------
# ../shared beside the repository (a worktree sits one level deeper: look up the tree).
SHARED_GRAPHQL = next(
    (
        folder / "shared" / "specs" / "github-graphql"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "specs" / "github-graphql").is_dir()
    ),
    github_spec.SHARED_DIR / "specs" / "github-graphql",
)


def gql(
    fake: FakeGithub, query: str, variables: dict[str, Any] | None = None, token: str = "tok-write"
) -> requests.Response:
    return requests.post(
        fake.origin + fake.graphql_path,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"token {token}"},
        timeout=5,
    )


@pytest.mark.parametrize(
    "name", ["schema.graphql", "issue-dependencies.graphql", "LICENSE-octokit-graphql-schema.md"]
)
def test_the_bundled_graphql_schema_is_the_shared_one_byte_for_byte(name: str) -> None:
    from tests.fakes.github_graphql_schema import SCHEMA_DIR

    shared = SHARED_GRAPHQL / name
    if not shared.is_file():
        pytest.skip(f"GitHub's GraphQL schema not found at {SHARED_GRAPHQL}")
    assert (SCHEMA_DIR / name).read_bytes() == shared.read_bytes()


def test_the_schema_has_issue_dependencies_added_and_wide_database_ids() -> None:
    from tests.fakes.github_graphql_schema import github_schema

    with_them, without = github_schema(), github_schema(dependencies=False)
    assert "blockedBy" in with_them.type_map["Issue"].fields  # type: ignore[union-attr]
    assert "addBlockedBy" in with_them.mutation_type.fields  # type: ignore[union-attr]
    assert "blockedBy" not in without.type_map["Issue"].fields  # type: ignore[union-attr]
    assert "subIssues" in without.type_map["Issue"].fields  # type: ignore[union-attr]


def test_a_query_the_schema_rejects_is_answered_200_with_githubs_error(fake: FakeGithub) -> None:
    response = gql(fake, '{ repository(owner: "octo", name: "shop") { issue(number: 1) { x } } }')
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == "Field 'x' doesn't exist on type 'Issue'"
    assert error["extensions"] == {"code": "undefinedField", "typeName": "Issue", "fieldName": "x"}
    assert "data" not in response.json()
    assert fake.write_count() == 0


def test_an_instance_without_dependencies_refuses_their_fields_as_undefined(
    fake: FakeGithub,
) -> None:
    fake.add_issue(REPO, "story")
    fake.graphql_dependencies = False
    query = (
        '{ repository(owner: "octo", name: "shop") { issue(number: 1) { '
        "blockedBy(first: 1) { totalCount } } } }"
    )
    (error,) = gql(fake, query).json()["errors"]
    assert error["extensions"]["code"] == "undefinedField"
    assert error["extensions"]["fieldName"] == "blockedBy"


def test_aliases_fail_alone_with_a_path_and_each_carried_out_mutation_is_one_write(
    fake: FakeGithub,
) -> None:
    from tests.fakes.fake_github import node_id

    repo = fake.repo(REPO)
    mutation = (
        "mutation($a: CreateIssueInput!, $b: CreateIssueInput!) { "
        "a: createIssue(input: $a) { issue { number } } "
        "b: createIssue(input: $b) { issue { number } } }"
    )
    good = {"repositoryId": node_id("R", repo.id), "title": "made"}
    bad = {"repositoryId": "R_nope", "title": "not made"}
    body = gql(fake, mutation, {"a": good, "b": bad}).json()
    assert body["data"] == {"a": {"issue": {"number": 1}}, "b": None}
    (error,) = body["errors"]
    assert (error["path"], error["type"]) == (["b"], "NOT_FOUND")
    assert [i.title for i in fake.issues_in(REPO)] == ["made"]
    assert fake.write_count() == 1
    assert len(fake.writes()) == 1  # one request carried the mutations


def test_connections_need_a_page_size_of_at_most_100_and_page_by_cursor(
    fake: FakeGithub,
) -> None:
    story = fake.add_issue(REPO, "story")
    for n in range(150):
        fake.link_sub_issue(story, fake.add_issue(REPO, f"sub {n}"))
    page = (
        'query($after: String) { repository(owner: "octo", name: "shop") { issue(number: 1) { '
        "subIssues(first: 100, after: $after) { pageInfo { hasNextPage endCursor } "
        "nodes { number } } } } }"
    )
    first = gql(fake, page).json()["data"]["repository"]["issue"]["subIssues"]
    assert len(first["nodes"]) == 100
    assert first["pageInfo"]["hasNextPage"]
    second = gql(fake, page, {"after": first["pageInfo"]["endCursor"]}).json()
    rest = second["data"]["repository"]["issue"]["subIssues"]
    assert [n["number"] for n in rest["nodes"]] == list(range(102, 152))
    assert not rest["pageInfo"]["hasNextPage"]
    too_many = page.replace("first: 100", "first: 101")
    error = gql(fake, too_many).json()["errors"][0]
    assert "exceeds the `first` limit of 100 records" in error["message"]
    unbounded = page.replace("first: 100, ", "")
    error = gql(fake, unbounded).json()["errors"][0]
    assert "You must provide a `first` or `last` value" in error["message"]


def test_a_query_over_500000_nodes_is_refused_before_it_runs(fake: FakeGithub) -> None:
    query = (
        '{ repository(owner: "octo", name: "shop") { issues(first: 100) { nodes { '
        "comments(first: 100) { nodes { reactions(first: 100) { totalCount } } } } } } }"
    )
    (error,) = gql(fake, query).json()["errors"]
    assert error["type"] == "MAX_NODE_LIMIT_EXCEEDED"
    assert "1,010,100" in error["message"]


def test_a_read_token_may_query_but_its_mutations_are_forbidden(fake: FakeGithub) -> None:
    from tests.fakes.fake_github import node_id

    story = fake.add_issue(REPO, "story")
    assert gql(fake, "{ viewer { login } }", token="tok-read").json()["data"] == {
        "viewer": {"login": "octocat"}
    }
    mutation = "mutation($i: CloseIssueInput!) { closeIssue(input: $i) { clientMutationId } }"
    body = gql(fake, mutation, {"i": {"issueId": node_id("I", story.id)}}, "tok-read").json()
    assert body["errors"][0]["type"] == "FORBIDDEN"
    assert story.state == "open"


def test_graphql_answers_rate_limits_as_rest_does(fake: FakeGithub) -> None:
    ok = gql(fake, "{ viewer { login } }")
    assert ok.headers["x-ratelimit-resource"] == "graphql"
    assert int(ok.headers["x-ratelimit-remaining"]) < 5000
    fake.secondary_rate_limit(retry_after=3)
    limited = gql(fake, "{ viewer { login } }")
    assert (limited.status_code, limited.headers["retry-after"]) == (403, "3")
    assert "secondary rate limit" in limited.json()["message"]
    fake.exhaust_rate_limit(reset_in=60)
    exhausted = gql(fake, "{ viewer { login } }")
    assert exhausted.status_code == 403
    assert exhausted.headers["x-ratelimit-remaining"] == "0"


def test_a_write_budget_cuts_a_request_midway_and_loses_its_answer(fake: FakeGithub) -> None:
    from tests.fakes.fake_github import node_id

    repo = node_id("R", fake.repo(REPO).id)
    fake.cut_writes_after(2)
    mutation = (
        "mutation($i: CreateIssueInput!) { "
        + " ".join(f"m{n}: createIssue(input: $i) {{ issue {{ number }} }}" for n in range(4))
        + " }"
    )
    with pytest.raises(requests.ConnectionError):
        gql(fake, mutation, {"i": {"repositoryId": repo, "title": "t"}})
    assert len(fake.issues_in(REPO)) == 2  # carried out up to the budget
    assert gql(fake, mutation, {"i": {"repositoryId": repo, "title": "t"}}).status_code == 502
    assert len(fake.issues_in(REPO)) == 2
