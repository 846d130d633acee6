"""What a GitHub Actions event asks storyplan to do: the workflow's environment and event
payload in, one decision out (the table itself is `storyplan.decide`, shared with the webhook
service). Pure functions only; `action.py` carries the decision out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyplan.decide import (
    COMMANDS,
    Apply,
    Command,
    Decision,
    Ignore,
    SyncAll,
    SyncParent,
    command_word,
)
from storyplan.decide.github import decide_github
from storyplan.errors import ConfigError

__all__ = [
    "COMMANDS",
    "Apply",
    "Command",
    "Decision",
    "Event",
    "Ignore",
    "SyncAll",
    "SyncParent",
    "command_word",
    "decide",
    "read_event",
]
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True)
class Event:
    """One workflow run's event: GITHUB_EVENT_NAME, the payload and the repository."""

    name: str
    payload: Mapping[str, Any]
    repository: str  # owner/repo the workflow runs in
    api_url: str | None = None  # GITHUB_API_URL: api.github.com, or GHE's /api/v3

    @property
    def action(self) -> str:
        return str(self.payload.get("action") or "")


def read_event(env: Mapping[str, str]) -> Event:
    """The event GitHub Actions describes in the environment of a workflow step."""
    name = env.get("GITHUB_EVENT_NAME", "").strip()
    if not name:
        raise ConfigError(
            "storyplan action runs as a step of a GitHub Actions workflow: "
            "GITHUB_EVENT_NAME is not set (use plan, apply or sync elsewhere)"
        )
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if not _REPOSITORY.match(repository):
        raise ConfigError(f"GITHUB_REPOSITORY must be owner/repo, not '{repository}'")
    payload: Any = {}
    path = env.get("GITHUB_EVENT_PATH", "").strip()
    if path:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(
                f"{path}: the event payload cannot be read ({err.strerror})"
            ) from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: the event payload is not JSON ({err.msg})") from None
    if not isinstance(payload, dict):
        raise ConfigError(f"{path}: the event payload is not a JSON object")
    api_url = env.get("GITHUB_API_URL", "").strip().rstrip("/") or None
    return Event(name=name, payload=payload, repository=repository, api_url=api_url)


def decide(event: Event, trigger_label: str) -> Decision:
    """The one thing to do for `event`; see the table in README "GitHub Action"."""
    return decide_github(event.name, event.payload, event.repository, trigger_label)
