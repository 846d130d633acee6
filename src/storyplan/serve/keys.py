"""How a decision travels through the queue: as JSON arguments, with the two keys that give
the queue its guarantees. `lock` (the story) runs one story's jobs one at a time;
`queueing_lock` (what to do to the story) lets one job of each kind wait per story, so a
burst of events, or a sweep on top of them, becomes one waiting job.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from storyplan.decide import Apply, Command, Decision, SyncAll, SyncParent, SyncStory

KINDS: dict[str, type[Decision]] = {
    cls.__name__: cls for cls in (Apply, SyncParent, SyncStory, Command, SyncAll)
}


@dataclass(frozen=True)
class JobKeys:
    story: str  # what the logs name
    lock: str
    queueing_lock: str | None


def encode(decision: Decision) -> dict[str, Any]:
    return {"kind": type(decision).__name__, **asdict(decision)}


def decode(data: dict[str, Any]) -> Decision:
    cls = KINDS[str(data["kind"])]
    names = {f.name for f in fields(cls)}
    return cls(**{name: value for name, value in data.items() if name in names})


def job_keys(tracker: str, decision: Decision) -> JobKeys:
    if isinstance(decision, Apply):
        story, kind = decision.story, "apply"
    elif isinstance(decision, SyncStory):
        story, kind = decision.story, "sync"
    elif isinstance(decision, SyncParent):
        # Without a marker the parent is found by the job, which then queues its sync.
        story, kind = decision.story or decision.issue, "sync-parent"
    elif isinstance(decision, Command):
        story, kind = decision.story, ""  # every command gets its own answer
    elif isinstance(decision, SyncAll):
        story, kind = decision.project, "sync-all"
    else:
        raise ValueError(f"{decision!r} is not queued")
    lock = f"{tracker}:{story.casefold()}"
    return JobKeys(story, lock, f"{kind}:{lock}" if kind else None)
