"""Structured logs: one JSON object a line on stderr, with the story and the job id of the
job being worked on, so a platform team can follow one story through every worker.
Nothing logged here carries a token or a webhook body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

_STORY: ContextVar[str | None] = ContextVar("storyplan_story", default=None)
_JOB: ContextVar[int | None] = ContextVar("storyplan_job", default=None)

logger = logging.getLogger("storyplan.serve")


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        story, job = _STORY.get(), _JOB.get()
        if story is not None and not hasattr(record, "story"):
            record.story = story
        if job is not None and not hasattr(record, "job_id"):
            record.job_id = job
        return True


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_Context())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The HTTP clients' own debug lines can carry headers; keep them quiet.
    for noisy in ("urllib3", "github", "gitlab", "jira", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def job_context(story: str, job_id: int | None) -> Iterator[None]:
    story_token, job_token = _STORY.set(story), _JOB.set(job_id)
    try:
        yield
    finally:
        _STORY.reset(story_token)
        _JOB.reset(job_token)
