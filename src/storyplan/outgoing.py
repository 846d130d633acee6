"""The one gate every text storyplan writes to a tracker passes: the composition root wraps
each tracker in `Guarded`, so a change or reply that holds a secret of the run (a token, a
password from a URL) is refused before the adapter sees it, whatever template, story or
error message it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storyplan.errors import TemplateError
from storyplan.model import Markup, Story
from storyplan.ports import Applied, Capabilities, Change, Limits, Tracker, TrackerState
from storyplan.redact import held_secret

WRITERS = frozenset({"reply"})  # methods beyond the port that write text (the Action's)
WHAT = {
    "upsert_plan": "the plan comment",
    "create_child": "a new sub-issue",
    "update_child": "a sub-issue",
    "mark_obsolete": "an obsolete note",
}


def refuse_secrets(texts: list[str], what: str) -> None:
    for text in texts:
        name = held_secret(text)
        if name is not None:
            raise TemplateError(
                f"storyplan refused to write {what}: it holds the value of {name}, "
                "which must never reach a tracker (check the templates and the story)"
            )


def change_texts(change: Change) -> list[str]:
    """Every string a change carries to the tracker: titles, bodies, labels, reasons."""
    texts: list[str] = []
    for value in change.model_dump().values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list | tuple):
            texts.extend(item for item in value if isinstance(item, str))
    return texts


class Guarded:
    """A tracker whose every write is checked by `refuse_secrets` first."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        # Set once by each adapter when it is made, so copies stay true for the run.
        self.name: str = tracker.name
        self.markup: Markup = tracker.markup
        self.limits: Limits = tracker.limits
        self.capabilities: Capabilities = tracker.capabilities
        self.title_format: str = tracker.title_format

    def fetch_story(self, ref: str) -> Story:
        return self.tracker.fetch_story(ref)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        return self.tracker.read_state(story, with_links=with_links)

    def apply(self, story: Story, change: Change) -> Applied:
        what = f"{WHAT.get(change.kind, 'a ' + change.kind.replace('_', ' '))} on {story.ref}"
        refuse_secrets(change_texts(change), what)
        return self.tracker.apply(story, change)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.tracker, name)
        if name in WRITERS and callable(value):
            return _checked(value, name)
        return value


def _checked(write: Callable[..., Any], name: str) -> Callable[..., Any]:
    def checked(ref: str, body: str, *args: Any, **kwargs: Any) -> Any:
        refuse_secrets([body], f"the {name} on {ref}")
        return write(ref, body, *args, **kwargs)

    return checked
