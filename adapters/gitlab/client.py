"""The requests storyplan makes to GitLab, REST and GraphQL, through python-gitlab; the only
module that imports it (and requests, httpx and gql for it).

Every call names what it does; python-gitlab's, gql's and the transports' exceptions become
a `Failure` in one place (`failure`) and storyplan's error from the shared table. Reads are
retried after a 5xx or a dropped connection, writes never are (`adapters.shared.transport`);
a 429 is never slept out (python-gitlab would wait as long as Retry-After says).
"""

from __future__ import annotations

import functools
import ssl
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

import certifi
import gitlab
import gitlab.const
import httpx
import requests
from gql.transport.exceptions import TransportError, TransportQueryError, TransportServerError
from requests.adapters import HTTPAdapter

from storyplan.adapters.shared import transport
from storyplan.adapters.shared.transport import TRANSIENT, Failure, Service, read_retry

from .records import IssueRecord, LinkRow, NoteRecord, UserRef
from .settings import DEFAULT_BASE_URL, Credentials, GitlabSettings

PER_PAGE = 100
# GraphQL's answer when something is missing or the token may not touch it (GitLab says both
# the same way, so that a private project's existence is not given away).
NOT_AVAILABLE = "does not exist or you don't have permission"
# A field or argument this instance's schema lacks: the feature is not there.
UNKNOWN_FIELD = ("doesn't exist on type", "doesn't accept argument")
UNLICENSED = "Blocked issues not available for current license"
LABEL_COLOR = "#6699cc"
STATUS = ":status"  # the last answer's status, kept with its headers

T = TypeVar("T")
LinkOutcome = Literal["made", "exists", "unlicensed"]


def _graphql_failure(err: TransportQueryError, headers: Mapping[str, str]) -> Failure:
    errors = err.errors or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = str(first.get("message") or err)
    status = int(headers.get(STATUS, "200"))
    if status >= 400:  # an error answered with GraphQL's body (401 "Invalid token")
        return Failure(status, message, headers, "TransportQueryError")
    # GitLab answers these with 200; the status says what GitLab means by each.
    if NOT_AVAILABLE in message:
        return Failure(403, message, cause="TransportQueryError")
    if any(phrase in message for phrase in UNKNOWN_FIELD):
        return Failure(404, message, cause="TransportQueryError")
    return Failure(400, message, cause="TransportQueryError")


def failure(err: Exception, headers: Mapping[str, str]) -> Failure | None:
    """The one mapping from python-gitlab's, gql's and the transports' exceptions; None for
    anything else (a bug, which keeps its traceback)."""
    if isinstance(err, gitlab.GitlabError):
        message = str(err.error_message or "")
        return Failure(err.response_code, message, headers, type(err).__name__)
    if isinstance(err, TransportQueryError):
        return _graphql_failure(err, headers)
    if isinstance(err, TransportServerError) and err.code is not None:
        return Failure(err.code, str(err), headers, type(err).__name__)
    if isinstance(err, requests.RequestException | httpx.HTTPError | TransportError):
        return Failure(None, cause=type(err).__name__)
    return None


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context a process: loading the CA bundle costs ~60 ms, once per client
    otherwise (`sync --all` makes a client a story)."""
    return ssl.create_default_context(cafile=certifi.where())


def _project(path: str) -> str:
    return quote(path, safe="")


def _issue_path(project: str, iid: int | str) -> str:
    return f"/projects/{_project(project)}/issues/{iid}"


class GitlabClient:
    """One GitLab instance as storyplan talks to it, with typed answers."""

    def __init__(
        self, base_url: str, credentials: Credentials, *, timeout: float, retries: int
    ) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.service = Service(
            "GitLab", (parts.netloc + parts.path).rstrip("/"), credentials.variable
        )
        self.credentials = credentials
        self.timeout = timeout
        self.retries = retries
        # python-gitlab's errors carry no headers: the last answer's are kept for rate limits.
        self.headers: dict[str, str] = {}
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=read_retry(retries, "GitLab"))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.hooks["response"].append(lambda response, *a, **k: self._remember(response))
        secret = credentials.token.get_secret_value()
        self.gl = gitlab.Gitlab(
            url=base_url,
            private_token=None if credentials.job else secret,
            job_token=secret if credentials.job else None,
            timeout=timeout,
            retry_transient_errors=False,  # python-gitlab's own retries would repeat POSTs
            per_page=PER_PAGE,
            session=session,
        )
        self._graphql: gitlab.GraphQL | None = None

    @classmethod
    def for_settings(cls, settings: GitlabSettings, credentials: Credentials) -> GitlabClient:
        return cls(
            settings.base_url or DEFAULT_BASE_URL,
            credentials,
            timeout=settings.timeout,
            retries=settings.retries,
        )

    @property
    def host(self) -> str:
        return self.service.host

    def _remember(self, response: requests.Response | httpx.Response) -> None:
        self.headers = {name.lower(): value for name, value in response.headers.items()}
        self.headers[STATUS] = str(response.status_code)

    @contextmanager
    def _mapped(self, what: str, feature: str | None = None) -> Iterator[None]:
        try:
            yield
        except Exception as err:
            found = failure(err, self.headers)
            if found is None:
                raise
            raise self.service.error(what, found, feature) from None

    def _call(self, what: str, call: Callable[[], T], allow: tuple[int, ...] = ()) -> T | Failure:
        """`call`'s answer, or the failure when its status is one the caller handles."""
        try:
            return call()
        except Exception as err:
            found = failure(err, self.headers)
            if found is None:
                raise
            if found.status in allow:
                return found
            raise self.service.error(what, found) from None

    # -- REST plumbing: python-gitlab sleeps out a 429 unless told not to, on every call.
    def _get(self, what: str, path: str, **query: Any) -> Any:
        with self._mapped(what):
            return self.gl.http_get(path, query_data=query, obey_rate_limit=False)

    def _raw_get(self, path: str) -> Any:
        return self.gl.http_get(path, obey_rate_limit=False)  # failures left to the caller

    def _pages(self, what: str, path: str, **query: Any) -> Iterator[dict[str, Any]]:
        with self._mapped(what):
            yield from self.gl.http_list(
                path, query_data=query, iterator=True, per_page=PER_PAGE, obey_rate_limit=False
            )

    def _post(self, what: str, path: str, data: dict[str, Any]) -> Any:
        with self._mapped(what):
            return self.gl.http_post(path, post_data=data, obey_rate_limit=False)

    def _put(self, what: str, path: str, data: dict[str, Any]) -> Any:
        with self._mapped(what):
            return self.gl.http_put(path, post_data=data, obey_rate_limit=False)

    # -- issues
    def issue(self, project: str, iid: int | str, what: str) -> IssueRecord:
        return IssueRecord.model_validate(self._get(what, _issue_path(project, iid)))

    def marked_issues(self, project: str, marker: str, what: str) -> Iterator[IssueRecord]:
        """Every issue whose text holds `marker`, oldest first: a lost create's leftovers.
        Only this story's tasks match, so the pages are as few as its tasks."""
        path = f"/projects/{_project(project)}/issues"
        query = {"search": marker, "in": "description", "state": "all"}
        rows = self._pages(what, path, order_by="created_at", sort="asc", **query)
        return (IssueRecord.model_validate(row) for row in rows)

    def labelled(self, project: str, label: str) -> list[IssueRecord]:
        what = f"list the issues of {project} labelled {label}"
        rows = self._pages(what, f"/projects/{_project(project)}/issues", labels=label, state="all")
        return [IssueRecord.model_validate(row) for row in rows]

    def create_issue(
        self, project: str, title: str, description: str, labels: tuple[str, ...], what: str
    ) -> IssueRecord:
        data = {"title": title, "description": description, "labels": ",".join(labels)}
        path = f"/projects/{_project(project)}/issues"
        return IssueRecord.model_validate(self._post(what, path, data))

    def update_issue(self, record: IssueRecord, what: str, **fields: str) -> IssueRecord:
        path = _issue_path(record.project, record.iid)
        return IssueRecord.model_validate(self._put(what, path, fields))

    # -- notes
    def notes(self, issue: IssueRecord, what: str) -> Iterator[NoteRecord]:
        # Oldest first: the oldest plan note is the plan, any later one a raced run's.
        path = f"{_issue_path(issue.project, issue.iid)}/notes"
        rows = self._pages(what, path, sort="asc", order_by="created_at")
        return (NoteRecord.model_validate(row) for row in rows)

    def create_note(self, issue: IssueRecord, body: str, what: str) -> NoteRecord:
        path = f"{_issue_path(issue.project, issue.iid)}/notes"
        return NoteRecord.model_validate(self._post(what, path, {"body": body}))

    def update_note(self, issue: IssueRecord, note_id: int, body: str, what: str) -> NoteRecord:
        path = f"{_issue_path(issue.project, issue.iid)}/notes/{note_id}"
        return NoteRecord.model_validate(self._put(what, path, {"body": body}))

    def delete_note(self, issue: IssueRecord, note_id: int, what: str) -> None:
        """Delete a note; one that is gone already (a run alongside) is no failure."""
        path = f"{_issue_path(issue.project, issue.iid)}/notes/{note_id}"
        self._call(what, lambda: self.gl.http_delete(path, obey_rate_limit=False), allow=(404,))

    # -- users
    def me(self, what: str) -> UserRef | None:
        """The token's own user; None where the token may not say (a CI job token)."""
        answer = self._call(what, lambda: self._raw_get("/user"), allow=(401, 403))
        return None if isinstance(answer, Failure) else UserRef.model_validate(answer)

    def access_level(self, project: str, user_id: int, what: str) -> int:
        """`user_id`'s access level in `project`, inherited included; 0 for a non-member."""
        path = f"/projects/{_project(project)}/members/all/{user_id}"
        answer = self._call(what, lambda: self._raw_get(path), allow=(404,))
        return 0 if isinstance(answer, Failure) else int(answer.get("access_level") or 0)

    # -- links
    def links(self, issue: IssueRecord) -> list[LinkRow]:
        # Not paginated: GitLab answers every link of an issue at once.
        rows = self._get(
            f"read the links of {issue.key}", f"{_issue_path(issue.project, issue.iid)}/links"
        )
        return [LinkRow.model_validate(row) for row in rows]

    def create_link(
        self, source: IssueRecord, target: IssueRecord, link_type: str, what: str
    ) -> LinkOutcome:
        """Link two issues; "exists" when they are linked already (in any way), "unlicensed"
        when the tier has no blocking links."""
        data = {
            "target_project_id": target.project_id,
            "target_issue_iid": target.iid,
            "link_type": link_type,
        }
        path = f"{_issue_path(source.project, source.iid)}/links"

        def post() -> Any:
            return self.gl.http_post(path, post_data=data, obey_rate_limit=False)

        answer = self._call(what, post, allow=(403, 409))
        if not isinstance(answer, Failure):
            return "made"
        if answer.status == 409:
            return "exists"
        if UNLICENSED in answer.message:
            return "unlicensed"
        raise self.service.error(what, answer)

    def delete_link(self, issue: IssueRecord, link_id: int, what: str) -> None:
        """Remove a link; one that is gone already (a repeated run) is no failure."""
        path = f"{_issue_path(issue.project, issue.iid)}/links/{link_id}"
        self._call(what, lambda: self.gl.http_delete(path, obey_rate_limit=False), allow=(404,))

    # -- GraphQL
    @property
    def graphql(self) -> gitlab.GraphQL:
        if self._graphql is None:
            secret = self.credentials.token.get_secret_value()
            headers = {"User-Agent": gitlab.const.USER_AGENT}
            if self.credentials.job:
                headers["JOB-TOKEN"] = secret
            else:
                headers["Authorization"] = f"Bearer {secret}"
            client = httpx.Client(
                headers=headers,
                timeout=self.timeout,
                verify=_tls(),
                event_hooks={"response": [self._remember]},
            )
            self._graphql = gitlab.GraphQL(
                url=self.base_url,
                client=client,
                max_retries=0,
                obey_rate_limit=False,  # a 429 becomes a RateLimitError, never a long sleep
                retry_transient_errors=False,  # would repeat a mutation whose answer was lost
            )
        return self._graphql

    def _run(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        with warnings.catch_warnings():
            # python-gitlab passes variables the way gql 4 deprecates; nothing to act on here.
            warnings.filterwarnings("ignore", "Using variable_values", DeprecationWarning)
            result: dict[str, Any] = self.graphql.execute(document, variable_values=variables)
        return result

    def query(
        self, document: str, variables: dict[str, Any], what: str, feature: str = "work items"
    ) -> dict[str, Any]:
        """A GraphQL query (a POST that only reads): retried like a REST read."""
        attempt = 0
        while True:
            try:
                return self._run(document, variables)
            except Exception as err:
                found = failure(err, self.headers)
                if found is None:
                    raise
                transient = found.status is None or found.status in TRANSIENT
                if not transient or attempt >= self.retries:
                    raise self.service.error(what, found, feature) from None
            if attempt:
                wait = 0.5 * 2 ** (attempt - 1)  # as urllib3's backoff: at once, 0.5 s, 1 s...
                transport.on_wait(f"GitLab did not answer; retrying in {wait:.1f} s")
                time.sleep(wait)
            attempt += 1

    def mutate_many(
        self, document: str, variables: dict[str, Any], what: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Aliased mutations, sent once: the data GitLab answered and its per-alias errors.
        Raises only when the request failed as a whole (refused, or no answer)."""
        try:
            return self._run(document, variables), []
        except TransportQueryError as err:
            if err.data is None:  # the document itself was refused: nothing ran
                raise self.service.error(
                    what, _graphql_failure(err, self.headers), "work items"
                ) from None
            errors = [e for e in err.errors or [] if isinstance(e, dict)]
            return dict(err.data), errors
        except Exception as err:
            found = failure(err, self.headers)
            if found is None:
                raise
            raise self.service.error(what, found, "work items") from None
