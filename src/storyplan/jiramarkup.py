"""Story text, which the plan model keeps as Markdown, turned into Jira wiki markup for the
Jira templates, with every `{` a story could use to open a macro (and so forge storyplan's
`{anchor:storyplan-…}` markers) escaped.

Jira comments have no tickable checkbox in wiki markup, so a checklist item is shown with
Jira's `(/)` icon when done and a plain ☐ when not done yet (Jira's `(x)` is a red cross,
which reads as "failed").
"""

from __future__ import annotations

import re

CHECKED = "(/)"
UNCHECKED = "☐"

_FENCE = re.compile(r"^\s{0,3}(?P<fence>```|~~~)\s*(?P<lang>[\w+#.-]*)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_BOX = re.compile(r"^(?P<indent>\s*)[-*+]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.*)$")
_BULLET = re.compile(r"^(?P<indent>\s*)[-*+]\s+(?P<text>.*)$")
_ORDERED = re.compile(r"^(?P<indent>\s*)\d+[.)]\s+(?P<text>.*)$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)(\s+#+)?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(?P<text>.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+(\s*:?-{3,}:?\s*)?$")
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*\n]+)\*\*"
    r"|~~(?P<strike>[^~\n]+)~~"
    r"|(?P<special>[{\[|])"
)
_MACRO = re.compile(r"\{(?=\s*(?:code|noformat|anchor|quote|panel)\b)", re.IGNORECASE)


def inline(text: str, *, cell: bool = False) -> str:
    """One line of Markdown as Jira inline markup; `cell` also escapes `|` for table cells."""

    def convert(match: re.Match[str]) -> str:
        if match["code"] is not None:
            return "{{" + match["code"].replace("{", "\\{") + "}}"
        if match["label"] is not None:
            url = match["url"].replace("{", "%7B").replace("|", "%7C")
            return f"[{inline(match['label'], cell=True)}|{url}]"
        if match["bold"] is not None:
            return f"*{inline(match['bold'], cell=cell)}*"
        if match["strike"] is not None:
            return f"-{inline(match['strike'], cell=cell)}-"
        if match["special"] == "|" and not cell:
            return "|"
        return "\\" + match["special"]

    return _INLINE.sub(convert, text)


def one_line(text: str, *, cell: bool = False) -> str:
    """Several lines kept inside one list item or table cell with Jira's `\\\\` line break."""
    lines = [inline(line.strip(), cell=cell) for line in text.strip().splitlines()]
    return " \\\\ ".join(line for line in lines if line)


def _depth(indent: str) -> int:
    return 1 + len(indent.expandtabs(4)) // 2


def _row(line: str, header: bool) -> str:
    cells = re.split(r"(?<!\\)\|", line.strip().removeprefix("|").removesuffix("|"))
    bar = "||" if header else "|"
    shown = (inline(cell.strip().replace("\\|", "|"), cell=True) or " " for cell in cells)
    return bar + bar.join(shown) + bar


def block(text: str) -> str:
    """Markdown paragraphs, lists, headings, quotes, tables and code blocks as wiki markup."""
    lines = text.strip("\n").splitlines()
    out: list[str] = []
    fence = ""
    for index, line in enumerate(lines):
        if fence:
            if line.strip() == fence:
                out.append("{code}")
                fence = ""
            else:
                # Inside {code} nothing is markup except another {code} that would end it.
                out.append(_MACRO.sub("\\{", line))
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if match := _FENCE.match(line):
            fence = match["fence"]
            out.append(f"{{code:{match['lang']}}}" if match["lang"] else "{code}")
        elif _RULE.match(line):
            out.append("----")
        elif match := _BOX.match(line):
            icon = UNCHECKED if match["mark"] == " " else CHECKED
            out.append(f"{'*' * _depth(match['indent'])} {icon} {inline(match['text'])}")
        elif match := _BULLET.match(line):
            out.append(f"{'*' * _depth(match['indent'])} {inline(match['text'])}")
        elif match := _ORDERED.match(line):
            out.append(f"{'#' * _depth(match['indent'])} {inline(match['text'])}")
        elif match := _HEADING.match(line):
            out.append(f"*{inline(match['text'])}*")
        elif match := _QUOTE.match(line):
            out.append(f"bq. {inline(match['text'])}")
        elif _TABLE_SEP.match(line):
            continue
        elif line.lstrip().startswith("|"):
            out.append(_row(line, header=bool(_TABLE_SEP.match(following))))
        else:
            out.append(inline(line))
    if fence:
        out.append("{code}")
    return "\n".join(out)
