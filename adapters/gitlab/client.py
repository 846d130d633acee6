"""GitLab's REST API as storyplan uses it: typed records instead of python-gitlab's dynamic
objects, one `translate()` from python-gitlab's, gql's and the transports' exceptions to
storyplan's, and a transport that never repeats a write.

Reads (and idempotent PUT/DELETE) are retried after a 5xx or a dropped connection; a POST
never is, because a POST whose answer is lost may have been carried out. 429s are never
waited out (python-gitlab would sleep for as long as Retry-After says): they become a
RateLimitError that says when to retry.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import gitlab
import httpx
import requests
from gql.transport.exceptions import TransportError, TransportQueryError
from pydantic import BaseModel, ConfigDict
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from storyplan.errors import (
    AuthError,
    CapabilityError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    TrackerError,
)

from .settings import Credentials

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
TRANSIENT = (500, 502, 503, 504)
PER_PAGE = 100
# GraphQL's answer when something is missing or the token may not touch it (GitLab says both
# the same way, so that a private project's existence is not given away).
NOT_AVAILABLE = "does not exist or you don't have permission"


# -- records ---------------------------------------------------------------------------------
class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserRef(Record):
    username: str


class References(Record):
    full: str


class IssueRecord(Record):
    """An issue (or a Task work item, which REST shows as an issue) as GitLab answers it."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str | None = None
    state: str = "opened"
    labels: tuple[str, ...] = ()
    web_url: str = ""
    issue_type: str = "issue"
    references: References
    author: UserRef | None = None
    assignees: tuple[UserRef, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Open issues this one blocks; GitLab lists it with the issue, so links are read only
    # where there are some. None where the instance does not say.
    blocking_issues_count: int | None = None

    @property
    def key(self) -> str:
        """`group/sub/project#17`, as GitLab spells the path."""
        return self.references.full

    @property
    def project(self) -> str:
        return self.key.rpartition("#")[0]

    @property
    def gid(self) -> str:
        # A work item's global id is the issue's id: they are one record in GitLab.
        return f"gid://gitlab/WorkItem/{self.id}"


class LinkRow(IssueRecord):
    """The other end of an issue link, as `GET …/issues/:iid/links` lists it."""

    issue_link_id: int
    link_type: str  # relates_to | blocks | is_blocked_by, seen from the issue asked about


class NoteRecord(Record):
    id: int
    body: str
    system: bool = False


class LabelRecord(Record):
    id: int
    name: str
    is_project_label: bool = True

    @property
    def gid(self) -> str:
        kind = "ProjectLabel" if self.is_project_label else "GroupLabel"
        return f"gid://gitlab/{kind}/{self.id}"


# -- errors ----------------------------------------------------------------------------------
@dataclass
class Endpoint:
    """Where the instance is, what it said last (for rate-limit headers), whose token."""

    base_url: str
    variable: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        return (parts.netloc + parts.path).rstrip("/")

    def remember(self, headers: Mapping[str, str]) -> None:
        self.headers = {name.lower(): value for name, value in headers.items()}


def _wait(headers: Mapping[str, str]) -> tuple[float | None, str]:
    if headers.get("retry-after", "").strip().isdigit():
        seconds = float(headers["retry-after"])
        return seconds, f"retry in {int(seconds)} seconds"
    reset: datetime | None = None
    if headers.get("ratelimit-reset", "").strip().isdigit():
        reset = datetime.fromtimestamp(int(headers["ratelimit-reset"]), UTC)
    elif headers.get("ratelimit-resettime"):
        try:
            reset = email.utils.parsedate_to_datetime(headers["ratelimit-resettime"])
        except (TypeError, ValueError):
            reset = None
    if reset is None:
        return None, "try again later"
    seconds = max(0.0, (reset - datetime.now(UTC)).total_seconds())
    return seconds, f"it resets at {reset:%H:%M:%S} UTC (in {int(seconds // 60)} min)"


def _graphql_message(err: TransportQueryError) -> str:
    errors = err.errors or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return str(first.get("message") or err)


@contextmanager
def translate(what: str, where: Endpoint, feature: str | None = None) -> Iterator[None]:
    """python-gitlab's, gql's and the transports' exceptions to storyplan's, one sentence each.

    `feature` names what a 404 (or an unknown GraphQL field) means is missing on this
    instance, for calls whose 404 says the feature is absent rather than the object.
    """
    try:
        yield
    except gitlab.GitlabAuthenticationError:
        raise AuthError(
            f"GitLab at {where.host} rejected the token (401 Unauthorized); check {where.variable}"
        ) from None
    except gitlab.GitlabError as err:
        code = err.response_code
        detail = f" ({code}: {err.error_message})" if err.error_message else f" ({code})"
        if code == 429:
            seconds, when = _wait(where.headers)
            raise RateLimitError(
                f"GitLab rate limit reached while trying to {what}; {when}", seconds
            ) from None
        if code == 401:
            raise AuthError(
                f"GitLab at {where.host} rejected the token (401); check {where.variable}"
            ) from None
        if code == 403:
            raise ForbiddenError(f"the token may not {what}{detail}") from None
        if code == 404:
            if feature:
                raise CapabilityError(
                    f"{feature} are not available on the GitLab at {where.host} (404 while "
                    f"trying to {what})"
                ) from None
            raise NotFoundError(
                f"could not {what}: not found on {where.host}, or the token cannot see it"
            ) from None
        if code is None:
            raise TrackerError(f"could not {what} on GitLab at {where.host}{detail}") from None
        raise TrackerError(f"GitLab refused to {what}{detail}") from None
    except TransportQueryError as err:
        message = _graphql_message(err)
        if NOT_AVAILABLE in message:
            raise ForbiddenError(
                f"could not {what}: GitLab at {where.host} says it does not exist or the token "
                "may not do this"
            ) from None
        if "doesn't exist on type" in message or "doesn't accept argument" in message:
            raise CapabilityError(
                f"{feature or 'work items'} are not available on the GitLab at {where.host} "
                f"(its GraphQL API answered: {message})"
            ) from None
        raise TrackerError(f"GitLab refused to {what} ({message})") from None
    except (requests.RequestException, httpx.HTTPError, TransportError) as err:
        raise TrackerError(
            f"could not reach GitLab at {where.host} to {what} ({type(err).__name__})"
        ) from None


# -- REST --------------------------------------------------------------------------------------
def _project(path: str) -> str:
    return quote(path, safe="")


def _issue_path(project: str, iid: int | str) -> str:
    return f"/projects/{_project(project)}/issues/{iid}"


class Rest:
    """The REST calls storyplan makes, through python-gitlab, with typed answers."""

    def __init__(
        self, where: Endpoint, credentials: Credentials, *, timeout: float, retries: int
    ) -> None:
        session = requests.Session()
        retry = Retry(
            total=retries,
            backoff_factor=0.5,
            status_forcelist=TRANSIENT,
            allowed_methods=IDEMPOTENT,  # never POST: a lost answer may hide a made issue
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.hooks["response"].append(
            lambda response, *args, **kwargs: where.remember(response.headers)
        )
        secret = credentials.token.get_secret_value()
        self.gl = gitlab.Gitlab(
            url=where.base_url,
            private_token=None if credentials.job else secret,
            job_token=secret if credentials.job else None,
            timeout=timeout,
            retry_transient_errors=False,  # python-gitlab's own retries would repeat POSTs
            per_page=PER_PAGE,
            session=session,
        )

    # python-gitlab sleeps out a 429 unless told not to, on every call.
    def _get(self, path: str, **query: Any) -> Any:
        return self.gl.http_get(path, query_data=query, obey_rate_limit=False)

    def _pages(self, path: str, **query: Any) -> Iterator[dict[str, Any]]:
        listing = self.gl.http_list(
            path, query_data=query, iterator=True, per_page=PER_PAGE, obey_rate_limit=False
        )
        yield from listing

    def _post(self, path: str, data: dict[str, Any]) -> Any:
        return self.gl.http_post(path, post_data=data, obey_rate_limit=False)

    def _put(self, path: str, data: dict[str, Any]) -> Any:
        return self.gl.http_put(path, post_data=data, obey_rate_limit=False)

    # -- issues
    def issue(self, project: str, iid: int | str) -> IssueRecord:
        return IssueRecord.model_validate(self._get(_issue_path(project, iid)))

    def issues(self, project: str, iids: list[int]) -> list[IssueRecord]:
        """The issues with these iids, a hundred a request."""
        found: list[IssueRecord] = []
        for start in range(0, len(iids), PER_PAGE):
            chunk = iids[start : start + PER_PAGE]
            query = {"iids[]": chunk, "state": "all"}  # Grape reads arrays with brackets
            rows = self._pages(f"/projects/{_project(project)}/issues", **query)
            found.extend(IssueRecord.model_validate(row) for row in rows)
        return found

    def recent_issues(self, project: str, label: str | None, issue_type: str) -> list[IssueRecord]:
        """The newest page of issues of this type (with this label): a lost create's leftovers."""
        query: dict[str, Any] = {
            "state": "all",
            "order_by": "created_at",
            "sort": "desc",
            "issue_type": issue_type,
            "per_page": PER_PAGE,
            "page": 1,
        }
        if label:
            query["labels"] = label
        rows = self.gl.http_get(
            f"/projects/{_project(project)}/issues", query_data=query, obey_rate_limit=False
        )
        return [IssueRecord.model_validate(row) for row in rows]

    def labelled(self, project: str, label: str) -> Iterator[IssueRecord]:
        rows = self._pages(f"/projects/{_project(project)}/issues", labels=label, state="all")
        return (IssueRecord.model_validate(row) for row in rows)

    def create_issue(
        self, project: str, title: str, description: str, labels: tuple[str, ...]
    ) -> IssueRecord:
        data = {"title": title, "description": description, "labels": ",".join(labels)}
        return IssueRecord.model_validate(self._post(f"/projects/{_project(project)}/issues", data))

    def update_issue(self, project: str, iid: int, **fields: Any) -> IssueRecord:
        return IssueRecord.model_validate(self._put(_issue_path(project, iid), fields))

    # -- notes
    def notes(self, project: str, iid: int) -> Iterator[NoteRecord]:
        # Oldest first: the plan note is written early, so the walk usually stops on page one.
        rows = self._pages(f"{_issue_path(project, iid)}/notes", sort="asc", order_by="created_at")
        return (NoteRecord.model_validate(row) for row in rows)

    def create_note(self, project: str, iid: int, body: str) -> NoteRecord:
        return NoteRecord.model_validate(
            self._post(f"{_issue_path(project, iid)}/notes", {"body": body})
        )

    def update_note(self, project: str, iid: int, note_id: int, body: str) -> NoteRecord:
        path = f"{_issue_path(project, iid)}/notes/{note_id}"
        return NoteRecord.model_validate(self._put(path, {"body": body}))

    # -- links
    def links(self, project: str, iid: int) -> list[LinkRow]:
        # Not paginated: GitLab answers every link of an issue at once.
        return [
            LinkRow.model_validate(row) for row in self._get(f"{_issue_path(project, iid)}/links")
        ]

    def create_link(self, source: IssueRecord, target: IssueRecord, link_type: str) -> None:
        data = {
            "target_project_id": target.project_id,
            "target_issue_iid": target.iid,
            "link_type": link_type,
        }
        self._post(f"{_issue_path(source.project, source.iid)}/links", data)

    def delete_link(self, issue: IssueRecord, link_id: int) -> None:
        path = f"{_issue_path(issue.project, issue.iid)}/links/{link_id}"
        self.gl.http_delete(path, obey_rate_limit=False)

    # -- labels
    def label(self, project: str, name: str) -> LabelRecord | None:
        rows = self._pages(f"/projects/{_project(project)}/labels", search=name)
        for row in rows:
            label = LabelRecord.model_validate(row)
            if label.name == name:
                return label
        return None

    def create_label(self, project: str, name: str, color: str) -> LabelRecord:
        data = {"name": name, "color": color}
        return LabelRecord.model_validate(self._post(f"/projects/{_project(project)}/labels", data))


def backoff(attempt: int) -> None:
    """Like urllib3's: the first retry at once, then 0.5 s, 1 s, 2 s, ..."""
    if attempt:
        time.sleep(0.5 * 2 ** (attempt - 1))
