"""The one gate every text storyplan writes to a tracker passes: the composition root wraps
each tracker in `guard`, so a batch of changes or a reply that holds a secret of the run (a
token, a password from a URL) is refused before the adapter sees it, whatever template, story
or error message it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from storyplan.errors import TemplateError
from storyplan.model import Markup, Story
from storyplan.ports import Applied, Capabilities, Change, Limits, Tracker, TrackerState
from storyplan.redact import held_secret

# What the GitHub Action needs beyond the port (`storyplan.action.ActionTracker`).
ACTION_METHODS = ("permission", "reply", "parent_of")
WHAT = {
    "upsert_plan": "the plan comment",
    "create_child": "a new sub-issue",
    "update_child": "a sub-issue",
    "mark_obsolete": "an obsolete note",
    "close_duplicate": "a duplicate's closing note",
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


def guard(tracker: Tracker) -> Tracker:
    """`tracker` with every write checked by `refuse_secrets` first; a tracker that serves the
    Action keeps the methods the Action looks for, its replies checked too."""
    if all(callable(getattr(tracker, name, None)) for name in ACTION_METHODS):
        return GuardedAction(tracker)
    return Guarded(tracker)


class Guarded:
    """A tracker whose every batch of changes is checked by `refuse_secrets` before any of it
    is written. The port's attributes are the wrapped tracker's own, read and set through."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    @property
    def name(self) -> str:
        return self.tracker.name

    @name.setter
    def name(self, name: str) -> None:
        self.tracker.name = name

    @property
    def markup(self) -> Markup:
        return self.tracker.markup

    @markup.setter
    def markup(self, markup: Markup) -> None:
        self.tracker.markup = markup

    @property
    def limits(self) -> Limits:
        return self.tracker.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self.tracker.limits = limits

    @property
    def capabilities(self) -> Capabilities:
        return self.tracker.capabilities

    @capabilities.setter
    def capabilities(self, capabilities: Capabilities) -> None:
        self.tracker.capabilities = capabilities

    @property
    def title_format(self) -> str:
        return self.tracker.title_format

    @title_format.setter
    def title_format(self, title_format: str) -> None:
        self.tracker.title_format = title_format

    def fetch_story(self, ref: str) -> Story:
        return self.tracker.fetch_story(ref)

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        return self.tracker.read_state(story, with_links=with_links)

    def find_planned(self, project: str, label: str) -> list[str]:
        return self.tracker.find_planned(project, label)

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        # The whole batch is checked before the adapter sees any of it: a refusal writes
        # nothing, rather than half a batch.
        for change in changes:
            what = f"{WHAT.get(change.kind, 'a ' + change.kind.replace('_', ' '))} on {story.ref}"
            refuse_secrets(change_texts(change), what)
        return self.tracker.apply(story, changes)

    def __getattr__(self, name: str) -> Any:
        # Anything beyond the port (an adapter's own helpers) is the wrapped tracker's.
        if name == "tracker":  # not set yet (a copy being made): no endless lookup
            raise AttributeError(name)
        return getattr(self.tracker, name)


class GuardedAction(Guarded):
    """A guarded tracker that serves the GitHub Action: its reply is a write like any other."""

    def permission(self, project: str, login: str) -> str:
        answer: str = self.tracker.permission(project, login)  # type: ignore[attr-defined]
        return answer

    def reply(self, ref: str, body: str) -> str | None:
        refuse_secrets([body], f"the reply on {ref}")
        url: str | None = self.tracker.reply(ref, body)  # type: ignore[attr-defined]
        return url

    def parent_of(self, ref: str) -> Story | None:
        parent: Story | None = self.tracker.parent_of(ref)  # type: ignore[attr-defined]
        return parent
