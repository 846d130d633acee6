"""Jira's rows of the decision table: a webhook (issue created or updated) or an Automation
"send web request" body to one decision. The trigger label added plans the story; a
sub-task created or moved to another status syncs its parent story.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storyplan.decide import Apply, Decision, Ignore, SyncStory
from storyplan.errors import ConfigError
from storyplan.refs import parse_ref

AUTOMATION_ACTIONS = ("apply", "sync")


def _key(text: Any) -> str | None:
    try:
        return parse_ref(str(text or ""), "jira").key
    except ConfigError:
        return None


def decide_jira(payload: Mapping[str, Any], trigger_label: str) -> Decision:
    """The one thing to do for a Jira webhook or Automation body."""
    if "webhookEvent" not in payload:
        return _decide_automation(payload)
    event = str(payload.get("webhookEvent") or "")
    issue = payload.get("issue")
    fields = issue.get("fields") if isinstance(issue, Mapping) else None
    key = _key(issue.get("key")) if isinstance(issue, Mapping) else None
    if key is None or not isinstance(fields, Mapping):
        return Ignore(f"the Jira {event} event names no issue")
    parent = fields.get("parent")
    parent_key = _key(parent.get("key")) if isinstance(parent, Mapping) else None
    if event == "jira:issue_created":
        if parent_key:
            return SyncStory(parent_key)
        return Ignore(f"{key} was created without a parent story")
    if event != "jira:issue_updated":
        return Ignore(f"Jira's {event or 'unnamed'} event is not one storyplan acts on")
    changelog = payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        field = str(item.get("field") or "").casefold()
        if field == "labels":
            before = set(str(item.get("fromString") or "").casefold().split())
            after = set(str(item.get("toString") or "").casefold().split())
            if trigger_label.casefold() in after - before:
                user = payload.get("user")
                name = ""
                if isinstance(user, Mapping):
                    name = str(user.get("accountId") or user.get("name") or "")
                return Apply(key, name, False)
        if field == "status" and parent_key:
            return SyncStory(parent_key)
    return Ignore(f"the change to {key} is not one storyplan acts on")


def _decide_automation(payload: Mapping[str, Any]) -> Decision:
    """An Automation rule's own body: {"action": "apply" | "sync", "issue": "SHOP-123"}."""
    action = str(payload.get("action") or "")
    key = _key(payload.get("issue"))
    if action not in AUTOMATION_ACTIONS or key is None:
        return Ignore(
            'a Jira Automation body must be {"action": "apply" or "sync", "issue": "KEY-1"}'
        )
    return Apply(key, "automation", True) if action == "apply" else SyncStory(key)
