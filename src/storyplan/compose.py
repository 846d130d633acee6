"""The composition root: the one place that knows which adapter serves which tracker.

Adapters are imported only when their tracker is used, so `storyplan --help` and `render`
never pay for a tracker SDK's import.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Protocol

from pydantic import SecretStr

from storyplan.config import Settings
from storyplan.errors import AuthError, ConfigError
from storyplan.outgoing import guard
from storyplan.ports import Tracker
from storyplan.redact import remember_url
from storyplan.refs import Ref
from storyplan.registry import REGISTRY, TrackerName, token_variables

# A sign-in name travels in HTTP headers like a token (Jira Cloud's basic auth).
SIGN_IN_NAMES: dict[str, tuple[str, ...]] = {"jira": ("JIRA_EMAIL",)}


def check_credentials(tracker: TrackerName) -> None:
    """Headers carry Latin-1 only: a character beyond it (a mistyped or mis-pasted token) is
    refused here, by the variable's name."""
    for name in (*token_variables(tracker), *SIGN_IN_NAMES.get(tracker, ())):
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
        module = importlib.import_module(f"{REGISTRY[ref.tracker].package}.tracker")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("storyplan.adapters"):
            raise ConfigError(
                f"the {ref.tracker} tracker is not available in this version"
            ) from None
        raise
    factory: TrackerFactory = module.create_tracker
    return guard(factory(settings, ref, **options))


class TokenSource(Protocol):
    def token_for(self, project: str) -> SecretStr: ...


def github_app_tokens(app_id: int, private_key: str, base_url: str) -> TokenSource:
    """A GitHub App's installation tokens, by repository (the webhook service's)."""
    module = importlib.import_module("storyplan.adapters.github.client")
    tokens: TokenSource = module.AppTokens(app_id, private_key, base_url)
    return tokens
