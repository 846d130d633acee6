"""The steps behind `plan`, `apply` and `demo`: a story reference prepared against its
tracker, and applied with progress on stderr; and the optional webhook service, loaded
only when `serve` or `worker` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storyplan.cli_options import OPTIONS, info, settings
from storyplan.errors import ConfigError


def prepare_story(
    ref_text: str,
    config: Path | None,
    tracker: str | None,
    base_url: str | None,
    prune: bool,
    story: int | None = None,
    allow_empty: bool = False,
) -> Any:
    from storyplan.compose import make_tracker
    from storyplan.config import check_base_url
    from storyplan.refs import parse_ref
    from storyplan.service import prepare

    loaded = settings(
        config, tracker=tracker.lower() if tracker else None, allow_empty=allow_empty or None
    )
    base_url = check_base_url(base_url)
    ref = parse_ref(ref_text, loaded.tracker)
    if story is not None and ref.tracker != "files":
        raise ConfigError("--story picks one story of a story file; split the issue instead")
    backend = make_tracker(loaded, ref, base_url=base_url)
    return prepare(backend, ref, loaded, prune=prune or loaded.prune, part=story)


def apply_story(prepared: Any) -> Any:
    """Apply with progress on stderr; notes after."""
    from storyplan.activity import change_steps, steps
    from storyplan.service import apply as apply_changes

    changes = prepared.reconciled.changes
    with steps(info, len(changes), quiet=OPTIONS.quiet) as step:
        report = apply_changes(prepared, change_steps(step, changes))
    for note in prepared.notes:
        info.print(f"note: {note}")
    return report


def serve_module() -> Any:
    try:
        from storyplan.serve import run
    except ModuleNotFoundError as error:
        raise ConfigError(
            f"storyplan serve needs {error.name}: pip install 'storyplan[serve]'"
        ) from None
    return run
