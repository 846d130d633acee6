"""Jira's REST API v2 as the Jira adapter uses it: one authenticated `jira` client, JSON in
and out, every SDK exception translated to storyplan's in one sentence.

The `jira` client supplies authentication (Cloud: email + API token; Data Center: a bearer
PAT) and its resilient session. Requests go through that
session directly because the client's helpers cost requests storyplan does not want to
pay: `create_issue` re-reads the issue it made and cannot send entity properties, and
`search_issues` reads the field list first and fetches its first page twice.

Retry decision: the session repeats a request after a dropped connection, a 429 or a 503.
That is safe for a read and unsafe for a write (a create whose answer was lost would be
made twice; an edit that adds a comment would add it twice), so reads keep the configured
retries and every write is sent exactly once. A write whose answer is lost is recovered by
reading back: creates look for what they made (by its entity property) before anything is
made again, and edits are derived afresh by the next run's reconcile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
from jira import JIRA, JIRAError

from storyplan.errors import (
    AuthError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    TrackerError,
)

from .settings import CLOUD_HOSTS, Credentials

Json = dict[str, Any]
SEARCH_PAGE = {"cloud": 100, "datacenter": 1000}  # the most each deployment answers a page


def _message(err: JIRAError) -> str:
    # JIRAError's own str() dumps the request headers, credentials included: never use it.
    text = (err.text or "").strip()
    return text.splitlines()[0][:200] if text else ""


def _retry_after(err: JIRAError) -> tuple[float | None, str]:
    headers = err.response.headers if err.response is not None else {}
    if value := headers.get("Retry-After"):
        try:
            seconds = max(0.0, float(value))
        except ValueError:
            seconds = None
        if seconds is not None:
            return seconds, f"retry in {int(seconds)} seconds"
    if value := headers.get("X-RateLimit-Reset"):  # Cloud: an ISO 8601 instant
        try:
            reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None, "try again later"
        seconds = max(0.0, (reset - datetime.now(UTC)).total_seconds())
        return seconds, f"it resets at {reset:%H:%M:%S} UTC (in {int(seconds)} seconds)"
    return None, "try again later"


@contextmanager
def translate(what: str, host: str, hint: str = "the Jira credentials") -> Iterator[None]:
    """The `jira` client's and requests' exceptions to storyplan's, one sentence each."""
    try:
        yield
    except JIRAError as err:
        status = err.status_code
        message = _message(err)
        detail = f" ({status}: {message})" if message else f" ({status})"
        if status == 401:
            raise AuthError(
                f"Jira at {host} rejected the credentials (401 while trying to {what}); "
                f"check {hint}"
            ) from None
        if status == 403:
            raise ForbiddenError(f"the Jira account may not {what} on {host}{detail}") from None
        if status == 404:
            raise NotFoundError(
                f"could not {what}: not found on {host}, or the account cannot see it"
            ) from None
        if status == 429:
            seconds, when = _retry_after(err)
            raise RateLimitError(
                f"Jira rate limit reached while trying to {what}; {when}", seconds
            ) from None
        if status is None:
            raise TrackerError(
                f"Jira at {host} gave no usable answer while trying to {what}"
            ) from None
        raise TrackerError(f"Jira refused to {what}{detail}") from None
    except requests.RequestException as err:
        raise TrackerError(
            f"could not reach Jira at {host} to {what} ({type(err).__name__})"
        ) from None


class JiraApi:
    """REST v2 calls against one Jira site. Reads are retried by the session; writes never."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        timeout: float,
        retries: int,
        max_retry_delay: int,
    ) -> None:
        self.url = url.rstrip("/")
        self.host = self.url.split("//", 1)[-1]
        self.hint = credentials.hint
        self.retries = retries
        auth: dict[str, Any]
        if credentials.kind == "basic":
            auth = {"basic_auth": (credentials.email, credentials.token.get_secret_value())}
        else:
            auth = {"token_auth": credentials.token.get_secret_value()}
        self.client = JIRA(
            server=self.url,
            timeout=timeout,
            max_retries=retries,
            get_server_info=False,  # costs a request; `deployment` learns it for free
            logging=False,  # the client logs whole responses on errors; we say one line
            **auth,
        )
        self.session = self.client._session
        self.session.max_retry_delay = max_retry_delay
        host = self.host.split("/", 1)[0].split(":", 1)[0].lower()
        self._deployment: str | None = "cloud" if host.endswith(CLOUD_HOSTS) else None

    @property
    def deployment(self) -> str:
        """Cloud or Data Center ("cloud", "datacenter"), which search differently.

        Every authenticated answer says which (Cloud names the account in X-AACCOUNTID, Data
        Center the user in X-AUSERNAME); serverInfo is asked only if nothing was read yet.
        """
        if self._deployment is None:
            with translate("read the server information", self.host, self.hint):
                info = self.get("serverInfo")
            if self._deployment is None:
                cloud = info.get("deploymentType") == "Cloud"
                self._deployment = "cloud" if cloud else "datacenter"
        return self._deployment

    def _learn(self, response: requests.Response) -> None:
        if self._deployment is None:
            if "X-AACCOUNTID" in response.headers:
                self._deployment = "cloud"
            elif "X-AUSERNAME" in response.headers:
                self._deployment = "datacenter"

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]

    def _url(self, path: str) -> str:
        url: str = self.client._get_url(path)
        return url

    @staticmethod
    def _json(response: requests.Response) -> Json:
        """The answer's JSON object; every resource storyplan uses answers one (or nothing)."""
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise JIRAError("the answer was not a JSON object", status_code=response.status_code)
        return data

    @contextmanager
    def _sent_once(self) -> Iterator[None]:
        self.session.max_retries = 0
        try:
            yield
        finally:
            self.session.max_retries = self.retries

    # -- requests -------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, str] | None = None) -> Json:
        response = self.session.get(self._url(path), params=params)
        self._learn(response)
        return self._json(response)

    def post(self, path: str, body: Json) -> Json:
        with self._sent_once():
            return self._json(self.session.post(self._url(path), data=json.dumps(body)))

    def put(self, path: str, body: Json) -> Json:
        with self._sent_once():
            return self._json(self.session.put(self._url(path), data=json.dumps(body)))

    def delete(self, path: str) -> None:
        with self._sent_once():
            self.session.delete(self._url(path))

    def search(self, jql: str, fields: list[str], properties: list[str]) -> list[Json]:
        """Every issue `jql` finds, a page of as many as the deployment allows at a time."""
        size = SEARCH_PAGE[self.deployment]
        params = {"jql": jql, "fields": ",".join(fields), "maxResults": str(size)}
        if properties:
            params["properties"] = ",".join(properties)
        issues: list[Json] = []
        if self.deployment == "cloud":
            # Cloud retired /search (CHANGE-2046): /search/jql pages by token.
            while True:
                page = self.get("search/jql", params)
                issues.extend(page.get("issues") or [])
                token = page.get("nextPageToken")
                if page.get("isLast", True) or not token:
                    return issues
                params["nextPageToken"] = str(token)
        while True:
            params["startAt"] = str(len(issues))
            page = self.get("search", params)
            found = page.get("issues") or []
            issues.extend(found)
            if not found or len(issues) >= int(page.get("total") or 0):
                return issues
