"""GitHub's `[github]` settings and where its token comes from; pydantic only."""

from __future__ import annotations

from pydantic import Field

from storyplan.adapters.shared.settings import Token, TrackerSettings, require_token

DEFAULT_BASE_URL = "https://api.github.com"


class GithubSettings(TrackerSettings):
    base_url: str | None = DEFAULT_BASE_URL
    # GitHub asks integrations to space out writes to stay clear of secondary limits:
    # storyplan spaces its write requests (each may carry many GraphQL mutations) this far.
    seconds_between_writes: float = Field(default=1.0, ge=0)
    # Issues and comments made in any minute, at most (GitHub asks for under ~80).
    creations_per_minute: int = Field(default=80, ge=1)
    # The longest rate-limit wait storyplan sits out before sending again; longer ones stop
    # the run with a sentence saying when to retry.
    longest_wait: float = Field(default=60.0, ge=0)
    # Items per page when listing (GitHub's maximum is 100: fewer pages, fewer requests).
    page_size: int = Field(default=100, ge=1, le=100)


def read_token(settings: GithubSettings) -> Token:
    return require_token(
        "github",
        settings,
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) in the environment",
    )
