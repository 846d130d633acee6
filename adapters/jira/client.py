"""Jira's REST API v2 as the Jira adapter uses it: the `jira` client's own session
(`ResilientSession`, which signs every request and turns a refusal into a `JIRAError` with
Jira's messages) signed in to one site, JSON in and out, and every failure turned into
storyplan's error in one place (`JiraApi._send`, through the shared error table).

Requests go through that session rather than the `JIRA` object's helpers, which cost
requests storyplan does not want to pay: `create_issue` re-reads the issue it made and
cannot send entity properties, and `search_issues` reads the field list first and fetches
its first page twice. Signing in: basic email + API token (Cloud) or a bearer personal
access token (Data Center). The session's own retry loop is off (`max_retries=0`): it
would repeat writes.

Retry rule (`adapters.shared.transport.read_retry`): a read is tried again after a dropped
connection or a 5xx, with one line on stderr per wait; a write is sent exactly once, since
one whose answer was lost may have been carried out. Its error then says the outcome is
unknown, and the tracker looks for what a create made before it makes anything again.
A 429 is different: Jira refused the request without carrying it out, so any request (a
bulk create too) is sent again after the wait its Retry-After asks for, when that wait is
short (`RATE_WAIT`), a few times at most (`RATE_TRIES`); a longer one is the run's error.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests
from jira.exceptions import JIRAError
from jira.resilientsession import ResilientSession
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from storyplan.adapters.shared import transport
from storyplan.adapters.shared.transport import Failure, Service, read_retry
from storyplan.errors import NotFoundError, RateLimitError

from .settings import Credentials, is_cloud

Json = dict[str, Any]
SEARCH_PAGE = {"cloud": 100, "datacenter": 1000}  # the most each deployment answers a page
RATE_WAIT = 30.0  # seconds: the longest Retry-After a run waits out rather than stopping
RATE_TRIES = 3  # 429s waited out for one request before its error stands
HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-Atlassian-Token": "no-check",  # Data Center's XSRF check wants it on writes
}


class BearerAuth(AuthBase):
    """A personal access token in the Authorization header. As the session's auth (not a
    default header) it is never replaced by credentials a ~/.netrc holds for the host."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def _message(response: requests.Response) -> str:
    """Jira's own words for a refusal: its field errors, else its error messages."""
    try:
        data = response.json()
    except ValueError:
        return response.text
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    found = [
        *(errors.values() if isinstance(errors, dict) else ()),
        *(data.get("errorMessages") or ()),
        data.get("errorMessage"),
        data.get("message"),
    ]
    return next((str(text) for text in found if text), "")


class JiraApi:
    """REST v2 calls against one Jira site. Each call names what it does, for messages."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        timeout: float,
        retries: int,
        deployment: str = "auto",
    ) -> None:
        self.url = url.rstrip("/")
        self.host = self.url.split("//", 1)[-1]
        self.timeout = timeout
        self.service = Service("Jira", self.host, credentials.hint, "credentials")
        self.session = ResilientSession(timeout=timeout, max_retries=0)
        self.session.headers.update(HEADERS)
        secret = credentials.token.get_secret_value()
        if credentials.kind == "basic":
            self.session.auth = (credentials.email, secret)
        else:
            self.session.auth = BearerAuth(secret)
        adapter = HTTPAdapter(max_retries=read_retry(retries, "Jira"))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if deployment == "auto":
            deployment = "cloud" if is_cloud(self.url) else ""
        self._deployment: str | None = deployment or None
        self._me: set[str] | None = None  # the signed-in account's names, once known

    @property
    def deployment(self) -> str:
        """Cloud or Data Center ("cloud", "datacenter"), which search differently.

        Every authenticated answer says which (Cloud names the account in X-AACCOUNTID, Data
        Center the user in X-AUSERNAME); serverInfo is asked only if nothing was read yet.
        """
        if self._deployment is None:
            info = self.get("serverInfo", what="read the server information")
            if self._deployment is None:
                cloud = info.get("deploymentType") == "Cloud"
                self._deployment = "cloud" if cloud else "datacenter"
        return self._deployment

    def whoami(self) -> set[str]:
        """The names of the account this run signs in as: from the answers' headers when they
        said it, else from `GET myself` (read once)."""
        if self._me is None:
            user = self.get("myself", what="read the signed-in account")
            self._me = {str(user[f]) for f in ("accountId", "name", "key") if user.get(f)}
        return self._me

    def _learn(self, response: requests.Response) -> None:
        account = response.headers.get("X-AACCOUNTID")
        username = response.headers.get("X-AUSERNAME")
        if self._me is None and (account or username) and username != "anonymous":
            self._me = {str(account or username)}
        if self._deployment is None:
            if account is not None:
                self._deployment = "cloud"
            elif username is not None:
                self._deployment = "datacenter"

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        params: Any = None,
        body: Any = None,
        answers: frozenset[int] = frozenset(),
    ) -> Json:
        """One request, sent again after a short 429 (Jira did not carry it out); its
        answer's JSON object, or the one storyplan error that says what went wrong."""
        for attempt in range(RATE_TRIES + 1):
            try:
                return self._send_once(method, path, what, params, body, answers)
            except RateLimitError as err:
                wait = err.retry_after
                if attempt == RATE_TRIES or wait is None or wait > RATE_WAIT:
                    raise
                transport.on_wait(f"Jira asked to slow down; waiting {wait:g} s to {what}")
                time.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _send_once(
        self, method: str, path: str, what: str, params: Any, body: Any, answers: frozenset[int]
    ) -> Json:
        """One request; its answer's JSON object (every resource used answers one, or
        nothing; a status in `answers` is an answer too), or storyplan's error for it."""
        try:
            response = self.session.request(
                method,
                f"{self.url}/rest/api/2/{path}",
                params=params,
                data=None if body is None else json.dumps(body),
            )
        except JIRAError as err:
            # Never str(err): the client's text carries the request headers, credentials too.
            answer = err.response
            if answer is None:
                raise self.service.error(what, Failure(None, cause="JIRAError")) from None
            self._learn(answer)
            failure = Failure(answer.status_code, _message(answer), answer.headers, "JIRAError")
            raise self.service.error(what, failure) from None
        except requests.RequestException as err:
            raise self.service.error(what, Failure(None, cause=type(err).__name__)) from None
        self._learn(response)
        status = response.status_code
        if status >= 400 and status not in answers:
            failure = Failure(status, _message(response), response.headers, "HTTPError")
            raise self.service.error(what, failure)
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            failure = Failure(status, "the answer was not a JSON object", response.headers)
            raise self.service.error(what, failure)
        return data

    # -- requests -------------------------------------------------------------------------
    def get(self, path: str, *, what: str, params: dict[str, str] | None = None) -> Json:
        return self._send("GET", path, what, params=params)

    def post(self, path: str, body: Json, *, what: str) -> Json:
        return self._send("POST", path, what, body=body)

    def post_answered(self, path: str, body: Json, *, what: str, answers: set[int]) -> Json:
        """A POST whose refusals with a status in `answers` carry a body to read (a bulk
        create that failed for every issue answers 400 with each issue's errors)."""
        return self._send("POST", path, what, body=body, answers=frozenset(answers))

    def put(self, path: str, body: Json, *, what: str) -> Json:
        return self._send("PUT", path, what, body=body)

    def delete(self, path: str, *, what: str) -> None:
        self._send("DELETE", path, what)

    def search(
        self, jql: str, fields: list[str], properties: list[str], *, what: str
    ) -> list[Json]:
        """Every issue `jql` finds, a page of as many as the deployment allows at a time."""
        if self._deployment is None:
            # Not known yet: Data Center's search answers; Cloud's answers 410 Gone, which
            # says the site is Cloud (no request spent on serverInfo either way).
            try:
                return self._search("datacenter", jql, fields, properties, what)
            except NotFoundError:
                if self._deployment == "datacenter":
                    raise
                self._deployment = "cloud"
        return self._search(self.deployment, jql, fields, properties, what)

    def _search(
        self, deployment: str, jql: str, fields: list[str], properties: list[str], what: str
    ) -> list[Json]:
        size = SEARCH_PAGE[deployment]
        params = {"jql": jql, "fields": ",".join(fields), "maxResults": str(size)}
        if properties:
            params["properties"] = ",".join(properties)
        issues: list[Json] = []
        if deployment == "cloud":
            # Cloud retired /search (CHANGE-2046): /search/jql pages by token.
            while True:
                page = self.get("search/jql", what=what, params=params)
                issues.extend(page.get("issues") or [])
                token = page.get("nextPageToken")
                if page.get("isLast", True) or not token:
                    return issues
                params["nextPageToken"] = str(token)
        while True:
            params["startAt"] = str(len(issues))
            page = self.get("search", what=what, params=params)
            found = page.get("issues") or []
            issues.extend(found)
            if not found or len(issues) >= int(page.get("total") or 0):
                return issues
