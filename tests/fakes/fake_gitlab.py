"""A stateful fake GitLab (REST v4 + GraphQL) that the real python-gitlab talks to over HTTP.

Shapes, status codes and messages follow GitLab's public documentation and source:

* REST under ``{prefix}/api/v4`` with GitLab's offset pagination headers (``X-Page``,
  ``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``, ``X-Total-Pages``, ``Link``),
  its error bodies (``{"message": "404 Project Not Found"}``, ``{"error": "title is missing"}``),
  token auth (``PRIVATE-TOKEN``, ``Authorization: Bearer``, ``JOB-TOKEN``) and the
  ``RateLimit-*`` headers.
* GraphQL at ``{prefix}/api/graphql``, executed by graphql-core against a schema built from
  ``gitlab_schema.graphql`` (a subset of GitLab's schema with GitLab's names). A field, type or
  argument outside that subset fails validation and comes back as a GraphQL error.

An issue and a work item are the same record, as in GitLab: a Task work item shows up through
REST as an issue with ``issue_type: "task"`` and the issue ``id`` equals the numeric part of the
work item's ``gid://gitlab/WorkItem/<id>``.

Switches (plain attributes, flip them at any time):

* ``blocking_links_available`` (default True): False answers ``link_type=blocks`` /
  ``is_blocked_by`` like an unlicensed (Free) namespace: 403
  ``{"message": "Blocked issues not available for current license"}``, nothing created
  (``ee/app/services/ee/issue_links/create_service.rb``).
* ``tasks_available`` (default True): False removes the Task work item type.
* ``system_notes`` (default False): True adds GitLab-like system notes (``system: true``) on
  link, state and hierarchy changes.
* ``enforce_rate_limit`` (default False) with ``rate_limit`` per ``rate_limit_window`` seconds;
  ``throttle(times, retry_after)`` forces 429s regardless (``times=None``: until
  ``unthrottle()``). A 429 carries ``Retry-After`` and the body ``Retry later\n`` (text/plain).
* Write faults (a write is a REST POST/PUT/DELETE or a GraphQL mutation): ``refuse_writes``
  (the next N write requests answer 502 and are not carried out), ``writes_before_failing``
  (after N more writes, every write answers so; None: off; in a GraphQL request it counts
  mutation fields, and the request is cut where it runs out: those before are carried out,
  the answer is a 502), ``lose_creates`` (the next N requests that create an issue or work
  item are carried out, then answered 502: the answer is lost) and ``fail_mutations`` (one
  mutation fails alone inside its request; see ``gitlab_graphql``).
* GitLab's query limits (``gitlab_complexity``): complexity 250 (200 anonymous), depth 20 (15).
* ``hold_first_writes`` (default 0): N makes the next N writes wait for one another before
  any is carried out, so N runs started together have all read before any of them writes.
* ``tokens`` (token -> "write" | "read"): a read token gets 403 ``{"message": "403 Forbidden"}``
  on REST writes and a "resource ... not available" error on GraphQL mutations; a missing or
  unknown token gets 401 on REST, anonymous access (private projects invisible) on GraphQL, and
  401 ``{"errors": [{"message": "Invalid token"}]}`` for an unknown GraphQL token.

State helpers (thread-safe, no request logged): ``add_project``, ``find_project``, ``project``,
``add_label``, ``add_issue`` (``issue_type="task"``, ``parent=``, ``author=``), ``issue``,
``project_issues``, ``work_item``, ``add_user``, ``add_member``, ``add_note`` (``author=``),
``issue_notes``, ``add_link``, ``issue_links``, ``set_parent``,
``children``, ``type_gid``; records are the dataclasses below and can be edited in place.
Request log helpers: ``count(method, path_regex)``, ``graphql_ops`` / ``graphql_count(field)``
(each op has ``writes``, the mutation fields carried out, and ``log_index``);
``errors`` holds tracebacks of handler crashes (answered 500).

Users: every token authenticates as ``user`` (a Maintainer of every project); ``add_user`` makes
others, who author issues and notes added with ``author=`` and are members only where
``add_member`` says (``GET /projects/:id/members/all/:user_id``). A note is edited only by its
author, as in GitLab.

Known simplifications: members are per project (no group inheritance); every REST endpoint
needs a token (GitLab serves public projects anonymously); issue hierarchy changes are
all-or-nothing; no group-level work items.
"""

from __future__ import annotations

import base64
import io
import json
import math
import random
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.language import FieldNode

from tests.fakes.base import WRITE_METHODS, FakeServer, Request, Response
from tests.fakes.gitlab_complexity import over_limits
from tests.fakes.gitlab_graphql import MUTATIONS, GraphqlWidgets, MutationFault

SCHEMA_PATH = Path(__file__).with_name("gitlab_schema.graphql")

NOTE_MAX_CHARS = 1_000_000
DESCRIPTION_MAX_CHARS = 1_048_576
TITLE_MAX_CHARS = 255
DEFAULT_LABEL_COLOR = "#6699cc"
GRAPHQL_MAX_PAGE_SIZE = 100

RESOURCE_NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)
BLOCKED_LICENSE_MESSAGE = "Blocked issues not available for current license"

# GitLab's work item types: enum value -> (name, icon, REST issue_type)
WORK_ITEM_TYPES: dict[str, tuple[str, str]] = {
    "ISSUE": ("Issue", "issue-type-issue"),
    "INCIDENT": ("Incident", "issue-type-incident"),
    "TEST_CASE": ("Test Case", "issue-type-test-case"),
    "REQUIREMENT": ("Requirement", "issue-type-requirements"),
    "TASK": ("Task", "issue-type-task"),
    "OBJECTIVE": ("Objective", "issue-type-objective"),
    "KEY_RESULT": ("Key Result", "issue-type-keyresult"),
    "EPIC": ("Epic", "issue-type-epic"),
    "TICKET": ("Ticket", "issue-type-issue"),
}
# Which child types a parent type accepts (GitLab's WorkItems::HierarchyRestriction defaults).
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    "ISSUE": frozenset({"TASK"}),
    "INCIDENT": frozenset({"TASK"}),
    "TICKET": frozenset({"TASK"}),
    "EPIC": frozenset({"EPIC", "ISSUE"}),
    "OBJECTIVE": frozenset({"OBJECTIVE", "KEY_RESULT"}),
}
REST_ISSUE_TYPES = ("issue", "incident", "test_case", "task")
LINK_TYPES = ("relates_to", "blocks", "is_blocked_by")
ISSUE_ORDER_BY = (
    "created_at",
    "updated_at",
    "title",
    "relative_position",
    "due_date",
    "label_priority",
    "milestone_due",
    "popularity",
    "priority",
    "weight",
)
NAMED_COLORS = {
    "red": "#FF0000",
    "green": "#008000",
    "blue": "#0000FF",
    "yellow": "#FFFF00",
    "orange": "#FFA500",
    "purple": "#800080",
    "black": "#000000",
    "white": "#FFFFFF",
    "gray": "#808080",
    "grey": "#808080",
}
WORK_ITEM_GID = re.compile(r"^gid://gitlab/(?:WorkItem|Issue)/(\d+)$")
TYPE_GID = re.compile(r"^gid://gitlab/WorkItems::Type/(\d+)$")
LABEL_GID = re.compile(r"^gid://gitlab/(?:ProjectLabel|GroupLabel|Label)/(\d+)$")
NOTE_GID = re.compile(r"^gid://gitlab/(?:Note|DiscussionNote|DiffNote)/(\d+)$")


# -- records ----------------------------------------------------------------------------------
@dataclass
class Group:
    id: int
    full_path: str
    name: str
    parent_id: int | None

    @property
    def path(self) -> str:
        return self.full_path.rsplit("/", 1)[-1]


@dataclass
class Label:
    id: int
    project_id: int
    name: str
    color: str = DEFAULT_LABEL_COLOR
    description: str | None = None


@dataclass
class Project:
    id: int
    full_path: str
    name: str
    namespace_id: int | None
    created_at: str
    description: str = ""
    visibility: str = "private"
    next_iid: int = 1
    labels: dict[str, Label] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level

    @property
    def path(self) -> str:
        return self.full_path.rsplit("/", 1)[-1]

    @property
    def namespace_path(self) -> str:
        return self.full_path.rsplit("/", 1)[0] if "/" in self.full_path else ""


@dataclass
class Issue:
    """An issue and the work item it is, at once (same id)."""

    id: int
    project_id: int
    iid: int
    title: str
    description: str | None
    created_at: str
    updated_at: str
    author_id: int
    state: str = "opened"  # opened | closed
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    closed_at: str | None = None
    work_item_type: str = "ISSUE"  # key of WORK_ITEM_TYPES
    confidential: bool = False
    parent_id: int | None = None
    relative_position: int = 0
    description_edited_at: str | None = None

    @property
    def issue_type(self) -> str:
        return self.work_item_type.lower()

    @property
    def gid(self) -> str:
        return f"gid://gitlab/WorkItem/{self.id}"


@dataclass
class Note:
    id: int
    issue_id: int
    body: str
    author_id: int
    created_at: str
    updated_at: str
    system: bool = False
    internal: bool = False


@dataclass
class IssueLink:
    """Stored like GitLab: ``is_blocked_by`` is kept as ``blocks`` with source and target
    swapped."""

    id: int
    source_id: int
    target_id: int
    link_type: str  # relates_to | blocks
    created_at: str
    updated_at: str


@dataclass
class GraphQLCall:
    """One GraphQL operation the fake received."""

    operation_type: str  # query | mutation | "" when the document did not parse
    operation_name: str | None
    root_fields: list[str]
    variables: dict[str, Any]
    query: str
    errors: list[str]
    writes: int = 0  # mutation fields carried out
    log_index: int = -1  # where its request is in the fake's log
    cut: bool = False  # `writes_before_failing` stopped it part-way
    field_errors: list[str] = field(default_factory=list)  # fields that failed alone


class ApiError(Exception):
    """Raised inside handlers; becomes the response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.response = Response(status, body, dict(headers or {}))


def _not_found(what: str = "") -> ApiError:
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not found"})


def _bad_request(error: str) -> ApiError:
    return ApiError(400, {"error": error})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unb64(text: str) -> dict[str, Any]:
    padded = text + "=" * (-len(text) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError(text)
    return value


def _text_color(color: str) -> str:
    hexa = color.lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(ch * 2 for ch in hexa)
    r, g, b = (int(hexa[i : i + 2], 16) for i in (0, 2, 4))
    return "#333333" if (r * 299 + g * 587 + b * 114) / 1000 > 128 else "#FFFFFF"


Handler = Callable[[Request, str], Response]


def is_mutation(body: Any) -> bool:
    return isinstance(body, dict) and str(body.get("query", "")).lstrip().startswith("mutation")


def is_write(method: str, path: str, body: Any) -> bool:
    """A GraphQL query travels as a POST but reads; a mutation writes."""
    if path.endswith("/api/graphql"):
        return is_mutation(body)
    return method in WRITE_METHODS


def _payload(request: Request) -> Any:
    if not request.path.endswith("/api/graphql"):
        return None
    try:
        return request.json()
    except ValueError:
        return None


def _is_create(request: Request) -> bool:
    """A request that makes an issue or a work item."""
    if request.path.endswith("/api/graphql"):
        payload = _payload(request)
        return is_mutation(payload) and "workItemCreate" in str(payload["query"])
    return request.method == "POST" and request.path.endswith("/issues")


class FakeGitlab(GraphqlWidgets, FakeServer):
    """Fake GitLab instance. ``with FakeGitlab() as fake: gitlab.Gitlab(url=fake.url, ...)``.

    Args:
        prefix: relative URL root of a self-managed instance, e.g. ``"/gitlab"``.
        tokens: token -> ``"write"`` | ``"read"``; defaults to ``tok-write``/``tok-read``.
        seed: seeds the per-instance work item type ids (random when None).
        task_type_id: force the numeric id of the Task work item type.
        username: the user every token authenticates as.
        version: what ``GET /version`` reports.
    """

    def __init__(
        self,
        prefix: str = "",
        *,
        tokens: dict[str, str] | None = None,
        seed: int | None = None,
        task_type_id: int | None = None,
        username: str = "storyplan-bot",
        version: str = "17.11.2-ee",
    ) -> None:
        super().__init__()
        cleaned = prefix.strip("/")
        self.prefix = f"/{cleaned}" if cleaned else ""
        self.tokens: dict[str, str] = (
            dict(tokens) if tokens is not None else {"tok-write": "write", "tok-read": "read"}
        )
        self.version = version
        self.revision = "6f2b1a9c3d4"
        # switches
        self.blocking_links_available = True
        self.tasks_available = True
        self.system_notes = False
        self.enforce_rate_limit = False
        self.refuse_writes = 0
        self.writes_before_failing: int | None = None
        self.lose_creates = 0
        self.hold_first_writes = 0
        self.mutation_faults: list[MutationFault] = []
        self.note_max_chars = NOTE_MAX_CHARS
        self._hold: threading.Barrier | None = None
        self.rate_limit = 2000
        self.rate_limit_window = 60
        # state
        self.user: dict[str, Any] = {"id": 1, "username": username, "name": "Storyplan Bot"}
        self.users: dict[int, dict[str, Any]] = {1: self.user}
        self.groups: dict[str, Group] = {}
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.notes: dict[int, Note] = {}
        self.links: dict[int, IssueLink] = {}
        self.graphql_ops: list[GraphQLCall] = []
        self.errors: list[str] = []  # tracebacks of handler crashes (answered 500)
        self._seq: dict[str, int] = {}
        self._last_time = datetime(2024, 1, 1, tzinfo=UTC)
        self._throttle_left: int | None = 0
        self._retry_after = 0
        self._rl_window_start = 0.0
        self._rl_observed = 0
        rng = random.Random(seed)
        ids = rng.sample(range(1, 1000), len(WORK_ITEM_TYPES))
        self.work_item_type_ids: dict[str, int] = dict(zip(WORK_ITEM_TYPES, ids, strict=True))
        if task_type_id is not None:
            clash = [k for k, v in self.work_item_type_ids.items() if v == task_type_id]
            for key in clash:
                self.work_item_type_ids[key] = self.work_item_type_ids["TASK"]
            self.work_item_type_ids["TASK"] = task_type_id
        self._rest_routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._register_routes()
        self._schema = self._build_schema()
        self._documents: dict[str, tuple[DocumentNode | None, list[GraphQLError]]] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeGitlab:
        super().start()
        assert self._httpd is not None
        # Accepted sockets inherit TCP_NODELAY: without it every response (headers and body
        # are written separately) waits ~40 ms for the client's delayed ACK.
        self._httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def __enter__(self) -> FakeGitlab:
        return self.start()

    # -- addresses ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """What to give ``gitlab.Gitlab(url=...)`` and ``gitlab.GraphQL(url=...)``."""
        return f"{self.origin}{self.prefix}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v4"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/api/graphql"

    def _web(self, path: str) -> str:
        base = self.url if self._httpd is not None else f"http://127.0.0.1{self.prefix}"
        return f"{base}/{path}"

    # -- log helpers ----------------------------------------------------------------------
    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        """Requests in the log with this method (any when None) whose path matches."""
        with self.lock:
            return sum(
                1
                for entry in self.log
                if (method is None or entry.method == method.upper())
                and (path_regex is None or re.search(path_regex, entry.path))
            )

    def graphql_count(self, root_field: str | None = None) -> int:
        """GraphQL operations received, or those selecting ``root_field`` (e.g.
        ``"workItemCreate"``)."""
        with self.lock:
            return sum(
                1 for op in self.graphql_ops if root_field is None or root_field in op.root_fields
            )

    # -- rate limiting --------------------------------------------------------------------
    def throttle(self, times: int | None = 1, retry_after: int = 0) -> None:
        """Answer the next ``times`` API requests (every one when None) with 429 and
        ``Retry-After: retry_after``."""
        with self.lock:
            self._throttle_left = times
            self._retry_after = retry_after

    def unthrottle(self) -> None:
        with self.lock:
            self._throttle_left = 0

    def _rate_limit_state(self) -> tuple[dict[str, str], int | None]:
        """Headers for this request and, when it must be throttled, the Retry-After."""
        now = time.time()
        window = max(1, self.rate_limit_window)
        start = math.floor(now / window) * window
        if start != self._rl_window_start:
            self._rl_window_start = start
            self._rl_observed = 0
        self._rl_observed += 1
        reset = start + window
        headers = {
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Observed": str(self._rl_observed),
            "RateLimit-Remaining": str(max(0, self.rate_limit - self._rl_observed)),
            "RateLimit-Reset": str(int(reset)),
            "RateLimit-ResetTime": format_datetime(datetime.fromtimestamp(reset, UTC), True),
        }
        retry_after: int | None = None
        if self._throttle_left is None or self._throttle_left > 0:
            if self._throttle_left is not None:
                self._throttle_left -= 1
            retry_after = self._retry_after
        elif self.enforce_rate_limit and self._rl_observed > self.rate_limit:
            retry_after = max(0, math.ceil(reset - now))
        if retry_after is not None:
            headers["RateLimit-Remaining"] = "0"
        return headers, retry_after

    # -- sequences & clock ----------------------------------------------------------------
    def _next_id(self, kind: str) -> int:
        self._seq[kind] = self._seq.get(kind, 0) + 1
        return self._seq[kind]

    def _now(self) -> str:
        """Strictly increasing UTC timestamps (millisecond steps) in GitLab's format."""
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_time:
            now = self._last_time + timedelta(milliseconds=1)
        self._last_time = now
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

    # -- state helpers (for tests) --------------------------------------------------------
    def add_project(
        self,
        full_path: str,
        *,
        name: str | None = None,
        description: str = "",
        visibility: str = "private",
    ) -> Project:
        """Create a project (and its groups) at ``group/sub/project``."""
        with self.lock:
            if self.find_project(full_path) is not None:
                raise ValueError(f"project {full_path} exists")
            parts = full_path.strip("/").split("/")
            parent: Group | None = None
            for depth in range(1, len(parts)):
                gpath = "/".join(parts[:depth])
                group = self.groups.get(gpath.lower())
                if group is None:
                    group = Group(
                        self._next_id("namespace"),
                        gpath,
                        parts[depth - 1],
                        parent.id if parent else None,
                    )
                    self.groups[gpath.lower()] = group
                parent = group
            project = Project(
                id=self._next_id("project"),
                full_path="/".join(parts),
                name=name or parts[-1],
                namespace_id=parent.id if parent else None,
                created_at=self._now(),
                description=description,
                visibility=visibility,
            )
            self.projects[project.id] = project
            return project

    def find_project(self, ref: int | str) -> Project | None:
        """By numeric id, or full path (case-insensitive, URL-encoded or not)."""
        with self.lock:
            if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
                return self.projects.get(int(ref))
            path = unquote(str(ref)).strip("/").lower()
            for project in self.projects.values():
                if project.full_path.lower() == path:
                    return project
            return None

    def project(self, ref: int | str | Project) -> Project:
        if isinstance(ref, Project):
            return ref
        found = self.find_project(ref)
        if found is None:
            raise KeyError(f"no project {ref!r}")
        return found

    def add_label(
        self,
        project: int | str | Project,
        name: str,
        color: str = DEFAULT_LABEL_COLOR,
        description: str | None = None,
    ) -> Label:
        with self.lock:
            proj = self.project(project)
            if name in proj.labels:
                return proj.labels[name]
            label = Label(self._next_id("label"), proj.id, name, color, description)
            proj.labels[name] = label
            return label

    def add_issue(
        self,
        project: int | str | Project,
        title: str,
        *,
        description: str | None = None,
        labels: Iterable[str] = (),
        state: str = "opened",
        issue_type: str = "issue",
        parent: Issue | None = None,
        confidential: bool = False,
        author: str | None = None,
    ) -> Issue:
        """Create an issue / work item directly in the state (no request logged)."""
        with self.lock:
            issue = self._create_issue(
                self.project(project),
                title=title,
                description=description,
                labels=list(labels),
                work_item_type=issue_type.upper(),
                confidential=confidential,
            )
            if author is not None:
                issue.author_id = self.user_id(author)
            if state == "closed":
                issue.state = "closed"
                issue.closed_at = issue.updated_at
            if parent is not None:
                self._set_parent(issue, parent)
            return issue

    def issue(self, project: int | str | Project, iid: int) -> Issue:
        with self.lock:
            proj = self.project(project)
            for issue in self.issues.values():
                if issue.project_id == proj.id and issue.iid == int(iid):
                    return issue
            raise KeyError(f"no issue {proj.full_path}#{iid}")

    def project_issues(self, project: int | str | Project) -> list[Issue]:
        with self.lock:
            proj = self.project(project)
            return sorted(
                (i for i in self.issues.values() if i.project_id == proj.id), key=lambda i: i.iid
            )

    def work_item(self, ref: int | str) -> Issue:
        """By numeric id or ``gid://gitlab/WorkItem/<id>``."""
        with self.lock:
            num = int(ref) if isinstance(ref, int) or str(ref).isdigit() else None
            if num is None:
                match = WORK_ITEM_GID.match(str(ref))
                if not match:
                    raise KeyError(ref)
                num = int(match.group(1))
            return self.issues[num]

    def add_user(self, username: str) -> int:
        """Another account (not the token's); its id."""
        with self.lock:
            user_id = max(self.users) + 1
            self.users[user_id] = {"id": user_id, "username": username, "name": username.title()}
            return user_id

    def user_id(self, username: str) -> int:
        with self.lock:
            found = [k for k, user in self.users.items() if user["username"] == username]
            return found[0] if found else self.add_user(username)

    def add_member(self, project: int | str | Project, username: str, access_level: int) -> None:
        """Make `username` a member of `project` (10 Guest, 20 Reporter, 30 Developer...)."""
        with self.lock:
            self.project(project).members[self.user_id(username)] = access_level

    def add_note(
        self, issue: Issue, body: str, *, system: bool = False, author: str | None = None
    ) -> Note:
        with self.lock:
            note = self._create_note(issue, body, system=system)
            if author is not None:
                note.author_id = self.user_id(author)
            return note

    def issue_notes(self, issue: Issue, *, include_system: bool = True) -> list[Note]:
        with self.lock:
            return sorted(
                (
                    n
                    for n in self.notes.values()
                    if n.issue_id == issue.id and (include_system or not n.system)
                ),
                key=lambda n: n.id,
            )

    def add_link(self, source: Issue, target: Issue, link_type: str = "relates_to") -> IssueLink:
        with self.lock:
            return self._create_link(source, target, link_type)

    def issue_links(self, issue: Issue) -> list[IssueLink]:
        with self.lock:
            return sorted(
                (lk for lk in self.links.values() if issue.id in (lk.source_id, lk.target_id)),
                key=lambda lk: lk.id,
            )

    def set_parent(self, child: Issue, parent: Issue | None) -> None:
        with self.lock:
            if parent is None:
                child.parent_id = None
            else:
                self._set_parent(child, parent)

    def children(self, parent: Issue) -> list[Issue]:
        with self.lock:
            return self._children(parent)

    def type_gid(self, name: str = "TASK") -> str:
        """``gid://gitlab/WorkItems::Type/<n>`` of a type (enum name like ``TASK``)."""
        return f"gid://gitlab/WorkItems::Type/{self.work_item_type_ids[name.upper()]}"

    # -- internal state operations --------------------------------------------------------
    def _create_issue(
        self,
        project: Project,
        *,
        title: str,
        description: str | None,
        labels: list[str],
        work_item_type: str = "ISSUE",
        confidential: bool = False,
        assignee_ids: list[int] | None = None,
    ) -> Issue:
        now = self._now()
        issue = Issue(
            id=self._next_id("issue"),
            project_id=project.id,
            iid=project.next_iid,
            title=title,
            description=description,
            created_at=now,
            updated_at=now,
            author_id=self.user["id"],
            labels=self._ensure_labels(project, labels),
            assignee_ids=[a for a in (assignee_ids or []) if a == self.user["id"]],
            work_item_type=work_item_type,
            confidential=confidential,
        )
        project.next_iid += 1
        self.issues[issue.id] = issue
        return issue

    def _ensure_labels(self, project: Project, names: Iterable[str]) -> list[str]:
        result: list[str] = []
        for raw in names:
            name = raw.strip()
            if not name or name in result:
                continue
            if name not in project.labels:
                label = Label(self._next_id("label"), project.id, name)
                project.labels[name] = label
            result.append(name)
        return result

    def _create_note(
        self, issue: Issue, body: str, *, system: bool = False, internal: bool = False
    ) -> Note:
        now = self._now()
        note = Note(
            self._next_id("note"), issue.id, body, self.user["id"], now, now, system, internal
        )
        self.notes[note.id] = note
        issue.updated_at = now
        return note

    def _system_note(self, issue: Issue, body: str) -> None:
        if self.system_notes:
            self._create_note(issue, body, system=True)

    def _create_link(self, source: Issue, target: Issue, link_type: str) -> IssueLink:
        if link_type == "is_blocked_by":
            source, target, link_type = target, source, "blocks"
        now = self._now()
        link = IssueLink(self._next_id("link"), source.id, target.id, link_type, now, now)
        self.links[link.id] = link
        self._system_note(source, f"marked this issue as related to {self._ref(target, source)}")
        self._system_note(target, f"marked this issue as related to {self._ref(source, target)}")
        return link

    def _children(self, parent: Issue) -> list[Issue]:
        return sorted(
            (i for i in self.issues.values() if i.parent_id == parent.id),
            key=lambda i: (i.relative_position, i.id),
        )

    def _set_parent(self, child: Issue, parent: Issue) -> None:
        siblings = self._children(parent)
        # GitLab places a newly linked child before the existing ones.
        child.relative_position = (siblings[0].relative_position - 1) if siblings else 0
        child.parent_id = parent.id
        kind = WORK_ITEM_TYPES[child.work_item_type][0].lower()
        self._system_note(parent, f"added {self._ref(child, parent)} as child {kind}")
        self._system_note(child, f"added {self._ref(parent, child)} as parent issue")

    def _ref(self, issue: Issue, from_issue: Issue | None = None) -> str:
        if from_issue is not None and from_issue.project_id == issue.project_id:
            return f"#{issue.iid}"
        return f"{self.projects[issue.project_id].full_path}#{issue.iid}"

    def _hierarchy_error(self, child: Issue, parent: Issue) -> str | None:
        ref = self._ref(child, parent)
        if child.id == parent.id:
            return f"{ref} cannot be added: it's not allowed to add this type of parent item"
        allowed = ALLOWED_CHILDREN.get(parent.work_item_type, frozenset())
        if child.work_item_type not in allowed:
            return f"{ref} cannot be added: it's not allowed to add this type of parent item"
        ancestor: Issue | None = parent
        while ancestor is not None:
            if ancestor.id == child.id:
                return f"{ref} cannot be added: it's already present in this item's hierarchy"
            ancestor = self.issues.get(ancestor.parent_id) if ancestor.parent_id else None
        return None

    # -- URLs & JSON shapes ----------------------------------------------------------------
    def project_web_url(self, project: Project) -> str:
        return self._web(project.full_path)

    def issue_web_url(self, issue: Issue) -> str:
        kind = "work_items" if issue.work_item_type == "TASK" else "issues"
        return f"{self.project_web_url(self.projects[issue.project_id])}/-/{kind}/{issue.iid}"

    def _user_basic(self, user_id: int | None = None) -> dict[str, Any]:
        user = self.users.get(user_id, self.user) if user_id is not None else self.user
        return {
            "id": user["id"],
            "username": user["username"],
            "name": user["name"],
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": self._web(user["username"]),
        }

    def _user_full(self) -> dict[str, Any]:
        return {
            **self._user_basic(),
            "created_at": "2023-01-01T00:00:00.000Z",
            "bio": "",
            "location": "",
            "public_email": None,
            "skype": "",
            "linkedin": "",
            "twitter": "",
            "website_url": "",
            "organization": "",
            "job_title": "",
            "bot": False,
            "last_sign_in_at": None,
            "confirmed_at": "2023-01-01T00:00:00.000Z",
            "last_activity_on": None,
            "email": f"{self.user['username']}@example.com",
            "projects_limit": 100000,
            "can_create_group": True,
            "can_create_project": True,
            "two_factor_enabled": False,
            "external": False,
            "private_profile": False,
            "is_admin": False,
        }

    def _namespace_json(self, project: Project) -> dict[str, Any]:
        group = self.groups.get(project.namespace_path.lower())
        if group is None:
            return {
                "id": 0,
                "name": self.user["username"],
                "path": self.user["username"],
                "kind": "user",
                "full_path": self.user["username"],
                "parent_id": None,
                "avatar_url": None,
                "web_url": self._web(self.user["username"]),
            }
        return {
            "id": group.id,
            "name": group.name,
            "path": group.path,
            "kind": "group",
            "full_path": group.full_path,
            "parent_id": group.parent_id,
            "avatar_url": None,
            "web_url": self._web(f"groups/{group.full_path}"),
        }

    def _project_json(self, project: Project) -> dict[str, Any]:
        names = [g.name for g in self._ancestor_groups(project)] + [project.name]
        api = f"{self.api_url if self._httpd else ''}/projects/{project.id}"
        web = self.project_web_url(project)
        open_issues = sum(
            1 for i in self.issues.values() if i.project_id == project.id and i.state == "opened"
        )
        return {
            "id": project.id,
            "description": project.description,
            "name": project.name,
            "name_with_namespace": " / ".join(names),
            "path": project.path,
            "path_with_namespace": project.full_path,
            "created_at": project.created_at,
            "default_branch": "main",
            "tag_list": [],
            "topics": [],
            "ssh_url_to_repo": f"git@127.0.0.1:{project.full_path}.git",
            "http_url_to_repo": f"{web}.git",
            "web_url": web,
            "readme_url": None,
            "avatar_url": None,
            "forks_count": 0,
            "star_count": 0,
            "last_activity_at": project.created_at,
            "namespace": self._namespace_json(project),
            "visibility": project.visibility,
            "archived": False,
            "empty_repo": True,
            "issues_enabled": True,
            "open_issues_count": open_issues,
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "labels": f"{api}/labels",
                "events": f"{api}/events",
                "members": f"{api}/members",
            },
        }

    def _ancestor_groups(self, project: Project) -> list[Group]:
        parts = project.full_path.split("/")
        return [
            self.groups["/".join(parts[:d]).lower()]
            for d in range(1, len(parts))
            if "/".join(parts[:d]).lower() in self.groups
        ]

    def _issue_json(self, issue: Issue, *, labels_details: bool = False) -> dict[str, Any]:
        project = self.projects[issue.project_id]
        api = f"{self.api_url if self._httpd else ''}/projects/{project.id}"
        user = self._user_basic()
        assignees = [user for a in issue.assignee_ids if a == self.user["id"]]
        notes_count = sum(1 for n in self.notes.values() if n.issue_id == issue.id and not n.system)
        blocking = sum(
            1
            for lk in self.links.values()
            if lk.link_type == "blocks"
            and lk.source_id == issue.id
            and self.issues[lk.target_id].state == "opened"
        )
        labels: list[Any] = list(issue.labels)
        if labels_details:
            labels = [self._label_json(project.labels[name]) for name in issue.labels]
        children = self._children(issue)
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": project.id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "closed_by": user if issue.state == "closed" else None,
            "labels": labels,
            "milestone": None,
            "assignees": assignees,
            "author": self._user_basic(issue.author_id),
            "type": issue.work_item_type,
            "assignee": assignees[0] if assignees else None,
            "user_notes_count": notes_count,
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": issue.confidential,
            "discussion_locked": None,
            "issue_type": issue.issue_type,
            "web_url": self.issue_web_url(issue),
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {
                "count": len(children),
                "completed_count": sum(1 for c in children if c.state == "closed"),
            },
            "weight": None,
            "blocking_issues_count": blocking,
            "has_tasks": bool(children),
            "task_status": "",
            "_links": {
                "self": f"{api}/issues/{issue.iid}",
                "notes": f"{api}/issues/{issue.iid}/notes",
                "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
                "project": api,
                "closed_as_duplicate_of": None,
            },
            "references": {
                "short": f"#{issue.iid}",
                "relative": f"#{issue.iid}",
                "full": f"{project.full_path}#{issue.iid}",
            },
            "severity": "UNKNOWN",
            "subscribed": True,
            "moved_to_id": None,
            "imported": False,
            "imported_from": "none",
            "service_desk_reply_to": None,
        }

    def _note_json(self, note: Note) -> dict[str, Any]:
        issue = self.issues[note.issue_id]
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": self._user_basic(note.author_id),
            "created_at": note.created_at,
            "updated_at": note.updated_at,
            "system": note.system,
            "noteable_id": issue.id,
            "noteable_type": "Issue",
            "project_id": issue.project_id,
            "resolvable": False,
            "confidential": note.internal,
            "internal": note.internal,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": issue.iid,
            "commands_changes": {},
        }

    def _label_json(self, label: Label, *, counts: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": label.id,
            "name": label.name,
            "description": label.description,
            "description_html": label.description or "",
            "text_color": _text_color(label.color),
            "color": label.color,
            "subscribed": False,
            "priority": None,
            "is_project_label": True,
        }
        if counts:
            tagged = [
                i
                for i in self.issues.values()
                if i.project_id == label.project_id and label.name in i.labels
            ]
            data["open_issues_count"] = sum(1 for i in tagged if i.state == "opened")
            data["closed_issues_count"] = sum(1 for i in tagged if i.state == "closed")
            data["open_merge_requests_count"] = 0
        return data

    def _link_json(self, link: IssueLink) -> dict[str, Any]:
        return {
            "source_issue": self._issue_json(self.issues[link.source_id]),
            "target_issue": self._issue_json(self.issues[link.target_id]),
            "link_type": link.link_type,
        }

    # -- HTTP entry point -----------------------------------------------------------------
    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        if not (self.hold_first_writes and http.command in WRITE_METHODS):
            super()._dispatch(http)
            return
        # Held before the server's lock is taken, so that the others can come.
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        path = urlsplit(http.path).path
        try:
            payload = json.loads(body) if path.endswith("/api/graphql") else None
        except ValueError:
            payload = None
        if is_write(http.command, path, payload):
            self._wait_for_the_others()
        connection, http.rfile = http.rfile, io.BytesIO(body)  # the body, read again
        try:
            super()._dispatch(http)
        finally:
            http.rfile = connection  # the next request on this connection

    def handle(self, request: Request) -> Response:
        write = is_write(request.method, request.path, _payload(request))
        graphql = request.path.endswith("/api/graphql")
        with self.lock:
            # A mutation request counts `writes_before_failing` field by field.
            if write and self._write_fails(per_request=not graphql):
                return Response(502, {"message": "502 Bad Gateway"})
            lose = write and self.lose_creates > 0 and _is_create(request)
            if lose:
                self.lose_creates -= 1
            ops = len(self.graphql_ops)
            response = self._serve(request)
            cut = any(op.cut for op in self.graphql_ops[ops:])
        if lose or cut:  # carried out (in part, when cut), but the client never learns it
            return Response(502, {"message": "502 Bad Gateway"})
        return response

    def _wait_for_the_others(self) -> None:
        """`hold_first_writes`: the first N writes go on together, once all N have come."""
        with self.lock:
            if self.hold_first_writes <= 0:
                return
            if self._hold is None:
                self._hold = threading.Barrier(self.hold_first_writes, timeout=30)
            barrier = self._hold
            self.hold_first_writes -= 1
            if self.hold_first_writes == 0:
                self._hold = None
        barrier.wait()

    def _write_fails(self, per_request: bool = True) -> bool:
        """Whether this write is refused (502, not carried out) by `refuse_writes` or
        `writes_before_failing`."""
        if self.refuse_writes > 0:
            self.refuse_writes -= 1
            return True
        if self.writes_before_failing is None or not per_request:
            return False
        if self.writes_before_failing == 0:
            return True
        self.writes_before_failing -= 1
        return False

    def _serve(self, request: Request) -> Response:
        path = request.path
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return Response(404, raw=b"Not Found", headers={"Content-Type": "text/plain"})
            path = path[len(self.prefix) :]
        if not path.startswith("/api/"):
            return Response(404, raw=b"Not Found", headers={"Content-Type": "text/plain"})
        rl_headers, retry_after = self._rate_limit_state()
        if retry_after is not None:
            return Response(
                429,
                raw=b"Retry later\n",
                headers={
                    "Content-Type": "text/plain",
                    "Retry-After": str(retry_after),
                    **rl_headers,
                },
            )
        try:
            if path == "/api/graphql":
                response = self._graphql_endpoint(request)
            elif path.startswith("/api/v4/"):
                response = self._rest(request, path[len("/api/v4") :])
            else:
                response = Response(404, {"error": "404 Not Found"})
        except ApiError as err:
            response = err.response
        except Exception:
            self.errors.append(traceback.format_exc())
            response = Response(500, {"message": "500 Internal Server Error"})
        response.headers = {**rl_headers, **response.headers}
        return response

    def _access(self, request: Request) -> tuple[str | None, bool]:
        """(access level or None, whether a token was presented)."""
        headers = request.headers
        token = headers.get("private-token") or headers.get("job-token")
        auth = headers.get("authorization", "")
        if token is None and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        if token is None:
            token = (
                request.arg("private_token")
                or request.arg("access_token")
                or request.arg("job_token")
            )
        if token is None:
            return None, False
        return self.tokens.get(token), True

    def _rest(self, request: Request, path: str) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        allowed = False
        for route_method, regex, handler in self._rest_routes:
            match = regex.match(path)
            if not match:
                continue
            if route_method != method:
                allowed = True
                continue
            access, _ = self._access(request)
            if access is None:
                return Response(401, {"message": "401 Unauthorized"})
            request.params = {k: unquote(v) for k, v in match.groupdict().items()}
            return handler(request, access)
        if allowed:
            return Response(405, {"error": "405 Not Allowed"})
        return Response(404, {"error": "404 Not Found"})

    def _register_routes(self) -> None:
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/version", self._get_version),
            ("GET", "/user", self._get_user),
            ("GET", "/projects", self._list_projects),
            ("GET", "/projects/{id}", self._get_project),
            ("GET", "/projects/{id}/members/all/{user_id}", self._get_member),
            ("GET", "/projects/{id}/labels", self._list_labels),
            ("POST", "/projects/{id}/labels", self._create_label),
            ("GET", "/issues", self._list_all_issues),
            ("GET", "/projects/{id}/issues", self._list_issues),
            ("POST", "/projects/{id}/issues", self._post_issue),
            ("GET", "/projects/{id}/issues/{iid}", self._get_issue),
            ("PUT", "/projects/{id}/issues/{iid}", self._put_issue),
            ("DELETE", "/projects/{id}/issues/{iid}", self._delete_issue),
            ("GET", "/projects/{id}/issues/{iid}/notes", self._list_notes),
            ("POST", "/projects/{id}/issues/{iid}/notes", self._post_note),
            ("GET", "/projects/{id}/issues/{iid}/notes/{note_id}", self._get_note),
            ("PUT", "/projects/{id}/issues/{iid}/notes/{note_id}", self._put_note),
            ("DELETE", "/projects/{id}/issues/{iid}/notes/{note_id}", self._delete_note),
            ("GET", "/projects/{id}/issues/{iid}/links", self._list_links),
            ("POST", "/projects/{id}/issues/{iid}/links", self._post_link),
            ("GET", "/projects/{id}/issues/{iid}/links/{link_id}", self._get_link),
            ("DELETE", "/projects/{id}/issues/{iid}/links/{link_id}", self._delete_link),
        ]
        for method, pattern, handler in table:
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
            self._rest_routes.append((method, re.compile(f"^{regex}/?$"), handler))

    # -- request helpers ------------------------------------------------------------------
    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        """Query and body parameters merged, like Grape does (body wins)."""
        params: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in request.query.items()}
        if not request.body:
            return params
        ctype = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in ctype:
            form = parse_qs(request.body.decode(), keep_blank_values=True)
            params.update({k: v if len(v) > 1 else v[0] for k, v in form.items()})
            return params
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise _bad_request("The provided JSON is invalid") from exc
        if isinstance(body, dict):
            params.update(body)
        return params

    @staticmethod
    def _list_param(params: dict[str, Any], name: str) -> list[str] | None:
        value = params.get(f"{name}[]", params.get(name))
        if value is None:
            return None
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(value)]

    @staticmethod
    def _labels_param(value: Any) -> list[str]:
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        result: list[str] = []
        for item in items:
            result.extend(part.strip() for part in str(item).split(",") if part.strip())
        return result

    @staticmethod
    def _int_param(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            if required:
                raise _bad_request(f"{name} is missing")
            return None
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise _bad_request(f"{name} is invalid") from exc

    @staticmethod
    def _bool_param(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1", "yes")

    @staticmethod
    def _require_write(access: str) -> None:
        if access != "write":
            raise ApiError(403, {"message": "403 Forbidden"})

    def _project_of(self, request: Request) -> Project:
        project = self.find_project(request.params["id"])
        if project is None:
            raise _not_found("Project")
        return project

    def _issue_of(self, request: Request, project: Project | None = None) -> Issue:
        project = project or self._project_of(request)
        raw = request.params["iid"]
        if not raw.isdigit():
            raise _bad_request("issue_iid is invalid")
        for issue in self.issues.values():
            if issue.project_id == project.id and issue.iid == int(raw):
                return issue
        raise _not_found()

    def _paginate(
        self, request: Request, items: list[Any], render: Callable[[Any], Any]
    ) -> Response:
        params = {k: v for k, v in request.query.items()}
        per_page = self._int_param({"per_page": request.arg("per_page")}, "per_page") or 20
        page = self._int_param({"page": request.arg("page")}, "page") or 1
        if per_page < 1:
            per_page = 20
        per_page = min(per_page, 100)
        page = max(page, 1)
        total = len(items)
        total_pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        next_page = page + 1 if page < total_pages else None
        prev_page = page - 1 if 1 < page <= total_pages else None

        def link(number: int) -> str:
            query = [
                (k, v) for k, vals in params.items() if k not in ("page", "per_page") for v in vals
            ]
            query += [("page", str(number)), ("per_page", str(per_page))]
            return f"{self.origin}{request.path}?{urlencode(query)}"

        links = []
        if prev_page:
            links.append(f'<{link(prev_page)}>; rel="prev"')
        if next_page:
            links.append(f'<{link(next_page)}>; rel="next"')
        links.append(f'<{link(1)}>; rel="first"')
        links.append(f'<{link(total_pages)}>; rel="last"')
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(next_page or ""),
            "X-Prev-Page": str(prev_page or ""),
            "X-Total": str(total),
            "X-Total-Pages": str(total_pages),
            "Link": ", ".join(links),
        }
        return Response(200, [render(item) for item in chunk], headers)

    # -- REST: misc -----------------------------------------------------------------------
    def _get_version(self, request: Request, access: str) -> Response:
        return Response(
            200,
            {
                "version": self.version,
                "revision": self.revision,
                "kas": {"enabled": False, "externalUrl": None, "version": None},
                "enterprise": self.version.endswith("-ee"),
            },
        )

    def _get_user(self, request: Request, access: str) -> Response:
        return Response(200, self._user_full())

    def _get_member(self, request: Request, access: str) -> Response:
        """A member of the project with the access level GitLab grants them; 404 for anyone
        else. The token's user is a Maintainer everywhere."""
        project = self._project_of(request)
        raw = request.params["user_id"]
        user_id = int(raw) if raw.isdigit() else -1
        level = 40 if user_id == self.user["id"] else project.members.get(user_id)
        if level is None:
            raise _not_found()
        return Response(200, {**self._user_basic(user_id), "access_level": level})

    def _list_projects(self, request: Request, access: str) -> Response:
        params = self._params(request)
        search = str(params.get("search") or "").lower()
        projects = [
            p
            for p in sorted(self.projects.values(), key=lambda p: p.id, reverse=True)
            if not search or search in p.full_path.lower() or search in p.name.lower()
        ]
        return self._paginate(request, projects, self._project_json)

    def _get_project(self, request: Request, access: str) -> Response:
        return Response(200, self._project_json(self._project_of(request)))

    # -- REST: labels ---------------------------------------------------------------------
    def _list_labels(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        params = self._params(request)
        counts = self._bool_param(params.get("with_counts", False))
        search = str(params.get("search") or "").lower()
        labels = sorted(
            (lb for lb in project.labels.values() if search in lb.name.lower()),
            key=lambda lb: lb.name.lower(),
        )
        return self._paginate(request, labels, lambda lb: self._label_json(lb, counts=counts))

    def _create_label(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        self._require_write(access)
        params = self._params(request)
        name = str(params.get("name") or "").strip()
        if not name:
            raise _bad_request("name is missing")
        color = str(params.get("color") or "").strip()
        if not color:
            raise _bad_request("color is missing")
        color = NAMED_COLORS.get(color.lower(), color)
        if not re.fullmatch(r"#(?:[0-9A-Fa-f]{3}){1,2}", color):
            raise ApiError(400, {"message": {"color": ["must be a valid color code"]}})
        if name in project.labels:
            raise ApiError(409, {"message": "Label already exists"})
        label = Label(self._next_id("label"), project.id, name, color, params.get("description"))
        project.labels[name] = label
        return Response(201, self._label_json(label))

    # -- REST: issues ---------------------------------------------------------------------
    def _filter_issues(self, issues: list[Issue], params: dict[str, Any]) -> list[Issue]:
        state = params.get("state", "all") or "all"
        if state not in ("opened", "closed", "all"):
            raise _bad_request("state does not have a valid value")
        if state != "all":
            issues = [i for i in issues if i.state == state]
        labels = params.get("labels")
        if labels is not None and labels != "":
            wanted = self._labels_param(labels)
            lowered = [w.lower() for w in wanted]
            if lowered == ["none"]:
                issues = [i for i in issues if not i.labels]
            elif lowered == ["any"]:
                issues = [i for i in issues if i.labels]
            else:
                issues = [i for i in issues if all(w in i.labels for w in wanted)]
        not_labels = params.get("not[labels]")
        if not_labels:
            unwanted = self._labels_param(not_labels)
            issues = [i for i in issues if not any(u in i.labels for u in unwanted)]
        iids = self._list_param(params, "iids")
        if iids is not None:
            wanted_iids = {int(v) for v in iids if str(v).isdigit()}
            issues = [i for i in issues if i.iid in wanted_iids]
        issue_type = params.get("issue_type")
        if issue_type:
            if issue_type not in REST_ISSUE_TYPES:
                raise _bad_request("issue_type does not have a valid value")
            issues = [i for i in issues if i.issue_type == issue_type]
        search = params.get("search")
        if search:
            needle = str(search).lower()
            issues = [
                i
                for i in issues
                if needle in i.title.lower() or needle in (i.description or "").lower()
            ]
        for key, attr in (("updated_after", "updated_at"), ("created_after", "created_at")):
            if params.get(key):
                issues = [i for i in issues if getattr(i, attr) >= str(params[key])]
        order_by = params.get("order_by", "created_at") or "created_at"
        if order_by not in ISSUE_ORDER_BY:
            raise _bad_request("order_by does not have a valid value")
        sort = params.get("sort", "desc") or "desc"
        if sort not in ("asc", "desc"):
            raise _bad_request("sort does not have a valid value")
        keys: dict[str, Callable[[Issue], Any]] = {
            "updated_at": lambda i: (i.updated_at, i.id),
            "title": lambda i: (i.title.lower(), i.id),
            "relative_position": lambda i: (i.relative_position, i.id),
        }
        return sorted(
            issues, key=keys.get(order_by, lambda i: (i.created_at, i.id)), reverse=sort == "desc"
        )

    def _list_issues(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        params = self._params(request)
        issues = self._filter_issues(
            [i for i in self.issues.values() if i.project_id == project.id], params
        )
        details = self._bool_param(params.get("with_labels_details", False))
        return self._paginate(
            request, issues, lambda i: self._issue_json(i, labels_details=details)
        )

    def _list_all_issues(self, request: Request, access: str) -> Response:
        params = self._params(request)
        scope = params.get("scope", "created_by_me") or "created_by_me"
        if scope not in (
            "created_by_me",
            "assigned_to_me",
            "all",
            "created-by-me",
            "assigned-to-me",
        ):
            raise _bad_request("scope does not have a valid value")
        issues = list(self.issues.values())
        if scope in ("created_by_me", "created-by-me"):
            issues = [i for i in issues if i.author_id == self.user["id"]]
        elif scope in ("assigned_to_me", "assigned-to-me"):
            issues = [i for i in issues if self.user["id"] in i.assignee_ids]
        issues = self._filter_issues(issues, params)
        details = self._bool_param(params.get("with_labels_details", False))
        return self._paginate(
            request, issues, lambda i: self._issue_json(i, labels_details=details)
        )

    def _validate_text(self, title: str | None, description: str | None) -> None:
        errors: dict[str, list[str]] = {}
        if title is not None and len(title) > TITLE_MAX_CHARS:
            errors["title"] = [f"is too long (maximum is {TITLE_MAX_CHARS} characters)"]
        if description is not None and len(description) > DESCRIPTION_MAX_CHARS:
            errors["description"] = ["is too long (1 MiB). The maximum size is 1 MiB."]
        if errors:
            raise ApiError(400, {"message": errors})

    def _post_issue(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        self._require_write(access)
        params = self._params(request)
        title = params.get("title")
        if title is None:
            raise _bad_request("title is missing")
        if not str(title).strip():
            raise _bad_request("title is empty")
        description = params.get("description")
        self._validate_text(str(title), description)
        issue_type = params.get("issue_type", "issue") or "issue"
        if issue_type not in REST_ISSUE_TYPES or (
            issue_type == "task" and not self.tasks_available
        ):
            raise _bad_request("issue_type does not have a valid value")
        assignees = self._list_param(params, "assignee_ids") or []
        if params.get("assignee_id") is not None:
            assignees.append(str(params["assignee_id"]))
        issue = self._create_issue(
            project,
            title=str(title),
            description=None if description is None else str(description),
            labels=self._labels_param(params.get("labels")),
            work_item_type=issue_type.upper(),
            confidential=self._bool_param(params.get("confidential", False)),
            assignee_ids=[int(a) for a in assignees if str(a).isdigit()],
        )
        return Response(201, self._issue_json(issue))

    def _get_issue(self, request: Request, access: str) -> Response:
        params = self._params(request)
        details = self._bool_param(params.get("with_labels_details", False))
        return Response(200, self._issue_json(self._issue_of(request), labels_details=details))

    def _put_issue(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        issue = self._issue_of(request, project)
        self._require_write(access)
        params = self._params(request)
        known = (
            "title",
            "description",
            "labels",
            "add_labels",
            "remove_labels",
            "state_event",
            "assignee_ids",
            "assignee_id",
            "confidential",
            "issue_type",
            "due_date",
            "discussion_locked",
            "milestone_id",
            "updated_at",
            "weight",
        )
        if not any(k in params or f"{k}[]" in params for k in known):
            raise _bad_request(
                ", ".join(known) + " are missing, at least one parameter must be provided"
            )
        state_event = params.get("state_event")
        if state_event is not None and state_event not in ("close", "reopen"):
            raise _bad_request("state_event does not have a valid value")
        issue_type = params.get("issue_type")
        if issue_type is not None and (
            issue_type not in REST_ISSUE_TYPES
            or (issue_type == "task" and not self.tasks_available)
        ):
            raise _bad_request("issue_type does not have a valid value")
        title = params.get("title")
        if title is not None and not str(title).strip():
            raise _bad_request("title is empty")
        self._validate_text(title, params.get("description"))
        if title is not None:
            issue.title = str(title)
        if "description" in params:
            issue.description = params["description"]
            issue.description_edited_at = self._now()
        if "labels" in params:
            issue.labels = self._ensure_labels(project, self._labels_param(params["labels"]))
        if "add_labels" in params:
            added = self._labels_param(params["add_labels"])
            issue.labels = self._ensure_labels(project, issue.labels + added)
        if "remove_labels" in params:
            removed = set(self._labels_param(params["remove_labels"]))
            issue.labels = [lb for lb in issue.labels if lb not in removed]
        if "confidential" in params:
            issue.confidential = self._bool_param(params["confidential"])
        if issue_type is not None:
            issue.work_item_type = issue_type.upper()
        assignees = self._list_param(params, "assignee_ids")
        if assignees is not None:
            issue.assignee_ids = [int(a) for a in assignees if a.isdigit()]
        now = self._now()
        if state_event == "close" and issue.state != "closed":
            issue.state, issue.closed_at = "closed", now
            self._system_note(issue, "closed")
        elif state_event == "reopen" and issue.state != "opened":
            issue.state, issue.closed_at = "opened", None
            self._system_note(issue, "reopened")
        issue.updated_at = self._now()
        return Response(200, self._issue_json(issue))

    def _delete_issue(self, request: Request, access: str) -> Response:
        issue = self._issue_of(request)
        self._require_write(access)
        for note in [n for n in self.notes.values() if n.issue_id == issue.id]:
            del self.notes[note.id]
        for link in self.issue_links(issue):
            del self.links[link.id]
        for child in self._children(issue):
            child.parent_id = None
        del self.issues[issue.id]
        return Response(204)

    # -- REST: notes ----------------------------------------------------------------------
    def _list_notes(self, request: Request, access: str) -> Response:
        issue = self._issue_of(request)
        params = self._params(request)
        order_by = params.get("order_by", "created_at") or "created_at"
        if order_by not in ("created_at", "updated_at"):
            raise _bad_request("order_by does not have a valid value")
        sort = params.get("sort", "desc") or "desc"
        if sort not in ("asc", "desc"):
            raise _bad_request("sort does not have a valid value")
        notes = sorted(
            (n for n in self.notes.values() if n.issue_id == issue.id),
            key=lambda n: (getattr(n, order_by), n.id),
            reverse=sort == "desc",
        )
        return self._paginate(request, notes, self._note_json)

    @staticmethod
    def _check_note_body(params: dict[str, Any]) -> str:
        body = params.get("body")
        if body is None:
            raise _bad_request("body is missing")
        body = str(body)
        if not body.strip():
            raise _bad_request("body is empty")
        if len(body) > NOTE_MAX_CHARS:
            raise ApiError(
                400,
                {
                    "message": "400 Bad request - Note is too long (maximum is "
                    f"{NOTE_MAX_CHARS} characters)"
                },
            )
        return body

    def _post_note(self, request: Request, access: str) -> Response:
        issue = self._issue_of(request)
        self._require_write(access)
        params = self._params(request)
        body = self._check_note_body(params)
        note = self._create_note(
            issue, body, internal=self._bool_param(params.get("internal", False))
        )
        return Response(201, self._note_json(note))

    def _note_of(self, request: Request) -> tuple[Issue, Note]:
        issue = self._issue_of(request)
        raw = request.params["note_id"]
        if not raw.isdigit():
            raise _bad_request("note_id is invalid")
        note = self.notes.get(int(raw))
        if note is None or note.issue_id != issue.id:
            raise _not_found("Note")
        return issue, note

    def _get_note(self, request: Request, access: str) -> Response:
        return Response(200, self._note_json(self._note_of(request)[1]))

    def _put_note(self, request: Request, access: str) -> Response:
        _, note = self._note_of(request)
        self._require_write(access)
        if note.system or note.author_id != self.user["id"]:  # only its author edits a note
            raise ApiError(403, {"message": "403 Forbidden"})
        note.body = self._check_note_body(self._params(request))
        note.updated_at = self._now()
        return Response(200, self._note_json(note))

    def _delete_note(self, request: Request, access: str) -> Response:
        _, note = self._note_of(request)
        self._require_write(access)
        if note.system:
            raise ApiError(403, {"message": "403 Forbidden"})
        del self.notes[note.id]
        return Response(204)

    # -- REST: issue links ----------------------------------------------------------------
    def _list_links(self, request: Request, access: str) -> Response:
        issue = self._issue_of(request)
        rows = []
        for link in self.issue_links(issue):
            if link.source_id == issue.id:
                other, link_type = self.issues[link.target_id], link.link_type
            else:
                other = self.issues[link.source_id]
                link_type = "is_blocked_by" if link.link_type == "blocks" else link.link_type
            rows.append(
                {
                    **self._issue_json(other),
                    "issue_link_id": link.id,
                    "link_type": link_type,
                    "link_created_at": link.created_at,
                    "link_updated_at": link.updated_at,
                }
            )
        return Response(200, rows)

    def _post_link(self, request: Request, access: str) -> Response:
        project = self._project_of(request)
        source = self._issue_of(request, project)
        self._require_write(access)
        params = self._params(request)
        target_project_ref = params.get("target_project_id")
        if target_project_ref is None or target_project_ref == "":
            raise _bad_request("target_project_id is missing")
        target_iid = params.get("target_issue_iid")
        if target_iid is None or target_iid == "":
            raise _bad_request("target_issue_iid is missing")
        link_type = params.get("link_type")
        if link_type is not None and link_type not in LINK_TYPES:
            raise _bad_request("link_type does not have a valid value")
        target_project = self.find_project(str(target_project_ref))
        if target_project is None:
            raise _not_found("Project")
        if not str(target_iid).isdigit():
            raise _not_found()
        target = next(
            (
                i
                for i in self.issues.values()
                if i.project_id == target_project.id and i.iid == int(target_iid)
            ),
            None,
        )
        if target is None:
            raise _not_found()
        if link_type in ("blocks", "is_blocked_by") and not self.blocking_links_available:
            raise ApiError(403, {"message": BLOCKED_LICENSE_MESSAGE})
        related = {
            lk.source_id if lk.target_id == source.id else lk.target_id
            for lk in self.issue_links(source)
        }
        if target.id in related:
            raise ApiError(409, {"message": "Issue(s) already assigned"})
        if target.id == source.id:
            raise ApiError(
                422, {"message": f"#{target.iid} cannot be added: cannot be related to itself"}
            )
        link = self._create_link(source, target, link_type or "relates_to")
        return Response(201, self._link_json(link))

    def _link_of(self, request: Request) -> IssueLink:
        issue = self._issue_of(request)
        raw = request.params["link_id"]
        link = self.links.get(int(raw)) if raw.isdigit() else None
        if link is None or issue.id not in (link.source_id, link.target_id):
            raise _not_found()
        return link

    def _get_link(self, request: Request, access: str) -> Response:
        return Response(200, self._link_json(self._link_of(request)))

    def _delete_link(self, request: Request, access: str) -> Response:
        link = self._link_of(request)
        self._require_write(access)
        body = self._link_json(link)
        del self.links[link.id]
        source, target = self.issues[link.source_id], self.issues[link.target_id]
        self._system_note(source, f"removed the relation with {self._ref(target, source)}")
        self._system_note(target, f"removed the relation with {self._ref(source, target)}")
        return Response(200, body)

    # -- GraphQL --------------------------------------------------------------------------
    def _build_schema(self) -> GraphQLSchema:
        schema = build_schema(SCHEMA_PATH.read_text())

        def gid_scalar(name: str, pattern: re.Pattern[str]) -> None:
            def coerce(value: Any) -> str:
                if not isinstance(value, str) or not pattern.match(value):
                    raise GraphQLError(f"{json.dumps(value)} is not a valid Global ID")
                return value

            scalar = schema.type_map[name]
            scalar.parse_value = coerce  # type: ignore[method-assign, union-attr]
            scalar.coerce_input_value = coerce  # type: ignore[union-attr]

        gid_scalar("WorkItemID", WORK_ITEM_GID)
        gid_scalar("WorkItemsTypeID", TYPE_GID)
        gid_scalar("LabelID", LABEL_GID)
        gid_scalar("NoteID", NOTE_GID)
        gid_scalar("NoteableID", WORK_ITEM_GID)
        query = schema.query_type
        mutation = schema.mutation_type
        assert query is not None
        assert mutation is not None
        query.fields["currentUser"].resolve = self._gql_current_user
        query.fields["project"].resolve = self._gql_project
        query.fields["namespace"].resolve = self._gql_namespace
        query.fields["workItem"].resolve = self._gql_work_item
        for name, resolve in self._mutation_resolvers().items():
            assert name in MUTATIONS
            mutation.fields[name].resolve = self._counted(name, resolve)
        return schema

    def _graphql_endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(404, {"error": "404 Not Found"})
        access, presented = self._access(request)
        if presented and access is None:
            return Response(401, {"errors": [{"message": "Invalid token"}]})
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return Response(400, {"errors": [{"message": "Unexpected end of document"}]})
        if isinstance(payload, list):
            return Response(200, [self._graphql_one(p, access) for p in payload])
        return Response(200, self._graphql_one(payload, access))

    def _graphql_one(self, payload: Any, access: str | None) -> dict[str, Any]:
        if not isinstance(payload, dict) or not payload.get("query"):
            self.graphql_ops.append(GraphQLCall("", None, [], {}, "", ["No query string"]))
            return {"errors": [{"message": "No query string was present"}]}
        source = str(payload["query"])
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        call = GraphQLCall("", operation_name, [], variables, source, [])
        call.log_index = len(self.log)
        document, _ = self._parsed(source)
        definition = self._operation(document, operation_name)
        if definition is not None:
            call.operation_type = definition.operation.value
            call.operation_name = definition.name.value if definition.name else None
            call.root_fields = [
                sel.name.value
                for sel in definition.selection_set.selections
                if isinstance(sel, FieldNode)
            ]
        self.graphql_ops.append(call)
        limited = self._over_limits(source, operation_name, variables, access)
        if limited is not None:
            call.errors = [limited]
            return {"errors": [{"message": limited}]}
        context: dict[str, Any] = {"access": access}
        document, invalid = self._parsed(source)
        if document is None or invalid:
            result = ExecutionResult(None, invalid)
        else:
            executed = execute(
                self._schema,
                document,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
            )
            assert isinstance(executed, ExecutionResult)  # every resolver is synchronous
            result = executed
        call.writes = int(context.get("writes", 0))
        call.cut = bool(context.get("cut"))
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [self._gitlab_error(err) for err in result.errors]
            # Errors of the document itself; a mutation that failed alone has its path.
            call.errors = [e["message"] for e in body["errors"] if not e.get("path")]
            call.field_errors = [e["message"] for e in body["errors"] if e.get("path")]
        if result.data is not None or not result.errors:
            body["data"] = result.data
        return body

    def _parsed(self, source: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """A document parsed and validated once (clients send the same few again and again)."""
        if source not in self._documents:
            try:
                document = parse(source)
            except GraphQLError as err:
                self._documents[source] = (None, [err])
            else:
                self._documents[source] = (document, validate(self._schema, document))
        return self._documents[source]

    def _over_limits(
        self, source: str, operation_name: str | None, variables: Any, access: str | None
    ) -> str | None:
        """GitLab's complexity and depth limits, checked on a valid document before it runs."""
        document, invalid = self._parsed(source)
        if document is None or invalid:
            return None  # reported as the document's errors
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        definition = self._operation(document, operation_name)
        if definition is None:
            return None
        values = variables if isinstance(variables, dict) else {}
        return over_limits(
            self._schema, definition, fragments, values, authenticated=access is not None
        )

    @staticmethod
    def _operation(
        document: DocumentNode | None, operation_name: str | None
    ) -> OperationDefinitionNode | None:
        """The operation a request names (its only one when it names none)."""
        for definition in document.definitions if document is not None else ():
            if not isinstance(definition, OperationDefinitionNode):
                continue
            name = definition.name.value if definition.name else None
            if not operation_name or name == operation_name:
                return definition
        return None

    @staticmethod
    def _gitlab_error(error: GraphQLError) -> dict[str, Any]:
        """graphql-core's error, worded like graphql-ruby (GitLab) where they differ."""
        formatted: dict[str, Any] = dict(error.formatted)
        message = formatted["message"]
        match = re.match(r"Cannot query field '(\w+)' on type '(\w+)'\.", message)
        if match:
            formatted["message"] = f"Field '{match[1]}' doesn't exist on type '{match[2]}'"
            formatted["extensions"] = {
                "code": "undefinedField",
                "typeName": match[2],
                "fieldName": match[1],
            }
        match = re.match(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\.", message)
        if match:
            formatted["message"] = f"Field '{match[3]}' doesn't accept argument '{match[1]}'"
            formatted["extensions"] = {
                "code": "argumentNotAccepted",
                "name": match[3],
                "typeName": "Field",
                "argumentName": match[1],
            }
        return formatted

    # GraphQL views: dicts whose callables graphql-core's default resolver calls lazily.
    def _can_read(self, access: str | None, project: Project) -> bool:
        return access is not None or project.visibility == "public"

    @staticmethod
    def _access_of(info: Any) -> str | None:
        context: dict[str, Any] = info.context
        return context.get("access")

    def _connection(
        self,
        items: list[Any],
        args: dict[str, Any],
        render: Callable[[Any], Any],
        key: Callable[[Any], Any] = lambda item: item.id,
    ) -> dict[str, Any]:
        cursors = [_b64({"id": str(key(item))}) for item in items]
        start, end = 0, len(items)
        for key in ("after", "before"):
            cursor = args.get(key)
            if cursor is None:
                continue
            if cursor not in cursors:
                try:
                    _unb64(cursor)
                except (ValueError, TypeError) as exc:
                    raise GraphQLError("Please provide a valid cursor") from exc
                raise GraphQLError("Please provide a valid cursor")
            if key == "after":
                start = cursors.index(cursor) + 1
            else:
                end = cursors.index(cursor)
        first, last = args.get("first"), args.get("last")
        for key, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise GraphQLError(f"Argument '{key}' on Field must be a non-negative integer")
        if first is not None:
            end = min(end, start + min(first, GRAPHQL_MAX_PAGE_SIZE))
        if last is not None:
            start = max(start, end - min(last, GRAPHQL_MAX_PAGE_SIZE))
        if first is None and last is None:
            end = min(end, start + GRAPHQL_MAX_PAGE_SIZE)
        window = list(range(start, end)) if start < end else []
        edges = [{"cursor": cursors[i], "node": render(items[i])} for i in window]
        return {
            "count": len(items),
            "edges": edges,
            "nodes": [edge["node"] for edge in edges],
            "pageInfo": {
                "hasNextPage": end < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": cursors[window[0]] if window else None,
                "endCursor": cursors[window[-1]] if window else None,
            },
        }

    def _user_view(self) -> dict[str, Any]:
        return {
            "id": f"gid://gitlab/User/{self.user['id']}",
            "name": self.user["name"],
            "username": self.user["username"],
            "state": "active",
            "webUrl": self._web(self.user["username"]),
        }

    def _available_types(self) -> list[str]:
        keys = [k for k in WORK_ITEM_TYPES if k != "TASK" or self.tasks_available]
        return sorted(keys, key=lambda k: WORK_ITEM_TYPES[k][0])

    def _type_view(self, key: str) -> dict[str, Any]:
        return {
            "id": self.type_gid(key),
            "name": WORK_ITEM_TYPES[key][0],
            "iconName": WORK_ITEM_TYPES[key][1],
        }

    def _types_connection(self, _info: Any, **args: Any) -> dict[str, Any]:
        keys = self._available_types()
        if args.get("name"):
            keys = [k for k in keys if k == args["name"]]
        return self._connection(keys, args, self._type_view, key=self.type_gid)

    def _work_items_connection(self, project: Project, args: dict[str, Any]) -> dict[str, Any]:
        items = [i for i in self.issues.values() if i.project_id == project.id]
        iids: set[str] = set(args.get("iids") or [])
        if args.get("iid") is not None:
            iids.add(str(args["iid"]))
        if iids or args.get("iids") is not None or args.get("iid") is not None:
            items = [i for i in items if str(i.iid) in iids]
        state = args.get("state")
        if state in ("opened", "closed"):
            items = [i for i in items if i.state == state]
        if args.get("types"):
            items = [i for i in items if i.work_item_type in args["types"]]
        if args.get("search"):
            needle = str(args["search"]).lower()
            items = [i for i in items if needle in i.title.lower()]
        items.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return self._connection(items, args, self._work_item_view)

    def _project_view(self, project: Project) -> dict[str, Any]:
        names = [g.name for g in self._ancestor_groups(project)] + [project.name]
        return {
            "id": f"gid://gitlab/Project/{project.id}",
            "name": project.name,
            "path": project.path,
            "fullPath": project.full_path,
            "nameWithNamespace": " / ".join(names),
            "webUrl": self.project_web_url(project),
            "label": self._project_label(project),
            "namespace": lambda _info: self._group_view(
                self.groups.get(project.namespace_path.lower())
            ),
            "workItemTypes": self._types_connection,
            "workItems": lambda _info, **args: self._work_items_connection(project, args),
        }

    def _project_namespace_view(self, project: Project) -> dict[str, Any]:
        names = [g.name for g in self._ancestor_groups(project)] + [project.name]

        def work_item(_info: Any, iid: str) -> dict[str, Any] | None:
            for issue in self.issues.values():
                if issue.project_id == project.id and str(issue.iid) == str(iid):
                    return self._work_item_view(issue)
            return None

        return {
            "id": f"gid://gitlab/Namespaces::ProjectNamespace/{project.id + 100000}",
            "name": project.name,
            "path": project.path,
            "fullName": " / ".join(names),
            "fullPath": project.full_path,
            "webUrl": self.project_web_url(project),
            "workItem": work_item,
            "workItems": lambda _info, **args: self._work_items_connection(project, args),
            "workItemTypes": self._types_connection,
        }

    def _group_view(self, group: Group | None) -> dict[str, Any] | None:
        if group is None:
            return None
        parts = group.full_path.split("/")
        names = [
            self.groups["/".join(parts[:d]).lower()].name
            for d in range(1, len(parts) + 1)
            if "/".join(parts[:d]).lower() in self.groups
        ]
        return {
            "id": f"gid://gitlab/Group/{group.id}",
            "name": group.name,
            "path": group.path,
            "fullName": " / ".join(names),
            "fullPath": group.full_path,
            "webUrl": self._web(f"groups/{group.full_path}"),
            "workItem": lambda _info, iid: None,
            "workItems": lambda _info, **args: self._connection([], args, dict),
            "workItemTypes": self._types_connection,
        }

    def _label_view(self, label: Label) -> dict[str, Any]:
        return {
            "id": f"gid://gitlab/ProjectLabel/{label.id}",
            "title": label.name,
            "color": label.color,
            "textColor": _text_color(label.color),
            "description": label.description,
        }

    def _work_item_view(self, issue: Issue) -> dict[str, Any]:
        project = self.projects[issue.project_id]
        web_url = self.issue_web_url(issue)

        def parent(_info: Any) -> dict[str, Any] | None:
            found = self.issues.get(issue.parent_id) if issue.parent_id else None
            return self._work_item_view(found) if found else None

        def children(_info: Any, **args: Any) -> dict[str, Any]:
            return self._connection(self._children(issue), args, self._work_item_view)

        def labels(_info: Any, **args: Any) -> dict[str, Any]:
            rows = [project.labels[name] for name in issue.labels if name in project.labels]
            return self._connection(rows, args, self._label_view)

        def assignees(_info: Any, **args: Any) -> dict[str, Any]:
            rows = [a for a in issue.assignee_ids if a == self.user["id"]]
            return self._connection(rows, args, lambda _a: self._user_view(), key=str)

        def widgets(_info: Any) -> list[dict[str, Any]]:
            return [
                {
                    "__typename": "WorkItemWidgetAssignees",
                    "type": "ASSIGNEES",
                    "allowsMultipleAssignees": True,
                    "canInviteMembers": False,
                    "assignees": assignees,
                },
                {
                    "__typename": "WorkItemWidgetDescription",
                    "type": "DESCRIPTION",
                    "description": issue.description,
                    "edited": issue.description_edited_at is not None,
                    "lastEditedAt": issue.description_edited_at,
                },
                {
                    "__typename": "WorkItemWidgetHierarchy",
                    "type": "HIERARCHY",
                    "parent": parent,
                    "children": children,
                    "hasChildren": bool(self._children(issue)),
                    "hasParent": issue.parent_id is not None,
                },
                {
                    "__typename": "WorkItemWidgetLabels",
                    "type": "LABELS",
                    "allowsScopedLabels": False,
                    "labels": labels,
                },
                self._linked_items_widget(issue),
                self._notes_widget(issue),
            ]

        def reference(_info: Any, full: bool = False) -> str:
            return f"{project.full_path}#{issue.iid}" if full else f"#{issue.iid}"

        return {
            "id": issue.gid,
            "iid": str(issue.iid),
            "title": issue.title,
            "state": "OPEN" if issue.state == "opened" else "CLOSED",
            "description": issue.description,
            "confidential": issue.confidential,
            "createdAt": issue.created_at,
            "updatedAt": issue.updated_at,
            "closedAt": issue.closed_at,
            "webUrl": web_url,
            "webPath": web_url[len(self.origin) :] if self._httpd else web_url,
            "author": lambda _info: self._user_core(issue.author_id),
            "namespace": lambda _info: self._project_namespace_view(project),
            "project": lambda _info: self._project_view(project),
            "reference": reference,
            "workItemType": lambda _info: self._type_view(issue.work_item_type),
            "widgets": widgets,
        }

    def _gql_current_user(self, _root: Any, info: Any) -> dict[str, Any] | None:
        return self._user_view() if self._access_of(info) else None

    def _gql_project(self, _root: Any, info: Any, fullPath: str) -> dict[str, Any] | None:
        project = self.find_project(fullPath) if not fullPath.isdigit() else None
        if project is None or not self._can_read(self._access_of(info), project):
            return None
        return self._project_view(project)

    def _gql_namespace(self, _root: Any, info: Any, fullPath: str) -> dict[str, Any] | None:
        project = self.find_project(fullPath) if not fullPath.isdigit() else None
        if project is not None:
            if not self._can_read(self._access_of(info), project):
                return None
            return self._project_namespace_view(project)
        if self._access_of(info) is None:
            return None
        return self._group_view(self.groups.get(fullPath.strip("/").lower()))

    def _issue_by_gid(self, gid: str) -> Issue | None:
        match = WORK_ITEM_GID.match(gid)
        return self.issues.get(int(match.group(1))) if match else None

    def _gql_work_item(self, _root: Any, info: Any, id: str) -> dict[str, Any] | None:
        issue = self._issue_by_gid(id)
        if issue is None or not self._can_read(
            self._access_of(info), self.projects[issue.project_id]
        ):
            return None
        return self._work_item_view(issue)

    def _label_names(self, project: Project, gids: Iterable[str]) -> list[str]:
        wanted = {int(LABEL_GID.match(g).group(1)) for g in gids if LABEL_GID.match(g)}  # type: ignore[union-attr]
        return [lb.name for lb in project.labels.values() if lb.id in wanted]

    @staticmethod
    def _text_errors(title: str | None) -> list[str]:
        if title is None:
            return []
        if not title.strip():
            return ["Title can't be blank"]
        if len(title) > TITLE_MAX_CHARS:
            return [f"Title is too long (maximum is {TITLE_MAX_CHARS} characters)"]
        return []

    def _gql_work_item_create(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if self._access_of(info) != "write":
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        project_path, namespace_path = input.get("projectPath"), input.get("namespacePath")
        if (project_path is None) == (namespace_path is None):
            raise GraphQLError(
                "Please provide either projectPath or namespacePath argument, but not both."
            )
        project = self.find_project(project_path or namespace_path)
        if project is None:
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        type_match = TYPE_GID.match(input["workItemTypeId"])
        type_id = int(type_match.group(1)) if type_match else -1
        type_key = next((k for k, v in self.work_item_type_ids.items() if v == type_id), None)
        if type_key is None or type_key not in self._available_types() or type_key == "EPIC":
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        parent: Issue | None = None
        hierarchy = input.get("hierarchyWidget") or {}
        if hierarchy.get("parentId"):
            parent = self._issue_by_gid(hierarchy["parentId"])
            if parent is None:
                raise GraphQLError(f'No object found for `parentId: "{hierarchy["parentId"]}"`')
        client_id = input.get("clientMutationId")
        title = input["title"]
        errors = self._text_errors(title)
        description = input.get("description")
        if input.get("descriptionWidget"):
            description = input["descriptionWidget"]["description"]
        if description is not None and len(description) > DESCRIPTION_MAX_CHARS:
            errors.append("Description is too long (1 MiB). The maximum size is 1 MiB.")
        if parent is not None and not errors:
            allowed = ALLOWED_CHILDREN.get(parent.work_item_type, frozenset())
            if type_key not in allowed:
                errors.append(
                    f"#{project.next_iid} cannot be added: "
                    "it's not allowed to add this type of parent item"
                )
        if errors:
            return {"workItem": None, "errors": errors, "clientMutationId": client_id}
        labels = self._label_names(project, (input.get("labelsWidget") or {}).get("labelIds", []))
        issue = self._create_issue(
            project,
            title=title,
            description=description,
            labels=labels,
            work_item_type=type_key,
            confidential=bool(input.get("confidential")),
        )
        if parent is not None:
            self._set_parent(issue, parent)
        return {
            "workItem": self._work_item_view(issue),
            "errors": [],
            "clientMutationId": client_id,
        }

    def _gql_work_item_update(self, _root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._issue_by_gid(input["id"])
        access = self._access_of(info)
        if (
            issue is None
            or access != "write"
            or not self._can_read(access, self.projects[issue.project_id])
        ):
            raise GraphQLError(RESOURCE_NOT_AVAILABLE)
        project = self.projects[issue.project_id]
        client_id = input.get("clientMutationId")
        errors = self._text_errors(input.get("title"))
        hierarchy = input.get("hierarchyWidget")
        new_parent: Issue | None = None
        children: list[Issue] = []
        if hierarchy is not None and not errors:
            if "parentId" in hierarchy and hierarchy.get("childrenIds") is not None:
                errors.append("One and only one of children, parent or remove_child is required")
            elif "parentId" in hierarchy and hierarchy["parentId"] is not None:
                new_parent = self._issue_by_gid(hierarchy["parentId"])
                if new_parent is None:
                    errors.append(
                        "No matching work item found. Make sure that you are adding a valid "
                        "work item ID."
                    )
                else:
                    err = self._hierarchy_error(issue, new_parent)
                    if err:
                        errors.append(err)
            elif hierarchy.get("childrenIds") is not None:
                for gid in hierarchy["childrenIds"]:
                    child = self._issue_by_gid(gid)
                    if child is None:
                        errors.append(
                            "No matching work item found. Make sure that you are adding a valid "
                            "work item ID."
                        )
                        continue
                    err = self._hierarchy_error(child, issue)
                    if err:
                        errors.append(err)
                    children.append(child)
        if errors:
            return {"workItem": None, "errors": errors, "clientMutationId": client_id}
        if input.get("title") is not None:
            issue.title = input["title"]
        if input.get("descriptionWidget"):
            issue.description = input["descriptionWidget"]["description"]
            issue.description_edited_at = self._now()
        if input.get("confidential") is not None:
            issue.confidential = bool(input["confidential"])
        labels_widget = input.get("labelsWidget") or {}
        if labels_widget.get("addLabelIds"):
            added = self._label_names(project, labels_widget["addLabelIds"])
            issue.labels = self._ensure_labels(project, issue.labels + added)
        if labels_widget.get("removeLabelIds"):
            removed = set(self._label_names(project, labels_widget["removeLabelIds"]))
            issue.labels = [lb for lb in issue.labels if lb not in removed]
        if hierarchy is not None:
            if "parentId" in hierarchy and hierarchy["parentId"] is None:
                issue.parent_id = None
            elif new_parent is not None and issue.parent_id != new_parent.id:
                self._set_parent(issue, new_parent)
            for child in children:
                if child.parent_id != issue.id:
                    self._set_parent(child, issue)
        event = input.get("stateEvent")
        if event == "CLOSE" and issue.state != "closed":
            issue.state, issue.closed_at = "closed", self._now()
            self._system_note(issue, "closed")
        elif event == "REOPEN" and issue.state != "opened":
            issue.state, issue.closed_at = "opened", None
            self._system_note(issue, "reopened")
        issue.updated_at = self._now()
        return {
            "workItem": self._work_item_view(issue),
            "errors": [],
            "clientMutationId": client_id,
        }


__all__ = [
    "ApiError",
    "FakeGitlab",
    "GraphQLCall",
    "Group",
    "Issue",
    "IssueLink",
    "Label",
    "Note",
    "Project",
]
