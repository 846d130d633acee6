"""The story's `storyplan` entity property: which comment is the plan, which existing issues
serve tasks, and the plan record sync reads instead of parsing an unchanged story
(`storyplan.planrecord`). What a batch of changes learns is gathered and written once, in
the same request as the story's label when the batch adds one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .client import JiraApi, Json
from .records import PROPERTY, storyplan_property

# Jira keeps at most 32,768 characters in a property value; a record that would not fit
# leaves its plan out (sync then parses the story, as without a record).
PROPERTY_CHARS = 32_000


def _fit(value: Json) -> Json:
    record = value.get("record")
    if isinstance(record, dict) and len(json.dumps(value)) > PROPERTY_CHARS:
        value = value | {"record": {k: v for k, v in record.items() if k != "plan"}}
    return value


def plan_record(issue: Json) -> dict[str, str]:
    """The plan record kept on an issue as read ({} if none or not storyplan's shape)."""
    record = storyplan_property(issue).get("record")
    if not isinstance(record, dict):
        return {}
    return {str(k): v for k, v in record.items() if isinstance(v, str)}


def same_record(kept: Mapping[str, str], record: Mapping[str, str]) -> bool:
    return all(kept.get(name) == record.get(name) for name in ("digest", "shape"))


def carried(mark: Json, record: Mapping[str, str] | None) -> Json:
    """A sub-task's property `mark` carrying `record` as well, where it fits."""
    if record is None or len(json.dumps(mark | {"record": record})) > PROPERTY_CHARS:
        return mark
    return mark | {"record": dict(record)}


class StoryBook:
    """Values to merge into each story's property, written by `write`."""

    def __init__(self, api: JiraApi) -> None:
        self.api = api
        self._pending: dict[str, Json] = {}  # story key -> values not written yet

    def keep(self, key: str, **values: object) -> None:
        self._pending.setdefault(key, {}).update(values)

    def waiting(self, key: str) -> bool:
        """Whether values other than the plan record wait (they are worth a write now)."""
        return any(name != "record" for name in self._pending.get(key, {}))

    def write(self, key: str, story: Json, label: str | None = None) -> None:
        """One request: the label added (if any) with the property, if it changed."""
        current = storyplan_property(story)
        value = _fit(current | self._pending.pop(key, {}))
        changed = value != current
        what = f"record storyplan's bookkeeping on {key}"
        if label is not None:
            edit: Json = {"update": {"labels": [{"add": label}]}}
            if changed:
                edit["properties"] = [{"key": PROPERTY, "value": value}]
            self.api.put(f"issue/{key}", edit, what=f"label {key}")
        elif changed:
            self.api.put(f"issue/{key}/properties/{PROPERTY}", value, what=what)
        if changed:
            story.setdefault("properties", {})[PROPERTY] = value
