"""Settings: command line > environment (`STORYPLAN_…`, nested with `__`) > `storyplan.toml`.

Tracker sections (`[github]`, `[gitlab]`, `[jira]`, `[files]`) are checked by the adapter
that owns them, so the core never imports an adapter. Secrets come from the environment only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from storyplan.errors import ConfigError
from storyplan.refs import TrackerName

DEFAULT_FILE = Path("storyplan.toml")
SECRET_WORDS = ("token", "password", "secret", "pat", "api_key")
_FILE_VALUES: ContextVar[dict[str, Any]] = ContextVar("file_values", default={})  # noqa: B039


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    story: str = "storyplan"
    task: list[str] = Field(default_factory=lambda: ["storyplan:task"])
    obsolete: str = "storyplan:obsolete"


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Where `sync --all` looks for planned stories: "github:owner/repo", "files:stories", ...
    scopes: list[str] = Field(default_factory=list)
    # When every task of a story is done: "nothing", "label" it with done_label, or "close" it.
    when_done: Literal["nothing", "label", "close"] = "nothing"
    done_label: str = "storyplan:done"


class ActionSettings(BaseModel):
    """How `storyplan action` reacts to GitHub events inside a workflow run."""

    model_config = ConfigDict(extra="forbid")

    # Adding this label to an issue plans it (apply).
    trigger_label: str = Field(default="refined", min_length=1)
    # Answer a `/storyplan` command from someone without write access with one polite
    # comment (True) or ignore it silently (False). Neither plans nor writes anything else.
    reply_to_refused: bool = True


class Settings(BaseSettings):
    """Every setting; `config.example.toml` shows each with a comment."""

    model_config = SettingsConfigDict(
        env_prefix="STORYPLAN_", env_nested_delimiter="__", extra="forbid"
    )

    tracker: TrackerName | None = None
    templates: Path | None = None
    title_format: str | None = None
    labels: Labels = Field(default_factory=Labels)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    prune: bool = False
    sync: SyncSettings = Field(default_factory=SyncSettings)
    action: ActionSettings = Field(default_factory=ActionSettings)
    files: dict[str, Any] = Field(default_factory=dict)
    github: dict[str, Any] = Field(default_factory=dict)
    gitlab: dict[str, Any] = Field(default_factory=dict)
    jira: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file is the lowest layer: environment and command line win over it.
        file_source = InitSettingsSource(settings_cls, _FILE_VALUES.get())
        return (init_settings, env_settings, file_source)


def _find_secrets(data: Mapping[str, Any], path: str = "") -> list[str]:
    found = []
    for name, value in data.items():
        here = f"{path}.{name}" if path else name
        if isinstance(value, Mapping):
            found.extend(_find_secrets(value, here))
        elif any(
            word == name.lower() or name.lower().endswith("_" + word) for word in SECRET_WORDS
        ):
            found.append(here)
    return found


def read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the config file does not exist") from None
    except OSError as err:
        raise ConfigError(f"{path}: the config file cannot be read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    secrets = _find_secrets(data)
    if secrets:
        raise ConfigError(
            f"{path}: '{secrets[0]}' looks like a secret; secrets are read from the "
            "environment only (for example GITHUB_TOKEN), never from the config file"
        )
    return data


def describe(err: ValidationError, where: str) -> str:
    """One sentence for the first thing wrong in a settings source."""
    first = err.errors()[0]
    name = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown setting '{name}'"
    return f"{where}: setting '{name}' {first['msg'][0].lower()}{first['msg'][1:]}"


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from `path` (or ./storyplan.toml if present), the environment and overrides."""
    explicit = path is not None
    path = path or DEFAULT_FILE
    values = read_file(path) if explicit or path.exists() else {}
    token = _FILE_VALUES.set(values)
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as err:
        where = str(path) if values else "settings"
        raise ConfigError(describe(err, where)) from None
    finally:
        _FILE_VALUES.reset(token)


def check_base_url(value: str | None) -> str | None:
    """`--base-url` as given, once it is known to be an http(s) URL with a host."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed [IPv6 address
        usable = False
    if not usable:
        raise ConfigError(
            f"--base-url must be an http(s) URL, e.g. https://ghe.example.com/api/v3, not '{value}'"
        )
    return value.strip()


def section(settings: Settings, model: type[BaseModel], name: str) -> Any:
    """Validate one tracker's section with the adapter's own settings model."""
    try:
        return model.model_validate(getattr(settings, name))
    except ValidationError as err:
        raise ConfigError(describe(err, f"[{name}]")) from None
