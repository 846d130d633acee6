"""storyplan's exception tree; each error carries the exit code the CLI turns it into.

StoryplanError
├── ConfigError            bad settings or a bad command-line value        exit 2
├── PlanError              the story cannot become a valid plan            exit 3
├── TemplateError          a template is missing or fails to render        exit 4
├── TrackerError           the tracker refused or failed                   exit 5
│   ├── AuthError          no token, or the token was rejected            exit 6
│   ├── NotFoundError      the story, repository or project does not exist exit 7
│   ├── ForbiddenError     the token may not do this                      exit 8
│   ├── RateLimitError     rate limited; `retry_after` says when to retry  exit 9
│   └── CapabilityError    this tracker (version/tier) lacks a feature    exit 10
└── Interrupted            Ctrl-C during apply, after some changes         exit 130

Adapters translate their SDK's exceptions into these at one boundary; only the CLI turns
them into exit codes. Messages are one sentence and never contain a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


class StoryplanError(Exception):
    """Base of every error storyplan reports to a user."""

    exit_code = 1


class ConfigError(StoryplanError):
    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a story, with the line it was found on (1-based, 0 if none)."""

    message: str
    line: int = 0
    source: str = ""

    def __str__(self) -> str:
        where = self.source or "story"
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class PlanError(StoryplanError):
    """The story cannot become a valid plan; holds every problem found, not just the first."""

    exit_code = 3

    def __init__(self, problems: list[Problem] | str, plan: object = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(dict.fromkeys(problems))  # the same finding once, in order
        self.plan = plan  # the plan as far as it was read, when there is one
        super().__init__("; ".join(str(p) for p in problems))


class TemplateError(StoryplanError):
    exit_code = 4


class TrackerError(StoryplanError):
    """`unknown_outcome`: the request may have been carried out (no answer, or a 5xx after it
    was sent), so a create must be looked for before it is made again."""

    exit_code = 5

    def __init__(self, message: str, *, unknown_outcome: bool = False) -> None:
        super().__init__(message)
        self.unknown_outcome = unknown_outcome


class AuthError(TrackerError):
    exit_code = 6


class NotFoundError(TrackerError):
    exit_code = 7


class ForbiddenError(TrackerError):
    exit_code = 8


class RateLimitError(TrackerError):
    exit_code = 9

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CapabilityError(TrackerError):
    exit_code = 10


class Interrupted(StoryplanError):
    """Ctrl-C in the middle of apply: says how far it got; the next apply finishes."""

    exit_code = 130

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of {total} changes; run apply again to finish")
