"""Jira's settings and credentials: the `[jira]` section, which site to talk to, and which
credentials to sign in with. Secrets come from the environment only and are kept as
`SecretStr`, so no message or repr can show them. Pydantic only: no SDK is imported here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from storyplan.adapters.shared.settings import (
    Token,
    TrackerSettings,
    choose_base_url,
    find_token,
)
from storyplan.errors import AuthError, ConfigError
from storyplan.refs import Ref

AuthKind = Literal["basic", "bearer"]
CLOUD_HOSTS = (".atlassian.net", ".jira.com")
_NO_SETTING = TrackerSettings()  # to read one variable with the shared token rule


@dataclass(frozen=True)
class Credentials:
    """How storyplan signs in; `hint` names the variables to check when Jira says no."""

    kind: AuthKind
    token: SecretStr
    email: str = ""
    variable: str = ""  # where the token came from

    @property
    def hint(self) -> str:
        if self.kind == "basic":
            return f"JIRA_EMAIL and {self.variable or 'JIRA_API_TOKEN'}"
        return self.variable or "JIRA_PAT"


class JiraSettings(TrackerSettings):
    # The site root, with a context path if any. `url` is its older name; with neither
    # set, JIRA_URL names the site.
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("base_url", "url"))
    auth: Literal["auto", "basic", "bearer"] = "auto"
    # Cloud or Data Center search differently; "auto" tells them by the host (Cloud's sites
    # are *.atlassian.net) or by the site's first answer. Set it for Cloud on a custom domain.
    deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    subtask_type: str | None = None
    blocks_inward: str = "is blocked by"
    blocks_outward: str = "blocks"
    prune_statuses: list[str] = Field(
        default_factory=lambda: ["Won't Do", "Cancelled", "Canceled", "Declined", "Rejected"]
    )


def is_cloud(url: str) -> bool:
    host = url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(CLOUD_HOSTS)


def _credentials(kind: AuthKind, token: Token, email: str = "") -> Credentials:
    if not token.secret.get_secret_value().isascii():
        raise AuthError(f"the token in {token.variable} has characters a token never has")
    return Credentials(kind, token.secret, email if kind == "basic" else "", token.variable)


def read_credentials(
    settings: JiraSettings, url: str, environ: Mapping[str, str] | None = None
) -> Credentials:
    """Credentials from the environment only, first set first: STORYPLAN_JIRA__TOKEN (an API
    token beside JIRA_EMAIL, else a PAT), then JIRA_EMAIL + JIRA_API_TOKEN (Cloud), then
    JIRA_PAT (Data Center, sent as a bearer token). `[jira] auth` may insist on one kind;
    when both kinds are set in their own variables, the site's kind decides."""
    environ = os.environ if environ is None else environ
    email = environ.get("JIRA_EMAIL", "").strip()
    own = find_token("jira", settings, environ, variables=())
    api = own or find_token("jira", _NO_SETTING, environ, ("JIRA_API_TOKEN",))
    pat = own or find_token("jira", _NO_SETTING, environ, ("JIRA_PAT",))
    auth = settings.auth
    if auth == "basic":
        if api is None or not email:
            raise AuthError(
                "[jira] auth is 'basic' but JIRA_EMAIL and JIRA_API_TOKEN are not both set"
            )
        return _credentials("basic", api, email)
    if auth == "bearer":
        if pat is None:
            raise AuthError("[jira] auth is 'bearer' but JIRA_PAT is not set in the environment")
        return _credentials("bearer", pat)
    if own is not None:
        return _credentials("basic" if email else "bearer", own, email)
    basic = api if api is not None and email else None
    if basic is not None and (pat is None or is_cloud(url)):
        return _credentials("basic", basic, email)
    if pat is not None:
        return _credentials("bearer", pat)
    if email or api:
        missing = "JIRA_API_TOKEN" if email else "JIRA_EMAIL"
        raise AuthError(f"incomplete Jira credentials: {missing} is not set in the environment")
    raise AuthError(
        "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT "
        "(Jira Data Center) in the environment"
    )


def site_url(ref: Ref, settings: JiraSettings, option: str | None) -> str:
    """--base-url wins, then the host a story URL names, then `[jira] base_url` (or its
    older name `url`), then JIRA_URL."""
    configured = settings.base_url or os.environ.get("JIRA_URL", "").strip() or None
    if not (option or ref.base_url or configured):
        raise ConfigError(
            "no Jira site: set JIRA_URL (or [jira] base_url, or --base-url), or give the "
            "story as its URL (https://SITE/browse/SHOP-123)"
        )
    return choose_base_url(
        option=option, from_ref=ref.base_url, configured=configured, default=None
    )
