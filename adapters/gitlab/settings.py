"""GitLab's `[gitlab]` settings and where its token comes from; pydantic only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from storyplan.adapters.shared.settings import TrackerSettings, require_token

DEFAULT_BASE_URL = "https://gitlab.com"


class GitlabSettings(TrackerSettings):
    base_url: str | None = DEFAULT_BASE_URL
    children: Literal["tasks", "issues"] = "tasks"
    blocking_links: Literal["auto", "blocks", "relates_to"] = "auto"


@dataclass(frozen=True)
class Credentials:
    """A token and where it came from; a CI job token goes in its own header."""

    token: SecretStr
    variable: str
    job: bool = False


def read_credentials(settings: GitlabSettings) -> Credentials:
    token = require_token(
        "gitlab",
        settings,
        "no GitLab token: set GITLAB_TOKEN in the environment (a personal, project or group "
        "access token with the api scope)",
    )
    return Credentials(token.secret, token.variable, job=token.variable == "CI_JOB_TOKEN")
