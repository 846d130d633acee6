"""Jira tables (`||head||head||`, `|cell|cell|`, a cell running on over lines until its next bar)
gathered row by row and written as one Markdown table, each row on its Jira row's line.
"""

from __future__ import annotations

import re
from typing import Protocol

from storyplan.parse.jirainline import Finder, inline

_SPECIAL = re.compile(r"[|\\\[]")


class Out(Protocol):
    pending: str

    def add(self, line: str, origin: int) -> None: ...

    def blank_before(self, origin: int) -> None: ...


def split_cells(line: str) -> tuple[list[str], bool]:
    """The text between the bars of `line` (the piece before the first bar first) and whether
    the line ends with a bar. An escaped `\\|` and a bar inside `[label|url]` split nothing."""
    cells: list[str] = []
    brackets = Finder(line, "]")
    start = at = 0
    while found := _SPECIAL.search(line, at):
        at = found.start()
        char = line[at]
        if char == "\\":
            at += 2
        elif char == "[":
            close = brackets.at_or_after(at + 1)
            at = close + 1 if close > at else at + 1
        else:
            cells.append(line[start:at])
            at = start = at + (2 if line.startswith("||", at) else 1)
    tail = line[start:]
    if tail.strip():
        cells.append(tail)
    return cells, not tail.strip()


class Table:
    """The rows of one table so far; the Markdown header row must be as wide as the widest."""

    def __init__(self) -> None:
        self.rows: list[list[list[str]]] = []  # row → cell → the cell's lines
        self.origins: list[int] = []
        self.open = False  # the last row has not ended with a bar: its last cell goes on

    def add(self, line: str, number: int) -> None:
        cells, closed = split_cells(line)
        if line.startswith("|"):
            self.rows.append([[cell] for cell in cells[1:]])
            self.origins.append(number)
        elif cells:
            row = self.rows[-1]
            if row:
                row[-1].append(cells[0])
            else:
                row.append([cells[0]])
            row.extend([cell] for cell in cells[1:])
        self.open = not closed

    def write(self, out: Out) -> None:
        width = max(1, *(len(row) for row in self.rows))
        out.blank_before(self.origins[0])
        for index, (row, origin) in enumerate(zip(self.rows, self.origins, strict=True)):
            cells = [_cell(cell) for cell in row]
            if index == 0:
                cells += [" "] * (width - len(cells))
            out.add("|" + "|".join(cells) + "|", origin)
            if index == 0:
                out.add("|" + "---|" * width, origin)
        out.pending = "|"  # a line after the table would be read as one more row


def _cell(lines: list[str]) -> str:
    """A cell's Jira markup on one Markdown line: its line breaks become `<br>`."""
    parts = (inline(line.strip()).replace("\n", "<br>") for line in lines)
    return "<br>".join(parts).strip() or " "
