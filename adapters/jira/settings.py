"""Jira's settings and credentials: the `[jira]` section, which site to talk to, and which
credentials to sign in with. Secrets come from the environment only and are kept as
`SecretStr`, so no message or repr can show them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from storyplan.errors import AuthError, ConfigError
from storyplan.refs import Ref

AuthKind = Literal["basic", "bearer"]
CLOUD_HOSTS = (".atlassian.net", ".jira.com")


@dataclass(frozen=True)
class Credentials:
    """How storyplan signs in; `hint` names the variables to check when Jira says no."""

    kind: AuthKind
    token: SecretStr
    email: str = ""

    @property
    def hint(self) -> str:
        return "JIRA_EMAIL and JIRA_API_TOKEN" if self.kind == "basic" else "JIRA_PAT"


class JiraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None  # site root, with a context path if any
    auth: Literal["auto", "basic", "bearer"] = "auto"
    timeout: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0)
    max_retry_delay: int = Field(default=30, ge=0)
    subtask_type: str | None = None
    blocks_inward: str = "is blocked by"
    blocks_outward: str = "blocks"
    prune_statuses: list[str] = Field(
        default_factory=lambda: ["Won't Do", "Cancelled", "Canceled", "Declined", "Rejected"]
    )


def read_credentials(url: str, auth: str = "auto") -> Credentials:
    """Credentials from the environment only: email + API token (Cloud) or a PAT (bearer)."""
    email, token, pat = (
        os.environ.get(n, "").strip() for n in ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT")
    )
    basic = Credentials("basic", SecretStr(token), email) if email and token else None
    bearer = Credentials("bearer", SecretStr(pat)) if pat else None
    if auth == "basic" and basic is None:
        raise AuthError("[jira] auth is 'basic' but JIRA_EMAIL and JIRA_API_TOKEN are not both set")
    if auth == "bearer" and bearer is None:
        raise AuthError("[jira] auth is 'bearer' but JIRA_PAT is not set in the environment")
    if auth == "basic" or (auth == "auto" and basic and bearer is None):
        assert basic is not None
        return basic
    if auth == "bearer" or (auth == "auto" and bearer and basic is None):
        assert bearer is not None
        return bearer
    if basic and bearer:  # both kinds set: the site's kind decides
        host = url.split("//", 1)[-1].split("/", 1)[0].lower()
        return basic if host.endswith(CLOUD_HOSTS) else bearer
    if email or token:
        missing = "JIRA_API_TOKEN" if email else "JIRA_EMAIL"
        raise AuthError(f"incomplete Jira credentials: {missing} is not set in the environment")
    raise AuthError(
        "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT "
        "(Jira Data Center) in the environment"
    )


def site_url(ref: Ref, settings: JiraSettings, base_url: str | None) -> str:
    """The command line wins, then the host a story URL names, then JIRA_URL, then config."""
    url = base_url or ref.base_url or os.environ.get("JIRA_URL", "").strip() or settings.url
    if not url:
        raise ConfigError(
            "no Jira site: set JIRA_URL (or [jira] url, or --base-url), or give the story "
            "as its URL (https://SITE/browse/SHOP-123)"
        )
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"the Jira site '{url}' is not an http(s) URL")
    return url.rstrip("/")
