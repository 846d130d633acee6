"""What every `storyplan` command shares: its options, as help shows them (readable
placeholders, choices listed and matched in any letter case), and where output goes
(stdout for results, stderr for errors, notes and progress).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from storyplan.redact import RedactedStream, redact
from storyplan.terminal import LiteralConsole

# Every byte the commands print passes `redact`, whatever a table or JSON document holds.
out = LiteralConsole(file=RedactedStream.of("stdout"))  # results: tables, summaries
err = LiteralConsole(file=RedactedStream.of("stderr"))  # errors, even under --quiet
info = LiteralConsole(file=RedactedStream.of("stderr"))  # notes and progress, not under --quiet


@dataclass
class Options:
    config: Path | None = None
    debug: bool = False
    quiet: bool = False


OPTIONS = Options()


def take_options(values: dict[str, Any]) -> None:
    """--debug, --quiet and --config given after the command count as given before it."""
    OPTIONS.debug = OPTIONS.debug or bool(values.get("debug"))
    OPTIONS.quiet = OPTIONS.quiet or bool(values.get("quiet"))
    out.quiet = info.quiet = OPTIONS.quiet


def emit_json(text: str) -> None:
    """JSON for scripts, on stdout even under --quiet (it is what was asked for)."""
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Settings file (default: ./storyplan.toml if present).",
    ),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print nothing but errors (and what --json or render asks for)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TrackerOption = Annotated[
    Literal["files", "github", "gitlab", "jira"] | None,
    typer.Option(
        "--tracker",
        case_sensitive=False,
        help="Tracker for a bare reference such as owner/repo#42.",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help="API base URL for GitHub Enterprise, self-managed GitLab or Jira (also in config).",
    ),
]
MarkupOption = Annotated[
    Literal["markdown", "jira"] | None,
    typer.Option(
        "--markup",
        case_sensitive=False,
        help="How the story is written (default: .jira and .wiki files are jira).",
    ),
]
StoryOption = Annotated[
    int | None,
    typer.Option(
        "--story",
        min=1,
        metavar="N",
        help="Which story to plan when the file holds several (1 for the first).",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty", help="Plan a story in which no task is found (otherwise exit code 3)."
    ),
]
StoryRef = Annotated[
    str,
    typer.Argument(
        metavar="STORY", help="The story: a file, owner/repo#42, gitlab:group/project#17, a URL."
    ),
]


def settings(config: Path | None, **overrides: Any) -> Any:
    from storyplan.config import load_settings

    values = {name: value for name, value in overrides.items() if value is not None}
    return load_settings(config or OPTIONS.config, values)
