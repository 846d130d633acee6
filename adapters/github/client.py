"""GitHub's errors in storyplan's words: PyGithub's and requests' exceptions become one
sentence each, with the exit code of the matching storyplan error, at one boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
from github import GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from storyplan.errors import (
    AuthError,
    CapabilityError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    TrackerError,
)


def _reset_time(headers: dict[str, Any] | None) -> tuple[float | None, str]:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if "retry-after" in headers:
        seconds = float(headers["retry-after"])
        return seconds, f"retry in {int(seconds)} seconds"
    if "x-ratelimit-reset" in headers:
        reset = datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC)
        seconds = max(0.0, (reset - datetime.now(UTC)).total_seconds())
        return seconds, f"it resets at {reset:%H:%M:%S} UTC (in {int(seconds // 60)} min)"
    return None, "try again later"


@contextmanager
def translate(what: str, host: str, feature: str | None = None) -> Iterator[None]:
    """PyGithub's and requests' exceptions to storyplan's, in one sentence each."""
    try:
        yield
    except BadCredentialsException:
        raise AuthError(
            f"GitHub at {host} rejected the token (401 Bad credentials); check GITHUB_TOKEN"
        ) from None
    except RateLimitExceededException as err:
        seconds, when = _reset_time(err.headers)
        raise RateLimitError(
            f"GitHub rate limit reached while trying to {what}; {when}", seconds
        ) from None
    except UnknownObjectException:
        if feature:
            raise CapabilityError(
                f"{feature} are not available on the GitHub at {host} (404 while trying to "
                f"{what}); GitHub Enterprise Server needs a version that has {feature}"
            ) from None
        raise NotFoundError(
            f"could not {what}: not found on {host}, or the token cannot see it"
        ) from None
    except GithubException as err:
        message = err.data.get("message") if isinstance(err.data, dict) else None
        detail = f" ({err.status}: {message})" if message else f" ({err.status})"
        if err.status == 403 or (err.status == 429):
            headers = {k.lower(): v for k, v in (err.headers or {}).items()}
            if (
                err.status == 429
                or headers.get("x-ratelimit-remaining") == "0"
                or (message and "rate limit" in message.lower())
            ):
                seconds, when = _reset_time(err.headers)
                raise RateLimitError(
                    f"GitHub rate limit reached while trying to {what}; {when}", seconds
                ) from None
            raise ForbiddenError(f"the token may not {what}{detail}") from None
        if err.status == 410:
            raise NotFoundError(
                f"could not {what}: it was deleted or issues are disabled{detail}"
            ) from None
        raise TrackerError(f"GitHub refused to {what}{detail}") from None
    except requests.RequestException as err:
        raise TrackerError(
            f"could not reach GitHub at {host} to {what} ({type(err).__name__})"
        ) from None
