"""GitHub's rows of the decision table: an `issues` or `issue_comment` event (from a
workflow run or a webhook) to one decision. See README "GitHub Action" for the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyplan import markers
from storyplan.decide import (
    Apply,
    Command,
    Decision,
    Ignore,
    SyncAll,
    SyncParent,
    SyncStory,
    command_word,
)
from storyplan.errors import ConfigError
from storyplan.refs import parse_ref


def _login(user: Any) -> tuple[str, bool]:
    """(login, is a bot) of a payload's user object; ("", False) when it has none."""
    if not isinstance(user, Mapping):
        return "", False
    return str(user.get("login") or ""), user.get("type") == "Bot"


def _issue_ref(payload: Mapping[str, Any], repository: str) -> str | None:
    """`owner/repo#N` of the payload's issue, in the repository the payload names."""
    issue = payload.get("issue")
    if not isinstance(issue, Mapping) or not isinstance(issue.get("number"), int):
        return None
    named = payload.get("repository")
    project = named.get("full_name") if isinstance(named, Mapping) else None
    return f"{project or repository}#{issue['number']}"


def decide_github(
    name: str,
    payload: Mapping[str, Any],
    repository: str,
    trigger_label: str,
    story_label: str = "storyplan",
) -> Decision:
    """The one thing to do for event `name` with `payload`, sent for `repository`."""
    if name in ("schedule", "workflow_dispatch"):
        return SyncAll(repository)
    action = str(payload.get("action") or "")
    if name == "issues":
        return _decide_issue(payload, repository, action, trigger_label)
    if name == "issue_comment":
        return _decide_comment(payload, repository, action)
    if name == "sub_issues":
        return _decide_sub_issues(payload, action, story_label)
    return Ignore(f"the {name} event is not one storyplan acts on")


def _decide_issue(
    payload: Mapping[str, Any], repository: str, action: str, trigger_label: str
) -> Decision:
    ref = _issue_ref(payload, repository)
    if ref is None:
        return Ignore(f"the issues.{action} event names no issue")
    if action == "labeled":
        label = payload.get("label")
        name = str(label.get("name") or "") if isinstance(label, Mapping) else ""
        if name.casefold() != trigger_label.casefold():
            return Ignore(f"{ref} was labelled '{name}', not '{trigger_label}'")
        sender, is_bot = _login(payload.get("sender"))
        return Apply(ref, sender, is_bot)
    if action in ("closed", "reopened"):
        issue = payload["issue"]
        mark = markers.read_identity(str(issue.get("body") or ""), "task")
        story = mark.get("story") if mark else None
        if story is not None:
            try:
                story = parse_ref(story, "github").key
            except ConfigError:
                return Ignore(f"{ref}'s task marker names no GitHub story ('{story}')")
        return SyncParent(ref, story or None)
    return Ignore(f"issues.{action} is not an event storyplan acts on")


def _decide_comment(payload: Mapping[str, Any], repository: str, action: str) -> Decision:
    if action != "created":
        return Ignore(f"issue_comment.{action} is not an event storyplan acts on")
    ref = _issue_ref(payload, repository)
    comment = payload.get("comment")
    if ref is None or not isinstance(comment, Mapping):
        return Ignore("the issue_comment event names no issue or comment")
    word = command_word(str(comment.get("body") or ""))
    if word is False:
        return Ignore(f"the new comment on {ref} is not a /storyplan command")
    login, is_bot = _login(comment.get("user"))
    if is_bot or not login:
        return Ignore(f"a /storyplan command on {ref} from a bot is not acted on")
    if isinstance(payload["issue"].get("pull_request"), Mapping):
        return Ignore(f"{ref} is a pull request; storyplan plans issues")
    return Command(ref, login, word)


def _decide_sub_issues(payload: Mapping[str, Any], action: str, story_label: str) -> Decision:
    """A sub-issue attached to or detached from a planned story: sync the story."""
    parent = payload.get("parent_issue")
    repo = payload.get("parent_issue_repo")
    if action not in ("sub_issue_added", "sub_issue_removed"):
        return Ignore(f"sub_issues.{action} is not an event storyplan acts on")
    if not isinstance(parent, Mapping) or not isinstance(repo, Mapping):
        return Ignore(f"the sub_issues.{action} event names no parent issue")
    ref = f"{repo.get('full_name')}#{parent.get('number')}"
    labels = parent.get("labels")
    names = {
        str(label.get("name") or "").casefold()
        for label in (labels if isinstance(labels, list) else [])
        if isinstance(label, Mapping)
    }
    if story_label.casefold() not in names:
        return Ignore(f"{ref} is not planned by storyplan")
    return SyncStory(ref)
