"""GitHub's REST API as storyplan uses it, through PyGithub: the only module that imports it.

Every request answers in GitHub's JSON (`records` maps it), names what it does for messages,
and has its failures turned into storyplan's errors in one place (`_boundary`) by the
shared table. Reads retry, writes are sent once (`read_retry`). Listings are read page by
page through PyGithub's requester because its objects keep a listed item's JSON to
themselves (`raw_data` would fetch each item again); so are the edits whose answer the
tracker needs. GraphQL goes through the same requester (`graphql`). The pace is storyplan's
(`pacing`): PyGithub's own write throttle is off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.Issue import Issue
from github.Repository import Repository
from pydantic import SecretStr

from storyplan.adapters.shared.pacing import Pacer
from storyplan.adapters.shared.settings import Token, redacted_url
from storyplan.adapters.shared.transport import Failure, Service, read_retry
from storyplan.errors import AuthError, ForbiddenError, NotFoundError, RateLimitError, TrackerError
from storyplan.refs import parse_ref

from .records import Json, key_of
from .settings import DEFAULT_BASE_URL, GithubSettings

RATE_LIMIT_WAITS = 3  # waits for one request before its rate limit is the error
SUB_ISSUES = "sub-issues"  # what a 404 means is missing, on an Enterprise Server without it
DEPENDENCIES = "issue dependencies"


def failure_of(exc: GithubException | requests.RequestException) -> Failure:
    """The one mapping from PyGithub's and requests' exceptions to what the table reads."""
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        headers = {str(k): str(v) for k, v in (exc.headers or {}).items()}
        return Failure(exc.status, str(message or ""), headers, type(exc).__name__)
    return Failure(None, cause=type(exc).__name__)


def next_page(headers: Mapping[str, Any]) -> str | None:
    """The `rel="next"` URL of GitHub's `Link` header, or None on the last page."""
    for link in requests.utils.parse_header_links(str(headers.get("link") or "")):
        if link.get("rel") == "next":
            return link.get("url")
    return None


def split_key(key: str) -> tuple[str, int]:
    """`owner/repo#12` as (`owner/repo`, 12)."""
    ref = parse_ref(key, "github")
    return ref.project, int(ref.number)


class GithubClient:
    """One GitHub instance, one token."""

    def __init__(self, settings: GithubSettings, token: Token) -> None:
        base_url = settings.base_url or DEFAULT_BASE_URL
        self.host = urlsplit(redacted_url(base_url)).netloc
        self.service = Service("GitHub", self.host, token.variable)
        self.page_size = settings.page_size
        self.retries = settings.retries
        self.pacer = Pacer(
            "GitHub",
            spacing=settings.seconds_between_writes,
            creations_per_minute=settings.creations_per_minute,
            longest_wait=settings.longest_wait,
        )
        self.gh = Github(
            auth=Auth.Token(token.secret.get_secret_value()),
            base_url=base_url,
            timeout=int(settings.timeout),
            per_page=settings.page_size,
            retry=read_retry(settings.retries, "GitHub"),
            seconds_between_requests=None,
            seconds_between_writes=None,  # storyplan paces its own writes (`pacer`)
            lazy=True,  # an object is fetched only when a method needs it
        )
        self._repos: dict[str, Repository] = {}

    # -- the boundary ----------------------------------------------------------------------
    @contextmanager
    def _boundary(self, what: str, feature: str | None = None) -> Iterator[None]:
        try:
            yield
        except (GithubException, requests.RequestException) as exc:
            raise self.service.error(what, failure_of(exc), feature) from None

    @contextmanager
    def _write(self, what: str, feature: str | None = None, creations: int = 0) -> Iterator[None]:
        """A write request: paced, and its failure translated."""
        self.pacer.before_write(creations)
        try:
            with self._boundary(what, feature):
                yield
        finally:
            self.pacer.after_write()

    def graphql(
        self, query: str, variables: Json, what: str, *, write: bool = False, creations: int = 0
    ) -> tuple[Json, list[Json]]:
        """One GraphQL request: its `data` and its `errors` (per alias; GitHub answers 200).

        A query is read again after a 5xx or a dropped connection; a mutation request is
        sent once. A request a rate limit refused was not carried out: after a short wait
        (`pacer`) it is sent again, whatever it carries.
        """
        attempt = limited = 0
        body = {"query": query, "variables": variables}
        while True:
            try:
                guard = self._write(what, creations=creations) if write else self._boundary(what)
                with guard:
                    _, data = self.gh.requester.requestJsonAndCheck(
                        "POST", self.gh.requester.graphql_url, input=body
                    )
            except RateLimitError as err:
                limited += 1  # a limit that stays after its wait is the error
                if limited <= RATE_LIMIT_WAITS and self.pacer.rate_limited(err.retry_after, what):
                    continue
                raise
            except TrackerError as err:
                attempt += 1
                if write or not err.unknown_outcome or attempt > self.retries:
                    raise
                self.pacer.pick_up(attempt, what)
                continue
            answer = dict(data or {})
            return dict(answer.get("data") or {}), list(answer.get("errors") or [])

    def _get(self, path: str, what: str, feature: str | None = None) -> Json:
        with self._boundary(what, feature):
            _, data = self.gh.requester.requestJsonAndCheck("GET", path)
        return dict(data)

    def _send(self, verb: str, path: str, what: str, body: Json) -> Json:
        with self._write(what):
            _, data = self.gh.requester.requestJsonAndCheck(verb, path, input=body)
        return dict(data)

    def _page(
        self, url: str, what: str, params: Json | None, feature: str | None = None
    ) -> tuple[list[Json], str | None]:
        """One page of a listing (or of a search's `items`) and the next page's URL."""
        with self._boundary(what, feature):
            headers, data = self.gh.requester.requestJsonAndCheck("GET", url, parameters=params)
        return list(data["items"] if isinstance(data, dict) else data), next_page(headers)

    def _pages(
        self, path: str, what: str, params: Json | None = None, feature: str | None = None
    ) -> Iterator[Json]:
        """Every item of a listing, lazily: a caller that stops early reads no further page."""
        url: str | None = path
        query: Json | None = {"per_page": self.page_size, **(params or {})}
        while url:
            items, url = self._page(url, what, query, feature)
            query = None  # the next link carries the query
            yield from items

    def _repo(self, project: str) -> Repository:
        if project not in self._repos:
            self._repos[project] = self.gh.get_repo(project)  # lazy: no request
        return self._repos[project]

    def _issue(self, key: str) -> Issue:
        project, number = split_key(key)
        return self._repo(project).get_issue(number)  # lazy: no request

    @staticmethod
    def _path(key: str, tail: str = "") -> str:
        project, number = split_key(key)
        return f"/repos/{project}/issues/{number}{tail}"

    # -- reads -----------------------------------------------------------------------------
    def issue(self, key: str, role: str = "issue") -> Json:
        return self._get(self._path(key), f"read {role} {key}")

    def comments(self, key: str) -> Iterator[Json]:
        return self._pages(self._path(key, "/comments"), f"read the comments of {key}")

    def sub_issues(self, key: str) -> Iterator[Json]:
        what = f"list the sub-issues of {key}"
        return self._pages(self._path(key, "/sub_issues"), what, feature=SUB_ISSUES)

    def blocked_by(self, key: str) -> Iterator[Json]:
        path = self._path(key, "/dependencies/blocked_by")
        return self._pages(path, f"list the dependencies of {key}", feature=DEPENDENCIES)

    def search(self, project: str, label: str) -> Iterator[Json]:
        query = f'repo:{project} is:issue label:"{label}"'
        what = f"search {project} for stories labelled {label}"
        return self._pages("/search/issues", what, {"q": query})

    def issues_since(self, project: str, label: str | None, since: str | None) -> Iterator[Json]:
        """`project`'s issues (with `label` if given), newest first, lazily page by page;
        with `since`, only those touched since then (an issue made since then is)."""
        params: Json = {"state": "all", "sort": "created", "direction": "desc"}
        if label:
            params["labels"] = label
        if since:
            params["since"] = since
        what = f"look for the issues storyplan made lately in {project}"
        return self._pages(f"/repos/{project}/issues", what, params)

    def whoami(self) -> str:
        """The login the token acts as; "" where GitHub will not say (an App's token)."""
        try:
            return str(self._get("/user", "read the token's own account").get("login") or "")
        except (ForbiddenError, NotFoundError):
            return ""

    def parent(self, key: str) -> Json | None:
        """The issue `key` is a sub-issue of; None without one (or without sub-issues)."""
        try:
            return self._get(self._path(key, "/parent"), f"read the parent of {key}")
        except NotFoundError:
            return None

    def permission(self, project: str, login: str) -> str:
        """admin, write, read or none; someone GitHub does not know there has none."""
        what = f"read the permission of {login} on {project}"
        try:
            with self._boundary(what):
                return self._repo(project).get_collaborator_permission(login)
        except NotFoundError:
            return "none"

    # -- writes ----------------------------------------------------------------------------
    def create_issue(
        self, project: str, title: str, body: str, labels: tuple[str, ...], task_id: str
    ) -> Json:
        with self._write(f"create the sub-issue for task {task_id} in {project}", creations=1):
            made = self._repo(project).create_issue(title=title, body=body, labels=list(labels))
        return made.raw_data  # the create's own answer: no further request

    def edit_issue(self, key: str, **fields: str) -> Json:
        """PATCH the issue; its answer, as the child now is."""
        return self._send("PATCH", self._path(key), f"update {key}", fields)

    def close_issue(self, key: str, reason: str) -> None:
        with self._write(f"close {key}"):
            self._issue(key).edit(state="closed", state_reason=reason)

    def detach_sub_issue(self, story_key: str, issue_id: int, name: str) -> None:
        """Take issue `issue_id` out of the story's sub-issues; one already out is no error."""
        try:
            with self._write(f"detach {name} from {story_key}"):
                self._issue(story_key).remove_sub_issue(issue_id)
        except NotFoundError:
            pass

    def delete_comment(self, key: str, comment_id: int, what: str) -> None:
        """Delete a comment; one already gone (a run that raced deleted it) is no error."""
        project, _ = split_key(key)
        try:
            with self._write(what):
                self.gh.requester.requestJsonAndCheck(
                    "DELETE", f"/repos/{project}/issues/comments/{comment_id}"
                )
        except NotFoundError:
            pass

    def add_label(self, key: str, label: str, what: str) -> None:
        with self._write(what):
            self._issue(key).add_to_labels(label)

    def remove_label(self, key: str, label: str, what: str) -> None:
        with self._write(what):
            self._issue(key).remove_from_labels(label)

    def comment(self, key: str, body: str, what: str) -> Json:
        with self._write(what, creations=1):
            return self._issue(key).create_comment(body).raw_data

    def edit_comment(self, key: str, comment_id: int, body: str, what: str) -> Json:
        project, _ = split_key(key)
        return self._send(
            "PATCH", f"/repos/{project}/issues/comments/{comment_id}", what, {"body": body}
        )

    def attach_sub_issue(self, story_key: str, issue_id: int, name: str) -> None:
        """Nest issue `issue_id` under the story. A repeated attach (the first one's answer
        was lost) is refused with a 422 and is no error."""
        with self._write(f"attach {name} as a sub-issue of {story_key}", SUB_ISSUES):
            try:
                self._issue(story_key).add_sub_issue(issue_id)
            except GithubException as exc:
                if exc.status != 422 or not self._has_sub_issue(story_key, issue_id):
                    raise

    def _has_sub_issue(self, story_key: str, issue_id: int) -> bool:
        return any(sub.get("id") == issue_id for sub in self.sub_issues(story_key))

    def add_blocked_by(self, blocked: str, blocker: Json) -> None:
        what = f"link {blocked} as blocked by {key_of(blocker)}"
        with self._write(what, DEPENDENCIES):
            self._issue(blocked).add_blocked_by(self.gh.create_from_raw_data(Issue, blocker))

    def remove_blocked_by(self, blocked: str, blocker: Json) -> None:
        what = f"unlink {blocked} as blocked by {key_of(blocker)}"
        with self._write(what, DEPENDENCIES):
            self._issue(blocked).remove_blocked_by(self.gh.create_from_raw_data(Issue, blocker))


# -- GitHub App authentication (the webhook service's) --------------------------------------
# The app's id and private key make a JWT; the JWT asks for the installation that covers a
# repository and for that installation's token (an hour's worth), taken again five minutes
# before it expires. PyGithub's `GithubIntegration` does the requests; this remembers them.
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
