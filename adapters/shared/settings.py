"""What every tracker's settings share: where the tracker is, how long to wait, how often to
retry a read; and the two rules written once for all trackers — which token wins and which
base URL wins. Pydantic only: loading a settings model never imports a tracker's SDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from storyplan.errors import AuthError, ConfigError
from storyplan.registry import TrackerName, token_variables


class TrackerSettings(BaseModel):
    """A tracker's `[section]`. Unknown keys are refused, so a typo fails when loaded."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None  # None: the tracker's public service (or, for Jira, JIRA_URL)
    timeout: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0)  # for reads; a write is never sent twice
    # Only ever from the environment (STORYPLAN_<TRACKER>__TOKEN): the file refuses secrets.
    token: SecretStr | None = Field(default=None, repr=False)


@dataclass(frozen=True)
class Token:
    """A secret and the variable it came from, to name in "check X" messages."""

    secret: SecretStr
    variable: str


def find_token(
    tracker: TrackerName,
    settings: TrackerSettings,
    environ: Mapping[str, str] | None = None,
    variables: tuple[str, ...] | None = None,
) -> Token | None:
    """The first token set: STORYPLAN_<TRACKER>__TOKEN (the setting), then the tracker's
    conventional variables in the registry's order. None when none is set."""
    environ = os.environ if environ is None else environ
    if settings.token is not None and settings.token.get_secret_value().strip():
        return Token(
            SecretStr(settings.token.get_secret_value().strip()), token_variables(tracker)[0]
        )
    for name in variables if variables is not None else token_variables(tracker)[1:]:
        value = environ.get(name, "").strip()
        if value:
            return Token(SecretStr(value), name)
    return None


def require_token(tracker: TrackerName, settings: TrackerSettings, missing: str) -> Token:
    token = find_token(tracker, settings)
    if token is None:
        raise AuthError(missing)
    if not token.secret.get_secret_value().isascii():
        raise AuthError(f"the token in {token.variable} has characters a token never has")
    return token


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def choose_base_url(
    *, option: str | None, from_ref: str | None, configured: str | None, default: str | None
) -> str:
    """`--base-url` > the host a URL ref names > the config (or its environment) > default.

    A configured URL on the ref's own host still wins over the bare host: it carries the
    path prefix (`https://example.com/gitlab`, `/jira`) that a URL ref cannot show.
    """
    base = option or from_ref or configured or default
    if not option and from_ref and configured and _origin(configured) == _origin(from_ref):
        base = configured
    if not base:
        raise ConfigError("no base URL: give --base-url or set base_url in the config")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"the base URL '{redacted_url(base)}' is not an http(s) URL "
            "(for example https://ghe.example.com/api/v3)"
        )
    return base.rstrip("/")


def redacted_url(url: str) -> str:
    """`url` without a user name or password, for messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=host).geturl()
