"""How `storyplan action` talks to the workflow run: log lines and annotations on stdout,
step outputs in GITHUB_OUTPUT, the job summary in GITHUB_STEP_SUMMARY.

Event text (titles, bodies, comments) reaches these only escaped: it never starts a line
on stdout, where the runner would read it as a workflow command, and never breaks out of a
Markdown table cell or an output value.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, TextIO

from storyplan.redact import redact
from storyplan.terminal import literal

Level = Literal["error", "warning", "notice"]


def escape_data(text: str) -> str:
    """A workflow command's message, as the runner unescapes it (actions/toolkit rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def one_line(text: str) -> str:
    return " ".join(text.split())


def cell(text: str) -> str:
    """Text safe inside one Markdown table cell: one line, no column breaks, no HTML."""
    return (
        one_line(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return "\n".join(lines)


class Workflow:
    """The running step's channels back to GitHub; files missing outside Actions are skipped."""

    def __init__(self, env: Mapping[str, str], stream: TextIO | None = None) -> None:
        self.output_path = env.get("GITHUB_OUTPUT") or None
        self.summary_path = env.get("GITHUB_STEP_SUMMARY") or None
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def _line(self, text: str) -> None:
        # The log view reads ANSI colours: story text must not style it.
        self.stream.write(literal(text) + "\n")
        self.stream.flush()

    def log(self, text: str) -> None:
        """One log line; it starts with `storyplan:` so event text cannot start a command."""
        self._line(f"storyplan: {redact(one_line(text))}")

    def annotate(self, level: Level, text: str) -> None:
        """An ::error::, ::warning:: or ::notice:: annotation on the run."""
        message = escape_data(redact(text))
        self._line(f"::{level} title={escape_property('storyplan')}::{message}")

    def set_outputs(self, values: Mapping[str, str]) -> None:
        """Step outputs, `name=value`; a value with a line break uses a delimiter it lacks."""
        if self.output_path is None:
            return
        lines = []
        for name, raw in values.items():
            value = redact(raw)
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}")
            else:
                lines.append(f"{name}={value}")
        _append(self.output_path, "\n".join(lines) + "\n")

    def summary(self, markdown: str) -> None:
        """Add Markdown to the job summary the run's page shows."""
        if self.summary_path is not None:
            _append(self.summary_path, redact(markdown).rstrip("\n") + "\n\n")


def _append(path: str, text: str) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(text)
