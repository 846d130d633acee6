"""GitHub App authentication: the app's id and private key make a JWT, the JWT asks for the
installation that covers a repository and for that installation's token (an hour's worth),
which is taken again five minutes before it expires. PyGithub's `GithubIntegration` does the
requests; this module only remembers what it got. The webhook service reaches it through
the composition root (`compose.github_app_tokens`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from github import Auth, GithubException, GithubIntegration
from pydantic import SecretStr

from storyplan.errors import AuthError

REFRESH_BEFORE = timedelta(minutes=5)


@dataclass
class _Token:
    value: SecretStr
    expires_at: datetime


class AppTokens:
    """Installation tokens of one GitHub App, by repository, shared by a worker's threads."""

    def __init__(self, app_id: int, private_key: str, base_url: str) -> None:
        self.integration = GithubIntegration(
            auth=Auth.AppAuth(app_id, private_key), base_url=base_url
        )
        self._installations: dict[str, int] = {}  # owner/repo (lower case) -> installation
        self._tokens: dict[int, _Token] = {}
        self._lock = threading.Lock()

    def token_for(self, project: str, now: datetime | None = None) -> SecretStr:
        owner, _, repo = project.partition("/")
        key = project.casefold()
        with self._lock:
            try:
                if key not in self._installations:
                    installation = self.integration.get_repo_installation(owner, repo)
                    self._installations[key] = installation.id
                installation_id = self._installations[key]
                token = self._tokens.get(installation_id)
                moment = now or datetime.now(UTC)
                if token is None or token.expires_at - REFRESH_BEFORE <= moment:
                    granted = self.integration.get_access_token(installation_id)
                    token = _Token(SecretStr(granted.token), granted.expires_at)
                    self._tokens[installation_id] = token
            except GithubException as err:
                raise AuthError(
                    f"the GitHub App cannot act on {project} (HTTP {err.status}): is it "
                    "installed there, and is its private key the current one?"
                ) from None
            return token.value
