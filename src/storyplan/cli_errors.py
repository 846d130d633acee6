"""Where storyplan's errors become one sentence on stderr and an exit code: the only place.
Unexpected exceptions are bugs and say so briefly (`--debug` shows the traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from storyplan.cli_options import OPTIONS, err, take_options
from storyplan.errors import Interrupted, PlanError, StoryplanError, TrackerError
from storyplan.redact import redact, redacted_traceback

P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn storyplan's errors into one sentence and an exit code; the only place that does."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        take_options(kwargs)
        try:
            return command(*args, **kwargs)
        except StoryplanError as error:
            code = report_error(error)
            raise typer.Exit(1 if kwargs.get("detailed_exitcode") else code) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err.print("storyplan: interrupted")
            raise typer.Exit(130) from None
        except OSError as error:
            # The user's disk or network said no: their environment, not a bug.
            code = report_error(os_error(error))
            raise typer.Exit(1 if kwargs.get("detailed_exitcode") else code) from None
        except Exception as error:
            if OPTIONS.debug:
                print_traceback(error)
                raise typer.Exit(70) from None
            # A bug, not bad input: say so briefly; --debug shows the traceback.
            err.print(
                f"storyplan: internal error: {type(error).__name__}: {redact(str(error))} "
                "(run with --debug for the traceback)"
            )
            raise typer.Exit(70) from None

    return wrapper


def os_error(error: OSError) -> TrackerError:
    from storyplan.localfiles import os_reason

    where = f"{error.filename}: " if error.filename else ""
    return TrackerError(f"{where}{os_reason(error)}")


def report_error(error: StoryplanError) -> int:
    """Print a storyplan error as one sentence (one per problem) and give its exit code."""
    if isinstance(error, PlanError) and len(error.problems) > 1:
        for problem in error.problems:
            err.print(f"storyplan: error: {redact(str(problem))}")
    else:
        label = "" if isinstance(error, Interrupted) else "error: "
        err.print(f"storyplan: {label}{redact(str(error))}")
    if OPTIONS.debug and error.__traceback__ is not None:
        print_traceback(error)
    return error.exit_code


def print_traceback(error: BaseException) -> None:
    """The traceback `--debug` shows: redacted, for a library's exception may hold the request
    headers or a URL with its password."""
    err.print(redacted_traceback(error).rstrip())
