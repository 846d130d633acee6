"""The `[serve]` section: where the queue lives, how the receiver listens, how often the
sweep runs and how fast each credential may go. Webhook secrets come from the environment
only (`STORYPLAN_SERVE__GITHUB_WEBHOOK_SECRET`, ...), like every other secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from storyplan.config import Settings, section
from storyplan.errors import ConfigError

DATABASE_VARIABLES = ("STORYPLAN_SERVE__DATABASE_URL", "DATABASE_URL")


class Rates(BaseModel):
    """Requests an hour one credential may make, by tracker; 0: no pacing. Below each
    tracker's hourly allowance for one token, leaving room for the people who share it."""

    model_config = ConfigDict(extra="forbid")

    github: int = Field(default=4500, ge=0)  # GitHub: 5,000 (a token), more for an app
    gitlab: int = Field(default=7000, ge=0)  # GitLab.com: 2,000 a minute; self-managed: set
    jira: int = Field(default=3000, ge=0)  # Jira Cloud: cost-based; leave room


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # postgresql://user@host/db; also STORYPLAN_SERVE__DATABASE_URL or DATABASE_URL.
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Jobs one process runs at once (each job is one story's plan or sync).
    concurrency: int = Field(default=2, ge=1, le=64)
    # When to enqueue `sync` for every planned story in [sync] scopes: cron, 5 fields (or 6,
    # seconds last); "" turns the sweep off.
    sweep: str = "17 * * * *"
    # How often jobs of a vanished worker are handed to another one.
    recover: str = "* * * * *"
    heartbeat_seconds: float = Field(default=10, gt=0)
    stalled_after_seconds: float = Field(default=60, gt=0)
    # Jobs that succeeded are kept this long for /metrics and for looking into.
    keep_jobs_hours: int = Field(default=72, ge=1)
    # A job failing on a tracker error is tried this many times, waiting backoff**n s.
    attempts: int = Field(default=5, ge=1)
    backoff_seconds: float = Field(default=2, ge=0)
    # Requests an hour one credential may make, shared by every worker; `burst` may go at
    # once after a quiet spell.
    requests_per_hour: Rates = Field(default_factory=Rates)
    burst: int = Field(default=60, ge=1)
    # A GitHub App instead of a token: its id here, its private key in GITHUB_APP_PRIVATE_KEY
    # or in the file named here.
    github_app_id: int | None = None
    github_app_key_file: Path | None = None
    # Environment only (the config file refuses them).
    github_webhook_secret: SecretStr | None = None
    gitlab_webhook_token: SecretStr | None = None
    jira_webhook_secret: SecretStr | None = None
    jira_automation_token: SecretStr | None = None


def serve_settings(settings: Settings) -> ServeSettings:
    serve = section(settings, ServeSettings, "serve")
    assert isinstance(serve, ServeSettings)
    return serve


def database_url(serve: ServeSettings) -> str:
    """The queue's database, or one sentence saying where to set it."""
    for name in DATABASE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    if serve.database_url:
        return serve.database_url
    raise ConfigError(
        "storyplan serve needs a PostgreSQL database: set DATABASE_URL "
        "(postgresql://user@host/db) or [serve] database_url"
    )
