"""A stateful fake of GitHub's REST API (issues, comments, labels, sub-issues, dependencies)
and of its GraphQL API over the same state (`github_graphql`).

The real PyGithub talks to it over loopback HTTP, at the root like api.github.com or under
`/api/v3` like Enterprise Server (GraphQL then at `/api/graphql`). A GraphQL query is a
read, each mutation field carried out a write (`writes_of`). When `shared/specs` is present
every REST exchange is checked against GitHub's OpenAPI subset (`github_spec`) and
violations collect in `spec_violations`.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import math
import re
import shlex
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from socketserver import StreamRequestHandler
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlencode

import pytest

from tests.fakes import github_spec
from tests.fakes.base import WRITE_METHODS, FakeServer, Fault, Logged, Request, Response
from tests.fakes.github_graphql import (
    GraphqlEndpoint,
    is_write_request,
    operation_of,
    writes_of,
)
from tests.fakes.github_graphql_schema import github_schema

if TYPE_CHECKING:
    from github import Github

DOCS = "https://docs.github.com/rest"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)  # the fake clock's zero; one tick per write
# Role -> the legacy `permission` value GitHub reports next to `role_name`.
ROLES = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
TOKEN_LEVELS = ("read", "write", "admin")
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")


class HttpError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def error(status: int, message: str, **extra: Any) -> HttpError:
    body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}
    return HttpError(Response(status, body))


def not_found() -> HttpError:
    return error(404, "Not Found")


def invalid(field_name: str, code: str = "invalid", message: str | None = None) -> HttpError:
    """GitHub's 422 `Validation Failed` body with one error entry."""
    entry: dict[str, Any] = {"resource": "Issue", "field": field_name, "code": code}
    if message:
        entry["message"] = message
    return error(422, "Validation Failed", errors=[entry])


def node_id(kind: str, number: int) -> str:
    return f"{kind}_" + base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class User:
    login: str
    id: int
    type: str = "User"


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    created: int
    private: bool = False
    has_issues: bool = True
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-cased name
    numbers: dict[int, int] = field(default_factory=dict)  # issue number -> issue id
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Issue:
    id: int
    repo: str  # lower-cased full name, the key in FakeGithub.repos
    number: int
    title: str
    body: str | None
    user: str
    created: int
    updated: int
    state: str = "open"
    state_reason: str | None = None
    closed: int | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Comment:
    id: int
    issue_id: int
    body: str
    user: str
    created: int
    updated: int


@dataclass
class _Secondary:
    times: int
    retry_after: int | None
    status: int
    on: str | None = None  # only requests whose (GraphQL-named) path this regex finds


class FakeGithub(FakeServer):
    """GitHub's REST API for one fake instance: state, auth, rate limits, pagination.

    Switches: `sub_issues_enabled`, `dependencies_enabled` (False -> those endpoints 404, as
    on GitHub Enterprise Server versions without them), `graphql_dependencies` (False -> the
    GraphQL schema lacks issue dependencies, REST keeps them), `refuse_creates`, `max_sub_issues`,
    `max_sub_issue_depth`, `max_dependencies`; `exhaust_rate_limit()` and
    `secondary_rate_limit()` for throttling; `faults` (from FakeServer) for lost answers.
    """

    def __init__(
        self,
        prefix: str = "",
        *,
        tokens: dict[str, str] | None = None,
        login: str = "octocat",
        sub_issues_enabled: bool = True,
        dependencies_enabled: bool = True,
        graphql_dependencies: bool = True,
        spec_check: bool = True,
        rate_limit: int = 5000,
    ) -> None:
        super().__init__()
        self.prefix = prefix.rstrip("/")
        # token -> "read" | "write" | "admin"; token -> login (default: `login`)
        self.tokens: dict[str, str] = (
            dict(tokens) if tokens is not None else {"tok-write": "write", "tok-read": "read"}
        )
        self.token_logins: dict[str, str] = {}
        self.login = login
        self.sub_issues_enabled = sub_issues_enabled
        self.dependencies_enabled = dependencies_enabled
        self.graphql_dependencies = graphql_dependencies
        self.graphql = GraphqlEndpoint(self)
        self.connections: set[tuple[str, int]] = set()  # client addresses seen
        self._local = threading.local()  # the body of the request being dispatched
        self.max_sub_issues = 100  # closed sub-issues count too
        self.max_sub_issue_depth = 8
        self.max_dependencies = 50  # per issue and relationship type
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}  # key: lower-cased full name
        self.issues: dict[int, Issue] = {}  # key: global id
        self.comments: dict[int, Comment] = {}
        self.children: dict[int, list[int]] = {}  # parent id -> ordered sub-issue ids
        self.parent_of: dict[int, int] = {}
        self.blockers: dict[int, list[int]] = {}  # blocked id -> blocker ids, in add order
        self.roles: dict[tuple[str, str], str] = {}  # (repo key or "*", login) -> role
        self._user_ids = itertools.count(1)
        self._repo_ids = itertools.count(900_000_001)
        self._issue_ids = itertools.count(3_100_000_001)  # past 2**31, as on github.com
        self._comment_ids = itertools.count(2_600_000_001)
        self._label_ids = itertools.count(8_000_000_001)
        self._clock = 0
        self.rate_limit = rate_limit
        self.rate_used = 0
        self.rate_reset = int(time.time()) + 3600
        self._secondary: list[_Secondary] = []
        self._actor = login
        self._actor_level = "none"
        self.spec = github_spec.GithubSpec.load() if spec_check else None
        self.spec_violations: list[str] = []
        self.spec_unchecked: Counter[str] = Counter()
        self.spec_checked = 0
        self.spec_seconds = 0.0
        self.crashes: list[str] = []  # exceptions in handlers, answered with 500
        # GitHub Apps: app id -> public key (PEM); owner (lower case) -> installation id;
        # installation token -> its expiry (seconds since the epoch).
        self.apps: dict[int, str] = {}
        self.installations: dict[str, int] = {}
        self.token_expiry: dict[str, float] = {}
        self.installation_token_seconds = 3600
        # Messages the next creates are refused with, as GitHub's 422 `Validation Failed`.
        self.refuse_creates: list[str] = []
        if self.spec is not None:
            self.hooks.append(self._check_spec)
        self.user(login)
        self._register_routes()

    def start(self) -> FakeGithub:
        # Built once per process, before the first request: a run is not charged for it.
        github_schema()
        super().start()
        assert self._httpd is not None
        # The base handler writes headers and body separately; with Nagle on, the body
        # waits for the client's delayed ACK (~40 ms a request on Linux keep-alive).
        handler = cast("type[StreamRequestHandler]", self._httpd.RequestHandlerClass)
        self._httpd.RequestHandlerClass = type(
            "NoDelayHandler", (handler,), {"disable_nagle_algorithm": True}
        )
        return self

    def stop(self) -> None:
        """Stop at once: serve_forever only sees the shutdown flag every 0.5 s, or on a
        connection, so knock until it has gone."""
        if self._httpd is None:
            return
        address = ("127.0.0.1", self.port)
        stopper = threading.Thread(target=super().stop, daemon=True)
        stopper.start()
        while stopper.is_alive():
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=0.1):
                pass
            stopper.join(0.01)

    def __enter__(self) -> FakeGithub:
        return self.start()

    # -- addresses ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base_url to give PyGithub."""
        return self.origin + self.prefix

    @property
    def graphql_path(self) -> str:
        """Where GraphQL answers: `/graphql`, or `/api/graphql` beside Enterprise's `/api/v3`."""
        return self.prefix.removesuffix("/v3") + "/graphql"

    def api(self, path: str) -> str:
        return self.url + path

    def web(self, path: str) -> str:
        return self.origin + path

    @property
    def spec_enabled(self) -> bool:
        return self.spec is not None

    # -- state helpers ------------------------------------------------------------------
    def now(self) -> int:
        return self._clock

    def tick(self) -> int:
        self._clock += 1
        return self._clock

    @staticmethod
    def timestamp(clock: int | None) -> str | None:
        if clock is None:
            return None
        return (EPOCH + timedelta(seconds=clock)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def user(self, login: str, *, type: str = "User") -> User:
        if login.lower() not in self.users:
            self.users[login.lower()] = User(login, next(self._user_ids), type)
        return self.users[login.lower()]

    def add_repo(self, full_name: str, *, private: bool = False, has_issues: bool = True) -> Repo:
        owner, name = full_name.split("/")
        self.user(owner)
        repo = Repo(owner, name, next(self._repo_ids), self.now(), private, has_issues)
        self.repos[full_name.lower()] = repo
        return repo

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name.lower()]

    def add_issue(
        self,
        repo: str,
        title: str,
        body: str | None = "",
        *,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        user: str | None = None,
    ) -> Issue:
        """Seed an issue without going through HTTP (nothing is logged)."""
        with self.lock:
            issue = self._new_issue(self.repo(repo), title, body, labels, assignees, user)
            if state == "closed":
                self._set_state(issue, "closed", state_reason or "completed", issue.user)
            return issue

    def add_comment(self, repo: str, number: int, body: str, *, user: str | None = None) -> Comment:
        with self.lock:
            return self._new_comment(self.issue(repo, number), body, user or self.login)

    def add_label(
        self, repo: str, name: str, color: str = "ededed", description: str | None = None
    ) -> Label:
        with self.lock:
            return self._label(self.repo(repo), name, color, description)

    def link_sub_issue(self, parent: Issue, child: Issue) -> None:
        with self.lock:
            self._detach(child.id)
            self.children.setdefault(parent.id, []).append(child.id)
            self.parent_of[child.id] = parent.id

    def link_blocked_by(self, issue: Issue, blocker: Issue) -> None:
        with self.lock:
            self.blockers.setdefault(issue.id, []).append(blocker.id)

    def issue(self, repo: str, number: int) -> Issue:
        return self.issues[self.repo(repo).numbers[number]]

    def issues_in(self, repo: str) -> list[Issue]:
        """Live issues of `repo` by number."""
        numbers = self.repo(repo).numbers
        found = [self.issues[numbers[n]] for n in sorted(numbers)]
        return [issue for issue in found if not issue.deleted]

    def comments_on(self, repo: str, number: int) -> list[Comment]:
        issue_id = self.issue(repo, number).id
        return [c for c in self.comments.values() if c.issue_id == issue_id]

    def sub_issues(self, repo: str, number: int) -> list[Issue]:
        return [self.issues[i] for i in self.children.get(self.issue(repo, number).id, [])]

    def parent(self, repo: str, number: int) -> Issue | None:
        parent_id = self.parent_of.get(self.issue(repo, number).id)
        return None if parent_id is None else self.issues[parent_id]

    def blocked_by(self, repo: str, number: int) -> list[Issue]:
        return [self.issues[i] for i in self.blockers.get(self.issue(repo, number).id, [])]

    def blocking(self, repo: str, number: int) -> list[Issue]:
        return [self.issues[i] for i in self._blocking_ids(self.issue(repo, number).id)]

    def delete_issue(self, repo: str, number: int) -> None:
        """Delete an issue as an admin would: reads answer 410 Gone afterwards."""
        with self.lock:
            issue = self.issue(repo, number)
            issue.deleted = True
            self._detach(issue.id)
            for child in self.children.pop(issue.id, []):
                self.parent_of.pop(child, None)
            self.blockers.pop(issue.id, None)
            for blocker_ids in self.blockers.values():
                if issue.id in blocker_ids:
                    blocker_ids.remove(issue.id)

    def set_role(self, login: str, role: str, repo: str = "*") -> None:
        """What `GET /repos/{o}/{r}/collaborators/{login}/permission` answers."""
        assert role in ROLES, role
        self.user(login)
        self.roles[(repo.lower(), login.lower())] = role

    # -- GraphQL: reads and writes, faults by operation, a write budget ---------------------
    def reads(self) -> list[Logged]:
        """Requests that wrote nothing: REST reads and GraphQL queries."""
        return [entry for entry in self.log if not is_write_request(entry)]

    def writes(self) -> list[Logged]:
        """Requests that (tried to) write: REST writes and GraphQL mutation requests."""
        return [entry for entry in self.log if is_write_request(entry)]

    def write_count(self, since: int = 0) -> int:
        """Writes carried out from log entry `since` on: one per mutation field."""
        with self.lock:
            return sum(writes_of(entry) for entry in self.log[since:])

    def cut_writes_after(self, count: int | None) -> None:
        """Carry out `count` more writes (mutation fields or REST writes); a request that
        would go past them is carried out up to there and its answer lost, and every later
        write fails. None lifts the cut."""
        with self.lock:
            self.graphql.budget = count

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        # The body is read here so that faults can match a GraphQL operation by its fields.
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        self.connections.add(http.client_address)
        self._local.body = body
        connection, http.rfile = http.rfile, io.BytesIO(body)
        try:
            super()._dispatch(http)
        finally:
            http.rfile = connection  # the next request on this connection

    def _wait_at_gate(self, http: BaseHTTPRequestHandler) -> None:
        """Gates (`hold`) match GraphQL requests as faults do: by `/graphql#kind:fields`."""
        original = http.path
        path = original.split("?", 1)[0]
        if path == self.graphql_path:
            http.path = self._fault_path(path)
        try:
            super()._wait_at_gate(http)
        finally:
            http.path = original

    def _fault_path(self, path: str) -> str:
        try:
            query = str(json.loads(getattr(self._local, "body", b"") or b"{}")["query"])
        except (ValueError, KeyError, TypeError):
            query = ""
        kind, fields = operation_of(query)
        return f"{path}#{kind}:{','.join(fields)}"

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """Faults match `/graphql#query:repository` or `/graphql#mutation:createIssue,…` for
        GraphQL requests, and a fault for GETs (reads) matches queries too; the write budget
        cuts a request that goes past it."""
        writes = 1 if method in WRITE_METHODS else 0
        if path == self.graphql_path:
            path = self._fault_path(path)
            kind, _, fields = path.partition("#")[2].partition(":")
            writes = len(fields.split(",")) if kind == "mutation" else 0
        fault = super()._take_fault(method, path)
        if fault is None and "#query:" in path:
            fault = super()._take_fault("GET", path)  # a query reads: a read's fault fits it
        budget = self.graphql.budget
        if fault is not None or budget is None or not writes:
            return fault
        if budget < writes:
            # Carried out up to the budget (the resolvers count), then the answer is lost.
            return Fault(method, ".", status=None, after=budget > 0)
        if "#" not in path:
            self.graphql.budget = budget - writes  # REST; GraphQL's resolvers count their own
        return None

    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        """Requests in the log matching `method` and (searched) `path_regex`."""
        with self.lock:
            return sum(
                1
                for entry in self.log
                if (method is None or entry.method == method)
                and (path_regex is None or re.search(path_regex, entry.path))
            )

    # -- rate limits --------------------------------------------------------------------
    def exhaust_rate_limit(self, reset_in: float = 2.0) -> None:
        """Use up the primary limit until `reset_in` seconds from now (then it refills).

        PyGithub's default `GithubRetry` sleeps until the reset plus 1 s and retries; a
        client made with `retry=None` raises `RateLimitExceededException` at once.
        """
        with self.lock:
            self.rate_used = self.rate_limit
            self.rate_reset = math.ceil(time.time() + reset_in)

    def reset_rate_limit(self) -> None:
        with self.lock:
            self.rate_used = 0
            self.rate_reset = int(time.time()) + 3600
            self._secondary.clear()

    def secondary_rate_limit(
        self,
        times: int = 1,
        *,
        retry_after: int | None = 1,
        status: int = 403,
        on: str | None = None,
    ) -> None:
        """Answer the next `times` authenticated requests with a secondary rate limit (only
        those whose path `on` finds, GraphQL ones named `/graphql#mutation:createIssue,…`).

        With `retry_after` set, PyGithub's default retry sleeps that long and re-sends; with
        a 403 and no `retry-after` it would sleep 60 s, so leave `retry_after` set or use
        `retry=None`. PyGithub maps only a 403 to `RateLimitExceededException`; a 429
        reaches the caller as a plain `GithubException` with status 429.
        """
        with self.lock:
            self._secondary.append(_Secondary(times, retry_after, status, on))

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self.rate_limit - self.rate_used, 0)),
            "x-ratelimit-used": str(self.rate_used),
            "x-ratelimit-reset": str(self.rate_reset),
            "x-ratelimit-resource": "core",
        }

    def _throttle(self, path: str) -> None:
        if time.time() >= self.rate_reset:
            self.rate_used = 0
            self.rate_reset = int(time.time()) + 3600
        if path == "/rate_limit":  # free, as on GitHub
            return
        named = self._fault_path(self.graphql_path) if path == "/graphql" else path
        if self._secondary and re.search(self._secondary[0].on or "", named):
            secondary = self._secondary[0]
            secondary.times -= 1
            if secondary.times <= 0:
                self._secondary.pop(0)
            raise HttpError(
                Response(
                    secondary.status,
                    {
                        "message": "You have exceeded a secondary rate limit. Please wait a few"
                        " minutes before you try again.",
                        "documentation_url": "https://docs.github.com/rest/using-the-rest-api/"
                        "rate-limits-for-the-rest-api#about-secondary-rate-limits",
                        "status": str(secondary.status),
                    },
                    {}
                    if secondary.retry_after is None
                    else {"retry-after": str(secondary.retry_after)},
                )
            )
        if self.rate_used >= self.rate_limit:
            user_id = self.user(self._actor).id
            raise error(
                403,
                f"API rate limit exceeded for user ID {user_id}. If you reach out to GitHub"
                " Support for help, please include the request ID 0000:0000:FAKE.",
            )
        self.rate_used += 1

    # -- dispatch -----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        graphql = request.path == self.graphql_path
        path = "/graphql" if graphql else self._api_path(request.path)
        try:
            if path is None:
                raise not_found()
            self._authenticate(request)
            self._throttle(path)
            # GraphQL refuses a read-only token's mutations field by field.
            if request.method in WRITE_METHODS and self._actor_level == "read" and not graphql:
                raise error(403, "Resource not accessible by personal access token")
            original, request.path = request.path, path
            try:
                response = super().handle(request)
            finally:
                request.path = original
        except HttpError as exc:
            response = exc.response
        except Exception as exc:  # a bug in the fake: answer 500 rather than drop the line
            self.crashes.append(f"{request.method} {request.path}: {exc!r}")
            response = Response(500, {"message": f"fake GitHub crashed: {exc!r}"})
        response.headers.update(self._rate_headers())
        if graphql:
            response.headers["x-ratelimit-resource"] = "graphql"
        response.headers.setdefault("x-github-api-version-selected", "2022-11-28")
        return response

    def not_found(self, request: Request) -> Response:
        return not_found().response

    def _api_path(self, path: str) -> str | None:
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/"
        return None

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        path = self._api_path(request.path) or ""
        if path.startswith("/app/") or path.endswith("/installation"):
            self._authenticate_app(scheme, token.strip())
            return
        level = self.tokens.get(token.strip()) if scheme.lower() in ("token", "bearer") else None
        expiry = self.token_expiry.get(token.strip())
        if level is None or (expiry is not None and expiry <= time.time()):
            raise error(401, "Bad credentials")
        if level not in TOKEN_LEVELS:
            raise error(500, f"fake misconfigured: token level {level!r} not in {TOKEN_LEVELS}")
        self._actor = self.token_logins.get(token.strip(), self.login)
        self._actor_level = level
        self.user(self._actor)

    def _authenticate_app(self, scheme: str, token: str) -> None:
        """App endpoints take the app's JWT (RS256, `iss` the app id), as GitHub does."""
        import jwt

        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            app_id = int(claims["iss"])
            jwt.decode(token, self.apps[app_id], algorithms=["RS256"], leeway=60)
        except (jwt.PyJWTError, KeyError, ValueError):
            raise error(401, "A JSON web token could not be decoded") from None
        if scheme.lower() != "bearer":
            raise error(401, "A JSON web token could not be decoded")
        self._actor, self._actor_level = f"app-{app_id}[bot]", "write"

    def _check_spec(self, request: Request, response: Response) -> None:
        assert self.spec is not None
        path = self._api_path(request.path)
        if path is None:
            return
        started = time.perf_counter()
        try:
            result = self.spec.check(
                method=request.method,
                path=path,
                query=request.query,
                headers=request.headers,
                body=request.body,
                status=response.status,
                response_headers={
                    "Content-Type": "application/json; charset=utf-8",
                    **response.headers,
                },
                response_body=response.encoded(),
            )
        except Exception as exc:  # a checker bug must not become a dropped connection
            self.spec_violations.append(f"{request.method} {path}: spec check crashed: {exc!r}")
            return
        finally:
            self.spec_seconds += time.perf_counter() - started
        if not result.checked_request:
            self.spec_unchecked[result.operation] += 1
        elif not result.checked_response:
            self.spec_unchecked[f"{result.operation} -> {response.status}"] += 1
            self.spec_checked += 1
        else:
            self.spec_checked += 1
        self.spec_violations.extend(result.errors)

    def _register_routes(self) -> None:
        issue = "/repos/{owner}/{repo}/issues/{number}"
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("GET", "/rate_limit", self._get_rate_limit),
            ("POST", "/graphql", self.graphql.answer),
            ("GET", "/user", self._get_user),
            ("GET", "/search/issues", self._search_issues),
            ("GET", "/repos/{owner}/{repo}", self._get_repo),
            ("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", self._get_role),
            ("GET", "/repos/{owner}/{repo}/labels", self._list_repo_labels),
            ("POST", "/repos/{owner}/{repo}/labels", self._create_label),
            ("GET", "/repos/{owner}/{repo}/labels/(?P<name>.+)", self._get_label),
            ("GET", "/repos/{owner}/{repo}/issues", self._list_issues),
            ("POST", "/repos/{owner}/{repo}/issues", self._create_issue),
            ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", self._get_comment),
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", self._edit_comment),
            ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", self._delete_comment),
            ("GET", issue, self._get_issue),
            ("PATCH", issue, self._edit_issue),
            ("GET", issue + "/comments", self._list_comments),
            ("POST", issue + "/comments", self._create_comment),
            ("GET", issue + "/labels", self._list_issue_labels),
            ("POST", issue + "/labels", self._add_labels),
            ("PUT", issue + "/labels", self._set_labels),
            ("DELETE", issue + "/labels", self._clear_labels),
            ("DELETE", issue + "/labels/(?P<name>.+)", self._remove_label),
            ("GET", issue + "/sub_issues", self._list_sub_issues),
            ("POST", issue + "/sub_issues", self._add_sub_issue),
            ("DELETE", issue + "/sub_issue", self._remove_sub_issue),
            ("PATCH", issue + "/sub_issues/priority", self._reprioritize_sub_issue),
            ("GET", issue + "/parent", self._get_parent),
            ("GET", issue + "/dependencies/blocked_by", self._list_blocked_by),
            ("POST", issue + "/dependencies/blocked_by", self._add_blocked_by),
            ("DELETE", issue + "/dependencies/blocked_by/{issue_id}", self._remove_blocked_by),
            ("GET", issue + "/dependencies/blocking", self._list_blocking),
            ("GET", "/repos/{owner}/{repo}/installation", self._get_repo_installation),
            (
                "POST",
                "/app/installations/{installation_id}/access_tokens",
                self._create_installation_token,
            ),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, handler)

    # -- request helpers ----------------------------------------------------------------
    def _repo_of(self, request: Request, *, issues: bool = False) -> Repo:
        repo = self.repos.get(f"{request.params['owner']}/{request.params['repo']}".lower())
        if repo is None:
            raise not_found()
        if issues and not repo.has_issues:
            raise error(410, "Issues are disabled for this repo")
        return repo

    def _issue_of(self, request: Request) -> Issue:
        repo = self._repo_of(request, issues=True)
        number = request.params["number"]
        issue_id = repo.numbers.get(int(number)) if number.isdigit() else None
        if issue_id is None:
            raise not_found()
        issue = self.issues[issue_id]
        if issue.deleted:
            raise error(410, "This issue was deleted")
        return issue

    def _comment_of(self, request: Request) -> Comment:
        repo = self._repo_of(request, issues=True)
        raw = request.params["comment_id"]
        comment = self.comments.get(int(raw)) if raw.isdigit() else None
        if comment is None or self.issues[comment.issue_id].repo != repo.full_name.lower():
            raise not_found()
        return comment

    @staticmethod
    def _json(request: Request) -> Any:
        try:
            return request.json()
        except ValueError:
            raise error(400, "Problems parsing JSON") from None

    def _json_object(self, request: Request) -> dict[str, Any]:
        data = self._json(request)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise error(400, "Problems parsing JSON")
        return data

    def _require_feature(self, enabled: bool) -> None:
        if not enabled:
            raise not_found()

    def _page(
        self,
        request: Request,
        items: list[Any],
        wrap: Callable[[list[Any], int], Any] | None = None,
    ) -> Response:
        """One page of `items` with GitHub's `Link` header (per_page 30 by default, max 100)."""
        per_page = _int_arg(request, "per_page", 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(_int_arg(request, "page", 1), 1)
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links: list[tuple[int, str]] = []
        if page > 1:
            links.append((min(page - 1, last), "prev"))
        if page < last:
            links += [(page + 1, "next"), (last, "last")]
        if page > 1:
            links.append((1, "first"))
        headers = {}
        if links:
            full_path = self.prefix + request.path
            headers["Link"] = ", ".join(
                f'<{self.origin}{full_path}?{_query_with(request, page=n)}>; rel="{rel}"'
                for n, rel in links
            )
        body = wrap(chunk, len(items)) if wrap else chunk
        return Response(200, body, headers)

    # -- JSON shapes --------------------------------------------------------------------
    def _user_json(self, login: str) -> dict[str, Any]:
        user = self.user(login)
        api = self.api(f"/users/{user.login}")
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("U", user.id),
            "avatar_url": self.web(f"/avatars/{user.login}"),
            "gravatar_id": "",
            "url": api,
            "html_url": self.web(f"/{user.login}"),
            "followers_url": api + "/followers",
            "following_url": api + "/following{/other_user}",
            "gists_url": api + "/gists{/gist_id}",
            "starred_url": api + "/starred{/owner}{/repo}",
            "subscriptions_url": api + "/subscriptions",
            "organizations_url": api + "/orgs",
            "repos_url": api + "/repos",
            "events_url": api + "/events{/privacy}",
            "received_events_url": api + "/received_events",
            "type": user.type,
            "site_admin": False,
            "user_view_type": "public",
        }

    def _label_json(self, repo: Repo, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": self.api(f"/repos/{repo.full_name}/labels/{quote(label.name, safe='')}"),
            "name": label.name,
            "description": label.description,
            "color": label.color,
            "default": False,
        }

    def _reactions(self, url: str) -> dict[str, Any]:
        counts = dict.fromkeys(
            ("total_count", "+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"),
            0,
        )
        return {"url": url + "/reactions", **counts}

    def _association(self, repo: Repo, login: str) -> str:
        """GitHub's `author_association`: OWNER, COLLABORATOR for an account given a role
        with access (and for the fake's own `login`), NONE for anyone else."""
        key = login.lower()
        if key == repo.owner.lower():
            return "OWNER"
        role = self.roles.get((repo.full_name.lower(), key)) or self.roles.get(("*", key))
        if role is None:
            return "COLLABORATOR" if key == self.login.lower() else "NONE"
        return "NONE" if role == "none" else "COLLABORATOR"

    def _issue_url(self, issue: Issue) -> str:
        return self.api(f"/repos/{self.repos[issue.repo].full_name}/issues/{issue.number}")

    def _issue_json(self, issue: Issue) -> dict[str, Any]:
        repo = self.repos[issue.repo]
        url = self._issue_url(issue)
        data: dict[str, Any] = {
            "id": issue.id,
            "node_id": node_id("I", issue.id),
            "url": url,
            "repository_url": self.api(f"/repos/{repo.full_name}"),
            "labels_url": url + "/labels{/name}",
            "comments_url": url + "/comments",
            "events_url": url + "/events",
            "html_url": self.web(f"/{repo.full_name}/issues/{issue.number}"),
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self._user_json(issue.user),
            "labels": [self._label_json(repo, repo.labels[name.lower()]) for name in issue.labels],
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._user_json(login) for login in issue.assignees],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": sum(1 for c in self.comments.values() if c.issue_id == issue.id),
            "closed_at": self.timestamp(issue.closed),
            "created_at": self.timestamp(issue.created),
            "updated_at": self.timestamp(issue.updated),
            "closed_by": self._user_json(issue.closed_by) if issue.closed_by else None,
            "author_association": self._association(repo, issue.user),
            "type": None,
            "timeline_url": url + "/timeline",
            "performed_via_github_app": None,
            "reactions": self._reactions(url),
        }
        if self.sub_issues_enabled:
            children = [self.issues[i] for i in self.children.get(issue.id, [])]
            done = sum(1 for child in children if child.state == "closed")
            data["sub_issues_summary"] = {
                "total": len(children),
                "completed": done,
                "percent_completed": done * 100 // len(children) if children else 0,
            }
            parent_id = self.parent_of.get(issue.id)
            data["parent_issue_url"] = (
                None if parent_id is None else self._issue_url(self.issues[parent_id])
            )
        if self.dependencies_enabled:
            blockers = [self.issues[i] for i in self.blockers.get(issue.id, [])]
            blocked = [self.issues[i] for i in self._blocking_ids(issue.id)]
            data["issue_dependencies_summary"] = {
                "blocked_by": sum(1 for b in blockers if b.state == "open"),
                "blocking": sum(1 for b in blocked if b.state == "open"),
                "total_blocked_by": len(blockers),
                "total_blocking": len(blocked),
            }
        return data

    def _comment_json(self, comment: Comment) -> dict[str, Any]:
        issue = self.issues[comment.issue_id]
        repo = self.repos[issue.repo]
        url = self.api(f"/repos/{repo.full_name}/issues/comments/{comment.id}")
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": url,
            "html_url": self.web(
                f"/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}"
            ),
            "body": comment.body,
            "user": self._user_json(comment.user),
            "created_at": self.timestamp(comment.created),
            "updated_at": self.timestamp(comment.updated),
            "issue_url": self._issue_url(issue),
            "author_association": self._association(repo, comment.user),
            "performed_via_github_app": None,
            "reactions": self._reactions(url),
        }

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        api = self.api(f"/repos/{repo.full_name}")
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        level = self._actor_level
        key = repo.full_name.lower()
        open_count = sum(
            1 for i in self.issues.values() if i.repo == key and i.state == "open" and not i.deleted
        )
        stamp = self.timestamp(repo.created)
        return {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self._user_json(repo.owner),
            "private": repo.private,
            "html_url": self.web(f"/{repo.full_name}"),
            "description": None,
            "fork": False,
            "url": api,
            **{key: api + suffix for key, suffix in templates.items()},
            "git_url": f"git://127.0.0.1/{repo.full_name}.git",
            "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
            "clone_url": self.web(f"/{repo.full_name}.git"),
            "svn_url": self.web(f"/{repo.full_name}"),
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 0,
            "default_branch": "main",
            "open_issues_count": open_count,
            "open_issues": open_count,
            "is_template": False,
            "topics": [],
            "has_issues": repo.has_issues,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
            "permissions": {
                "admin": level == "admin",
                "maintain": level == "admin",
                "push": level in ("write", "admin"),
                "triage": level in ("write", "admin"),
                "pull": True,
            },
            "allow_rebase_merge": True,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "network_count": 0,
            "subscribers_count": 0,
        }

    # -- state changes ------------------------------------------------------------------
    def _label(
        self, repo: Repo, name: str, color: str = "ededed", description: str | None = None
    ) -> Label:
        """The repo's label called `name` (any case), created if missing as GitHub does."""
        if name.lower() not in repo.labels:
            repo.labels[name.lower()] = Label(next(self._label_ids), name, color, description)
        return repo.labels[name.lower()]

    def _label_names(self, repo: Repo, raw: Any) -> list[str]:
        if not isinstance(raw, list):
            raise invalid("labels")
        names: list[str] = []
        for item in raw:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise invalid("labels")
            label = self._label(repo, name.strip())
            if label.name not in names:
                names.append(label.name)
        return names

    def _logins(self, raw: Any) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise invalid("assignees")
        return [self.user(login).login for login in raw]

    def _new_issue(
        self,
        repo: Repo,
        title: str,
        body: str | None,
        labels: Iterable[str],
        assignees: Iterable[str],
        user: str | None,
    ) -> Issue:
        stamp = self.tick()
        issue = Issue(
            id=next(self._issue_ids),
            repo=repo.full_name.lower(),
            number=repo.next_number,
            title=title,
            body=body,
            user=self.user(user or self.login).login,
            created=stamp,
            updated=stamp,
            labels=self._label_names(repo, list(labels)),
            assignees=self._logins(list(assignees)),
        )
        repo.next_number += 1
        repo.numbers[issue.number] = issue.id
        self.issues[issue.id] = issue
        return issue

    def _new_comment(self, issue: Issue, body: str, user: str) -> Comment:
        stamp = self.tick()
        comment = Comment(
            next(self._comment_ids), issue.id, body, self.user(user).login, stamp, stamp
        )
        self.comments[comment.id] = comment
        issue.updated = stamp
        return comment

    def _set_state(self, issue: Issue, state: str, reason: str | None, actor: str) -> None:
        if state == issue.state:
            if state == "closed" and reason:
                issue.state_reason = reason
            return
        issue.state = state
        if state == "closed":
            issue.closed = self.tick()
            issue.closed_by = actor
            issue.state_reason = reason or "completed"
        else:
            issue.closed = None
            issue.closed_by = None
            issue.state_reason = reason or "reopened"

    def _detach(self, child_id: int) -> None:
        parent_id = self.parent_of.pop(child_id, None)
        if parent_id is not None:
            self.children[parent_id].remove(child_id)

    def _blocking_ids(self, issue_id: int) -> list[int]:
        return [blocked for blocked, ids in self.blockers.items() if issue_id in ids]

    def _depth(self, issue_id: int) -> int:
        """How many levels sit above `issue_id` (0 for a root)."""
        depth = 0
        while issue_id in self.parent_of:
            issue_id = self.parent_of[issue_id]
            depth += 1
        return depth

    def _height(self, issue_id: int) -> int:
        """Levels in the subtree under `issue_id`, itself included."""
        return 1 + max((self._height(c) for c in self.children.get(issue_id, [])), default=0)

    # -- handlers: account and repository ----------------------------------------------
    def _get_rate_limit(self, request: Request) -> Response:
        core = {
            "limit": self.rate_limit,
            "used": self.rate_used,
            "remaining": max(self.rate_limit - self.rate_used, 0),
            "reset": self.rate_reset,
        }
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": int(time.time()) + 60}
        graphql = {"limit": 5000, "used": 0, "remaining": 5000, "reset": self.rate_reset}
        resources = {"core": core, "search": search, "graphql": graphql}
        return Response(200, {"resources": resources, "rate": core})

    def _get_user(self, request: Request) -> Response:
        stamp = self.timestamp(0)
        body = {
            **self._user_json(self._actor),
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": stamp,
            "updated_at": stamp,
        }
        return Response(200, body)

    def _get_repo(self, request: Request) -> Response:
        return Response(200, self._repo_json(self._repo_of(request)))

    def _get_role(self, request: Request) -> Response:
        repo = self._repo_of(request)
        login = request.params["username"]
        key = login.lower()
        role = self.roles.get((repo.full_name.lower(), key)) or self.roles.get(("*", key))
        if role is None:
            if key == repo.owner.lower():
                role = "admin"
            elif key == self._actor.lower():
                role = {"admin": "admin", "write": "write"}.get(self._actor_level, "read")
            elif key in self.users:
                role = "none"
            else:
                raise not_found()
        user = {
            **self._user_json(login),
            "permissions": {
                "admin": role == "admin",
                "maintain": role in ("admin", "maintain"),
                "push": ROLES[role] in ("admin", "write"),
                "triage": role in ("admin", "maintain", "write", "triage"),
                "pull": role != "none",
            },
            "role_name": role,
        }
        return Response(200, {"permission": ROLES[role], "role_name": role, "user": user})

    # -- handlers: labels ---------------------------------------------------------------
    def _list_repo_labels(self, request: Request) -> Response:
        repo = self._repo_of(request)
        return self._page(request, [self._label_json(repo, lb) for lb in repo.labels.values()])

    def _create_label(self, request: Request) -> Response:
        repo = self._repo_of(request)
        data = self._json_object(request)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "missing_field")
        if name.lower() in repo.labels:
            raise error(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "already_exists", "field": "name"}],
            )
        color = str(data.get("color") or "ededed").lstrip("#")
        label = self._label(repo, name, color, data.get("description"))
        url = self._label_json(repo, label)["url"]
        return Response(201, self._label_json(repo, label), {"Location": url})

    def _get_label(self, request: Request) -> Response:
        repo = self._repo_of(request)
        label = repo.labels.get(unquote(request.params["name"]).lower())
        if label is None:
            raise not_found()
        return Response(200, self._label_json(repo, label))

    def _issue_labels(self, issue: Issue) -> list[dict[str, Any]]:
        repo = self.repos[issue.repo]
        return [self._label_json(repo, repo.labels[name.lower()]) for name in issue.labels]

    def _labels_body(self, request: Request) -> Any:
        data = self._json(request)
        return data.get("labels", []) if isinstance(data, dict) else data

    def _list_issue_labels(self, request: Request) -> Response:
        return self._page(request, self._issue_labels(self._issue_of(request)))

    def _add_labels(self, request: Request) -> Response:
        issue = self._issue_of(request)
        for name in self._label_names(self.repos[issue.repo], self._labels_body(request)):
            if name not in issue.labels:
                issue.labels.append(name)
        issue.updated = self.tick()
        return Response(200, self._issue_labels(issue))

    def _set_labels(self, request: Request) -> Response:
        issue = self._issue_of(request)
        issue.labels = self._label_names(self.repos[issue.repo], self._labels_body(request))
        issue.updated = self.tick()
        return Response(200, self._issue_labels(issue))

    def _clear_labels(self, request: Request) -> Response:
        issue = self._issue_of(request)
        issue.labels = []
        issue.updated = self.tick()
        return Response(204)

    def _remove_label(self, request: Request) -> Response:
        issue = self._issue_of(request)
        name = unquote(request.params["name"]).lower()
        kept = [label for label in issue.labels if label.lower() != name]
        if len(kept) == len(issue.labels):
            raise error(404, "Label does not exist")
        issue.labels = kept
        issue.updated = self.tick()
        return Response(200, self._issue_labels(issue))

    # -- handlers: issues ---------------------------------------------------------------
    def _list_issues(self, request: Request) -> Response:
        repo = self._repo_of(request, issues=True)
        state = request.arg("state", "open")
        if state not in ("open", "closed", "all"):
            raise invalid("state")
        issues = [self.issues[i] for i in repo.numbers.values()]
        issues = [i for i in issues if not i.deleted and state in ("all", i.state)]
        wanted = [n.strip().lower() for n in (request.arg("labels") or "").split(",") if n.strip()]
        if wanted:
            issues = [i for i in issues if set(wanted) <= {n.lower() for n in i.labels}]
        creator = request.arg("creator")
        if creator:
            issues = [i for i in issues if i.user.lower() == creator.lower()]
        assignee = request.arg("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i.assignees]
        elif assignee == "*":
            issues = [i for i in issues if i.assignees]
        elif assignee:
            issues = [i for i in issues if assignee.lower() in map(str.lower, i.assignees)]
        since = request.arg("since")
        if since:
            issues = [i for i in issues if (self.timestamp(i.updated) or "") >= since]
        issues = _sorted(issues, request.arg("sort", "created"), request.arg("direction", "desc"))
        return self._page(request, [self._issue_json(i) for i in issues])

    def _create_issue(self, request: Request) -> Response:
        repo = self._repo_of(request, issues=True)
        data = self._json_object(request)
        if self.refuse_creates:
            raise invalid("title", "custom", self.refuse_creates.pop(0))
        title = data.get("title")
        if title is None or title == "":
            raise invalid("title", "missing_field")
        if not (isinstance(title, str) or is_int(title)):
            raise invalid("title")
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            raise invalid("body")
        assignees = data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])
        issue = self._new_issue(
            repo,
            str(title),
            body,
            self._label_names(repo, data.get("labels") or []),
            self._logins(assignees),
            self._actor,
        )
        return Response(201, self._issue_json(issue), {"Location": self._issue_url(issue)})

    def _get_issue(self, request: Request) -> Response:
        return Response(200, self._issue_json(self._issue_of(request)))

    def _edit_issue(self, request: Request) -> Response:
        issue = self._issue_of(request)
        repo = self.repos[issue.repo]
        data = self._json_object(request)
        title = data.get("title")
        if title is not None and not (isinstance(title, str) or is_int(title)):
            raise invalid("title")
        if "body" in data and data["body"] is not None and not isinstance(data["body"], str):
            raise invalid("body")
        state = data.get("state")
        if state is not None and state not in ("open", "closed"):
            raise invalid("state")
        reason = data.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            raise invalid("state_reason")
        labels = self._label_names(repo, data["labels"]) if "labels" in data else None
        assignees = self._logins(data["assignees"]) if "assignees" in data else None
        if title is not None:
            issue.title = str(title)
        if "body" in data:
            issue.body = data["body"]
        if labels is not None:
            issue.labels = labels
        if assignees is not None:
            issue.assignees = assignees
        elif "assignee" in data:
            issue.assignees = [] if data["assignee"] is None else self._logins([data["assignee"]])
        if state is not None:
            self._set_state(issue, state, reason, self._actor)
        issue.updated = self.tick()
        return Response(200, self._issue_json(issue))

    def _search_issues(self, request: Request) -> Response:
        query = request.arg("q", "") or ""
        if not query.strip():
            raise error(
                422,
                "Validation Failed",
                errors=[{"resource": "Search", "field": "q", "code": "missing"}],
            )
        issues = [i for i in self.issues.values() if not i.deleted and _matches(self, i, query)]
        issues = _sorted(issues, request.arg("sort", "created"), request.arg("order", "desc"))
        items = [{**self._issue_json(i), "score": 1.0} for i in issues]
        return self._page(
            request,
            items,
            lambda chunk, total: {
                "total_count": total,
                "incomplete_results": False,
                "items": chunk,
            },
        )

    # -- handlers: comments -------------------------------------------------------------
    def _list_comments(self, request: Request) -> Response:
        issue = self._issue_of(request)
        comments = [c for c in self.comments.values() if c.issue_id == issue.id]
        since = request.arg("since")
        if since:
            comments = [c for c in comments if (self.timestamp(c.updated) or "") >= since]
        return self._page(request, [self._comment_json(c) for c in comments])

    def _comment_body(self, request: Request) -> str:
        body = self._json_object(request).get("body")
        if body is None:
            raise invalid("body", "missing_field")
        if not isinstance(body, str):
            raise invalid("body")
        return body

    def _create_comment(self, request: Request) -> Response:
        issue = self._issue_of(request)
        comment = self._new_comment(issue, self._comment_body(request), self._actor)
        body = self._comment_json(comment)
        return Response(201, body, {"Location": body["url"]})

    def _get_comment(self, request: Request) -> Response:
        return Response(200, self._comment_json(self._comment_of(request)))

    def _edit_comment(self, request: Request) -> Response:
        comment = self._comment_of(request)
        comment.body = self._comment_body(request)
        comment.updated = self.tick()
        return Response(200, self._comment_json(comment))

    def _delete_comment(self, request: Request) -> Response:
        comment = self._comment_of(request)
        del self.comments[comment.id]
        self.tick()
        return Response(204)

    # -- handlers: sub-issues -----------------------------------------------------------
    def _issue_by_id(self, data: dict[str, Any], key: str) -> Issue:
        value = data.get(key)
        if value is None:
            raise invalid(key, "missing_field")
        if not is_int(value):
            raise invalid(key, message=f"{key} must be an integer (the issue's id, not number)")
        target = self.issues.get(value)
        if target is None or target.deleted:
            raise not_found()
        return target

    def _list_sub_issues(self, request: Request) -> Response:
        self._require_feature(self.sub_issues_enabled)
        issue = self._issue_of(request)
        children = [self.issues[i] for i in self.children.get(issue.id, [])]
        return self._page(request, [self._issue_json(c) for c in children])

    def _add_sub_issue(self, request: Request) -> Response:
        self._require_feature(self.sub_issues_enabled)
        parent = self._issue_of(request)
        data = self._json_object(request)
        child = self._issue_by_id(data, "sub_issue_id")
        replace = data.get("replace_parent", False)
        if not isinstance(replace, bool):
            raise invalid("replace_parent")
        siblings = self.children.get(parent.id, [])
        if child.id == parent.id:
            raise invalid("sub_issue_id", message="An issue cannot be its own sub-issue")
        if self.repos[child.repo].owner.lower() != self.repos[parent.repo].owner.lower():
            raise invalid(
                "sub_issue_id", message="Sub-issue must belong to the same owner as the parent"
            )
        if child.id in siblings:
            raise invalid("sub_issue_id", message="Issue is already a sub-issue of this parent")
        if len(siblings) >= self.max_sub_issues:
            raise invalid(
                "sub_issue_id",
                message=f"Parent cannot have more than {self.max_sub_issues} sub-issues",
            )
        if child.id in self.parent_of and not replace:
            raise invalid("sub_issue_id", message="Sub issue may only have one parent")
        ancestor: int | None = parent.id
        while ancestor is not None:
            if ancestor == child.id:
                raise invalid("sub_issue_id", message="Sub-issue cannot be an ancestor")
            ancestor = self.parent_of.get(ancestor)
        if self._depth(parent.id) + 1 + self._height(child.id) > self.max_sub_issue_depth:
            raise invalid(
                "sub_issue_id",
                message=f"Sub-issues cannot be nested more than {self.max_sub_issue_depth} levels",
            )
        self._detach(child.id)
        self.children.setdefault(parent.id, []).append(child.id)
        self.parent_of[child.id] = parent.id
        parent.updated = self.tick()
        return Response(201, self._issue_json(parent), {"Location": self._issue_url(child)})

    def _remove_sub_issue(self, request: Request) -> Response:
        self._require_feature(self.sub_issues_enabled)
        parent = self._issue_of(request)
        child = self._issue_by_id(self._json_object(request), "sub_issue_id")
        if self.parent_of.get(child.id) != parent.id:
            raise not_found()
        self._detach(child.id)
        parent.updated = self.tick()
        return Response(200, self._issue_json(parent), {"Location": self._issue_url(child)})

    def _reprioritize_sub_issue(self, request: Request) -> Response:
        self._require_feature(self.sub_issues_enabled)
        parent = self._issue_of(request)
        data = self._json_object(request)
        siblings = self.children.get(parent.id, [])
        child = self._issue_by_id(data, "sub_issue_id")
        if child.id not in siblings:
            raise not_found()
        after, before = data.get("after_id"), data.get("before_id")
        if (after is None) == (before is None):
            raise error(422, "Validation Failed", errors=["Specify one of after_id or before_id"])
        anchor = after if after is not None else before
        if not is_int(anchor) or anchor not in siblings or anchor == child.id:
            raise error(422, "Validation Failed", errors=[f"{anchor} is not a sibling sub-issue"])
        siblings.remove(child.id)
        index = siblings.index(anchor) + (1 if after is not None else 0)
        siblings.insert(index, child.id)
        parent.updated = self.tick()
        return Response(200, self._issue_json(parent))

    def _get_parent(self, request: Request) -> Response:
        self._require_feature(self.sub_issues_enabled)
        parent_id = self.parent_of.get(self._issue_of(request).id)
        if parent_id is None:
            raise not_found()
        return Response(200, self._issue_json(self.issues[parent_id]))

    # -- handlers: dependencies ---------------------------------------------------------
    def _list_blocked_by(self, request: Request) -> Response:
        self._require_feature(self.dependencies_enabled)
        issue = self._issue_of(request)
        blockers = [self.issues[i] for i in self.blockers.get(issue.id, [])]
        return self._page(request, [self._issue_json(b) for b in blockers])

    def _add_blocked_by(self, request: Request) -> Response:
        self._require_feature(self.dependencies_enabled)
        issue = self._issue_of(request)
        blocker = self._issue_by_id(self._json_object(request), "issue_id")
        current = self.blockers.get(issue.id, [])
        if blocker.id == issue.id:
            raise invalid("issue_id", message="An issue cannot be blocked by itself")
        if blocker.id in current:
            raise invalid("issue_id", message="Issue is already blocked by this issue")
        if len(current) >= self.max_dependencies or (
            len(self._blocking_ids(blocker.id)) >= self.max_dependencies
        ):
            raise invalid(
                "issue_id", message=f"Cannot add more than {self.max_dependencies} dependencies"
            )
        self.blockers.setdefault(issue.id, []).append(blocker.id)
        issue.updated = self.tick()
        return Response(201, self._issue_json(issue), {"Location": self._issue_url(blocker)})

    def _remove_blocked_by(self, request: Request) -> Response:
        self._require_feature(self.dependencies_enabled)
        issue = self._issue_of(request)
        raw = request.params["issue_id"]
        current = self.blockers.get(issue.id, [])
        if not raw.isdigit() or int(raw) not in current:
            raise not_found()
        current.remove(int(raw))
        issue.updated = self.tick()
        return Response(200, self._issue_json(issue))

    def _list_blocking(self, request: Request) -> Response:
        self._require_feature(self.dependencies_enabled)
        issue = self._issue_of(request)
        blocked = [self.issues[i] for i in self._blocking_ids(issue.id)]
        return self._page(request, [self._issue_json(b) for b in blocked])

    # -- handlers: GitHub Apps ----------------------------------------------------------
    def add_app(self, app_id: int, public_key: str, owner: str, installation_id: int) -> None:
        """App `app_id` (verified with `public_key`, PEM) installed on `owner`'s repos."""
        with self.lock:
            self.apps[app_id] = public_key
            self.installations[owner.lower()] = installation_id
            self.user(owner)

    def _get_repo_installation(self, request: Request) -> Response:
        repo = self._repo_of(request)
        installation = self.installations.get(repo.owner.lower())
        if installation is None:
            raise not_found()
        api = self.api(f"/app/installations/{installation}")
        return Response(
            200,
            {
                "id": installation,
                "account": self._user_json(repo.owner),
                "app_id": next(iter(self.apps)),
                "app_slug": "storyplan",
                "target_id": self.user(repo.owner).id,
                "target_type": "Organization",
                "repository_selection": "all",
                "access_tokens_url": api + "/access_tokens",
                "repositories_url": self.api("/installation/repositories"),
                "html_url": self.web(f"/organizations/{repo.owner}/settings/installations"),
                "permissions": {"issues": "write", "metadata": "read"},
                "events": ["issues", "issue_comment", "sub_issues"],
                "created_at": self.timestamp(0),
                "updated_at": self.timestamp(0),
                "single_file_name": None,
            },
        )

    def _create_installation_token(self, request: Request) -> Response:
        installation = int(request.params["installation_id"])
        if installation not in self.installations.values():
            raise not_found()
        token = f"ghs_fake{installation}x{len(self.token_expiry) + 1:04d}"
        expires = time.time() + self.installation_token_seconds
        self.tokens[token] = "write"
        self.token_logins[token] = "storyplan[bot]"
        self.token_expiry[token] = expires
        self.user("storyplan[bot]", type="Bot")
        stamp = datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Response(
            201,
            {
                "token": token,
                "expires_at": stamp,
                "permissions": {"issues": "write", "metadata": "read"},
                "repository_selection": "all",
            },
        )

    # -- PyGithub -----------------------------------------------------------------------
    def client(self, token: str = "tok-write", *, retry: Any = None, **kwargs: Any) -> Github:
        """A PyGithub client for this fake, without retries and without PyGithub's throttle.

        PyGithub waits 0.25 s between requests and 1 s between writes by default, and its
        default `GithubRetry` re-sends POSTs on 5xx; pass `retry=Github.default_retry` (or
        a `GithubRetry`) to see that behaviour.
        """
        from github import Auth, Github

        options: dict[str, Any] = {
            "seconds_between_requests": None,
            "seconds_between_writes": None,
            "timeout": 5,
            **kwargs,
        }
        return Github(base_url=self.url, auth=Auth.Token(token), retry=retry, **options)


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    return int(raw) if raw and raw.lstrip("-").isdigit() else default


def _query_with(request: Request, **changes: Any) -> str:
    pairs = [(k, v) for k, values in request.query.items() if k not in changes for v in values]
    pairs += [(k, str(v)) for k, v in changes.items()]
    return urlencode(pairs)


def _sorted(issues: list[Issue], sort: str | None, direction: str | None) -> list[Issue]:
    def key(issue: Issue) -> tuple[int, int]:
        return (issue.updated if sort == "updated" else issue.created, issue.id)

    return sorted(issues, key=key, reverse=direction != "asc")


def _matches(fake: FakeGithub, issue: Issue, query: str) -> bool:
    """GitHub search qualifiers the fake knows: repo, label, is, state, author, assignee."""
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    repo = fake.repos[issue.repo]
    labels = {name.lower() for name in issue.labels}
    for term in terms:
        negate = term.startswith("-") and ":" in term
        qualifier, _, value = term.lstrip("-").partition(":") if ":" in term else ("", "", term)
        value_l = value.lower()
        if qualifier == "repo":
            ok = value_l == repo.full_name.lower()
        elif qualifier in ("org", "user"):
            ok = value_l == repo.owner.lower()
        elif qualifier == "label":
            ok = any(v.strip().lower() in labels for v in value.split(","))
        elif qualifier == "is" and value_l in ("open", "closed"):
            ok = issue.state == value_l
        elif qualifier in ("is", "type"):
            ok = value_l == "issue"
        elif qualifier == "state":
            ok = issue.state == value_l
        elif qualifier == "author":
            ok = issue.user.lower() == value_l
        elif qualifier == "assignee":
            ok = value_l in map(str.lower, issue.assignees)
        elif qualifier == "in":
            ok = True
        elif qualifier:
            ok = False
        else:
            ok = value_l in f"{issue.title}\n{issue.body or ''}".lower()
        if ok == negate:
            return False
    return True


@contextlib.contextmanager
def github_fake(prefix: str = "", **kwargs: Any) -> Iterator[FakeGithub]:
    """A started FakeGithub (tokens `tok-write` and `tok-read`), stopped on exit."""
    fake = FakeGithub(prefix, **kwargs)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def assert_spec_clean(fake: FakeGithub, *, require: bool = False) -> None:
    """Fail when the fake saw requests or sent responses the OpenAPI subset rejects, or
    when one of its handlers crashed.

    Without shared/specs nothing can be checked: this passes, or skips with `require=True`.
    """
    if fake.crashes:
        pytest.fail("fake GitHub crashed:\n" + "\n".join(fake.crashes), pytrace=False)
    if fake.spec is None:
        if require:
            pytest.skip(f"GitHub OpenAPI subset not found at {github_spec.SPEC_PATH}")
        return
    if fake.spec_violations:
        shown = "\n".join(fake.spec_violations[:20])
        more = len(fake.spec_violations) - 20
        pytest.fail(
            f"{len(fake.spec_violations)} OpenAPI violation(s):\n{shown}"
            + (f"\n... and {more} more" if more > 0 else ""),
            pytrace=False,
        )
