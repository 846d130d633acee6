"""The composition root: the one place that knows which adapter serves which tracker.

Adapters are imported only when their tracker is used, so `storyplan --help` and `render`
never pay for a tracker SDK's import.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Protocol

from storyplan.config import Settings
from storyplan.errors import AuthError, ConfigError
from storyplan.outgoing import Guarded
from storyplan.ports import Tracker
from storyplan.redact import remember_url
from storyplan.refs import Ref

ADAPTERS: dict[str, str] = {
    "files": "storyplan.adapters.files",
    "github": "storyplan.adapters.github",
    "gitlab": "storyplan.adapters.gitlab",
    "jira": "storyplan.adapters.jira",
}

# The variables each tracker signs in with. They travel in HTTP headers, which carry Latin-1
# only: a character beyond it (a mistyped or mis-pasted token) is refused here, by name.
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "github": ("GITHUB_TOKEN", "GH_TOKEN", "STORYPLAN_GITHUB__TOKEN"),
    "gitlab": ("GITLAB_TOKEN", "CI_JOB_TOKEN", "STORYPLAN_GITLAB__TOKEN"),
    "jira": ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT"),
}


def check_credentials(tracker: str) -> None:
    for name in CREDENTIALS.get(tracker, ()):
        value = os.environ.get(name, "").strip()
        for position, char in enumerate(value, start=1):
            if not char.isprintable() or ord(char) > 0xFF:
                raise AuthError(
                    f"{name} holds a character no token or sign-in name can have (character "
                    f"{position}); copy it again"
                )


class TrackerFactory(Protocol):
    def __call__(self, settings: Settings, ref: Ref, **options: Any) -> Tracker: ...


def make_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    """The tracker for `ref`, built from its settings section and command-line options;
    every write it makes passes the secret check of `outgoing`."""
    remember_url(options.get("base_url"))
    check_credentials(ref.tracker)
    try:
        module = importlib.import_module(ADAPTERS[ref.tracker])
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("storyplan.adapters"):
            raise ConfigError(
                f"the {ref.tracker} tracker is not available in this version"
            ) from None
        raise
    factory: TrackerFactory = module.create_tracker
    return Guarded(factory(settings, ref, **options))
