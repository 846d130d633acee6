"""The `storyplan` command. `main(argv) -> int` is the one place errors become exit codes."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from storyplan import __version__
from storyplan.errors import CapabilityError, ConfigError, PlanError, Problem, StoryplanError
from storyplan.redact import RedactedStream, redact, redacted_traceback

if TYPE_CHECKING:
    from storyplan.refs import TrackerName

app = typer.Typer(
    name="storyplan",
    help=(
        "Turn a refined user story into an implementation plan in the tracker where the "
        "team works: one plan comment, one sub-issue per task, dependency links.\n\n"
        "Example: storyplan apply stories/login.md"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


# Every byte the commands print passes `redact`, whatever a table or JSON document holds.
out = Console(file=RedactedStream.of("stdout"), highlight=False, soft_wrap=True)
err = Console(file=RedactedStream.of("stderr"), highlight=False, soft_wrap=True)


@dataclass
class Options:
    config: Path | None = None
    debug: bool = False


OPTIONS = Options()

P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn storyplan's errors into one sentence and an exit code; the only place that does."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StoryplanError as error:
            raise typer.Exit(report_error(error)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if OPTIONS.debug:
                print_traceback(error)
                raise typer.Exit(70) from None
            # A bug, not bad input: say so briefly; --debug shows the traceback.
            err.print(
                f"storyplan: internal error: {type(error).__name__}: {redact(str(error))} "
                "(run with --debug for the traceback)",
                markup=False,
            )
            raise typer.Exit(70) from None

    return wrapper


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Settings file (default: ./storyplan.toml if present)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TrackerOption = Annotated[
    str | None,
    typer.Option(
        "--tracker",
        help="Tracker for a bare reference such as owner/repo#42: files, github, gitlab, jira.",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL for GitHub Enterprise, self-managed GitLab or Jira (also in config).",
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"storyplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: ConfigOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Turn a refined user story into an implementation plan in the team's tracker."""
    OPTIONS.config = config
    OPTIONS.debug = debug


def _settings(config: Path | None, **overrides: Any) -> Any:
    from storyplan.config import load_settings

    values = {name: value for name, value in overrides.items() if value is not None}
    return load_settings(config or OPTIONS.config, values)


def _read_story_file(path: Path, markup: str | None) -> Any:
    from storyplan.compose import make_tracker
    from storyplan.config import Settings
    from storyplan.refs import Ref

    story = make_tracker(Settings(), Ref("files", str(path), "")).fetch_story(str(path))
    if markup is not None:
        if markup not in ("markdown", "jira"):
            raise ConfigError(f"--markup must be markdown or jira, not '{markup}'")
        story = story.model_copy(update={"markup": markup})
    return story


@app.command()
@handles_errors
def render(
    story_file: Annotated[Path, typer.Argument(help="The story file to plan.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="markdown, jira or json.")
    ] = "markdown",
    markup: Annotated[
        str | None,
        typer.Option(help="How the story is written: markdown or jira (default: .jira → jira)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Print the implementation plan for a story file, without writing anything.

    Example: storyplan render stories/login.md --format jira
    """
    from storyplan.render import Renderer
    from storyplan.service import build_plan

    if format not in ("markdown", "jira", "json"):
        raise ConfigError(f"--format must be markdown, jira or json, not '{format}'")
    settings = _settings(config)
    plan = build_plan(_read_story_file(story_file, markup), settings)
    if format == "json":
        out.print_json(plan.model_dump_json(), indent=2)
        return
    text = Renderer(format, settings.templates).plan(plan)  # type: ignore[arg-type]
    sys.stdout.write(redact(text))


@app.command()
@handles_errors
def check(
    story_file: Annotated[Path, typer.Argument(help="The story file to check.")],
    markup: Annotated[
        str | None, typer.Option(help="markdown or jira (default: .jira → jira).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Check that a story makes a valid plan; print every problem with its line.

    Example: storyplan check stories/login.md
    """
    from storyplan.defaults import complete_plan
    from storyplan.graph import check_graph
    from storyplan.parse.story import parse_story

    settings = _settings(config)
    story = _read_story_file(story_file, markup)
    plan = complete_plan(parse_story(story, synonyms=settings.synonyms))
    problems: list[Problem] = check_graph(plan)
    if problems:
        raise PlanError(problems)
    edges = sum(len(task.depends_on) for task in plan.tasks)
    out.print(f"{story_file}: ok, {len(plan.tasks)} task(s), {edges} dependency link(s)")
    for note in plan.notes:
        out.print(f"note: {note}")


def _prepare(
    ref_text: str, config: Path | None, tracker: str | None, base_url: str | None, prune: bool
) -> Any:
    from storyplan.compose import make_tracker
    from storyplan.refs import TRACKERS, parse_ref
    from storyplan.service import prepare

    if tracker is not None and tracker not in TRACKERS:
        raise ConfigError(f"--tracker must be one of {', '.join(TRACKERS)}, not '{tracker}'")
    settings = _settings(config, tracker=tracker)
    ref = parse_ref(ref_text, settings.tracker)
    backend = make_tracker(settings, ref, base_url=base_url)
    return prepare(backend, ref, settings, prune=prune or settings.prune)


@app.command()
@handles_errors
def plan(
    ref: Annotated[str, typer.Argument(help="The story: a file, owner/repo#42, a URL, ...")],
    json_output: JsonOption = False,
    prune: Annotated[bool, typer.Option(help="Also show closing obsolete sub-issues.")] = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show what apply would change, without changing anything (a dry run).

    Example: storyplan plan stories/login.md
    """
    from storyplan.report import changes_json, changes_table

    prepared = _prepare(ref, config, tracker, base_url, prune)
    changes = prepared.reconciled.changes
    if json_output:
        out.print(changes_json(prepared.story.ref, changes), markup=False)
    elif not changes:
        out.print(f"{prepared.story.ref}: up to date, nothing to change.")
    else:
        out.print(changes_table(prepared.story.ref, changes))
    if prepared.compact and not json_output:
        out.print("note: the plan is over the tracker's comment limit; task detail is shortened")


@app.command()
@handles_errors
def apply(
    ref: Annotated[str, typer.Argument(help="The story: a file, owner/repo#42, a URL, ...")],
    json_output: JsonOption = False,
    prune: Annotated[
        bool, typer.Option(help="Close sub-issues of removed tasks (as not planned).")
    ] = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the plan, create and update sub-issues, and link them by their dependencies.

    Running it again on an unchanged story changes nothing.

    Example: storyplan apply stories/login.md
    """
    from storyplan.report import print_report, report_dict
    from storyplan.service import apply as apply_changes

    prepared = _prepare(ref, config, tracker, base_url, prune)
    report = apply_changes(prepared)
    if json_output:
        out.print(json.dumps(report_dict(report), indent=2), markup=False)
    else:
        print_report(out, report)


def _scope(text: str, default: TrackerName | None) -> tuple[TrackerName, str]:
    """`github:octo/shop`, `files:stories` or a bare project → (tracker, project)."""
    from storyplan.refs import TRACKERS

    prefix, sep, rest = text.partition(":")
    for name in TRACKERS:
        if sep and prefix == name:
            return name, rest
    if Path(text).is_dir():
        return "files", text
    return default or "github", text


@app.command()
@handles_errors
def sync(
    refs: Annotated[
        list[str] | None,
        typer.Argument(help="A story, or with --all the scopes to search (github:owner/repo)."),
    ] = None,
    all_stories: Annotated[
        bool, typer.Option("--all", help="Every planned story in the scopes (or [sync] scopes).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change.")] = False,
    json_output: JsonOption = False,
    tracker: TrackerOption = None,
    base_url: BaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Tick the plan's checklists from the sub-issues' progress; never creates sub-issues.

    Example: storyplan sync octo/shop#42      storyplan sync --all github:octo/shop
    """
    from rich.progress import Progress

    from storyplan.compose import make_tracker
    from storyplan.refs import Ref, parse_ref
    from storyplan.report import print_sync, sync_json
    from storyplan.sync import SyncResult, sync_all

    settings = _settings(config, tracker=tracker)
    if all_stories:
        scopes = refs or settings.sync.scopes
        if not scopes:
            raise ConfigError(
                "sync --all needs scopes to search: give them (github:owner/repo, "
                "files:stories) or set [sync] scopes in the config"
            )
        stories: list[Ref] = []
        for scope in scopes:
            name, project = _scope(scope, settings.tracker)
            backend = make_tracker(settings, Ref(name, project, ""), base_url=base_url)
            finder = getattr(backend, "find_planned", None)
            if finder is None:
                raise CapabilityError(f"the {name} tracker cannot search for planned stories")
            stories.extend(
                parse_ref(f"{name}:{key}") for key in finder(project, settings.labels.story)
            )
    else:
        if not refs or len(refs) != 1:
            raise ConfigError("sync takes one story, or --all with scopes to search")
        stories = [parse_ref(refs[0], settings.tracker)]

    def tracker_for(ref: Ref) -> Any:
        return make_tracker(settings, ref, base_url=base_url)

    if not all_stories:
        from storyplan.sync import sync_story

        results = [sync_story(tracker_for(stories[0]), stories[0], settings, dry_run=dry_run)]
    elif json_output or not out.is_terminal:
        results = sync_all(stories, tracker_for, settings, dry_run=dry_run)
    else:
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("syncing", total=len(stories))

            def advance(result: SyncResult) -> None:
                bar.advance(task)

            results = sync_all(stories, tracker_for, settings, dry_run=dry_run, on_result=advance)
    if json_output:
        out.print(sync_json(results), markup=False)
    else:
        print_sync(out, results, dry_run=dry_run, everything=all_stories)
    if any(result.outcome == "failed" for result in results):
        raise typer.Exit(1)


@app.command()
@handles_errors
def action(config: ConfigOption = None) -> None:
    """Run as the GitHub Action: do what the workflow's event asks (plan, apply or sync).

    Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY and GITHUB_API_URL; writes
    step outputs to GITHUB_OUTPUT and a summary to GITHUB_STEP_SUMMARY. See README "GitHub
    Action" for what each event does.

    Example (a workflow step): storyplan action
    """
    from storyplan.action import run_action

    code = run_action(load_settings=lambda: _settings(config))
    if code:
        raise typer.Exit(code)


@app.command()
@handles_errors
def demo(
    directory: Annotated[Path, typer.Argument(help="Where to put the example story.")] = Path(
        "storyplan-demo"
    ),
) -> None:
    """Plan the bundled example story with the files tracker (safe to run again).

    Example: storyplan demo   (writes storyplan-demo/login.md, its plan and task files)
    """
    from storyplan.report import print_report
    from storyplan.service import apply as apply_changes

    story = directory / "login.md"
    if not story.exists():
        directory.mkdir(parents=True, exist_ok=True)
        source = resources.files("storyplan.examples").joinpath("login.md")
        with resources.as_file(source) as path:
            shutil.copyfile(path, story)
        out.print(f"copied the example story to {story}")
    prepared = _prepare(str(story), None, "files", None, False)
    print_report(out, apply_changes(prepared))


def report_error(error: StoryplanError) -> int:
    """Print a storyplan error as one sentence (one per problem) and give its exit code."""
    if isinstance(error, PlanError) and len(error.problems) > 1:
        for problem in error.problems:
            err.print(f"storyplan: error: {redact(str(problem))}", markup=False)
    else:
        err.print(f"storyplan: error: {redact(str(error))}", markup=False)
    if OPTIONS.debug:
        print_traceback(error)
    return error.exit_code


def print_traceback(error: BaseException) -> None:
    err.print(redacted_traceback(error), markup=False, end="")


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
