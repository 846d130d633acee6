"""A stateful fake of Jira's REST API v2, in Cloud or Data Center mode, for tests that drive
the real `jira` client over loopback HTTP.

State lives in plain dataclasses (`fake.issues`, `fake.projects`, `fake.link_types`, ...);
helpers seed it without HTTP (`add_issue`, `add_comment`, `add_link`, ...). Switches:
`rate_limit(...)` answers 429, `fail(...)` injects faults (see `base.Fault`), `tamper(...)`
rewrites a response body, `indexed_properties` makes entity properties searchable in JQL,
`create_refusals` refuses chosen creates (one issue of a bulk create, say) with field errors.
When shared/specs is present every request and response is checked against Atlassian's
description (`tests.fakes.jira_spec`); violations collect in `fake.spec_violations`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.fakes.base import WRITE_METHODS, FakeServer, Fault, Logged, Request, Response

if TYPE_CHECKING:
    from jira import JIRA

    from tests.fakes.jira_spec import SpecChecker

__all__ = ["FakeJira", "Fault", "IssueType", "JiraIssue", "JiraUser", "LinkType", "RateLimit"]

API = "/rest/api/2"
TEXT_LIMIT = 32_767  # characters in a text field or comment body (Jira's default)
PROPERTY_LIMIT = 32_768  # bytes in one entity property value
BULK_LIMIT = 50  # issues in one bulk create
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
# Jira Cloud's wording since it renamed issues to work items; Data Center's is not verified.
HIERARCHY = {
    "cloud": ("parentId", "Given parent work item does not belong to appropriate hierarchy."),
    "server": ("parent", "Given parent issue does not belong to appropriate hierarchy."),
}
UNAUTHENTICATED = {
    "cloud": "Client must be authenticated to access this resource.",
    "server": "You are not authenticated. Authentication required to perform this operation.",
}
START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

# statusCategory key -> (id, name, colorName), as Jira ships them.
CATEGORIES = {
    "undefined": (1, "No Category", "medium-gray"),
    "new": (2, "To Do", "blue-gray"),
    "done": (3, "Done", "green"),
    "indeterminate": (4, "In Progress", "yellow"),
}
PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
# The resolutions Jira ships, by id.
RESOLUTIONS = {
    "10000": "Done",
    "10001": "Won't Do",
    "10002": "Duplicate",
    "10003": "Cannot Reproduce",
}
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."

# id, name, clause names, schema type, navigable, editable
FIELDS: list[tuple[str, str, list[str], str, bool, bool]] = [
    ("summary", "Summary", ["summary"], "string", True, True),
    ("description", "Description", ["description"], "string", True, True),
    ("environment", "Environment", ["environment"], "string", True, True),
    ("issuetype", "Issue Type", ["issuetype", "type"], "issuetype", True, False),
    ("parent", "Parent", ["parent"], "issuelink", True, True),
    ("project", "Project", ["project"], "project", True, False),
    ("status", "Status", ["status"], "status", True, False),
    ("labels", "Labels", ["labels"], "array", True, True),
    ("priority", "Priority", ["priority"], "priority", True, True),
    ("assignee", "Assignee", ["assignee"], "user", True, True),
    ("reporter", "Reporter", ["reporter"], "user", True, True),
    ("creator", "Creator", ["creator"], "user", True, False),
    ("created", "Created", ["created", "createdDate"], "datetime", True, False),
    ("updated", "Updated", ["updated", "updatedDate"], "datetime", True, False),
    ("resolution", "Resolution", ["resolution"], "resolution", True, False),
    ("resolutiondate", "Resolved", ["resolutiondate", "resolved"], "datetime", True, False),
    ("issuelinks", "Linked Issues", ["issueLink"], "array", True, False),
    ("subtasks", "Sub-tasks", ["subtasks"], "array", True, False),
    ("comment", "Comment", ["comment"], "comments-page", False, False),
]
FIELD_IDS = [f[0] for f in FIELDS]
EDITABLE = {f[0] for f in FIELDS if f[5]}


# -- state ----------------------------------------------------------------------------------
@dataclass
class JiraUser:
    """A user; `token` is the API token (Cloud, with `email`) or the PAT (Data Center)."""

    name: str
    email: str
    display_name: str
    account_id: str
    key: str
    token: str
    can_write: bool = True
    active: bool = True


@dataclass
class Status:
    id: str
    name: str
    category: str  # a key of CATEGORIES


@dataclass
class Transition:
    """A workflow transition; `sources` None means it is available from every status.
    `screen` names the fields its screen shows, which a transition request may set."""

    id: str
    name: str
    to: str  # status id
    sources: tuple[str, ...] | None = None
    screen: tuple[str, ...] = ()


@dataclass
class IssueType:
    id: str
    name: str
    subtask: bool = False
    hierarchy_level: int = 0
    description: str = ""


@dataclass
class Project:
    id: str
    key: str
    name: str
    issue_type_ids: list[str]
    counter: int = 0


@dataclass
class JiraComment:
    id: str
    body: str
    author: JiraUser
    created: str
    updated: str
    update_author: JiraUser


@dataclass
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass
class Link:
    """One issue link as posted: for "Blocks", `inward_id` blocks `outward_id`."""

    id: str
    type_id: str
    inward_id: str
    outward_id: str


@dataclass
class JiraIssue:
    id: str
    key: str
    project_id: str
    type_id: str
    summary: str
    status_id: str
    reporter: JiraUser
    created: str
    updated: str
    description: str | None = None
    environment: str | None = None
    labels: list[str] = field(default_factory=list)
    parent_id: str | None = None
    assignee: JiraUser | None = None
    priority_id: str = "3"
    resolution: str | None = None
    resolution_date: str | None = None
    comments: list[JiraComment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateLimit:
    """Answer matching requests with 429; `times` None keeps doing so until cleared."""

    retry_after: int = 1
    times: int | None = None
    method: str | None = None
    path_regex: str | None = None


@dataclass
class Tamper:
    method: str
    path_regex: str
    change: Callable[[Any], Any]
    times: int | None = None


class ApiError(Exception):
    """Raised by a handler; becomes Jira's `{"errorMessages": [...], "errors": {...}}`."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"errorMessages": self.messages, "errors": self.errors}
        return Response(self.status, body, dict(self.headers))


def _bad_request(**errors: str) -> ApiError:
    return ApiError(400, errors=errors)


def _cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"The value '{raw}' is not valid for the parameter {name}.") from None


def _list_arg(request: Request, name: str) -> list[str] | None:
    """A list parameter given repeated and/or comma-separated; None when absent."""
    if name not in request.query:
        return None
    return [part.strip() for value in request.query[name] for part in value.split(",") if part]


# -- JQL ------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
        |(?P<op>!=|>=|<=|!~|=|~|<|>|\(|\)|,)
        |(?P<word>[^\s=!~<>(),"']+))""",
    re.X,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_JQL_FIELDS = {
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "parent": "parent",
    "project": "project",
    "labels": "labels",
    "issuetype": "issuetype",
    "type": "issuetype",
    "status": "status",
    "statuscategory": "statusCategory",
    "summary": "summary",
    "description": "description",
    "text": "text",
    "assignee": "assignee",
    "reporter": "reporter",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
}
_SORTABLE = {"key", "id", "issuekey", "created", "updated", "summary", "priority", "status"}
Predicate = Callable[[JiraIssue], bool]


@dataclass
class _Tok:
    kind: str  # str, op, word
    text: str

    @property
    def keyword(self) -> str | None:
        return self.text.lower() if self.kind == "word" else None


@dataclass
class _Value:
    text: str
    function: bool = False


class JqlQuery:
    """A parsed JQL query: `matches(issue)` and `sort(issues)`, errors as Jira words them."""

    def __init__(self, fake: FakeJira, jql: str, actor: JiraUser | None) -> None:
        self.fake = fake
        self.actor = actor
        self.jql = jql
        self.tokens = self._tokenize(jql)
        self.pos = 0
        self.where: Predicate | None = None
        self.order: list[tuple[str, bool]] = []
        if self._peek_keyword() != "order" and self.tokens:
            self.where = self._or()
        if self._peek_keyword() == "order":
            self._parse_order()
        if self.pos < len(self.tokens):
            self._syntax(f"Expecting either 'OR' or 'AND' but got '{self.tokens[self.pos].text}'.")

    # parsing
    @staticmethod
    def _tokenize(jql: str) -> list[_Tok]:
        tokens, pos = [], 0
        while pos < len(jql):
            if jql[pos:].strip() == "":
                break
            match = _TOKEN.match(jql, pos)
            if match is None:
                raise ApiError(400, f"Error in the JQL Query: unexpected text at {pos}.")
            kind = match.lastgroup or "word"
            text = match.group(kind)
            if kind == "str":
                text = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(_Tok(kind, text))
            pos = match.end()
        return tokens

    def _syntax(self, detail: str) -> None:
        raise ApiError(400, f"Error in the JQL Query: {detail}")

    def _peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _peek_keyword(self) -> str | None:
        tok = self._peek()
        return tok.keyword if tok else None

    def _next(self) -> _Tok:
        tok = self._peek()
        if tok is None:
            self._syntax("The query ended unexpectedly.")
            raise AssertionError  # unreachable: _syntax raises
        self.pos += 1
        return tok

    def _expect(self, text: str) -> None:
        tok = self._next()
        if tok.text.lower() != text:
            self._syntax(f"Expecting '{text}' but got '{tok.text}'.")

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_keyword() == "or":
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._peek_keyword() == "and":
            self.pos += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def _not(self) -> Predicate:
        if self._peek_keyword() == "not":
            self.pos += 1
            inner = self._not()
            return lambda i: not inner(i)
        tok = self._peek()
        if tok is not None and tok.kind == "op" and tok.text == "(":
            self.pos += 1
            inner = self._or()
            self._expect(")")
            return inner
        return self._clause()

    def _value(self) -> _Value:
        tok = self._next()
        if tok.kind == "op":
            self._syntax(f"Expecting a value but got '{tok.text}'.")
        nxt = self._peek()
        if tok.kind == "word" and nxt is not None and nxt.text == "(":
            self.pos += 1
            while self._next().text != ")":
                pass
            return _Value(tok.text, function=True)
        return _Value(tok.text)

    def _values(self) -> list[_Value]:
        self._expect("(")
        values = [self._value()]
        while self._peek() is not None and self._peek().text == ",":  # type: ignore[union-attr]
            self.pos += 1
            values.append(self._value())
        self._expect(")")
        return values

    def _clause(self) -> Predicate:
        name_tok = self._next()
        if name_tok.kind == "op":
            self._syntax(f"Expecting a field name but got '{name_tok.text}'.")
        name = name_tok.text
        op_tok = self._next()
        op = op_tok.text.lower()
        if op == "not":
            self._expect("in")
            op = "not in"
        elif op == "is" and self._peek_keyword() == "not":
            self.pos += 1
            op = "is not"
        if op in ("in", "not in"):
            nxt = self._peek()
            # `IN (a, b)` or `IN someFunction()`
            values = self._values() if nxt is not None and nxt.text == "(" else [self._value()]
        elif op in ("is", "is not"):
            word = self._next().text.lower()
            if word not in ("empty", "null"):
                self._syntax(f"Expecting EMPTY or NULL after '{op.upper()}'.")
            values = []
        elif op in ("=", "!=", "~", "!~", "<", ">", "<=", ">="):
            values = [self._value()]
        else:
            self._syntax(f"Expecting an operator but got '{op_tok.text}'.")
            raise AssertionError
        return self._compile(name, op, values)

    def _parse_order(self) -> None:
        self.pos += 1
        self._expect("by")
        while True:
            tok = self._next()
            name = tok.text.lower()
            if name not in _SORTABLE:
                raise ApiError(400, f"Not able to sort using field '{tok.text}'.")
            descending = False
            if self._peek_keyword() in ("asc", "desc"):
                descending = self._next().text.lower() == "desc"
            self.order.append(("key" if name in ("id", "issuekey") else name, descending))
            if self._peek() is None or self._peek().text != ",":  # type: ignore[union-attr]
                break
            self.pos += 1

    # compiling clauses
    def _unknown_field(self, name: str) -> ApiError:
        return ApiError(
            400, f"Field '{name}' does not exist or you do not have permission to view it."
        )

    def _no_value(self, value: str, name: str) -> ApiError:
        return ApiError(400, f"The value '{value}' does not exist for the field '{name}'.")

    def _compile(self, name: str, op: str, values: list[_Value]) -> Predicate:
        prop = re.fullmatch(r"issue\.property\[([^\]]+)\](?:\.(.+))?", name)
        if prop:
            return self._property_clause(name, prop.group(1), prop.group(2), op, values)
        canonical = _JQL_FIELDS.get(name.lower())
        if canonical is None:
            raise self._unknown_field(name)
        getter = self._getter(canonical)
        if canonical in ("summary", "description", "text"):
            if op not in ("~", "!~", "is", "is not"):
                raise ApiError(
                    400, f"The operator '{op.upper()}' is not supported by the '{name}' field."
                )
        elif op in ("~", "!~"):
            raise ApiError(400, f"The operator '{op}' is not supported by the '{name}' field.")
        if op == "is":
            return lambda i: not getter(i)
        if op == "is not":
            return lambda i: bool(getter(i))
        if op in ("~", "!~"):
            words = [w.lower() for w in re.findall(r"\w+", values[0].text)]

            def contains(issue: JiraIssue) -> bool:
                text = " ".join(str(v) for v in getter(issue)).lower()
                return all(w in text for w in words)

            return contains if op == "~" else (lambda i: not contains(i))
        if op in ("<", ">", "<=", ">="):
            if canonical not in ("created", "updated"):
                raise ApiError(400, f"The operator '{op}' is not supported by the '{name}' field.")
            bound = self._date(values[0].text)
            compare = {
                "<": lambda a: a < bound,
                ">": lambda a: a > bound,
                "<=": lambda a: a <= bound,
                ">=": lambda a: a >= bound,
            }[op]
            return lambda i: any(compare(v) for v in getter(i))
        wanted = self._resolve(canonical, name, values)
        if op in ("=", "in"):
            return lambda i: bool(wanted & set(getter(i)))
        # != and NOT IN leave out issues where the field is empty, as Jira does
        return lambda i: bool(getter(i)) and not (wanted & set(getter(i)))

    def _getter(self, canonical: str) -> Callable[[JiraIssue], list[Any]]:
        fake = self.fake
        getters: dict[str, Callable[[JiraIssue], list[Any]]] = {
            "key": lambda i: [i.id],
            "parent": lambda i: [i.parent_id] if i.parent_id else [],
            "project": lambda i: [i.project_id],
            "labels": lambda i: [label.lower() for label in i.labels],
            "issuetype": lambda i: [i.type_id],
            "status": lambda i: [i.status_id],
            "statusCategory": lambda i: [fake.statuses[i.status_id].category],
            "summary": lambda i: [i.summary],
            "description": lambda i: [i.description] if i.description else [],
            "text": lambda i: [i.summary, i.description or ""] + [c.body for c in i.comments],
            "assignee": lambda i: [i.assignee.name] if i.assignee else [],
            "reporter": lambda i: [i.reporter.name],
            "created": lambda i: [self._date(i.created)],
            "updated": lambda i: [self._date(i.updated)],
        }
        return getters[canonical]

    def _date(self, text: str) -> str:
        match = re.match(r"(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2}))?", text)
        if not match:
            raise ApiError(
                400,
                f"Date value '{text}' for field 'created' is invalid. Valid formats include: "
                "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'.",
            )
        y, mo, d, h, mi = match.groups()
        return f"{y}-{mo}-{d}T{h or '00'}:{mi or '00'}"

    def _resolve(self, canonical: str, name: str, values: list[_Value]) -> set[Any]:
        fake, out = self.fake, set()
        for value in values:
            text = value.text
            if value.function:
                out |= self._function(text, name)
                continue
            if canonical in ("key", "parent"):
                issue = fake.find_issue(text)
                if issue is None:
                    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+", text):
                        raise ApiError(
                            400, f"An issue with key '{text}' does not exist for field '{name}'."
                        )
                    raise self._no_value(text, name)
                out.add(issue.id)
            elif canonical == "project":
                project = fake.find_project(text)
                if project is None:
                    raise self._no_value(text, name)
                out.add(project.id)
            elif canonical == "labels":
                out.add(text.lower())
            elif canonical == "issuetype":
                ids = {t.id for t in fake.issue_types.values() if text in (t.id, t.name)}
                if not ids:
                    raise self._no_value(text, name)
                out |= ids
            elif canonical == "status":
                ids = {
                    s.id for s in fake.statuses.values() if text.lower() in (s.id, s.name.lower())
                }
                if not ids:
                    raise self._no_value(text, name)
                out |= ids
            elif canonical == "statusCategory":
                keys = {
                    k
                    for k, (cid, cname, _) in CATEGORIES.items()
                    if text.lower() in (k, str(cid), cname.lower())
                }
                if not keys:
                    raise self._no_value(text, name)
                out |= keys
            else:  # assignee, reporter
                user = fake.find_user(text)
                if user is None:
                    raise self._no_value(text, name)
                out.add(user.name)
        return out

    def _function(self, text: str, name: str) -> set[Any]:
        function = text.lower()
        if function == "currentuser" and self.actor is not None:
            return {self.actor.name}
        types = self.fake.issue_types.values()
        if function == "subtaskissuetypes":
            return {t.id for t in types if t.subtask}
        if function == "standardissuetypes":
            return {t.id for t in types if not t.subtask}
        raise ApiError(400, f"Unable to find JQL function '{text}()'.")

    def _property_clause(
        self, name: str, key: str, path: str | None, op: str, values: list[_Value]
    ) -> Predicate:
        # Jira only searches entity properties that an app has declared an index for.
        if key not in self.fake.indexed_properties:
            raise self._unknown_field(name)

        def value_of(issue: JiraIssue) -> list[str]:
            if key not in issue.properties:
                return []
            node: Any = issue.properties[key]
            for part in (path or "").split(".") if path else []:
                if not isinstance(node, dict) or part not in node:
                    return []
                node = node[part]
            items = node if isinstance(node, list) else [node]
            return [str(v).lower() for v in items]

        if op in ("is", "is not"):
            return (lambda i: not value_of(i)) if op == "is" else (lambda i: bool(value_of(i)))
        wanted = {v.text.lower() for v in values}
        if op in ("=", "in"):
            return lambda i: bool(wanted & set(value_of(i)))
        if op in ("!=", "not in"):
            return lambda i: bool(value_of(i)) and not (wanted & set(value_of(i)))
        raise ApiError(400, f"The operator '{op}' is not supported by the '{name}' field.")

    # running
    @property
    def bounded(self) -> bool:
        return self.where is not None

    def run(self) -> list[JiraIssue]:
        issues = [i for i in self.fake.issues.values() if self.where is None or self.where(i)]
        # Without ORDER BY the newest come first; pass ORDER BY for a stable order.
        order = self.order or [("key", True)]
        for name, descending in reversed(order):
            issues.sort(key=self._sort_key(name), reverse=descending)
        return issues

    def _sort_key(self, name: str) -> Callable[[JiraIssue], Any]:
        fake = self.fake
        keys: dict[str, Callable[[JiraIssue], Any]] = {
            "key": lambda i: (fake.projects_by_id[i.project_id].key, int(i.key.split("-")[1])),
            "created": lambda i: (i.created, int(i.id)),
            "updated": lambda i: (i.updated, int(i.id)),
            "summary": lambda i: i.summary.lower(),
            "priority": lambda i: i.priority_id,
            "status": lambda i: fake.statuses[i.status_id].name,
        }
        return keys[name]


# -- the server -----------------------------------------------------------------------------
class FakeJira(FakeServer):
    """Jira REST v2 over loopback: `FakeJira(mode="cloud" | "server", prefix="/jira")`.

    Cloud wants HTTP basic auth `email:api-token`; Data Center (mode "server") wants
    `Authorization: Bearer <PAT>`. `fake.user` can write, `fake.reader` can only read.
    """

    READ_POSTS = re.compile(r"/rest/api/(?:2|latest)/search(?:/jql)?$")

    def __init__(
        self,
        mode: str = "cloud",
        *,
        prefix: str = "",
        version: str | None = None,
        project_key: str = "PROJ",
        project_name: str = "Storyplan Demo",
        subtask_type_name: str = "Sub-task",
        spec_check: bool = True,
    ) -> None:
        super().__init__()
        if mode not in ("cloud", "server"):
            raise ValueError("mode is 'cloud' or 'server'")
        self.mode = mode
        self.prefix = prefix.rstrip("/")
        self.version = version or ("1001.0.0-SNAPSHOT" if mode == "cloud" else "9.12.15")
        self.text_limit = TEXT_LIMIT
        # Cloud returns at most 100 issues a page when fields are asked for; Data Center
        # caps at jira.search.views.default.max, 1000 by default.
        self.search_page_limit = 100 if mode == "cloud" else 1000
        # Cloud pages comments by 100 at most; Data Center answers all of them unless asked
        # for fewer (its default is 1024 * 1024, JRASERVER-74572).
        self.comment_page_default = 100 if mode == "cloud" else 1_048_576
        self.legacy_search = mode == "server"  # Cloud answers 410 Gone since CHANGE-2046
        self.indexed_properties: set[str] = set()
        self.rate_limits: list[RateLimit] = []
        self.tampers: list[Tamper] = []
        # Each create request (single or one element of a bulk) is shown to these; field
        # errors returned refuse it, as Jira refuses an issue its validators reject.
        self.create_refusals: list[Callable[[dict[str, Any]], dict[str, str] | None]] = []
        self.errors: list[str] = []  # handler crashes, answered with 500

        self.users: dict[str, JiraUser] = {}
        self.tokens: dict[str, JiraUser] = {}
        self.statuses: dict[str, Status] = {}
        self.workflow: list[Transition] = []
        self.issue_types: dict[str, IssueType] = {}
        self.projects: dict[str, Project] = {}
        self.projects_by_id: dict[str, Project] = {}
        self.issues: dict[str, JiraIssue] = {}  # by id
        self.link_types: dict[str, LinkType] = {}
        self.links: dict[str, Link] = {}
        self._ids = {"issue": 10000, "comment": 10000, "link": 10000, "project": 10000}
        self._clock = START
        self._actor: JiraUser | None = None
        self._route_pattern: str | None = None
        self._patterns: dict[str, str] = {}  # route regex -> the pattern it was made from
        self._clients: list[JIRA] = []

        self.user = self.add_user("alice", display_name="Alice Admin")
        self.reader = self.add_user("rita", display_name="Rita Reader", write=False)
        self._seed_workflow()
        for type_id, name, level in (
            ("10001", "Task", 0),
            ("10002", "Story", 0),
            ("10003", "Bug", 0),
            ("10004", "Epic", 1),
        ):
            self.issue_types[type_id] = IssueType(type_id, name, hierarchy_level=level)
        self.add_project(project_key, project_name, subtask_type_name=subtask_type_name)
        for type_id, name, inward, outward in (
            ("10000", "Blocks", "is blocked by", "blocks"),
            ("10001", "Cloners", "is cloned by", "clones"),
            ("10002", "Duplicate", "is duplicated by", "duplicates"),
            ("10003", "Relates", "relates to", "relates to"),
        ):
            self.link_types[type_id] = LinkType(type_id, name, inward, outward)
        self._register_routes()

        self.spec_checker: SpecChecker | None = None
        if spec_check:
            from tests.fakes import jira_spec

            if jira_spec.spec_available():
                self.spec_checker = jira_spec.SpecChecker(prefix=self.prefix)
                self.hooks.append(self._check_spec)

    # -- seeding and state helpers -------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        email: str | None = None,
        display_name: str | None = None,
        token: str | None = None,
        write: bool = True,
    ) -> JiraUser:
        digest = hashlib.sha1(name.encode()).hexdigest()
        user = JiraUser(
            name=name,
            email=email or f"{name}@example.com",
            display_name=display_name or name.title(),
            account_id=f"5b10ac8d82e05b22cc{digest[:6]}",
            key=f"JIRAUSER{10000 + len(self.users)}",
            token=token or f"{self.mode}-token-{name}-{digest[:8]}",
            can_write=write,
        )
        self.users[name] = user
        self.tokens[user.token] = user
        return user

    def _seed_workflow(self) -> None:
        for status in (
            Status("10000", "To Do", "new"),
            Status("3", "In Progress", "indeterminate"),
            Status("10001", "Done", "done"),
            Status("10002", "Won't Do", "done"),
        ):
            self.statuses[status.id] = status
        self.workflow = [
            Transition("11", "To Do", "10000", ("3", "10001", "10002")),
            Transition("21", "In Progress", "3", ("10000",)),
            # Jira's classic workflow asks for the resolution when an issue is resolved.
            Transition("31", "Done", "10001", ("10000", "3"), ("resolution",)),
            Transition("41", "Won't Do", "10002", ("10000", "3")),
        ]

    def add_project(
        self,
        key: str,
        name: str | None = None,
        *,
        subtask_type_name: str = "Sub-task",
        issue_types: Iterable[str] = ("Task", "Story", "Bug", "Epic"),
    ) -> Project:
        """Add a project whose sub-task type is called `subtask_type_name`."""
        self._ids["project"] += 1
        wanted = list(issue_types)
        type_ids = [t.id for t in self.issue_types.values() if t.name in wanted and not t.subtask]
        subtask = next(
            (t for t in self.issue_types.values() if t.subtask and t.name == subtask_type_name),
            None,
        )
        if subtask is None:
            type_id = str(10100 + sum(t.subtask for t in self.issue_types.values()))
            subtask = IssueType(
                type_id,
                subtask_type_name,
                subtask=True,
                hierarchy_level=-1,
                description="A small piece of work that's part of a larger task.",
            )
            self.issue_types[type_id] = subtask
        project = Project(
            str(self._ids["project"] - 1), key, name or key.title(), [*type_ids, subtask.id]
        )
        self.projects[key] = project
        self.projects_by_id[project.id] = project
        return project

    def now(self) -> str:
        """The fake's clock: one second later on every call, so timestamps are repeatable."""
        self._clock += timedelta(seconds=1)
        return _stamp(self._clock)

    def add_issue(
        self,
        summary: str = "An issue",
        *,
        project: str | None = None,
        issuetype: str = "Task",
        parent: str | None = None,
        description: str | None = None,
        labels: Iterable[str] = (),
        status: str = "To Do",
        properties: dict[str, Any] | None = None,
        reporter: JiraUser | None = None,
    ) -> JiraIssue:
        """Seed an issue without HTTP; `issuetype` "subtask" picks the project's sub-task type."""
        proj = self.projects[project] if project else next(iter(self.projects.values()))
        types = [self.issue_types[t] for t in proj.issue_type_ids]
        if issuetype == "subtask":
            itype = next(t for t in types if t.subtask)
        else:
            itype = next(t for t in types if issuetype in (t.name, t.id))
        parent_issue = self.issue(parent) if parent else None
        issue = self._new_issue(
            proj,
            itype,
            summary,
            reporter or self.user,
            description=description,
            labels=list(labels),
            parent=parent_issue,
            properties=dict(properties or {}),
        )
        wanted = self._status_named(status)
        if wanted.id != issue.status_id:
            self._move(issue, wanted)
        return issue

    def _new_issue(
        self,
        project: Project,
        itype: IssueType,
        summary: str,
        reporter: JiraUser,
        **values: Any,
    ) -> JiraIssue:
        self._ids["issue"] += 1
        project.counter += 1
        stamp = self.now()
        parent = values.pop("parent", None)
        issue = JiraIssue(
            id=str(self._ids["issue"]),
            key=f"{project.key}-{project.counter}",
            project_id=project.id,
            type_id=itype.id,
            summary=summary,
            status_id=self.workflow_initial(),
            reporter=reporter,
            created=stamp,
            updated=stamp,
            parent_id=parent.id if parent else None,
            **values,
        )
        self.issues[issue.id] = issue
        return issue

    def workflow_initial(self) -> str:
        return next(s.id for s in self.statuses.values() if s.category == "new")

    def _status_named(self, name: str) -> Status:
        for status in self.statuses.values():
            if name in (status.id, status.name):
                return status
        raise KeyError(name)

    def add_comment(self, key: str, body: str, *, author: JiraUser | None = None) -> JiraComment:
        issue = self.issue(key)
        self._ids["comment"] += 1
        stamp = self.now()
        author = author or self.user
        comment = JiraComment(str(self._ids["comment"]), body, author, stamp, stamp, author)
        issue.comments.append(comment)
        return comment

    def add_link(self, type_name: str, inward: str, outward: str) -> Link:
        """Link as POST /issueLink would: for "Blocks", `inward` blocks `outward`."""
        link_type = next(t for t in self.link_types.values() if t.name == type_name)
        return self._link(link_type, self.issue(inward), self.issue(outward))

    def _link(self, link_type: LinkType, inward: JiraIssue, outward: JiraIssue) -> Link:
        for link in self.links.values():
            if (link.type_id, link.inward_id, link.outward_id) == (
                link_type.id,
                inward.id,
                outward.id,
            ):
                return link  # Jira reports a duplicate link as created and keeps one
        self._ids["link"] += 1
        link = Link(str(self._ids["link"]), link_type.id, inward.id, outward.id)
        self.links[link.id] = link
        return link

    def rename_link_type(
        self,
        name: str,
        *,
        new_name: str | None = None,
        inward: str | None = None,
        outward: str | None = None,
    ) -> LinkType:
        """Rename a link type, as a Jira admin may (the id stays)."""
        link_type = next(t for t in self.link_types.values() if t.name == name)
        link_type.name = new_name or link_type.name
        link_type.inward = inward or link_type.inward
        link_type.outward = outward or link_type.outward
        return link_type

    def issue(self, key_or_id: str) -> JiraIssue:
        issue = self.find_issue(key_or_id)
        if issue is None:
            raise KeyError(key_or_id)
        return issue

    def find_issue(self, key_or_id: str) -> JiraIssue | None:
        if key_or_id.isdigit():
            return self.issues.get(key_or_id)
        wanted = key_or_id.upper()
        return next((i for i in self.issues.values() if i.key == wanted), None)

    def find_project(self, text: str) -> Project | None:
        if text in self.projects_by_id:
            return self.projects_by_id[text]
        return next(
            (p for p in self.projects.values() if text.upper() == p.key or text == p.name), None
        )

    def find_user(self, text: str) -> JiraUser | None:
        return next(
            (
                u
                for u in self.users.values()
                if text in (u.name, u.account_id, u.key, u.email, u.display_name)
            ),
            None,
        )

    def children(self, key: str) -> list[JiraIssue]:
        parent = self.issue(key)
        return [i for i in self.issues.values() if i.parent_id == parent.id]

    def links_of(self, key: str) -> list[Link]:
        issue = self.issue(key)
        return [lk for lk in self.links.values() if issue.id in (lk.inward_id, lk.outward_id)]

    def set_status(self, key: str, status: str) -> None:
        issue = self.issue(key)
        self._move(issue, self._status_named(status))

    # -- switches -------------------------------------------------------------------------
    def rate_limit(
        self,
        retry_after: int = 1,
        *,
        times: int | None = None,
        method: str | None = None,
        path_regex: str | None = None,
    ) -> RateLimit:
        limit = RateLimit(retry_after, times, method, path_regex)
        self.rate_limits.append(limit)
        return limit

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int | None = None,
        *,
        after: bool = True,
        times: int = 1,
        skip: int = 0,
    ) -> Fault:
        """Break matching requests; see `base.Fault` (status None drops the connection).
        `method` "WRITE" matches the next request that changes state, whatever its method."""
        fault = Fault(method, path_regex, status, after, times, skip)
        self.faults.append(fault)
        return fault

    def _take_fault(self, method: str, path: str) -> Fault | None:
        if method in WRITE_METHODS and not self.READ_POSTS.search(path):
            fault = super()._take_fault("WRITE", path)
            if fault is not None:
                return fault
        return super()._take_fault(method, path)

    def tamper(
        self,
        method: str,
        path_regex: str,
        change: Callable[[Any], Any],
        *,
        times: int | None = None,
    ) -> Tamper:
        """Rewrite the body of matching successful responses with `change(body)`."""
        tamper = Tamper(method, path_regex, change, times)
        self.tampers.append(tamper)
        return tamper

    # -- log --------------------------------------------------------------------------------
    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        return sum(
            1
            for entry in self.log
            if (method is None or entry.method == method)
            and (path_regex is None or re.search(path_regex, entry.path))
        )

    def writes(self) -> list[Logged]:
        """Requests that change state; POST searches are reads."""
        return [e for e in self.log if e.is_write and not self.READ_POSTS.search(e.path)]

    def reads(self) -> list[Logged]:
        return [e for e in self.log if not e.is_write or self.READ_POSTS.search(e.path)]

    @property
    def spec_violations(self) -> list[Any]:
        return self.spec_checker.violations if self.spec_checker else []

    @property
    def spec_unchecked(self) -> dict[str, int]:
        return dict(self.spec_checker.unchecked) if self.spec_checker else {}

    def _check_spec(self, request: Request, response: Response) -> None:
        assert self.spec_checker is not None
        self.spec_checker.check(request, response, route=self._route_pattern)

    # -- clients ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    def auth_kwargs(self, user: JiraUser | None = None) -> dict[str, Any]:
        """The `JIRA(...)` keyword arguments that authenticate as `user` in this mode."""
        user = user or self.user
        if self.mode == "cloud":
            return {"basic_auth": (user.email, user.token)}
        return {"token_auth": user.token}

    def client(self, user: JiraUser | None = None, **kwargs: Any) -> JIRA:
        """A real `jira.JIRA` for `user`, without retries (the client sleeps between them)."""
        from jira import JIRA

        for name, value in self.auth_kwargs(user).items():
            kwargs.setdefault(name, value)
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 10)
        jira = JIRA(server=self.base_url, **kwargs)
        self._clients.append(jira)
        return jira

    def stop(self) -> None:
        for jira in self._clients:
            jira.close()
        self._clients.clear()
        super().stop()

    # -- dispatch -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        self._route_pattern = None
        self._actor = None
        path = request.path
        if self.prefix:
            if not (path == self.prefix or path.startswith(self.prefix + "/")):
                return self.not_found(request)
            path = path[len(self.prefix) :] or "/"
        path = re.sub(r"^/rest/api/latest/", f"{API}/", path)
        routed = dataclasses.replace(request, path=path)
        try:
            response = self._handle(routed)
        except ApiError as error:
            response = error.response()
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test
            self.errors.append(f"{request.method} {request.path}: {error!r}")
            response = Response(500, {"errorMessages": [f"FakeJira crashed: {error!r}"]})
        if self._actor is not None:
            header = "X-AACCOUNTID" if self.mode == "cloud" else "X-AUSERNAME"
            response.headers.setdefault(
                header, self._actor.account_id if self.mode == "cloud" else self._actor.name
            )
        return response

    def _handle(self, request: Request) -> Response:
        handler, allowed = None, []
        for method, regex, candidate in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request.params = dict(match.groupdict())
            self._route_pattern = self._patterns[regex.pattern]
            handler = candidate
            break
        # credentials first (a bad token is a 401 anywhere), then the rate limit
        self._actor = self._authenticate(request)
        self._apply_rate_limit(request)
        if handler is None:
            if allowed:
                headers = {"Allow": ", ".join(allowed)}
                return Response(405, {"message": "Method Not Allowed"}, headers)
            return self.not_found(request)
        if self._actor is None and self._route_pattern != f"{API}/serverInfo":
            raise ApiError(401, UNAUTHENTICATED[self.mode])
        return self._apply_tampers(request, handler(request))

    def not_found(self, request: Request) -> Response:
        # Jersey's answer for a path no resource serves
        return Response(404, {"message": f"null for uri: {self.origin}{request.path}"})

    def _authenticate(self, request: Request) -> JiraUser | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        user: JiraUser | None = None
        if self.mode == "cloud" and scheme.lower() == "basic":
            try:
                email, _, token = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                email, token = "", ""
            user = self.tokens.get(token)
            if user is not None and user.email.lower() != email.lower():
                user = None
        elif self.mode == "server" and scheme.lower() == "bearer":
            user = self.tokens.get(credentials.strip())
        if user is None or not user.active:
            headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
            if self.mode == "server":
                headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
            raise ApiError(401, UNAUTHENTICATED[self.mode], headers=headers)
        return user

    def _apply_rate_limit(self, request: Request) -> None:
        for limit in self.rate_limits:
            if limit.method and limit.method != request.method:
                continue
            if limit.path_regex and not re.search(limit.path_regex, request.path):
                continue
            if limit.times is not None:
                if limit.times <= 0:
                    continue
                limit.times -= 1
            headers = {"Retry-After": str(limit.retry_after), "X-RateLimit-Remaining": "0"}
            if self.mode == "cloud":
                reset = datetime.now(UTC) + timedelta(seconds=limit.retry_after)
                headers |= {
                    "X-RateLimit-Limit": "350",
                    "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "X-RateLimit-NearLimit": "true",
                    "RateLimit-Reason": "jira-quota-tenant-based",
                }
            else:
                headers |= {
                    "X-RateLimit-Limit": "100",
                    "X-RateLimit-FillRate": "10",
                    "X-RateLimit-Interval-Seconds": "1",
                }
            raise ApiError(429, "Rate limit exceeded.", headers=headers)

    def _apply_tampers(self, request: Request, response: Response) -> Response:
        if response.status >= 400:
            return response
        for tamper in self.tampers:
            if tamper.method != request.method or not re.search(tamper.path_regex, request.path):
                continue
            if tamper.times is not None:
                if tamper.times <= 0:
                    continue
                tamper.times -= 1
            response.body = tamper.change(response.body)
        return response

    def _writer(self, denied: str, handler: Callable[[Request], Response]) -> Callable[..., Any]:
        def guarded(request: Request) -> Response:
            if self._actor is not None and not self._actor.can_write:
                raise ApiError(403, denied)
            return handler(request)

        return guarded

    def _register_routes(self) -> None:
        edit = "You do not have permission to edit issues in this project."
        table: list[tuple[str, str, Callable[[Request], Response], str | None]] = [
            ("GET", "/serverInfo", self._server_info, None),
            ("GET", "/myself", self._myself, None),
            ("GET", "/field", self._fields, None),
            ("GET", "/status", self._statuses, None),
            ("GET", "/issuetype", self._issue_types, None),
            ("GET", "/issuetype/{id}", self._issue_type, None),
            ("GET", "/project", self._projects, None),
            ("GET", "/project/{key}", self._project, None),
            ("GET", "/project/{key}/statuses", self._project_statuses, None),
            ("GET", "/issue/createmeta", self._createmeta_legacy, None),
            ("GET", "/issue/createmeta/{key}/issuetypes", self._createmeta_types, None),
            ("GET", "/issue/createmeta/{key}/issuetypes/{type}", self._createmeta_fields, None),
            ("GET", "/search", self._search_legacy, None),
            ("POST", "/search", self._search_legacy, None),
            ("GET", "/search/jql", self._search_jql, None),
            ("POST", "/search/jql", self._search_jql, None),
            (
                "POST",
                "/issue",
                self._create_issue,
                "You do not have permission to create issues in this project.",
            ),
            (
                "POST",
                "/issue/bulk",
                self._bulk_create,
                "You do not have permission to create issues in this project.",
            ),
            ("GET", "/issue/{key}", self._get_issue, None),
            ("PUT", "/issue/{key}", self._edit_issue, edit),
            ("GET", "/issue/{key}/comment", self._comments, None),
            (
                "POST",
                "/issue/{key}/comment",
                self._add_comment,
                "You do not have the permission to comment on this issue.",
            ),
            ("GET", "/issue/{key}/comment/{id}", self._comment, None),
            (
                "PUT",
                "/issue/{key}/comment/{id}",
                self._update_comment,
                "You do not have the permission to edit this comment.",
            ),
            (
                "DELETE",
                "/issue/{key}/comment/{id}",
                self._delete_comment,
                "You do not have the permission to delete this comment.",
            ),
            ("GET", "/issue/{key}/properties", self._property_keys, None),
            ("GET", "/issue/{key}/properties/{prop}", self._get_property, None),
            ("PUT", "/issue/{key}/properties/{prop}", self._set_property, edit),
            ("DELETE", "/issue/{key}/properties/{prop}", self._delete_property, edit),
            ("GET", "/issue/{key}/transitions", self._transitions, None),
            (
                "POST",
                "/issue/{key}/transitions",
                self._transition,
                "You do not have permission to transition this issue.",
            ),
            ("GET", "/issueLinkType", self._link_types, None),
            ("GET", "/issueLinkType/{id}", self._link_type, None),
            (
                "POST",
                "/issueLink",
                self._create_link,
                "You do not have the permission to link issues in this project.",
            ),
            ("GET", "/issueLink/{id}", self._get_link, None),
            (
                "DELETE",
                "/issueLink/{id}",
                self._delete_link,
                "You do not have the permission to delete links in this project.",
            ),
        ]
        for method, suffix, handler, denied in table:
            pattern = API + suffix
            self.route(method, pattern, self._writer(denied, handler) if denied else handler)
            self._patterns[self._routes[-1][1].pattern] = pattern
        self.route("GET", "/rest/auth/1/session", self._session)
        self._patterns[self._routes[-1][1].pattern] = "/rest/auth/1/session"

    # -- JSON shapes ----------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}{API}/{path}"

    def _avatars(self, kind: str, ident: str) -> dict[str, str]:
        return {
            f"{n}x{n}": f"{self.base_url}/secure/{kind}avatar?size={n}&avatarId={ident}"
            for n in (48, 24, 16, 32)
        }

    def _user_ref(self, user: JiraUser) -> dict[str, Any]:
        body: dict[str, Any] = {
            "emailAddress": user.email,
            "avatarUrls": self._avatars("user", user.key),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": "Etc/UTC",
        }
        if self.mode == "cloud":
            body["self"] = self._url(f"user?accountId={user.account_id}")
            body["accountId"] = user.account_id
            body["accountType"] = "atlassian"
        else:
            body["self"] = self._url(f"user?username={user.name}")
            body["name"] = user.name
            body["key"] = user.key
        return body

    def _category_json(self, key: str) -> dict[str, Any]:
        cid, name, color = CATEGORIES[key]
        return {
            "self": self._url(f"statuscategory/{cid}"),
            "id": cid,
            "key": key,
            "colorName": color,
            "name": name,
        }

    def _status_json(self, status: Status) -> dict[str, Any]:
        return {
            "self": self._url(f"status/{status.id}"),
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self._category_json(status.category),
        }

    def _type_json(self, itype: IssueType) -> dict[str, Any]:
        return {
            "self": self._url(f"issuetype/{itype.id}"),
            "id": itype.id,
            "description": itype.description,
            "iconUrl": f"{self.base_url}/secure/viewavatar?size=medium&avatarId={itype.id}",
            "name": itype.name,
            "subtask": itype.subtask,
            "avatarId": int(itype.id),
            "hierarchyLevel": itype.hierarchy_level,
        }

    def _project_ref(self, project: Project) -> dict[str, Any]:
        return {
            "self": self._url(f"project/{project.id}"),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self._avatars("project", project.id),
        }

    def _project_json(self, project: Project) -> dict[str, Any]:
        return {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **self._project_ref(project),
            "description": "",
            "lead": self._user_ref(self.user),
            "issueTypes": [self._type_json(self.issue_types[t]) for t in project.issue_type_ids],
            "assigneeType": "UNASSIGNED",
            "style": "classic",
            "isPrivate": False,
            "properties": {},
        }

    def _priority_json(self, priority_id: str) -> dict[str, Any]:
        return {
            "self": self._url(f"priority/{priority_id}"),
            "iconUrl": f"{self.base_url}/images/icons/priorities/{priority_id}.svg",
            "name": PRIORITIES[priority_id],
            "id": priority_id,
        }

    def _issue_url(self, issue: JiraIssue) -> str:
        return self._url(f"issue/{issue.id}")

    def _brief(self, issue: JiraIssue) -> dict[str, Any]:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": self._issue_url(issue),
            "fields": {
                "summary": issue.summary,
                "status": self._status_json(self.statuses[issue.status_id]),
                "priority": self._priority_json(issue.priority_id),
                "issuetype": self._type_json(self.issue_types[issue.type_id]),
            },
        }

    def _comment_json(self, issue: JiraIssue, comment: JiraComment) -> dict[str, Any]:
        body = {
            "self": self._url(f"issue/{issue.id}/comment/{comment.id}"),
            "id": comment.id,
            "author": self._user_ref(comment.author),
            "body": comment.body,
            "updateAuthor": self._user_ref(comment.update_author),
            "created": comment.created,
            "updated": comment.updated,
        }
        if self.mode == "cloud":
            body["jsdPublic"] = True
        return body

    def _link_type_json(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": self._url(f"issueLinkType/{link_type.id}"),
        }

    def _link_seen_from(self, issue: JiraIssue, link: Link) -> dict[str, Any]:
        """How an issue's `issuelinks` shows a link: the other issue, under its role."""
        body = {
            "id": link.id,
            "self": self._url(f"issueLink/{link.id}"),
            "type": self._link_type_json(self.link_types[link.type_id]),
        }
        if link.inward_id == issue.id:
            body["outwardIssue"] = self._brief(self.issues[link.outward_id])
        else:
            body["inwardIssue"] = self._brief(self.issues[link.inward_id])
        return body

    def _fields_json(self, issue: JiraIssue, wanted: set[str]) -> dict[str, Any]:
        project = self.projects_by_id[issue.project_id]
        values: dict[str, Callable[[], Any]] = {
            "summary": lambda: issue.summary,
            "description": lambda: issue.description,
            "environment": lambda: issue.environment,
            "issuetype": lambda: self._type_json(self.issue_types[issue.type_id]),
            "parent": lambda: (
                self._brief(self.issues[issue.parent_id]) if issue.parent_id else None
            ),
            "project": lambda: self._project_ref(project),
            "status": lambda: self._status_json(self.statuses[issue.status_id]),
            "labels": lambda: list(issue.labels),
            "priority": lambda: self._priority_json(issue.priority_id),
            "assignee": lambda: self._user_ref(issue.assignee) if issue.assignee else None,
            "reporter": lambda: self._user_ref(issue.reporter),
            "creator": lambda: self._user_ref(issue.reporter),
            "created": lambda: issue.created,
            "updated": lambda: issue.updated,
            "resolution": lambda: (
                {
                    "self": self._url("resolution/10000"),
                    "id": "10000",
                    "description": "",
                    "name": issue.resolution,
                }
                if issue.resolution
                else None
            ),
            "resolutiondate": lambda: issue.resolution_date,
            "issuelinks": lambda: [
                self._link_seen_from(issue, link)
                for link in self.links.values()
                if issue.id in (link.inward_id, link.outward_id)
            ],
            "subtasks": lambda: [
                self._brief(child)
                for child in self.issues.values()
                if child.parent_id == issue.id and self.issue_types[child.type_id].subtask
            ],
            "comment": lambda: {
                "comments": [self._comment_json(issue, c) for c in issue.comments],
                "self": self._url(f"issue/{issue.id}/comment"),
                "maxResults": len(issue.comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
        }
        out = {name: values[name]() for name in FIELD_IDS if name in wanted}
        if "parent" in out and out["parent"] is None:
            del out["parent"]  # Jira leaves the field out when there is no parent
        return out

    def _wanted_fields(self, raw: list[str] | None, default: str) -> set[str] | None:
        """Field ids to show for a `fields` parameter; None means "id only"."""
        tokens = raw if raw else [default]
        wanted: set[str] = set()
        navigable = {f[0] for f in FIELDS if f[4]}
        for token in tokens:
            if token == "*all":
                wanted |= set(FIELD_IDS)
            elif token == "*navigable":
                wanted |= navigable
            elif token.startswith("-"):
                continue
            elif token in FIELD_IDS:
                wanted.add(token)
        if all(t.startswith("-") for t in tokens):
            wanted |= navigable
        for token in tokens:
            if token.startswith("-"):
                wanted.discard(token[1:])
        if not wanted and all(t in ("id", "key") for t in tokens):
            return None
        return wanted

    def _issue_json(
        self,
        issue: JiraIssue,
        wanted: set[str] | None,
        expand: str | None = None,
        properties: list[str] | None = None,
    ) -> dict[str, Any]:
        if wanted is None:
            return {"id": issue.id}
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": issue.id,
            "self": self._issue_url(issue),
            "key": issue.key,
        }
        fields = self._fields_json(issue, wanted)
        body["fields"] = fields
        expands = {e.strip() for e in (expand or "").split(",") if e.strip()}
        if "renderedFields" in expands:
            body["renderedFields"] = {
                name: (f"<p>{html.escape(fields[name])}</p>" if fields.get(name) else None)
                for name in ("description", "environment")
                if name in fields
            }
        if "names" in expands:
            body["names"] = {f[0]: f[1] for f in FIELDS if f[0] in fields}
        if "schema" in expands:
            body["schema"] = {f[0]: self._schema(f) for f in FIELDS if f[0] in fields}
        if "transitions" in expands:
            body["transitions"] = [self._transition_json(t) for t in self._available(issue)]
        if properties is not None:
            keys = set(issue.properties) if "*all" in properties else set(properties)
            body["properties"] = {k: v for k, v in issue.properties.items() if k in keys}
        return body

    @staticmethod
    def _schema(spec: tuple[str, str, list[str], str, bool, bool]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": spec[3], "system": spec[0]}
        if spec[3] == "array":
            schema["items"] = {"labels": "string", "subtasks": "issuelinks"}.get(
                spec[0], "issuelinks"
            )
        return schema

    # -- handlers: instance ---------------------------------------------------------------
    def _server_info(self, request: Request) -> Response:
        numbers = [int(n) for n in re.findall(r"\d+", self.version)[:3]]
        body = {
            "baseUrl": self.base_url,
            "displayUrl": self.base_url,
            "version": self.version,
            "versionNumbers": numbers,
            "deploymentType": "Cloud" if self.mode == "cloud" else "Server",
            "buildNumber": 100250 if self.mode == "cloud" else numbers[0] * 1_000_000,
            "buildDate": "2024-04-30T00:00:00.000+0000",
            "serverTime": _stamp(self._clock),
            "scmInfo": "8e1d2f0c4b0b8f5c0f0e6e2b1b3a9c7d5e4f3a2b",
            "serverTitle": "Jira",
        }
        return Response(200, body)

    def _myself(self, request: Request) -> Response:
        assert self._actor is not None
        body = self._user_ref(self._actor) | {
            "locale": "en_US",
            "expand": "groups,applicationRoles",
        }
        return Response(200, body)

    def _session(self, request: Request) -> Response:
        assert self._actor is not None
        body = {
            "self": f"{self.base_url}/rest/api/latest/user?username={self._actor.name}",
            "name": self._actor.name,
            "loginInfo": {"loginCount": 1, "previousLoginTime": _stamp(START)},
        }
        return Response(200, body)

    def _fields(self, request: Request) -> Response:
        body = [
            {
                "id": fid,
                "key": fid,
                "name": name,
                "custom": False,
                "orderable": editable,
                "navigable": navigable,
                "searchable": fid not in ("comment",),
                "clauseNames": clauses,
                "schema": self._schema((fid, name, clauses, kind, navigable, editable)),
            }
            for fid, name, clauses, kind, navigable, editable in FIELDS
        ]
        return Response(200, body)

    def _statuses(self, request: Request) -> Response:
        return Response(200, [self._status_json(s) for s in self.statuses.values()])

    def _issue_types(self, request: Request) -> Response:
        return Response(200, [self._type_json(t) for t in self.issue_types.values()])

    def _issue_type(self, request: Request) -> Response:
        itype = self.issue_types.get(request.params["id"])
        if itype is None:
            raise ApiError(404, "The issue type selected is invalid.")
        return Response(200, self._type_json(itype))

    def _projects(self, request: Request) -> Response:
        return Response(200, [self._project_json(p) for p in self.projects.values()])

    def _find_project_or_404(self, text: str) -> Project:
        project = self.find_project(text)
        if project is None:
            raise ApiError(404, f"No project could be found with key '{text}'.")
        return project

    def _project(self, request: Request) -> Response:
        project = self._find_project_or_404(request.params["key"])
        return Response(200, self._project_json(project))

    def _project_statuses(self, request: Request) -> Response:
        project = self._find_project_or_404(request.params["key"])
        statuses = [self._status_json(s) for s in self.statuses.values()]
        body = [
            self._type_json(self.issue_types[t]) | {"statuses": statuses}
            for t in project.issue_type_ids
        ]
        return Response(200, body)

    # -- handlers: create metadata --------------------------------------------------------
    def _field_meta(self, itype: IssueType, project: Project) -> dict[str, dict[str, Any]]:
        shown = EDITABLE | {"issuetype", "project"}
        if not (itype.subtask or self.mode == "cloud"):
            shown.discard("parent")  # Data Center only takes a parent for sub-tasks
        meta = {}
        for fid, name, _clauses, kind, navigable, editable in FIELDS:
            if fid not in shown:
                continue
            entry: dict[str, Any] = {
                "required": fid in ("summary", "issuetype", "project")
                or (fid == "parent" and itype.subtask),
                "schema": self._schema((fid, name, [], kind, navigable, editable)),
                "name": name,
                "key": fid,
                "hasDefaultValue": fid == "priority",
                "operations": ["add", "set", "remove"] if fid == "labels" else ["set"],
            }
            if fid == "issuetype":
                entry["allowedValues"] = [self._type_json(itype)]
            if fid == "project":
                entry["allowedValues"] = [self._project_ref(project)]
            meta[fid] = entry
        return meta

    def _createmeta_legacy(self, request: Request) -> Response:
        if self.mode == "server" and int(self.version.split(".")[0]) >= 9:
            return self.not_found(request)  # removed in Jira Data Center 9.0
        keys = set(_list_arg(request, "projectKeys") or [])
        ids = set(_list_arg(request, "projectIds") or [])
        type_names = set(_list_arg(request, "issuetypeNames") or [])
        type_ids = set(_list_arg(request, "issuetypeIds") or [])
        with_fields = "projects.issuetypes.fields" in (request.arg("expand") or "")
        projects = []
        for project in self.projects.values():
            if (keys or ids) and project.key not in keys and project.id not in ids:
                continue
            types = []
            for type_id in project.issue_type_ids:
                itype = self.issue_types[type_id]
                if (
                    (type_names or type_ids)
                    and itype.name not in type_names
                    and (itype.id not in type_ids)
                ):
                    continue
                entry = self._type_json(itype) | {"expand": "fields"}
                if with_fields:
                    entry["fields"] = self._field_meta(itype, project)
                types.append(entry)
            projects.append(
                self._project_ref(project) | {"expand": "issuetypes", "issuetypes": types}
            )
        return Response(200, {"expand": "projects", "projects": projects})

    def _page(self, request: Request, items: list[Any], key: str) -> dict[str, Any]:
        start = max(_int_arg(request, "startAt", 0), 0)
        size = min(max(_int_arg(request, "maxResults", 50), 0), 200)
        page = items[start : start + size]
        body = {"startAt": start, "maxResults": size, "total": len(items), key: page}
        if self.mode == "server":
            body["isLast"] = start + len(page) >= len(items)
        return body

    def _before(self, version: tuple[int, int]) -> bool:
        """Data Center older than `version` (Cloud has every resource)."""
        numbers = tuple(int(n) for n in re.findall(r"\d+", self.version)[:2])
        return self.mode == "server" and numbers < version

    def _createmeta_types(self, request: Request) -> Response:
        if self._before((8, 4)):  # added in Jira Data Center 8.4: no resource serves it
            self._route_pattern = None
            return self.not_found(request)
        project = self.find_project(request.params["key"])
        if project is None:
            raise ApiError(400, f"Project with key '{request.params['key']}' was not found.")
        types = [self._type_json(self.issue_types[t]) for t in project.issue_type_ids]
        key = "issueTypes" if self.mode == "cloud" else "values"
        return Response(200, self._page(request, types, key))

    def _createmeta_fields(self, request: Request) -> Response:
        project = self.find_project(request.params["key"])
        itype = self.issue_types.get(request.params["type"])
        if project is None or itype is None or itype.id not in project.issue_type_ids:
            raise ApiError(400, "Issue type with the given id was not found in the project.")
        fields = [meta | {"fieldId": fid} for fid, meta in self._field_meta(itype, project).items()]
        key = "fields" if self.mode == "cloud" else "values"
        return Response(200, self._page(request, fields, key))

    # -- handlers: search -----------------------------------------------------------------
    def _search_args(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            body = self._json(request) or {}
            if not isinstance(body, dict):
                raise ApiError(400, "The search request must be a JSON object.")

            def listed(value: Any) -> list[str] | None:
                if value is None:
                    return None
                items = value if isinstance(value, list) else [value]
                return [p.strip() for v in items for p in str(v).split(",") if p.strip()]

            return {
                "jql": body.get("jql") or "",
                "fields": listed(body.get("fields")),
                "expand": body.get("expand") if isinstance(body.get("expand"), str) else None,
                "properties": listed(body.get("properties")),
                "maxResults": body.get("maxResults"),
                "startAt": body.get("startAt"),
                "nextPageToken": body.get("nextPageToken"),
                "validateQuery": str(body.get("validateQuery", "strict")).lower(),
            }
        return {
            "jql": request.arg("jql") or "",
            "fields": _list_arg(request, "fields"),
            "expand": request.arg("expand"),
            "properties": _list_arg(request, "properties"),
            "maxResults": request.arg("maxResults"),
            "startAt": request.arg("startAt"),
            "nextPageToken": request.arg("nextPageToken"),
            "validateQuery": (request.arg("validateQuery") or "strict").lower(),
        }

    @staticmethod
    def _number(value: Any, name: str, default: int) -> int:
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"The value '{value}' is not valid for {name}.") from None

    def _search_legacy(self, request: Request) -> Response:
        if not self.legacy_search:
            raise ApiError(410, REMOVED_SEARCH)
        args = self._search_args(request)
        query = JqlQuery(self, args["jql"], self._actor)
        issues = query.run()
        start = max(self._number(args["startAt"], "startAt", 0), 0)
        size = min(
            max(self._number(args["maxResults"], "maxResults", 50), 0), self.search_page_limit
        )
        wanted = self._wanted_fields(args["fields"], "*navigable")
        page = [
            self._issue_json(i, wanted or set(), args["expand"], args["properties"])
            for i in issues[start : start + size]
        ]
        body: dict[str, Any] = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(issues),
            "issues": page,
        }
        return Response(200, body)

    def _search_jql(self, request: Request) -> Response:
        if self.mode == "server":
            return self.not_found(request)  # a Cloud-only resource
        args = self._search_args(request)
        query = JqlQuery(self, args["jql"], self._actor)
        if not query.bounded:
            raise ApiError(400, UNBOUNDED)
        digest = hashlib.sha1(args["jql"].encode()).hexdigest()[:12]
        start = 0
        if args["nextPageToken"]:
            start = self._read_token(args["nextPageToken"], digest)
        size = self._number(args["maxResults"], "maxResults", 50)
        if size <= 0:
            raise ApiError(400, "The maxResults parameter must be greater than 0.")
        wanted = self._wanted_fields(args["fields"], "id")
        limit = 5000 if wanted is None and not args["properties"] else self.search_page_limit
        size = min(size, limit)
        issues = query.run()
        chunk = issues[start : start + size]
        body: dict[str, Any] = {
            "issues": [
                self._issue_json(i, wanted, args["expand"], args["properties"]) for i in chunk
            ]
        }
        if start + size < len(issues):
            body["nextPageToken"] = self._token(digest, start + size)
            body["isLast"] = False
        else:
            body["isLast"] = True
        return Response(200, body)

    @staticmethod
    def _token(digest: str, offset: int) -> str:
        raw = json.dumps({"q": digest, "o": offset}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _read_token(token: str, digest: str) -> int:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if data["q"] != digest:
                raise ValueError("token of another query")
            return int(data["o"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ApiError(400, "The provided next page token is invalid or expired.") from None

    # -- handlers: issues -----------------------------------------------------------------
    @staticmethod
    def _json(request: Request) -> Any:
        try:
            return request.json()
        except ValueError:
            raise ApiError(400, "Unexpected character in the request body: not JSON.") from None

    def _issue_or_404(self, key: str) -> JiraIssue:
        issue = self.find_issue(key)
        if issue is None:
            raise ApiError(404, NO_ISSUE)
        return issue

    def _get_issue(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        wanted = self._wanted_fields(_list_arg(request, "fields"), "*all")
        body = self._issue_json(
            issue, wanted or set(), request.arg("expand"), _list_arg(request, "properties")
        )
        return Response(200, body)

    def _check_text(self, errors: dict[str, str], name: str, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            errors[name] = f"Field '{name}' must be a string in REST API v2."
        elif value is not None and len(value) > self.text_limit:
            errors[name] = TOO_LONG

    def _check_summary(self, errors: dict[str, str], value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif "\n" in value or "\r" in value:
            errors["summary"] = "The summary is invalid because it contains newline characters."
        elif len(value) > 255:
            errors["summary"] = "Summary must be less than 255 characters."

    @staticmethod
    def _check_labels(errors: dict[str, str], labels: Any) -> list[str]:
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            errors["labels"] = "data was not an array"
            return []
        for label in labels:
            if " " in label:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
            elif len(label) > 255:
                errors["labels"] = "The label must not exceed 255 characters."
        return list(dict.fromkeys(labels))

    def _resolve_user(self, errors: dict[str, str], name: str, value: Any) -> JiraUser | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            errors[name] = "data was not an object"
            return None
        ident = value.get("accountId") or value.get("name") or value.get("key") or value.get("id")
        user = self.find_user(str(ident)) if ident else None
        if user is None:
            errors[name] = (
                "Specified user does not exist or you do not have required permissions"
                if self.mode == "cloud"
                else f"User '{ident}' does not exist."
            )
        return user

    def _ref(self, value: Any) -> str | None:
        if isinstance(value, dict):
            found = value.get("key") or value.get("id")
            return str(found) if found is not None else None
        return None

    def _check_parent(
        self, errors: dict[str, str], itype: IssueType, project: Project, ref: Any
    ) -> JiraIssue | None:
        key, message = HIERARCHY[self.mode]
        if ref is None:
            if itype.subtask:
                errors["issuetype"] = (
                    "Issue type is a sub-task but parent issue key or id not specified."
                )
            return None
        if self.mode == "server" and not itype.subtask:
            errors["parent"] = _cannot_set("parent")  # Data Center parents only sub-tasks
            return None
        if not isinstance(ref, dict):
            errors["parent"] = "data was not an object"
            return None
        text = self._ref(ref)
        parent = self.find_issue(text) if text else None
        if parent is None:
            errors["parent"] = "Could not find issue by id or key."
            return None
        parent_type = self.issue_types[parent.type_id]
        same_project = parent.project_id == project.id or not itype.subtask
        if parent_type.hierarchy_level != itype.hierarchy_level + 1 or not same_project:
            errors[key] = message
            return None
        return parent

    def _create_issue(self, request: Request) -> Response:
        issue = self._create_one(self._json(request))
        body = {"id": issue.id, "key": issue.key, "self": self._issue_url(issue)}
        return Response(201, body)

    def _bulk_create(self, request: Request) -> Response:
        """Jira's answer: 201 with the issues made and one error per issue refused (by its
        position), or 400 in the same shape when every issue was refused."""
        data = self._json(request)
        updates = data.get("issueUpdates") if isinstance(data, dict) else None
        if not isinstance(updates, list):
            raise ApiError(400, "Can not deserialize instance of issueUpdates.")
        if len(updates) > BULK_LIMIT:
            raise ApiError(400, f"The number of issues to create must not exceed {BULK_LIMIT}.")
        issues: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for number, update in enumerate(updates):
            try:
                issue = self._create_one(update)
            except ApiError as error:
                errors.append(
                    {
                        "status": error.status,
                        "elementErrors": {
                            "errorMessages": error.messages,
                            "errors": error.errors,
                        },
                        "failedElementNumber": number,
                    }
                )
                continue
            issues.append({"id": issue.id, "key": issue.key, "self": self._issue_url(issue)})
        body = {"issues": issues, "errors": errors}
        return Response(201 if issues or not errors else 400, body)

    def _create_one(self, data: Any) -> JiraIssue:
        if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
            raise ApiError(400, "Can not deserialize instance of fields out of the request body.")
        fields: dict[str, Any] = dict(data["fields"])
        errors: dict[str, str] = {}
        project = None
        pref = self._ref(fields.pop("project", None))
        if pref is None:
            errors["project"] = "Specify a valid project ID or key"
        else:
            project = self.find_project(pref)
            if project is None:
                errors["project"] = "valid project is required"
        itype = None
        tref = fields.pop("issuetype", None)
        if not isinstance(tref, dict) or not (tref.get("id") or tref.get("name")):
            errors["issuetype"] = "Specify an issue type"
        elif project is not None:
            itype = next(
                (
                    self.issue_types[t]
                    for t in project.issue_type_ids
                    if str(tref.get("id") or "") == t
                    or tref.get("name") == self.issue_types[t].name
                ),
                None,
            )
            if itype is None:
                errors["issuetype"] = "Specify a valid issue type"
        self._check_summary(errors, fields.get("summary"))
        for name in ("description", "environment"):
            self._check_text(errors, name, fields.get(name))
        labels = self._check_labels(errors, fields.get("labels", []))
        assignee = self._resolve_user(errors, "assignee", fields.get("assignee"))
        reporter = self._resolve_user(errors, "reporter", fields.get("reporter"))
        priority = self._priority(errors, fields.get("priority"))
        parent = None
        if project is not None and itype is not None:
            parent = self._check_parent(errors, itype, project, fields.get("parent"))
        for name in fields:
            if name not in EDITABLE:
                errors[name] = _cannot_set(name)
        properties = self._create_properties(errors, data.get("properties"))
        update_links = (data.get("update") or {}).get("issuelinks") or []
        for refusal in self.create_refusals:
            errors |= refusal(data) or {}
        if errors:
            raise ApiError(400, errors=errors)
        assert project is not None
        assert itype is not None
        assert self._actor is not None
        links = self._link_ops(update_links)
        issue = self._new_issue(
            project,
            itype,
            fields["summary"],
            reporter or self._actor,
            description=fields.get("description"),
            environment=fields.get("environment"),
            labels=labels,
            parent=parent,
            assignee=assignee,
            priority_id=priority or "3",
            properties=properties,
        )
        for link_type, other, this_is_inward in links:
            pair = (issue, other) if this_is_inward else (other, issue)
            self._link(link_type, *pair)
        return issue

    def _priority(self, errors: dict[str, str], value: Any) -> str | None:
        if value is None:
            return None
        ident = value.get("id") or value.get("name") if isinstance(value, dict) else None
        for pid, name in PRIORITIES.items():
            if ident in (pid, name):
                return pid
        errors["priority"] = f"Priority name '{ident}' is not valid"
        return None

    def _create_properties(self, errors: dict[str, str], value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, list) or not all(
            isinstance(p, dict) and isinstance(p.get("key"), str) for p in value
        ):
            errors["properties"] = "Properties must be a list of objects with a key and a value."
            return {}
        for prop in value:
            if len(json.dumps(prop.get("value"))) > PROPERTY_LIMIT:
                errors["properties"] = (
                    f"The property value cannot be longer than {PROPERTY_LIMIT} bytes."
                )
        return {p["key"]: p.get("value") for p in value}

    def _link_ops(self, ops: Any) -> list[tuple[LinkType, JiraIssue, bool]]:
        """`update.issuelinks` add operations: (type, other issue, this issue is inward)."""
        out = []
        for op in ops if isinstance(ops, list) else []:
            add = op.get("add") if isinstance(op, dict) else None
            if not isinstance(add, dict):
                raise _bad_request(issuelinks="Only 'add' operations are supported here.")
            link_type = self._find_link_type(add.get("type"))
            if "outwardIssue" in add:
                # shown on this issue as `outwardIssue`: this issue is the link's inward end
                out.append((link_type, self._link_end(add["outwardIssue"]), True))
            else:
                out.append((link_type, self._link_end(add.get("inwardIssue")), False))
        return out

    def _edit_issue(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        data = self._json(request)
        if not isinstance(data, dict):
            raise ApiError(400, "Can not deserialize the request body.")
        fields: dict[str, Any] = data.get("fields") or {}
        update: dict[str, Any] = data.get("update") or {}
        errors: dict[str, str] = {}
        for name in [*fields, *update]:
            if name not in EDITABLE and name not in ("comment", "issuelinks"):
                errors[name] = _cannot_set(name)
        if self.mode == "server" and "parent" in fields:
            errors["parent"] = _cannot_set("parent")  # Data Center cannot move a sub-task
        for name in set(fields) & set(update):
            errors[name] = f"Field '{name}' cannot be set in both 'fields' and 'update'."
        properties = self._create_properties(errors, data.get("properties"))
        if "summary" in fields:
            self._check_summary(errors, fields["summary"])
        for name in ("description", "environment"):
            if name in fields:
                self._check_text(errors, name, fields[name])
        labels = issue.labels
        if "labels" in fields:
            labels = self._check_labels(errors, fields["labels"])
        labels = self._label_ops(errors, labels, update.get("labels") or [])
        assignee = self._resolve_user(errors, "assignee", fields.get("assignee"))
        reporter = self._resolve_user(errors, "reporter", fields.get("reporter"))
        priority = self._priority(errors, fields.get("priority"))
        parent = None
        if fields.get("parent") is not None:
            parent = self._check_parent(
                errors,
                self.issue_types[issue.type_id],
                self.projects_by_id[issue.project_id],
                fields["parent"],
            )
        comments = []
        for op in update.get("comment") or []:
            body = ((op or {}).get("add") or {}).get("body")
            self._check_comment_body(errors, body)
            comments.append(body)
        for name, ops in update.items():
            if name in ("summary", "description", "environment"):
                for op in ops:
                    if "set" in op:
                        fields[name] = op["set"]
                        self._check_text(errors, name, op["set"])
        if errors:
            raise ApiError(400, errors=errors)
        links = self._link_ops(update.get("issuelinks") or [])
        for name in ("summary", "description", "environment"):
            if name in fields:
                setattr(issue, name, fields[name])
        issue.labels = labels
        if "assignee" in fields:
            issue.assignee = assignee
        if reporter is not None:
            issue.reporter = reporter
        if priority is not None:
            issue.priority_id = priority
        if parent is not None:
            issue.parent_id = parent.id
        for body in comments:
            self._new_comment(issue, body)
        issue.properties.update(properties)
        for link_type, other, this_is_inward in links:
            pair = (issue, other) if this_is_inward else (other, issue)
            self._link(link_type, *pair)
        issue.updated = self.now()
        if (request.arg("returnIssue") or "").lower() == "true":
            return Response(200, self._issue_json(issue, set(FIELD_IDS), request.arg("expand")))
        return Response(204)

    def _label_ops(self, errors: dict[str, str], labels: list[str], ops: Any) -> list[str]:
        labels = list(labels)
        for op in ops if isinstance(ops, list) else []:
            if not isinstance(op, dict):
                errors["labels"] = "Operation must be an object."
                continue
            if "set" in op:
                labels = self._check_labels(errors, op["set"])
            if "add" in op:
                self._check_labels(errors, [op["add"]])
                if op["add"] not in labels:
                    labels.append(op["add"])
            if "remove" in op and op["remove"] in labels:
                labels.remove(op["remove"])
        return labels

    # -- handlers: comments ---------------------------------------------------------------
    def _check_comment_body(self, errors: dict[str, str], body: Any) -> None:
        if not isinstance(body, str) or not body.strip():
            errors["comment"] = "Comment body can not be empty!"
        elif len(body) > self.text_limit:
            errors["comment"] = TOO_LONG

    def _new_comment(self, issue: JiraIssue, body: str) -> JiraComment:
        assert self._actor is not None
        self._ids["comment"] += 1
        stamp = self.now()
        comment = JiraComment(
            str(self._ids["comment"]), body, self._actor, stamp, stamp, self._actor
        )
        issue.comments.append(comment)
        issue.updated = stamp
        return comment

    def _comments(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        order = request.arg("orderBy") or "created"
        if order not in ("created", "+created", "-created"):
            raise ApiError(400, f"Invalid orderBy value: '{order}'.")
        comments = sorted(issue.comments, key=lambda c: int(c.id), reverse=order == "-created")
        start = max(_int_arg(request, "startAt", 0), 0)
        size = max(_int_arg(request, "maxResults", self.comment_page_default), 0)
        size = min(size, self.comment_page_default)
        body = {
            "startAt": start,
            "maxResults": size,
            "total": len(comments),
            "comments": [self._comment_json(issue, c) for c in comments[start : start + size]],
        }
        return Response(200, body)

    def _add_comment(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        data = self._json(request)
        errors: dict[str, str] = {}
        body = data.get("body") if isinstance(data, dict) else None
        self._check_comment_body(errors, body)
        if errors:
            raise ApiError(400, errors=errors)
        comment = self._new_comment(issue, body)
        return Response(201, self._comment_json(issue, comment))

    def _comment_or_404(self, issue: JiraIssue, comment_id: str) -> JiraComment:
        for comment in issue.comments:
            if comment.id == comment_id:
                return comment
        raise ApiError(404, f"Can not find a comment for the id: {comment_id}.")

    def _comment(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        comment = self._comment_or_404(issue, request.params["id"])
        return Response(200, self._comment_json(issue, comment))

    def _update_comment(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        comment = self._comment_or_404(issue, request.params["id"])
        data = self._json(request)
        errors: dict[str, str] = {}
        body = data.get("body") if isinstance(data, dict) else None
        self._check_comment_body(errors, body)
        if errors:
            raise ApiError(400, errors=errors)
        assert self._actor is not None
        comment.body = body
        comment.updated = self.now()
        comment.update_author = self._actor
        return Response(200, self._comment_json(issue, comment))

    def _delete_comment(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        comment = self._comment_or_404(issue, request.params["id"])
        issue.comments.remove(comment)
        return Response(204)

    # -- handlers: entity properties ------------------------------------------------------
    def _property_keys(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        keys = [
            {"self": self._url(f"issue/{issue.id}/properties/{k}"), "key": k}
            for k in issue.properties
        ]
        return Response(200, {"keys": keys})

    def _get_property(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        key = request.params["prop"]
        if key not in issue.properties:
            raise ApiError(404, f"The property with key '{key}' does not exist.")
        return Response(200, {"key": key, "value": issue.properties[key]})

    def _set_property(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        key = request.params["prop"]
        if len(key) > 255:
            raise ApiError(400, "The property key cannot be longer than 255 characters.")
        if not request.body:
            raise ApiError(400, "The property value cannot be empty.")
        if len(request.body) > PROPERTY_LIMIT:
            raise ApiError(400, f"The property value cannot be longer than {PROPERTY_LIMIT} bytes.")
        value = self._json(request)
        created = key not in issue.properties
        issue.properties[key] = value
        return Response(201 if created else 200)

    def _delete_property(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        key = request.params["prop"]
        if key not in issue.properties:
            raise ApiError(404, f"The property with key '{key}' does not exist.")
        del issue.properties[key]
        return Response(204)

    # -- handlers: transitions ------------------------------------------------------------
    def _available(self, issue: JiraIssue) -> list[Transition]:
        return [
            t
            for t in self.workflow
            if t.to != issue.status_id and (t.sources is None or issue.status_id in t.sources)
        ]

    def _screen_json(self, transition: Transition) -> dict[str, Any]:
        """The fields of a transition's screen, as `expand=transitions.fields` shows them."""
        fields: dict[str, Any] = {}
        if "resolution" in transition.screen:
            fields["resolution"] = {
                "required": True,
                "schema": {"type": "resolution", "system": "resolution"},
                "name": "Resolution",
                "key": "resolution",
                "operations": ["set"],
                "allowedValues": [
                    {"self": self._url(f"resolution/{rid}"), "id": rid, "name": name}
                    for rid, name in RESOLUTIONS.items()
                ],
            }
        return fields

    def _transition_json(self, transition: Transition, expand: bool = False) -> dict[str, Any]:
        extra = {"fields": self._screen_json(transition)} if expand else {}
        return extra | {
            "id": transition.id,
            "name": transition.name,
            "to": self._status_json(self.statuses[transition.to]),
            "isGlobal": transition.sources is None,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
            "hasScreen": bool(transition.screen),
        }

    def _transitions(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        wanted = request.arg("transitionId")
        expand = "transitions.fields" in (request.arg("expand") or "").split(",")
        transitions = [
            self._transition_json(t, expand)
            for t in self._available(issue)
            if wanted is None or t.id == wanted
        ]
        return Response(200, {"expand": "transitions", "transitions": transitions})

    def _move(self, issue: JiraIssue, status: Status, resolution: str | None = None) -> None:
        before = self.statuses[issue.status_id].category
        issue.status_id = status.id
        issue.updated = self.now()
        if status.category == "done" and before != "done":
            default = "Won't Do" if status.name == "Won't Do" else "Done"
            issue.resolution = resolution or default
            issue.resolution_date = issue.updated
        elif status.category != "done":
            issue.resolution = issue.resolution_date = None

    def _transition(self, request: Request) -> Response:
        issue = self._issue_or_404(request.params["key"])
        data = self._json(request)
        ref = data.get("transition") if isinstance(data, dict) else None
        if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
            raise ApiError(400, "Missing 'transition' identifier")
        wanted = str(ref.get("id") or "")
        transition = next(
            (t for t in self._available(issue) if wanted == t.id or ref.get("name") == t.name),
            None,
        )
        if transition is None:
            raise ApiError(
                400, f"Transition id '{wanted or ref.get('name')}' is not valid for this issue."
            )
        errors: dict[str, str] = {}
        comments = []
        for op in ((data.get("update") or {}).get("comment")) or []:
            body = ((op or {}).get("add") or {}).get("body")
            self._check_comment_body(errors, body)
            comments.append(body)
        resolution = self._transition_fields(errors, transition, data.get("fields"))
        if errors:
            raise ApiError(400, errors=errors)
        self._move(issue, self.statuses[transition.to], resolution)
        for body in comments:
            self._new_comment(issue, body)
        return Response(204)

    @staticmethod
    def _transition_fields(
        errors: dict[str, str], transition: Transition, fields: Any
    ) -> str | None:
        """The resolution a transition request sets; only fields on its screen may be set."""
        if not isinstance(fields, dict):
            return None
        for name in fields:
            if name not in transition.screen:
                errors[name] = NOT_ON_SCREEN.format(name)
        ref = fields.get("resolution")
        if ref is None or "resolution" not in transition.screen:
            return None
        given = ref if isinstance(ref, dict) else {}
        for rid, name in RESOLUTIONS.items():
            if given.get("id") == rid or given.get("name") == name:
                return name
        errors["resolution"] = "Resolution value is invalid."
        return None

    # -- handlers: links ------------------------------------------------------------------
    def _link_types(self, request: Request) -> Response:
        body = {"issueLinkTypes": [self._link_type_json(t) for t in self.link_types.values()]}
        return Response(200, body)

    def _link_type(self, request: Request) -> Response:
        link_type = self.link_types.get(request.params["id"])
        if link_type is None:
            raise ApiError(404, f"No issue link type with id '{request.params['id']}' exists.")
        return Response(200, self._link_type_json(link_type))

    def _find_link_type(self, ref: Any) -> LinkType:
        if not isinstance(ref, dict):
            raise ApiError(400, "Issue link type is required.")
        if ref.get("id") is not None:
            found = self.link_types.get(str(ref["id"]))
            if found is None:
                raise ApiError(404, f"No issue link type with id '{ref['id']}' found.")
            return found
        name = ref.get("name")
        for link_type in self.link_types.values():
            if link_type.name == name:
                return link_type
        raise ApiError(404, f"No issue link type with name '{name}' found.")

    def _link_end(self, ref: Any) -> JiraIssue:
        text = self._ref(ref)
        issue = self.find_issue(text) if text else None
        if issue is None:
            raise ApiError(404, "Issue Does Not Exist")
        return issue

    def _create_link(self, request: Request) -> Response:
        data = self._json(request)
        if not isinstance(data, dict):
            raise ApiError(400, "Can not deserialize the request body.")
        link_type = self._find_link_type(data.get("type"))
        inward = self._link_end(data.get("inwardIssue"))
        outward = self._link_end(data.get("outwardIssue"))
        if inward.id == outward.id:
            raise ApiError(400, "You cannot link an issue to itself.")
        comment = data.get("comment")
        if comment is not None:
            errors: dict[str, str] = {}
            self._check_comment_body(
                errors, comment.get("body") if isinstance(comment, dict) else None
            )
            if errors:
                raise ApiError(400, errors=errors)
        self._link(link_type, inward, outward)
        if comment is not None:
            self._new_comment(outward, comment["body"])  # goes on the "from" (outward) issue
        return Response(201)

    def _link_or_404(self, link_id: str) -> Link:
        link = self.links.get(link_id)
        if link is None:
            raise ApiError(404, f"No issue link with id '{link_id}' exists.")
        return link

    def _get_link(self, request: Request) -> Response:
        link = self._link_or_404(request.params["id"])
        body = {
            "id": link.id,
            "self": self._url(f"issueLink/{link.id}"),
            "type": self._link_type_json(self.link_types[link.type_id]),
            "inwardIssue": self._brief(self.issues[link.inward_id]),
            "outwardIssue": self._brief(self.issues[link.outward_id]),
        }
        return Response(200, body)

    def _delete_link(self, request: Request) -> Response:
        link = self._link_or_404(request.params["id"])
        del self.links[link.id]
        return Response(204)
