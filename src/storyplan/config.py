"""Settings: command line > environment (`STORYPLAN_…`, nested with `__`) > `storyplan.toml`.

Tracker sections (`[github]`, `[gitlab]`, `[jira]`, `[files]`) are checked by the adapter
that owns them, so the core never imports an adapter. Secrets come from the environment only.
"""

from __future__ import annotations

import difflib
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
from storyplan.registry import TRACKERS, TrackerName, settings_model

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


class TrustSettings(BaseModel):
    """Whose storyplan markers count, beyond this run's own identity and the accounts with
    write access to the story's project."""

    model_config = ConfigDict(extra="forbid")

    # Logins (bots, mostly) whose markers count too: the Action's bot by default, so a plan
    # made from the Action and one made from a maintainer's terminal stay one plan.
    authors: list[str] = Field(default_factory=lambda: ["github-actions[bot]"])


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
    allow_empty: bool = False
    # Said once, as a comment, on the sub-issue of a task removed from the story.
    obsolete_comment: str = (
        "storyplan: this task was removed from the plan of {story}; it is kept for its "
        "history. Close it when it is no longer needed."
    )
    sync: SyncSettings = Field(default_factory=SyncSettings)
    action: ActionSettings = Field(default_factory=ActionSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    files: dict[str, Any] = Field(default_factory=dict)
    github: dict[str, Any] = Field(default_factory=dict)
    gitlab: dict[str, Any] = Field(default_factory=dict)
    jira: dict[str, Any] = Field(default_factory=dict)
    serve: dict[str, Any] = Field(default_factory=dict)  # checked by storyplan.serve

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


def _line_of(text: str, table: str | None, key: str) -> int:
    """The line of `key` in `[table]` (or at the top when `table` is None); 0 if not found."""
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[] ").strip()
            continue
        name = line.split("=", 1)[0].strip().strip("\"'")
        if "=" in line and current == table and name == key:
            return number
    return 0


def _nested(
    model: type[BaseModel], table: str | None, loc: list[str], values: Mapping[str, Any]
) -> tuple[type[BaseModel], str | None, str, Mapping[str, Any]]:
    """Follow `loc` into nested models: the model, TOML table, key and file values it names."""
    for index, part in enumerate(loc[:-1]):
        field = model.model_fields.get(part)
        inner = field.annotation if field is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return model, table, part, values
        model, table = inner, ".".join(loc[: index + 1])
        found = values.get(part)
        values = found if isinstance(found, Mapping) else {}
    return model, table, loc[-1] if loc else "", values


def _explain(
    err: ValidationError,
    model: type[BaseModel],
    table: str | None,
    path: Path | None,
    values: Mapping[str, Any],
) -> str:
    """What is wrong, where (file:line, or the environment variable), and the closest key."""
    first = err.errors()[0]
    loc = [str(part) for part in first["loc"]]
    dotted = ".".join([table, *loc] if table else loc)
    model, table, key, values = _nested(model, table, loc, values)
    if key in values and path is not None:
        line = _line_of(path.read_text(encoding="utf-8"), table, key)
        where = f"{path}:{line}" if line else str(path)
    else:
        where = "STORYPLAN_" + "__".join(part.upper() for part in dotted.split("."))
    if first["type"] == "extra_forbidden":
        fields = sorted(model.model_fields)
        close = difflib.get_close_matches(key, fields, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(fields)}"
        return f"{where}: unknown setting '{dotted}'; {hint}"
    return f"{where}: setting '{dotted}' {first['msg'][0].lower()}{first['msg'][1:]}"


def check_tracker_sections(
    settings: Settings, path: Path | None, values: Mapping[str, Any]
) -> None:
    """Validate every `[tracker]` section with its adapter's settings model (pydantic only:
    no tracker SDK is imported), so a typo fails when the file is loaded."""
    for name in TRACKERS:
        model = settings_model(name)
        try:
            model.model_validate(getattr(settings, name))
        except ValidationError as err:
            section_values = values.get(name)
            found = section_values if isinstance(section_values, Mapping) else {}
            raise ConfigError(_explain(err, model, name, path, found)) from None


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from `path` (or ./storyplan.toml if present), the environment and overrides."""
    explicit = path is not None
    path = path or DEFAULT_FILE
    values = read_file(path) if explicit or path.exists() else {}
    token = _FILE_VALUES.set(values)
    try:
        settings = Settings(**dict(overrides or {}))
    except ValidationError as err:
        raise ConfigError(_explain(err, Settings, None, path if values else None, values)) from None
    finally:
        _FILE_VALUES.reset(token)
    check_tracker_sections(settings, path if values else None, values)
    return settings


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
