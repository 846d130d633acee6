"""The composition root: the one place that knows which adapter serves which tracker.

Adapters are imported only when their tracker is used, so `storyplan --help` and `render`
never pay for a tracker SDK's import.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from pydantic import SecretStr

from storyplan.config import Settings
from storyplan.errors import ConfigError
from storyplan.ports import Tracker
from storyplan.refs import Ref
from storyplan.registry import REGISTRY


class TrackerFactory(Protocol):
    def __call__(self, settings: Settings, ref: Ref, **options: Any) -> Tracker: ...


def make_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    """The tracker for `ref`, built from its settings section and command-line options."""
    try:
        module = importlib.import_module(f"{REGISTRY[ref.tracker].package}.tracker")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("storyplan.adapters"):
            raise ConfigError(
                f"the {ref.tracker} tracker is not available in this version"
            ) from None
        raise
    factory: TrackerFactory = module.create_tracker
    return factory(settings, ref, **options)


class TokenSource(Protocol):
    def token_for(self, project: str) -> SecretStr: ...


def github_app_tokens(app_id: int, private_key: str, base_url: str) -> TokenSource:
    """A GitHub App's installation tokens, by repository (the webhook service's)."""
    module = importlib.import_module("storyplan.adapters.github.client")
    tokens: TokenSource = module.AppTokens(app_id, private_key, base_url)
    return tokens
