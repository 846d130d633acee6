"""The plan a story's text gave, kept beside the story by trackers that can (Jira keeps it in
the story's entity property), so that sync skips converting and parsing a story whose text
has not changed since the record was written.

A tracker writes the record only with writes it makes anyway (Jira: to the story, or to the
first sub-task a run makes or edits), never as a request of its own: an apply that changes
only links or the plan comment leaves an older record, and sync parses that story as it
would without one.

A record is a digest of everything parsing reads (the text, the title, the settings that
steer the parser, storyplan's version), the plan's shape and the plan model itself,
compressed. It is read as untrusted input: anything that does not decode into a valid plan
within a size bound is no record, and the story is parsed as usual.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from pydantic import ValidationError

from storyplan import __version__
from storyplan.config import Settings
from storyplan.model import Plan, Story

MAX_PLAN_BYTES = 4 * 1024 * 1024  # a recorded plan decompresses to no more than this


@runtime_checkable
class PlanRecords(Protocol):
    """A tracker that keeps records (`digest`, `shape`, `plan`) beside each story."""

    def plan_records(self, story: Story) -> Sequence[Mapping[str, str]]:
        """The records kept beside `story` by earlier applies, in no particular order."""
        ...

    def keep_plan_record(self, story: Story, record: Mapping[str, str]) -> None:
        """Keep `record` beside `story` with the next write this run makes to the story, if
        it makes one and the kept record is another."""
        ...


def story_digest(story: Story, settings: Settings) -> str:
    """A digest of what parsing reads: equal digests parse to equal plans."""
    inputs = [
        __version__,
        story.ref,
        story.title,
        story.body,
        story.markup,
        story.url or "",
        story.assignees,
        story.part,
        settings.synonyms,
        settings.allow_empty,
    ]
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_record(digest: str, plan: Plan, shape: str) -> dict[str, str]:
    # The story itself is left out: the digest covers it, and recall puts today's in.
    packed = zlib.compress(plan.model_dump_json(exclude={"story"}).encode("utf-8"), 9)
    return {
        "digest": digest,
        "shape": shape,
        "plan": base64.b64encode(packed).decode("ascii"),
    }


def _unpack(text: str, story: Story) -> Plan | None:
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=True)
        inflate = zlib.decompressobj()
        raw = inflate.decompress(packed, MAX_PLAN_BYTES)
        if inflate.unconsumed_tail:
            return None  # larger than any plan storyplan writes: not one of its records
        fields = json.loads(raw)
        if not isinstance(fields, dict):
            return None
        return Plan.model_validate({**fields, "story": story})
    except (binascii.Error, UnicodeError, zlib.error, ValidationError, ValueError):
        return None


def recall_plan(records: PlanRecords, story: Story, settings: Settings) -> Plan | None:
    """The plan recorded beside `story` for its text as it is now, with the story as it is
    now (its labels, dates and state are not the parser's to keep); else None."""
    digest = story_digest(story, settings)
    for record in records.plan_records(story):
        text = record.get("plan")
        if isinstance(text, str) and record.get("digest") == digest:
            plan = _unpack(text, story)
            if plan is not None:
                return plan
    return None
