"""`storyplan sync`: which stories to sync (one, or every planned story of some scopes), with
progress on stderr, and the exit code a scheduled job can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyplan.activity import steps
from storyplan.cli_options import OPTIONS, emit_json, info, out
from storyplan.errors import ConfigError

if TYPE_CHECKING:
    from storyplan.refs import Ref
    from storyplan.registry import TrackerName

NEEDS_APPLY_EXIT = 11  # a story's plan or sub-issues differ from what apply would make


def scope_of(text: str, default: TrackerName | None) -> tuple[TrackerName, str]:
    """`github:octo/shop`, `files:stories` or a bare project → (tracker, project)."""
    from storyplan.registry import TRACKERS

    prefix, sep, rest = text.partition(":")
    for name in TRACKERS:
        if sep and prefix == name:
            return name, rest
    if Path(text).is_dir():
        return "files", text
    return default or "github", text


class Trackers:
    """The trackers of one `sync`: one per instance for those that serve many stories at
    once (`prefetch`: one client, one connection for all), else one per story."""

    def __init__(self, settings: Any, base_url: str | None) -> None:
        self.settings, self.base_url = settings, base_url
        self._shared: dict[tuple[str, str | None], Any] = {}

    def __call__(self, ref: Ref) -> Any:
        from storyplan.compose import make_tracker

        key = (ref.tracker, ref.base_url)
        if key in self._shared:
            return self._shared[key]
        tracker = make_tracker(self.settings, ref, base_url=self.base_url)
        if hasattr(tracker, "prefetch"):
            self._shared[key] = tracker
        return tracker


def stories_to_sync(
    refs: list[str],
    all_stories: bool,
    settings: Any,
    base_url: str | None,
    trackers: Trackers | None = None,
) -> list[Ref]:
    from storyplan.refs import Ref, parse_ref

    if not all_stories:
        if len(refs) != 1:
            raise ConfigError("sync takes one story, or --all with scopes to search")
        return [parse_ref(refs[0], settings.tracker)]
    scopes = refs or settings.sync.scopes
    if not scopes:
        raise ConfigError(
            "sync --all needs scopes to search: give them (github:owner/repo, "
            "files:stories) or set [sync] scopes in the config"
        )
    trackers = trackers or Trackers(settings, base_url)
    stories: list[Ref] = []
    for scope in scopes:
        name, project = scope_of(scope, settings.tracker)
        backend = trackers(Ref(name, project, ""))
        found = backend.find_planned(project, settings.labels.story)
        stories.extend(parse_ref(f"{name}:{key}") for key in found)
    return stories


def run_sync(
    refs: list[str],
    *,
    all_stories: bool,
    dry_run: bool,
    json_output: bool,
    settings: Any,
    base_url: str | None,
) -> int:
    """Sync and print; the exit code: 1 if a story failed, 11 if one needs apply, else 0."""
    from storyplan.report import print_sync, sync_json
    from storyplan.sync import NEEDS_APPLY, SyncResult, sync_all, sync_story

    tracker_for = Trackers(settings, base_url)
    stories = stories_to_sync(refs, all_stories, settings, base_url, tracker_for)

    if not all_stories:  # one story: its own error and exit code, as plan and apply
        (ref,) = stories
        results = [sync_story(tracker_for(ref), ref, settings, dry_run=dry_run)]
    else:
        with steps(info, len(stories), quiet=OPTIONS.quiet) as step:
            done = 0

            def advance(result: SyncResult) -> None:
                nonlocal done
                done += 1
                step(f"synced {done}/{len(stories)}: {result.story}")

            results = sync_all(stories, tracker_for, settings, dry_run=dry_run, on_result=advance)
    if json_output:
        emit_json(sync_json(results))
    else:
        print_sync(out, results, dry_run=dry_run, everything=all_stories)
    if any(result.outcome == "failed" for result in results):
        return 1
    if any(result.outcome in NEEDS_APPLY for result in results):
        return NEEDS_APPLY_EXIT
    return 0
