"""Checks each request to and response from the fake GitHub against GitHub's OpenAPI subset.

The subset lives in `shared/specs/` beside the repository; without it checks are off and the
tests that need them skip. Operations the subset lacks are counted as unchecked, not failed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# shared/ is a sibling of the repository root (tests/fakes/github_spec.py -> parents[2]).
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared"
SPEC_PATH = SHARED_DIR / "specs" / "github-issues-subset.openapi.json"
SPEC_SERVER = "https://api.github.com"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def spec_available() -> bool:
    return SPEC_PATH.is_file()


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # e.g. /repos/{owner}/{repo}/issues/{issue_number}
    regex: re.Pattern[str]
    statuses: frozenset[int]
    literals: int  # segments without parameters; the most specific template wins


@dataclass
class SpecRequest:
    """openapi-core's `Request` (+ `SupportsPathPattern`) protocol over a fake's request."""

    host_url: str
    path: str
    path_pattern: str
    method: str  # lower case, as openapi-core wants it
    body: bytes | None
    content_type: str
    parameters: Any  # openapi_core.datatypes.RequestParameters


@dataclass
class SpecResponse:
    """openapi-core's `Response` protocol over a fake's response."""

    status_code: int
    data: bytes | None
    headers: Any  # werkzeug Headers
    content_type: str


@dataclass
class CheckResult:
    operation: str  # "GET /repos/{owner}/{repo}/issues" or the raw path when unchecked
    checked_request: bool
    checked_response: bool
    errors: list[str] = field(default_factory=list)


def _allow_null_in_nullable_enums(node: Any) -> int:
    """Add null to each `nullable: true` enum that lacks it; returns how many were fixed.

    GitHub's description marks e.g. `issue.state_reason` nullable but leaves null out of its
    enum, and openapi-core (rightly, for OpenAPI 3.0.3) then rejects the `null` GitHub sends
    for every open issue. This is a defect of the description, not of the fake.
    """
    fixed = 0
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            enum.append(None)
            fixed += 1
        for value in node.values():
            fixed += _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            fixed += _allow_null_in_nullable_enums(value)
    return fixed


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: BaseException) -> str:
    """The error and each schema error under it, following openapi-core's exception chain."""
    parts = [type(error).__name__]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            for schema_error in schema_errors:
                where = "/".join(str(p) for p in getattr(schema_error, "absolute_path", ()))
                message = _short(getattr(schema_error, "message", str(schema_error)))
                parts.append(f"at '{where}': {message}" if where else message)
        elif current is not error or not current.__cause__:
            parts.append(_short(str(current)))
        current = current.__cause__ or current.__context__
    return "; ".join(parts)


class GithubSpec:
    """The OpenAPI subset, loaded once per process (`GithubSpec.load()`)."""

    _cached: GithubSpec | None = None
    _lock = threading.Lock()
    load_seconds: float = 0.0

    def __init__(self, path: Path = SPEC_PATH) -> None:
        from openapi_core import OpenAPI

        raw = json.loads(path.read_text(encoding="utf-8"))
        self.nullable_enums = _allow_null_in_nullable_enums(raw)
        self.openapi = OpenAPI.from_dict(raw)
        self.operations: list[Operation] = []
        for template, item in raw["paths"].items():
            regex = re.compile(
                "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            )
            literals = sum(1 for seg in template.split("/") if seg and "{" not in seg)
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                statuses = frozenset(int(code) for code in operation["responses"] if code.isdigit())
                self.operations.append(
                    Operation(method.upper(), template, regex, statuses, literals)
                )
        self.operations.sort(key=lambda op: -op.literals)

    @classmethod
    def load(cls) -> GithubSpec | None:
        """The process-wide instance, or None when shared/specs is absent."""
        if not spec_available():
            return None
        with cls._lock:
            if cls._cached is None:
                started = time.perf_counter()
                cls._cached = cls(SPEC_PATH)
                cls.load_seconds = time.perf_counter() - started
            return cls._cached

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for operation in self.operations:
            if operation.method != method:
                continue
            match = operation.regex.match(path)
            if match:
                return operation, match.groupdict()
        return None

    def check(
        self,
        *,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        status: int,
        response_headers: Mapping[str, str],
        response_body: bytes,
    ) -> CheckResult:
        """Validate one exchange; `path` is relative to the API root (no Enterprise prefix)."""
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        found = self.find(method, path)
        if found is None:
            return CheckResult(f"{method} {path}", False, False)
        operation, path_params = found
        name = f"{method} {operation.template}"
        result = CheckResult(name, True, False)
        request = SpecRequest(
            host_url=SPEC_SERVER,
            path=path,
            path_pattern=operation.template,
            method=method.lower(),
            body=body or None,
            content_type=(headers.get("content-type") or "application/json").lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(
                    [(key, value) for key, values in query.items() for value in values]
                ),
                header=Headers(list(headers.items())),
                path=path_params,
            ),
        )
        try:
            self.openapi.validate_request(request)
        except Exception as error:
            result.errors.append(f"{method} {path} ({name}): request: {_describe(error)}")
        if status not in operation.statuses:
            # GitHub documents few error statuses per operation (no 401 anywhere, say); an
            # undocumented status is noted by the caller, not counted as a violation.
            return result
        result.checked_response = True
        response = SpecResponse(
            status_code=status,
            data=response_body or None,
            headers=Headers(list(response_headers.items())),
            content_type=(response_headers.get("Content-Type") or "application/json").lower(),
        )
        try:
            self.openapi.validate_response(request, response)
        except Exception as error:
            result.errors.append(f"{method} {path} ({name}): response {status}: {_describe(error)}")
        return result
