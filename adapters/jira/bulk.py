"""Creating sub-tasks in bulk: `POST issue/bulk` takes at most 50 issues a request (Cloud and
Data Center alike), each with its entity properties set in the same request.

Jira is not transactional here. It answers 201 with the issues it made and, for each one it
refused, an error naming its position in the request (`failedElementNumber`) and Jira's
reasons (`elementErrors`); when it refused them all it answers 400 in the same shape. The
caller gets one outcome per issue asked for, in order: the issue made, or why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storyplan.errors import TrackerError
from storyplan.ports import CreateChild

from .client import JiraApi, Json
from .records import PROPERTY, normalise

BULK_LIMIT = 50  # issues per request, Jira's limit


@dataclass(frozen=True)
class Refused:
    """An issue Jira would not make, in Jira's words."""

    reason: str


def _reason(error: Any) -> str:
    found = error.get("elementErrors") if isinstance(error, dict) else None
    if not isinstance(found, dict):
        return "Jira gave no reason"
    fields = found.get("errors")
    texts = [
        f"{name}: {text}" for name, text in (fields if isinstance(fields, dict) else {}).items()
    ]
    texts += [str(text) for text in found.get("errorMessages") or [] if text]
    return "; ".join(texts)[:300] or "Jira gave no reason"


def outcomes(answer: Json, asked: int, what: str) -> list[Json | Refused]:
    """One outcome per issue asked for, from a bulk create's answer (201, or 400 for all)."""
    errors = answer.get("errors", [])
    if not isinstance(errors, list):  # an error collection: the request itself was refused
        said = "; ".join(str(text) for text in answer.get("errorMessages") or [] if text)
        raise TrackerError(f"Jira refused to {what}" + (f" ({said[:200]})" if said else ""))
    refused: dict[int, Refused] = {}
    for error in errors:
        number = error.get("failedElementNumber") if isinstance(error, dict) else None
        if isinstance(number, int) and 0 <= number < asked:
            refused[number] = Refused(_reason(error))
    made = [issue for issue in answer.get("issues") or [] if isinstance(issue, dict)]
    if len(made) + len(refused) != asked or not all(issue.get("key") for issue in made):
        # Which issue is which cannot be told: the tracker looks for what was made.
        raise TrackerError(
            f"Jira's answer to the request to {what} did not account for every issue",
            unknown_outcome=True,
        )
    made_in_order = iter(made)  # Jira lists the issues it made in the order asked
    return [refused[n] if n in refused else next(made_in_order) for n in range(asked)]


def create_issues(api: JiraApi, updates: list[Json], what: str) -> list[Json | Refused]:
    """Make up to `BULK_LIMIT` issues in one request; their outcomes, in order."""
    if len(updates) > BULK_LIMIT:
        raise ValueError(f"at most {BULK_LIMIT} issues a request")
    answer = api.post_answered("issue/bulk", {"issueUpdates": updates}, what=what, answers={400})
    return outcomes(answer, len(updates), what)


def create_request(story: str, project: str, type_id: str, change: CreateChild, mark: Json) -> Json:
    """One sub-task of `story` as an element of a bulk create, its property `mark` included:
    a made sub-task always says its story and task."""
    return {
        "fields": {
            "project": {"key": project},
            "parent": {"key": story},
            "issuetype": {"id": type_id},
            "summary": change.title,
            "description": normalise(change.body),
            "labels": list(change.labels),
        },
        "properties": [{"key": PROPERTY, "value": mark}],
    }
