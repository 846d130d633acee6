"""Checks the Jira fake's traffic against Atlassian's own description of the REST API.

The description is a trimmed copy of Jira Cloud's OpenAPI file for REST v3, kept in
shared/specs beside the repository. The fake speaks v2, which has the same paths, parameters
and shapes except for rich text: there v3 carries Atlassian Document Format and v2 carries
wiki-markup strings. So `/rest/api/2/...` is checked as `/rest/api/3/...`, and the rich-text
slots (comment `body`, issue `description` and `environment`), which the v3 file leaves
untyped, are required to be strings. Checking uses openapi-core; the spec loads once.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.base import Request, Response

SPEC_FILE = "jira-cloud-v3-subset.openapi.json"
SERVER = "https://your-domain.atlassian.net"  # the description's `servers` entry
RICH_TEXT = frozenset({"body", "description", "environment"})
_API = re.compile(r"^/rest/api/(?:2|latest)/")
# Jira answers these from any resource, documented or not; they say nothing about shapes.
EXEMPT = frozenset({401, 403, 429})
BULK_CREATE = "/rest/api/2/issue/bulk"  # the fake's route; its elements are checked one by one
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$")


def shared_dir() -> Path:
    """The `shared` folder beside the repository root (repo/tests/fakes/ -> repo/../shared)."""
    return Path(__file__).resolve().parents[2].parent / "shared"


def spec_path() -> Path | None:
    path = shared_dir() / "specs" / SPEC_FILE
    return path if path.is_file() else None


def spec_available() -> bool:
    return spec_path() is not None and importlib.util.find_spec("openapi_core") is not None


def require_spec() -> None:
    """Skip the calling test when the shared description (or openapi-core) is not there."""
    if spec_path() is None:
        import pytest

        pytest.skip(f"spec checks need {shared_dir() / 'specs' / SPEC_FILE}, which is absent")
    if not spec_available():
        import pytest

        pytest.skip("spec checks need openapi-core, which is not installed")


def relax_rich_text(spec: dict[str, Any]) -> list[str]:
    """Make the v3 description describe v2 in place; returns what it changed.

    Untyped `body`/`description`/`environment` properties (ADF documents in v3) become
    strings, and the free-form issue `fields` maps get string `description`/`environment`.
    """
    changed = []
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        for prop, sub in (schema.get("properties") or {}).items():
            shaped = {"type", "$ref", "allOf", "oneOf", "anyOf", "items", "properties"}
            if prop in RICH_TEXT and isinstance(sub, dict) and not shaped & sub.keys():
                schema["properties"][prop] = {
                    "type": "string",
                    "description": sub.get("description", ""),
                }
                changed.append(f"{name}.{prop}")
    text = {"type": "string", "nullable": True}
    for name in ("IssueBean", "IssueUpdateDetails"):
        fields = schemas[name]["properties"]["fields"]
        fields["properties"] = {"description": dict(text), "environment": dict(text)}
        changed += [f"{name}.fields.description", f"{name}.fields.environment"]
    return changed


@functools.cache
def v2_spec() -> dict[str, Any]:
    """The description, read once and relaxed for v2 (see `relax_rich_text`)."""
    path = spec_path()
    if path is None:
        raise FileNotFoundError(shared_dir() / "specs" / SPEC_FILE)
    spec = json.loads(path.read_text())
    relaxed = copy.deepcopy(spec)
    relax_rich_text(relaxed)
    return relaxed


def _shape(template: str) -> str:
    return re.sub(r"\{\w+\}", "{}", _API.sub("/rest/api/3/", template))


@functools.cache
def _described() -> frozenset[str]:
    return frozenset(_shape(template) for template in v2_spec()["paths"])


def _may_be_empty(route: str, request: Request, response: Response) -> bool:
    """An empty body is right for 204, and where the description's schema is `{}`."""
    if response.status == 204:
        return True
    if response.encoded():
        return False
    for template, item in v2_spec()["paths"].items():
        if _shape(template) == _shape(route):
            answer = item.get(request.method.lower(), {}).get("responses", {})
            content = answer.get(str(response.status), {}).get("content", {})
            return content.get("application/json", {}).get("schema") in (None, {})
    return False


def _jira_date_time(value: Any) -> bool:
    # Jira writes offsets as +0000, which RFC 3339 (and so jsonschema) would refuse.
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


@functools.cache
def _validators() -> tuple[Any, Any, Any]:
    from jsonschema_path import SchemaPath
    from openapi_core import V30ResponseValidator
    from openapi_core.validation.request.validators import (
        V30RequestBodyValidator,
        V30RequestParametersValidator,
    )

    spec = SchemaPath.from_dict(v2_spec())
    formats = {"date-time": _jira_date_time}
    # Security is left out: the description knows Cloud's basic auth, not Data Center's PATs,
    # and the fake checks credentials itself.
    return (
        V30RequestParametersValidator(spec, extra_format_validators=formats),
        V30RequestBodyValidator(spec, extra_format_validators=formats),
        V30ResponseValidator(spec, extra_format_validators=formats),
    )


@dataclass(frozen=True)
class Violation:
    side: str  # "request" or "response"
    method: str
    path: str
    status: int
    message: str

    def __str__(self) -> str:
        return f"{self.side} {self.method} {self.path} -> {self.status}: {self.message}"


def _explain(error: Exception) -> str:
    parts = [f"{type(error).__name__}"]
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if details:
        parts += [getattr(d, "message", str(d)) for d in details]
    elif cause is not None:
        parts.append(repr(cause))
    else:
        parts.append(str(error))
    return "; ".join(p for p in parts if p)


class SpecChecker:
    """Validates request/response pairs; used as a `FakeServer` hook by `FakeJira`."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.violations: list[Violation] = []
        self.unchecked: Counter[str] = Counter()  # what the description does not cover
        self.tolerated: Counter[str] = Counter()  # known client quirks that were let through
        self.checked = 0
        self.seconds = 0.0
        _validators()  # load the description now, not inside the first request

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.checked if self.checked else 0.0

    def check(self, request: Request, response: Response, route: str | None = None) -> None:
        started = time.perf_counter()
        try:
            self._check(request, response, route)
            if route == BULK_CREATE:
                self._check_bulk(request, response)
        finally:
            self.seconds += time.perf_counter() - started

    def _check_bulk(self, request: Request, response: Response) -> None:
        """The description has no bulk create, but each of its `issueUpdates` is what a
        single create takes (IssueUpdateDetails): each is checked as one."""
        from openapi_core.testing import MockRequest

        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return
        elements = data.get("issueUpdates") if isinstance(data, dict) else None
        _, body_validator, _ = _validators()
        for element in elements if isinstance(elements, list) else []:
            mock = MockRequest(
                SERVER,
                "POST",
                "/rest/api/3/issue",
                headers={"Content-Type": "application/json"},
                data=json.dumps(element).encode(),
            )
            self.checked += 1
            for error in body_validator.iter_errors(mock):
                self._add("request", request, response, error)

    def _check(self, request: Request, response: Response, route: str | None) -> None:
        from openapi_core.templating.paths.exceptions import PathError
        from openapi_core.templating.responses.exceptions import ResponseNotFound
        from openapi_core.testing import MockRequest, MockResponse
        from openapi_core.validation.response.exceptions import MissingData

        path = request.path[len(self.prefix) :] if self.prefix else request.path
        label = f"{request.method} {route or path}"
        # Only what a fake route serves and the description covers is checked; matching by
        # the route keeps /issue/createmeta from passing for /issue/{issueIdOrKey}.
        if not _API.match(path) or route is None or _shape(route) not in _described():
            self.unchecked[label] += 1
            return
        v3_path = _API.sub("/rest/api/3/", path)
        params, body_validator, response_validator = _validators()
        mock = MockRequest(
            SERVER,
            request.method,
            v3_path,
            args=request.query,
            headers={"Content-Type": "application/json"},
            data=self._request_body(request, label),
        )
        errors = list(params.iter_errors(mock))
        if errors and isinstance(errors[0], PathError):
            self.unchecked[label] += 1
            return
        self.checked += 1
        if request.body:
            errors += list(body_validator.iter_errors(mock))
        for error in errors:
            self._add("request", request, response, error)
        payload = response.encoded()
        answer = MockResponse(payload, status_code=response.status)
        for error in response_validator.iter_errors(mock, answer):
            if isinstance(error, ResponseNotFound) and (
                response.status in EXEMPT or response.status >= 500
            ):
                self.unchecked[f"{label} -> {response.status} (status not described)"] += 1
            elif isinstance(error, MissingData) and _may_be_empty(route, request, response):
                continue
            else:
                self._add("response", request, response, error)

    def _request_body(self, request: Request, label: str) -> bytes | None:
        """The body to validate; drops null members, which the `jira` client sends for
        optional objects (issueLink `comment`, search `expand`) and Jira accepts."""
        if not request.body:
            return None
        try:
            data = json.loads(request.body)
        except ValueError:
            return request.body
        if isinstance(data, dict):
            for key in [k for k, v in data.items() if v is None]:
                del data[key]
                self.tolerated[f"{label}: {key}=null"] += 1
        return json.dumps(data).encode()

    def _add(self, side: str, request: Request, response: Response, error: Exception) -> None:
        self.violations.append(
            Violation(side, request.method, request.path, response.status, _explain(error))
        )

    def report(self) -> str:
        lines = [
            f"{self.checked} checked ({self.mean_ms:.2f} ms each), "
            f"{len(self.violations)} violations"
        ]
        lines += [f"  violation: {v}" for v in self.violations]
        lines += [f"  unchecked: {k} x{n}" for k, n in sorted(self.unchecked.items())]
        lines += [f"  tolerated: {k} x{n}" for k, n in sorted(self.tolerated.items())]
        return "\n".join(lines)
