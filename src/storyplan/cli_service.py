"""`storyplan serve` and `storyplan worker`: the webhook service's two commands, registered
on the command line by `cli`; the service itself is imported only when they run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from storyplan.cli_errors import handles_errors
from storyplan.cli_options import ConfigOption, DebugOption, QuietOption, settings
from storyplan.cli_run import serve_module


@handles_errors
def serve(
    config: ConfigOption = None,
    workers: Annotated[bool, typer.Option(help="Also run workers in this process.")] = True,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Receive GitHub, GitLab and Jira webhooks and plan and sync stories from a job queue.

    Needs PostgreSQL (DATABASE_URL); see README "Webhook service".

    Examples:

    \b
      storyplan serve
      storyplan serve --no-workers
    """
    serve_module().run_serve(settings(config), workers=workers)


@handles_errors
def worker(
    config: ConfigOption = None,
    concurrency: Annotated[
        int | None, typer.Option(metavar="N", help="Jobs run at once.", min=1)
    ] = None,
    debug: DebugOption = False,
    quiet: QuietOption = False,
) -> None:
    """Work the queue that `storyplan serve` fills; run as many as you need, anywhere.

    Examples:

    \b
      storyplan worker
      storyplan worker --concurrency 4
    """
    serve_module().run_worker(settings(config), concurrency=concurrency)
