"""The `storyplan` command. `main(argv) -> int` is the one place errors become exit codes."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import typer

from storyplan import __version__
from storyplan.cli_errors import handles_errors, report_error
from storyplan.cli_options import (
    OPTIONS,
    AllowEmptyOption,
    BaseUrlOption,
    ConfigOption,
    DebugOption,
    JsonOption,
    MarkupOption,
    QuietOption,
    StoryOption,
    StoryRef,
    TrackerOption,
    emit_json,
    info,
    out,
    settings,
    take_options,
)
from storyplan.cli_run import apply_story, prepare_story
from storyplan.cli_service import serve, worker
from storyplan.redact import redact
from storyplan.terminal import literal

app = typer.Typer(
    name="storyplan",
    help=(
        "Turn a refined user story into an implementation plan in the tracker where the "
        "team works: one plan comment, one sub-issue per task, dependency links.\n\n"
        "Examples:\n\n"
        "\b\n"
        "  storyplan check stories/login.md\n"
        "  storyplan plan octo/shop#42\n"
        "  storyplan apply octo/shop#42\n"
        "  storyplan sync --all github:octo/shop"
    ),
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

# Typer prints an argument's Python type beside its name (`REFS <list[str]>`); the name and
# the help already say what to give.
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]

CHANGES_PENDING = 2  # plan --detailed-exitcode, as terraform: 0 nothing, 1 error, 2 changes


def _version(value: bool) -> None:
    if value:
        out.print(f"storyplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Turn a refined user story into an implementation plan in the team's tracker."""
    OPTIONS.config = config
    OPTIONS.debug = OPTIONS.quiet = False
    take_options({"debug": debug, "quiet": quiet})
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(0)


@app.command(short_help="Print the plan for a story file, writing nothing.")
@handles_errors
def render(
    story_file: Annotated[
        Path, typer.Argument(metavar="STORY_FILE", help="The story file to plan.")
    ],
    format: Annotated[
        Literal["markdown", "jira", "json"],
        typer.Option("--format", "-f", case_sensitive=False, help="What to print."),
    ] = "markdown",
    markup: MarkupOption = None,
    story: StoryOption = None,
    allow_empty: AllowEmptyOption = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Print the implementation plan for a story file, without writing anything.

    Examples:

    \b
      storyplan render stories/login.md
      storyplan render stories/login.md --format jira
      storyplan render stories/login.md -f json
    """
    from storyplan.cli_check import read_story
    from storyplan.parse.stories import select_story
    from storyplan.render import Renderer
    from storyplan.service import build_plan

    loaded = settings(config, allow_empty=allow_empty or None)
    plan = build_plan(select_story(read_story(str(story_file), markup), story), loaded)
    if format == "json":
        emit_json(plan.model_dump_json(indent=2))
        return
    text = Renderer(format, settings(config).templates).plan(plan)
    sys.stdout.write(literal(redact(text)))


@app.command(short_help="Check story files; print every problem with its line.")
@handles_errors
def check(
    story_files: Annotated[
        list[str],
        typer.Argument(metavar="STORY_FILE", help="Story files to check; - reads stdin."),
    ],
    json_output: JsonOption = False,
    markup: MarkupOption = None,
    story: StoryOption = None,
    allow_empty: AllowEmptyOption = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check that stories make valid plans; print every problem of every file with its line.

    A file that holds several stories is checked story by story.

    Examples:

    \b
      storyplan check stories/login.md
      storyplan check stories/*.md --json
      cat story.md | storyplan check -
    """
    from storyplan.cli_check import check_files, checked_json, exit_code, print_checked

    loaded = settings(config, allow_empty=allow_empty or None)
    results = check_files(story_files, markup, loaded, story)
    if json_output:
        emit_json(checked_json(results))
    else:
        print_checked(results, report_error)
    if code := exit_code(results):
        raise typer.Exit(code)


@app.command(short_help="Show what apply would change (a dry run).")
@handles_errors
def plan(
    ref: StoryRef,
    json_output: JsonOption = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when up to date, 2 with changes, 1 on error."
        ),
    ] = False,
    prune: Annotated[bool, typer.Option(help="Also show closing obsolete sub-issues.")] = False,
    story: StoryOption = None,
    allow_empty: AllowEmptyOption = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Show what apply would change, without changing anything (a dry run).

    Examples:

    \b
      storyplan plan stories/login.md
      storyplan plan octo/shop#42 --json
      storyplan plan octo/shop#42 --detailed-exitcode
    """
    from storyplan.bodydiff import body_diffs, plan_summary
    from storyplan.report import changes_json, changes_table

    prepared = prepare_story(ref, config, tracker, base_url, prune, story, allow_empty)
    changes = prepared.reconciled.changes
    if json_output:
        emit_json(changes_json(prepared.story.ref, changes))
    elif not changes:
        out.print(f"{prepared.story.ref}: up to date, nothing to change.")
    else:
        out.print(changes_table(prepared.story.ref, changes))
        for what, lines in body_diffs(prepared.state, changes):
            out.print(f"{what}: body")
            for line in lines:
                out.print(f"  {line}")
        out.print(plan_summary(changes))
    if prepared.compact:
        info.print("note: the plan is over the tracker's comment limit; task detail is shortened")
    for note in [*prepared.state.notes, *prepared.notes]:
        info.print(f"note: {note}")
    if detailed_exitcode and changes:
        raise typer.Exit(CHANGES_PENDING)


@app.command(short_help="Write the plan, sub-issues and dependency links.")
@handles_errors
def apply(
    ref: StoryRef,
    json_output: JsonOption = False,
    prune: Annotated[
        bool, typer.Option(help="Close sub-issues of removed tasks (as not planned).")
    ] = False,
    story: StoryOption = None,
    allow_empty: AllowEmptyOption = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write the plan, create and update sub-issues, and link them by their dependencies.

    Running it again on an unchanged story changes nothing.

    Examples:

    \b
      storyplan apply stories/login.md
      storyplan apply octo/shop#42 --json
      storyplan apply octo/shop#42 --prune
    """
    from storyplan.report import print_report, report_dict

    prepared = prepare_story(ref, config, tracker, base_url, prune, story, allow_empty)
    report = apply_story(prepared)
    if json_output:
        emit_json(json.dumps(report_dict(report), indent=2))
    else:
        print_report(out, report)


@app.command(short_help="Tick the plans' checklists from the sub-issues' progress.")
@handles_errors
def sync(
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="STORY|SCOPE",
            help="A story, or with --all the scopes to search (github:owner/repo, files:dir).",
        ),
    ] = None,
    all_stories: Annotated[
        bool, typer.Option("--all", help="Every planned story in the scopes (or [sync] scopes).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change.")] = False,
    json_output: JsonOption = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Tick the plan's checklists from the sub-issues' progress; never creates sub-issues.

    Exits 11 when a story needs apply (its plan changed, or a sub-issue is gone).

    Examples:

    \b
      storyplan sync octo/shop#42
      storyplan sync --all github:octo/shop
      storyplan sync --all --dry-run
    """
    from storyplan.cli_sync import run_sync
    from storyplan.config import check_base_url

    code = run_sync(
        refs or [],
        all_stories=all_stories,
        dry_run=dry_run,
        json_output=json_output,
        settings=settings(config, tracker=tracker.lower() if tracker else None),
        base_url=check_base_url(base_url),
    )
    if code:
        raise typer.Exit(code)


@app.command(short_help="Run as the GitHub Action (reads the workflow's event).")
@handles_errors
def action(
    config: ConfigOption = None, debug: DebugOption = False, quiet: QuietOption = False
) -> None:
    """Run as the GitHub Action: do what the workflow's event asks (plan, apply or sync).

    Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY and GITHUB_API_URL; writes
    step outputs to GITHUB_OUTPUT and a summary to GITHUB_STEP_SUMMARY. See README "GitHub
    Action" for what each event does.

    Examples:

    \b
      storyplan action
    """
    from storyplan.action import run_action

    code = run_action(load_settings=lambda: settings(config))
    if code:
        raise typer.Exit(code)


app.command(short_help="Receive tracker webhooks; plan and sync from a job queue.")(serve)
app.command(short_help="Work the queue that serve fills.")(worker)


@app.command(short_help="Plan the bundled example story with the files tracker.")
@handles_errors
def demo(
    directory: Annotated[
        Path, typer.Argument(metavar="FOLDER", help="Where to put the example story.")
    ] = Path("storyplan-demo"),
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Plan the bundled example story with the files tracker (safe to run again).

    Writes FOLDER/login.md, its plan and one file per task.

    Examples:

    \b
      storyplan demo
      storyplan demo /tmp/try-storyplan
    """
    from storyplan.localfiles import write_text
    from storyplan.report import print_report

    story = directory / "login.md"
    if not story.exists():
        example = resources.files("storyplan.examples").joinpath("login.md")
        write_text(story, example.read_text(encoding="utf-8"))
        out.print(f"copied the example story to {story}")
    print_report(out, apply_story(prepare_story(str(story), None, "files", None, False)))


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="storyplan")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def run() -> None:
    sys.exit(main())
