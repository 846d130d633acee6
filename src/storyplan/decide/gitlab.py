"""GitLab's rows of the decision table: a project or group webhook's issue, work-item or
note event to one decision. The trigger label added plans the story; a child task closed or
reopened syncs the story its hidden task marker names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyplan import markers
from storyplan.decide import Apply, Decision, Ignore, SyncStory, command_word
from storyplan.errors import ConfigError
from storyplan.refs import parse_ref


def _titles(labels: Any) -> set[str]:
    if not isinstance(labels, list):
        return set()
    return {str(label.get("title") or "").casefold() for label in labels if isinstance(label, dict)}


def _project(payload: Mapping[str, Any]) -> str:
    project = payload.get("project")
    return str(project.get("path_with_namespace") or "") if isinstance(project, Mapping) else ""


def decide_gitlab(payload: Mapping[str, Any], trigger_label: str) -> Decision:
    """The one thing to do for a GitLab webhook body."""
    kind = str(payload.get("object_kind") or "")
    if kind in ("issue", "work_item"):
        return _decide_issue(payload, trigger_label)
    if kind == "note":
        return _decide_note(payload)
    return Ignore(f"GitLab's {kind or 'unnamed'} event is not one storyplan acts on")


def _decide_issue(payload: Mapping[str, Any], trigger_label: str) -> Decision:
    attributes = payload.get("object_attributes")
    project = _project(payload)
    if not isinstance(attributes, Mapping) or not isinstance(attributes.get("iid"), int):
        return Ignore("the GitLab issue event names no issue")
    if not project:
        return Ignore("the GitLab issue event names no project")
    ref = f"{project}#{attributes['iid']}"
    action = str(attributes.get("action") or "")
    changes = payload.get("changes")
    labels = changes.get("labels") if isinstance(changes, Mapping) else None
    if isinstance(labels, Mapping):
        added = _titles(labels.get("current")) - _titles(labels.get("previous"))
        if trigger_label.casefold() in added:
            user = payload.get("user")
            login = str(user.get("username") or "") if isinstance(user, Mapping) else ""
            return Apply(ref, login, False)
    if action in ("close", "reopen"):
        mark = markers.read_identity(str(attributes.get("description") or ""), "task")
        story = mark.get("story") if mark else None
        if not story:
            return Ignore(f"{ref} carries no storyplan task marker")
        try:
            return SyncStory(parse_ref(story, "gitlab").key)
        except ConfigError:
            return Ignore(f"{ref}'s task marker names no GitLab story ('{story}')")
    return Ignore(f"GitLab issue {action or 'update'} on {ref} is not one storyplan acts on")


def _decide_note(payload: Mapping[str, Any]) -> Decision:
    attributes = payload.get("object_attributes")
    note = str(attributes.get("note") or "") if isinstance(attributes, Mapping) else ""
    if command_word(note) is False:
        return Ignore("the new GitLab note is not a /storyplan command")
    # Who may run a command is a question to the tracker that only the GitHub adapter can
    # answer today; GitLab projects plan by label, which only members can add.
    return Ignore("/storyplan commands are answered on GitHub; on GitLab add the trigger label")
