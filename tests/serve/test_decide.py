"""The webhook service's pure parts: signature checks, GitLab's and Jira's rows of the
decision table, and how a decision becomes a job's arguments and keys."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from storyplan import markers
from storyplan.decide import Apply, Command, Ignore, SyncParent, SyncStory
from storyplan.decide.gitlab import decide_gitlab
from storyplan.decide.jira import decide_jira
from storyplan.serve.keys import decode, encode, job_keys
from storyplan.serve.signature import github_signed, gitlab_signed, jira_signed

SECRET = SecretStr("s3cret")
BODY = b'{"action": "labeled"}'


def sign(body: bytes, secret: str = "s3cret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_signature_is_the_hmac_of_the_raw_body() -> None:
    assert github_signed({"x-hub-signature-256": sign(BODY)}, BODY, SECRET)
    assert not github_signed({"x-hub-signature-256": sign(BODY, "other")}, BODY, SECRET)
    assert not github_signed({"x-hub-signature-256": sign(BODY)}, BODY + b" ", SECRET)
    assert not github_signed({"x-hub-signature-256": sign(BODY)[7:]}, BODY, SECRET)
    assert not github_signed({}, BODY, SECRET)
    assert not github_signed({"x-hub-signature-256": sign(BODY)}, BODY, None)  # no secret set


def test_gitlab_token_must_match_exactly() -> None:
    assert gitlab_signed({"x-gitlab-token": "s3cret"}, SECRET)
    assert not gitlab_signed({"x-gitlab-token": "s3cret "}, SECRET)
    assert not gitlab_signed({"x-gitlab-token": ""}, SECRET)
    assert not gitlab_signed({"x-gitlab-token": "s3cret"}, None)


def test_jira_takes_a_webhook_signature_or_an_automation_token() -> None:
    assert jira_signed({"x-hub-signature": sign(BODY)}, BODY, SECRET, None)
    assert not jira_signed({"x-hub-signature": sign(BODY, "x")}, BODY, SECRET, SECRET)
    assert jira_signed({"authorization": "Bearer s3cret"}, BODY, None, SECRET)
    assert not jira_signed({"authorization": "Basic s3cret"}, BODY, None, SECRET)
    assert not jira_signed({"authorization": "Bearer s3cret"}, BODY, SECRET, None)
    assert not jira_signed({}, BODY, SECRET, SECRET)


PROJECT = {"path_with_namespace": "group/sub/shop"}


def gitlab_issue(action: str, description: str = "", **changes: object) -> dict[str, object]:
    return {
        "object_kind": "issue",
        "user": {"username": "alice"},
        "project": PROJECT,
        "object_attributes": {"iid": 17, "action": action, "description": description},
        "changes": changes,
    }


def test_gitlab_trigger_label_added_applies_the_story() -> None:
    labels = {"previous": [{"title": "bug"}], "current": [{"title": "bug"}, {"title": "Refined"}]}
    decision = decide_gitlab(gitlab_issue("update", labels=labels), "refined")
    assert decision == Apply("group/sub/shop#17", "alice", False)


def test_gitlab_label_already_there_or_another_label_is_ignored() -> None:
    kept = {"previous": [{"title": "refined"}], "current": [{"title": "refined"}, {"title": "x"}]}
    assert isinstance(decide_gitlab(gitlab_issue("update", labels=kept), "refined"), Ignore)
    assert isinstance(decide_gitlab(gitlab_issue("open"), "refined"), Ignore)


def test_gitlab_task_closed_syncs_the_story_its_marker_names() -> None:
    body = "Do it\n\n" + markers.identity("task", story="group/sub/shop#3", id="T1")
    decision = decide_gitlab({**gitlab_issue("close", body), "object_kind": "work_item"}, "refined")
    assert decision == SyncStory("group/sub/shop#3")
    assert isinstance(decide_gitlab(gitlab_issue("reopen", "no marker"), "refined"), Ignore)


def test_gitlab_notes_and_other_events_are_ignored() -> None:
    note = {"object_kind": "note", "object_attributes": {"note": "/storyplan apply"}}
    assert "GitHub" in decide_gitlab(note, "refined").reason  # type: ignore[union-attr]
    assert isinstance(decide_gitlab({"object_kind": "push"}, "refined"), Ignore)
    assert isinstance(decide_gitlab({"object_kind": "issue"}, "refined"), Ignore)


def jira_update(*items: dict[str, str], parent: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"labels": []}
    if parent:
        fields["parent"] = {"key": parent}
    return {
        "webhookEvent": "jira:issue_updated",
        "user": {"accountId": "abc"},
        "issue": {"key": "SHOP-7", "fields": fields},
        "changelog": {"items": list(items)},
    }


def test_jira_trigger_label_added_applies_the_story() -> None:
    change = {"field": "labels", "fromString": "backend", "toString": "backend refined"}
    assert decide_jira(jira_update(change), "refined") == Apply("SHOP-7", "abc", False)
    same = {"field": "labels", "fromString": "refined", "toString": "refined x"}
    assert isinstance(decide_jira(jira_update(same), "refined"), Ignore)


def test_jira_sub_task_status_or_creation_syncs_its_parent() -> None:
    status = {"field": "status", "fromString": "To Do", "toString": "Done"}
    assert decide_jira(jira_update(status, parent="SHOP-1"), "refined") == SyncStory("SHOP-1")
    assert isinstance(decide_jira(jira_update(status), "refined"), Ignore)
    created = {**jira_update(parent="SHOP-1"), "webhookEvent": "jira:issue_created"}
    assert decide_jira(created, "refined") == SyncStory("SHOP-1")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"action": "apply", "issue": "SHOP-1"}, Apply("SHOP-1", "automation", True)),
        ({"action": "sync", "issue": "SHOP-2"}, SyncStory("SHOP-2")),
        ({"action": "delete", "issue": "SHOP-2"}, None),
        ({"action": "apply", "issue": "not a key"}, None),
    ],
)
def test_jira_automation_body_names_what_to_do(
    body: dict[str, str], expected: object | None
) -> None:
    decision = decide_jira(body, "refined")
    if expected is None:
        assert isinstance(decision, Ignore)
    else:
        assert decision == expected


def test_decisions_travel_as_json_and_lock_their_story() -> None:
    for decision in (
        Apply("octo/shop#1", "alice", False),
        SyncParent("octo/shop#9", None),
        SyncStory("octo/Shop#1"),
        Command("octo/shop#1", "bob", None),
    ):
        assert decode(encode(decision)) == decision
    apply, sync = (
        job_keys("github", Apply("octo/shop#1", "a", False)),
        job_keys("github", SyncStory("octo/Shop#1")),
    )
    assert apply.lock == sync.lock == "github:octo/shop#1"
    assert apply.queueing_lock != sync.queueing_lock  # a waiting sync never swallows an apply
    assert job_keys("github", Command("octo/shop#1", "b", "plan")).queueing_lock is None
    assert job_keys("github", SyncParent("octo/shop#9", None)).lock == "github:octo/shop#9"


def test_the_example_config_shows_every_serve_default() -> None:
    from pathlib import Path

    from storyplan.config import load_settings
    from storyplan.serve.settings import ServeSettings, serve_settings

    example = Path(__file__).parents[2] / "config.example.toml"
    assert serve_settings(load_settings(example)) == ServeSettings()


def test_github_sub_issue_attached_to_a_planned_story_syncs_it() -> None:
    from storyplan.decide.github import decide_github

    def event(action: str, labels: list[str]) -> dict[str, object]:
        return {
            "action": action,
            "parent_issue": {"number": 4, "labels": [{"name": name} for name in labels]},
            "parent_issue_repo": {"full_name": "octo/shop"},
            "sub_issue": {"number": 9},
        }

    planned = event("sub_issue_added", ["Storyplan"])
    assert decide_github("sub_issues", planned, "octo/shop", "refined") == SyncStory("octo/shop#4")
    removed = event("sub_issue_removed", ["storyplan"])
    assert decide_github("sub_issues", removed, "octo/shop", "refined") == SyncStory("octo/shop#4")
    for ignored in (event("sub_issue_added", ["bug"]), event("parent_issue_added", ["storyplan"])):
        assert isinstance(decide_github("sub_issues", ignored, "octo/shop", "refined"), Ignore)


def test_a_failed_job_is_tried_again_only_when_another_try_can_help() -> None:
    from datetime import UTC, datetime

    from procrastinate.jobs import Job

    from storyplan.errors import AuthError, PlanError, RateLimitError, TrackerError
    from storyplan.serve.queue import Backoff

    strategy = Backoff(attempts=3, backoff=2)

    def wait(error: BaseException, attempts: int = 0) -> float | None:
        job = Job(
            queue="storyplan", lock=None, queueing_lock=None, task_name="t", attempts=attempts
        )
        decision = strategy.get_retry_decision(exception=error, job=job)
        if decision is None:
            return None
        assert decision.retry_at is not None
        return (decision.retry_at - datetime.now(UTC)).total_seconds()

    assert wait(TrackerError("502 from the tracker")) == pytest.approx(2, abs=0.5)
    assert wait(TrackerError("502 from the tracker"), attempts=1) == pytest.approx(4, abs=0.5)
    assert wait(RateLimitError("slow down", retry_after=30)) == pytest.approx(30, abs=0.5)
    assert wait(TrackerError("502 from the tracker"), attempts=2) is None  # the third try
    assert wait(AuthError("bad token")) is None
    assert wait(PlanError("Task 3 depends on Task 9, which does not exist")) is None
    assert wait(ValueError("a bug")) is None
