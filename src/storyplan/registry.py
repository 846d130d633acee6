"""The one table of trackers: which adapter serves each, its settings model and the
environment variables its credentials come from. Ref parsing, config validation, the
composition root and the Action derive what they need from it.

Names only, no imports: a settings model is loaded on demand from `<adapter>.settings`,
which imports pydantic and nothing of a tracker's SDK.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

TrackerName = Literal["files", "github", "gitlab", "jira"]


@dataclass(frozen=True)
class Entry:
    name: TrackerName
    package: str  # the adapter's package: `create_tracker` in it, `settings` beside it
    settings: str  # the settings model's class name in `<package>.settings`
    token_variables: tuple[str, ...] = ()  # first set wins, after STORYPLAN_<NAME>__TOKEN


REGISTRY: dict[TrackerName, Entry] = {
    "files": Entry("files", "storyplan.adapters.files", "FilesSettings"),
    "github": Entry(
        "github", "storyplan.adapters.github", "GithubSettings", ("GITHUB_TOKEN", "GH_TOKEN")
    ),
    "gitlab": Entry(
        "gitlab", "storyplan.adapters.gitlab", "GitlabSettings", ("GITLAB_TOKEN", "CI_JOB_TOKEN")
    ),
    "jira": Entry(
        "jira", "storyplan.adapters.jira", "JiraSettings", ("JIRA_API_TOKEN", "JIRA_PAT")
    ),
}
TRACKERS: tuple[TrackerName, ...] = tuple(REGISTRY)


def settings_model(name: TrackerName) -> type[BaseModel]:
    """The pydantic model of the `[name]` section, without importing the tracker's SDK."""
    entry = REGISTRY[name]
    module = importlib.import_module(f"{entry.package}.settings")
    model: type[BaseModel] = getattr(module, entry.settings)
    return model


def token_variables(name: TrackerName) -> tuple[str, ...]:
    """Every variable a token for `name` may come from, in the order they are tried."""
    return (f"STORYPLAN_{name.upper()}__TOKEN", *REGISTRY[name].token_variables)


def all_token_variables() -> tuple[str, ...]:
    return tuple(v for name in TRACKERS for v in token_variables(name))
