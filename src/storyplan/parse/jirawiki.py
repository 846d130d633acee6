"""Jira wiki markup → Markdown, keeping each Markdown line's Jira line so that problems point
into the text a person wrote. Written here rather than using jira2markdown for speed and
linearity: its pyparsing grammar costs ~0.3 s per KB and is super-linear on some shapes (3,000
`[` took 50 s); this is one pass of `str.find` and expressions that cannot backtrack.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from storyplan.parse.jirainline import Finder, inline
from storyplan.parse.jiratable import Table

# `{code:python}`, `{panel:title=Notes|borderStyle=solid}`, `{quote}`; the class stops at the
# next brace, so a failed match never rescans text.
_MACRO = re.compile(r"\{(code|noformat|quote|panel)(?::([^{}\n]*))?\}")
# The line kinds that start with a mark: a heading, a rule, a list item, a `bq.` quote line.
_BLOCK_STARTS = frozenset("hb-*#")
_BLOCK = re.compile(
    r"h(?P<level>[1-6])\.(?:[ \t]+(?P<heading>.*))?$"
    r"|(?P<rule>-{4,})$"
    r"|(?P<marks>[*#]+|-)[ \t]+(?P<item>.*)"
    r"|bq\.(?:[ \t]+(?P<quote>.*))?$"
)
# Jira has no checkboxes: teams tick list items with the (/) and (x) icons, and storyplan's own
# Jira plans show (/) and ☐; these become Markdown task-list boxes.
_BOX = re.compile(r"(\(/\)|\(x\)|☐)(?:[ \t]+|$)")
# A paragraph line Markdown would read as a heading, a rule or a setext underline.
_BARE_MARKS = re.compile(r"[#=*+-]+")
_LANGUAGE = re.compile(r"[\w#+.-]+")
# A list item's further lines are indented to its text up to this column; deeper, they are
# left unindented (Markdown continues the item's paragraph with them all the same), so that
# a deep item followed by many short lines cannot multiply the text's length.
_INDENT_UP_TO = 12
_BACKTICKS = re.compile(r"`+")


@dataclass
class Writer:
    """Markdown lines and, beside each, its 1-based line in the Jira text."""

    lines: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    # After a table or a quote, the next text needs a blank line first, or Markdown would
    # continue the table or quote with it; ">" when a following quote line may join.
    pending: str = ""

    def add(self, line: str, origin: int) -> None:
        if self.pending and line.strip() and not (self.pending == ">" and line.startswith(">")):
            self.lines.append("")
            self.origins.append(origin)
        if not (self.pending == ">" and line.startswith(">")):
            self.pending = ""
        self.lines.append(line)
        self.origins.append(origin)

    def blank_before(self, origin: int) -> None:
        """A blank line unless the last line is one already (a table needs one before it)."""
        if self.lines and self.lines[-1].strip():
            self.add("", origin)


class Lines:
    """Where each line of the text starts, to turn positions into 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def of(self, position: int) -> int:
        return bisect_right(self.starts, position)


def convert(text: str) -> tuple[list[str], list[int]]:
    """The Markdown lines for Jira `text` and the 1-based Jira line each came from."""
    out = Writer()
    _read(text, 0, len(text), out, Lines(text))
    return out.lines, out.origins


def _read(text: str, start: int, end: int, out: Writer, lines: Lines) -> None:
    """Convert `text[start:end]`: block macros, and the lines between them."""
    closers: dict[str, Finder] = {}
    segment = search = start
    while found := _MACRO.search(text, search, end):
        if found.start() and text[found.start() - 1] == "\\":  # `\{code}` is text
            search = found.start() + 1
            continue
        kind = found[1]
        closing = "{" + kind + "}"
        close = closers.setdefault(kind, Finder(text, closing, end)).at_or_after(found.end())
        if close < 0:  # never closed: the tag is text, and the rest reads as it would without it
            search = found.end()
            continue
        _text(text, segment, found.start(), out, lines)
        if kind in ("code", "noformat"):
            _code(text, found, close, out, lines, kind == "code")
        else:
            _quote(text, found, close, out, lines)
        segment = search = close + len(closing)
    _text(text, segment, end, out, lines)


def _code(
    text: str, found: re.Match[str], close: int, out: Writer, lines: Lines, named: bool
) -> None:
    """`{code:lang}…{code}` and `{noformat}…{noformat}` as a fenced block, its lines kept."""
    body = text[found.end() : close]
    first = lines.of(found.start())
    pieces = body.split("\n")
    if len(pieces) > 1 and not pieces[0].strip():  # the opening tag ends its line
        pieces, first = pieces[1:], first + 1
    if len(pieces) > 1 and not pieces[-1].strip():  # the closing tag starts its line
        pieces.pop()
    if pieces == [""]:
        pieces = []
    fence = "`" * max(3, max((len(r) for r in _BACKTICKS.findall(body)), default=0) + 1)
    out.add(fence + (_language(found[2]) if named else ""), lines.of(found.start()))
    for offset, piece in enumerate(pieces):
        out.add(piece, first + offset)
    out.add(fence, lines.of(close))


def _language(parameters: str | None) -> str:
    """`{code:python}` or `{code:python|title=x}` name a language; `{code:title=x}` does not."""
    first = (parameters or "").split("|")[0].strip()
    return first if _LANGUAGE.fullmatch(first) else ""


def _quote(text: str, found: re.Match[str], close: int, out: Writer, lines: Lines) -> None:
    """`{quote}…{quote}` and `{panel:title=…}…{panel}` as a Markdown quote (a panel's title in
    bold on its first line). Neither can hold itself, so this nests at most twice."""
    inner = Writer()
    _read(text, found.end(), close, inner, lines)
    while inner.lines and not inner.lines[-1].strip():
        inner.lines.pop()
        inner.origins.pop()
    start = next((i for i, line in enumerate(inner.lines) if line.strip()), len(inner.lines))
    for parameter in (found[2] or "").split("|"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "title" and value.strip():
            out.add(f"> **{inline(value.strip()).replace(chr(10), ' ')}**", lines.of(found.start()))
    for line, origin in zip(inner.lines[start:], inner.origins[start:], strict=True):
        out.add(f"> {line}" if line.strip() else ">", origin)
    out.pending = ">"  # text after the quote must not run on into it


@dataclass
class _State:
    """What the lines before tell about the next one: the open list's content columns, the
    table being gathered."""

    indents: list[int] = field(default_factory=list)  # per open list level
    table: Table | None = None


def _text(text: str, start: int, end: int, out: Writer, lines: Lines) -> None:
    """The lines of `text[start:end]`, which holds no block macro."""
    if start >= end:
        return
    pieces = text[start:end].split("\n")
    first = lines.of(start)
    if start and text[start - 1] != "\n" and not pieces[0].strip():
        pieces, first = pieces[1:], first + 1  # the rest of a closing tag's line
    if pieces and not pieces[-1].strip():
        pieces.pop()  # before an opening tag, or after the last line break
    state = _State()
    for offset, piece in enumerate(pieces):
        _line(piece.strip(), first + offset, state, out)
    if state.table:
        state.table.write(out)


def _line(line: str, number: int, state: _State, out: Writer) -> None:
    block = _BLOCK.match(line) if line[:1] in _BLOCK_STARTS else None
    if table := state.table:
        if line.startswith("|") or (table.open and line and block is None):
            table.add(line, number)  # a row, or the next line of a cell
            return
        table.write(out)
        state.table = None
    if not line or line[0] == "|" or (block and not block["marks"]):
        state.indents = []  # anything but an item or text ends a list
    if not line:
        out.add("", number)
    elif line[0] == "|":
        state.table = Table()
        state.table.add(line, number)
    elif block is None:
        pieces = inline(line).split("\n")
        if state.indents:  # Jira continues a list item on the next line
            for piece in pieces:
                out.add(_continued(piece, state), number)
            return
        for piece in pieces:
            piece = piece.strip()
            bare = piece[:1] in "#=*+-" and _BARE_MARKS.fullmatch(piece)
            out.add("\\" + piece if bare else piece, number)
    elif block["level"]:
        words = " ".join(part.strip() for part in inline(block["heading"] or "").split("\n"))
        if words.endswith("#"):  # not a closing sequence of the Markdown heading
            words = words[:-1] + "\\#"
        out.add("#" * int(block["level"]) + " " + words, number)
    elif block["rule"]:
        out.add("***", number)  # `----` under a paragraph would make it a Markdown heading
    elif block["marks"]:
        _item(block["marks"], block["item"], number, state, out)
    else:
        for piece in inline(block["quote"] or "").split("\n"):
            out.add(f"> {piece.strip()}".rstrip(), number)
        out.pending = ">"


def _item(marks: str, words: str, number: int, state: _State, out: Writer) -> None:
    """A list item, nested under the items before it: Jira's `**` or `#*` is one level deeper
    than the item above (a deeper mark is read as one level deeper, as Markdown needs)."""
    depth = min(len(marks), len(state.indents) + 1)
    column = state.indents[depth - 2] if depth > 1 else 0
    marker = "1." if marks[-1] == "#" else "-"
    state.indents = [*state.indents[: depth - 1], column + len(marker) + 1]
    words = words.strip()
    box = ""
    if words[:1] in "(☐" and (ticked := _BOX.match(words)):
        box = "[x] " if ticked[1] == "(/)" else "[ ] "
        words = words[ticked.end() :]
    pieces = inline(words).split("\n")
    out.add(" " * column + f"{marker} {box}{pieces[0].strip()}".rstrip(), number)
    for piece in pieces[1:]:
        out.add(_continued(piece, state), number)


def _continued(piece: str, state: _State) -> str:
    """A further line of the last list item."""
    column = state.indents[-1]
    return (" " * column if column <= _INDENT_UP_TO else "") + piece.strip()
