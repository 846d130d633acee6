"""Where the webhook service's credentials come from: with a GitHub App, each story's
repository gets its installation's token (the adapter asks GitHub for it, through the
composition root); otherwise the settings' own tokens serve every story.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from storyplan.config import Settings
from storyplan.errors import ConfigError
from storyplan.refs import Ref
from storyplan.serve.settings import ServeSettings

KEY_VARIABLE = "GITHUB_APP_PRIVATE_KEY"


def read_private_key(path: Path | None) -> str:
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if key:
        return key
    if path is None:
        raise ConfigError(
            f"[serve] github_app_id is set but the app's private key is not: set {KEY_VARIABLE} "
            "or [serve] github_app_key_file"
        )
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(
            f"{path}: the GitHub App's private key cannot be read ({err.strerror})"
        ) from None


def settings_chooser(settings: Settings, serve: ServeSettings) -> Callable[[Ref], Settings]:
    """Settings for one story: with a GitHub App, the installation's token for its repo."""
    if serve.github_app_id is None:
        return lambda ref: settings
    from storyplan.compose import github_app_tokens

    base_url = str(settings.github.get("base_url") or "https://api.github.com")
    key = read_private_key(serve.github_app_key_file)
    tokens = github_app_tokens(serve.github_app_id, key, base_url)

    def choose(ref: Ref) -> Settings:
        if ref.tracker != "github":
            return settings
        token = tokens.token_for(ref.project)
        return settings.model_copy(update={"github": {**settings.github, "token": token}})

    return choose
