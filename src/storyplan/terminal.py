"""What storyplan prints to a terminal. Story, tracker and file-name text is shown literally:
never read as rich markup (`[link=…]`, `[b]`), emoji codes, or escape sequences (ANSI colours,
OSC-8 hyperlinks), whichever command prints it and wherever (tables, notes, errors, progress).
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

# C0 controls but tab and newline, DEL, and C1 controls (0x9b is a one-character CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def literal(text: str) -> str:
    """`text` with every control character written out (`\\x1b`), so no terminal acts on it."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def markup_literal(text: str) -> str:
    """`text` for a place that reads rich markup (a progress bar's description)."""
    return escape(literal(text))


class LiteralConsole(Console):
    """A rich console that prints every string as it is: markup, emoji codes and
    highlighting are off, and control characters are written out."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("soft_wrap", True)
        super().__init__(markup=False, emoji=False, highlight=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        # Table cells and titles come through here as well as print()'s strings.
        options["markup"] = False
        options["emoji"] = False
        return super().render_str(literal(text), **options)
