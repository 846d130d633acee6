"""The transport rules every tracker's client follows, written once.

- Reads retry, writes never repeat: a read (GET, HEAD) is retried after a dropped
  connection or a 5xx, with a short backoff and one line on stderr per wait; a write is sent
  exactly once, because a write whose answer is lost may have been carried out.
- Rate limits: Retry-After, x-ratelimit-reset / ratelimit-reset (epoch seconds),
  RateLimit-ResetTime (an HTTP date) and Jira's X-RateLimit-Reset (ISO 8601) all read
  as "when to retry".
- One error table: an HTTP status (or no answer at all) becomes one of storyplan's errors,
  in one sentence, carrying whether the outcome is unknown. Each client maps its SDK's
  exceptions to a `Failure` in one place and asks `Service.error` for the error.
"""

from __future__ import annotations

import email.utils
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from urllib3.util.retry import Retry

from storyplan.errors import (
    AuthError,
    CapabilityError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    TrackerError,
)

READS = frozenset({"GET", "HEAD"})
TRANSIENT = (500, 502, 503, 504)


def _say(line: str) -> None:
    print(f"storyplan: {line}", file=sys.stderr, flush=True)


# Where a client says what it waits for; the CLI may point it elsewhere (a progress line).
on_wait: Callable[[str], None] = _say


class ReadRetry(Retry):
    """urllib3's Retry for reads only, saying on stderr what it waits for."""

    service = "the tracker"

    def new(self, **kw: Any) -> ReadRetry:
        # urllib3 makes a new Retry for every attempt: carry the service's name over.
        retry = super().new(**kw)
        retry.service = self.service
        return retry

    def sleep(self, response: Any = None) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            on_wait(f"{self.service} did not answer; retrying in {backoff:.1f} s")
        super().sleep(response)


def read_retry(retries: int, service: str) -> Retry:
    """Retry for a requests session: reads after a 5xx or a dropped connection, never writes."""
    retry = ReadRetry(
        total=retries,
        connect=retries,
        read=retries,
        backoff_factor=0.5,
        status_forcelist=TRANSIENT,
        allowed_methods=READS,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    retry.service = service
    return retry


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _parse_reset(value: str) -> datetime | None:
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def retry_after(headers: Mapping[str, str] | None) -> tuple[float | None, str]:
    """(seconds to wait, how to say it) from whichever rate-limit header the tracker sent."""
    found = _lower(headers)
    wait = found.get("retry-after", "").strip()
    if wait:
        try:
            seconds = max(0.0, float(wait))
            return seconds, f"retry in {int(seconds)} seconds"
        except ValueError:
            when = _parse_reset(wait)
            if when is not None:
                seconds = max(0.0, (when - datetime.now(UTC)).total_seconds())
                return seconds, f"retry in {int(seconds)} seconds"
    for name in ("x-ratelimit-reset", "ratelimit-reset", "ratelimit-resettime"):
        if found.get(name):
            reset = _parse_reset(found[name])
            if reset is None:
                continue
            if reset.tzinfo is None:
                reset = reset.replace(tzinfo=UTC)
            seconds = max(0.0, (reset - datetime.now(UTC)).total_seconds())
            return seconds, f"it resets at {reset:%H:%M:%S} UTC (in {int(seconds // 60)} min)"
    return None, "try again later"


def is_rate_limited(status: int | None, headers: Mapping[str, str] | None, message: str) -> bool:
    """A 429, or a 403 that says it is one (GitHub's primary and secondary limits)."""
    if status == 429:
        return True
    if status != 403:
        return False
    found = _lower(headers)
    return (
        found.get("x-ratelimit-remaining") == "0"
        or "retry-after" in found
        or "rate limit" in message.lower()
    )


@dataclass(frozen=True)
class Failure:
    """What a client learnt about a failed request, SDK-free: the status (None when no
    answer came), the tracker's own message, the headers, and the exception's name."""

    status: int | None
    message: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    cause: str = ""


@dataclass(frozen=True)
class Service:
    """One tracker instance as messages name it."""

    name: str  # GitHub, GitLab, Jira
    host: str
    variable: str  # what to check when the credentials are refused
    credentials: str = "token"  # "token", or "account" where a person signs in

    def error(self, what: str, failure: Failure, feature: str | None = None) -> TrackerError:
        """The table: a failure while trying to `what` as one of storyplan's errors.

        `feature` names what a 404 means is missing on this instance, for calls whose 404
        says the feature is absent rather than the object.
        """
        status, message = failure.status, failure.message.strip().splitlines()
        text = message[0][:200] if message else ""
        detail = f" ({status}: {text})" if text else f" ({status})"
        if status is None:
            return TrackerError(
                f"could not reach {self.name} at {self.host} to {what} "
                f"({failure.cause or 'no answer'})",
                unknown_outcome=True,
            )
        if is_rate_limited(status, failure.headers, text):
            seconds, when = retry_after(failure.headers)
            return RateLimitError(
                f"{self.name} rate limit reached while trying to {what}; {when}", seconds
            )
        if status == 401:
            return AuthError(
                f"{self.name} at {self.host} rejected the {self.credentials} (401 while trying "
                f"to {what}); check {self.variable}"
            )
        if status == 403:
            return ForbiddenError(f"the {self.credentials} may not {what} on {self.host}{detail}")
        if status == 404 and feature:
            return CapabilityError(
                f"{feature} are not available on the {self.name} at {self.host} (404 while "
                f"trying to {what})"
            )
        if status in (404, 410):
            gone = "not found" if status == 404 else "deleted or turned off"
            return NotFoundError(
                f"could not {what}: {gone} on {self.host}, or the {self.credentials} cannot see it"
            )
        if status >= 500:
            return TrackerError(f"{self.name} failed to {what}{detail}", unknown_outcome=True)
        return TrackerError(f"{self.name} refused to {what}{detail}")
